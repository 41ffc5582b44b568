/**
 * The trust boundary's two functions, on the forms the runner reads as commands and the Markdown
 * GitHub renders; and that every line the action prints passes the first.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { forLog, forMarkup } from "../../src/boundary.ts";
import { emulateLog, parseCommand } from "../harness/runner.ts";

describe("forLog", () => {
  it("breaks ##[ anywhere in a line, every occurrence", () => {
    expect(forLog("a ##[set-output name=x;]v ##[error]e ###[x]")).toBe(
      "a ##\\[set-output name=x;]v ##\\[error]e ###\\[x]",
    );
  });

  it("breaks :: at a line's start, after white space the runner trims, on every line", () => {
    expect(forLog("::error::x\n  ::warning::y\r\t::add-mask::z\r\nok :: here")).toBe(
      "\\::error::x\n  \\::warning::y\n\t\\::add-mask::z\nok :: here",
    );
    expect(forLog("\u00a0\u2003\u0085::debug::d")).toBe("\u00a0\u2003\u0085\\::debug::d");
  });

  it("leaves text without commands as it is", () => {
    expect(forLog("Updating connection 1234 on datadoghq.eu: setting name, tags #1 [x]")).toBe(
      "Updating connection 1234 on datadoghq.eu: setting name, tags #1 [x]",
    );
  });

  it("leaves no line the runner would read as a command", () => {
    const hostile = [
      "::stop-commands::t",
      " ::set-output name=a::b",
      "x ##[stop-commands]t",
      "##[set-output name=a;]b",
      "#####[[error]]",
      "::::error::",
      "##[##[error]]",
    ];
    for (const text of hostile) {
      for (const line of forLog(text).split("\n")) expect(parseCommand(line), line).toBeUndefined();
    }
    expect(emulateLog([{ stream: "stdout", text: `${forLog(hostile.join("\n"))}\n` }]).commands).toEqual([]);
  });
});

describe("forMarkup", () => {
  it("escapes every ASCII punctuation character and keeps line breaks as <br>", () => {
    expect(forMarkup("a\n\n![i](u)\r\n## h <b>")).toBe(
      "a<br><br>&#33;&#91;i&#93;&#40;u&#41;<br>&#35;&#8203;&#35;&#8203; h &#60;b&#62;",
    );
  });

  it("breaks a mention, not an e-mail address", () => {
    expect(forMarkup("@team (@acme/sec) ops@example.com")).toBe(
      "&#64;&#8203;team &#40;&#64;&#8203;acme&#47;sec&#41; ops&#64;example&#46;com",
    );
  });

  it("leaves letters, digits, spaces and non-ASCII text alone", () => {
    expect(forMarkup("Prod Zürich 42 — ok")).toBe("Prod Zürich 42 — ok");
  });
});

describe("log.ts is the only way to print", () => {
  it("no module of src/ but log.ts calls core's printing functions or writes to stdout", async () => {
    const root = join(import.meta.dirname, "../../src");
    const files = (await readdir(root, { recursive: true })).filter((file) => file.endsWith(".ts"));
    const offenders: string[] = [];
    for (const file of files) {
      if (file === "log.ts") continue;
      const text = await readFile(join(root, file), "utf8");
      const calls = text.match(
        /\bcore\.(info|debug|warning|error|notice|setFailed|startGroup|group|endGroup)\b|console\.\w+|process\.std(out|err)/g,
      );
      if (calls) offenders.push(`${file}: ${[...new Set(calls)].join(", ")}`);
    }
    expect(offenders).toEqual([]);
  });
});
