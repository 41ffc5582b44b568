/**
 * Tests of the runner emulation: if it reads outputs or applies masks differently from the runner,
 * the end-to-end tests built on it prove nothing.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KINDS } from "../fixtures.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "../simulator/server.ts";
import {
  type Chunk,
  emulateLog,
  inputVariable,
  masked,
  parseCommand,
  parseOutputFile,
  runAction,
  summaryText,
  unescapeData,
  unescapeProperty,
} from "./runner.ts";

const out = (text: string): Chunk => ({ stream: "stdout", text });
const err = (text: string): Chunk => ({ stream: "stderr", text });

describe("parseOutputFile", () => {
  it("reads the heredoc form @actions/core writes, multi-line values included", () => {
    const text = [
      "name<<ghadelimiter_0b5c6d1e-1111-4222-8333-444455556666",
      "Production OpenAI",
      "ghadelimiter_0b5c6d1e-1111-4222-8333-444455556666",
      "connection<<ghadelimiter_aaaaaaaa-1111-4222-8333-444455556666",
      '{"a":1}',
      "second line = still value <<",
      "",
      "ghadelimiter_aaaaaaaa-1111-4222-8333-444455556666",
      "empty<<ghadelimiter_bbbbbbbb-1111-4222-8333-444455556666",
      "ghadelimiter_bbbbbbbb-1111-4222-8333-444455556666",
      "",
    ].join("\n");
    expect(parseOutputFile(text)).toEqual({
      name: "Production OpenAI",
      connection: '{"a":1}\nsecond line = still value <<\n',
      empty: "",
    });
  });

  it("reads name=value lines and CRLF files", () => {
    expect(parseOutputFile("a=1\r\nb=x=y<<z\r\nc<<EOF\r\nline\r\nEOF\r\n")).toEqual({ a: "1", b: "x=y<<z", c: "line" });
  });

  it("refuses a heredoc without its closing delimiter, as the runner does", () => {
    expect(() => parseOutputFile("a<<EOF\nvalue\n")).toThrow(/delimiter/);
  });

  it("is empty for an empty file", () => {
    expect(parseOutputFile("")).toEqual({});
  });
});

describe("workflow command parsing", () => {
  it("decodes %25, %0D and %0A in messages, once", () => {
    expect(unescapeData("100%25 done%0D%0Anext")).toBe("100% done\r\nnext");
    expect(unescapeData("%250A stays %0A")).toBe("%0A stays \n");
    expect(unescapeData("%3A%2C")).toBe("%3A%2C");
  });

  it("decodes %3A and %2C as well in properties", () => {
    expect(unescapeProperty("a%3Ab%2Cc%25%0A")).toBe("a:b,c%\n");
  });

  it("parses a command with properties", () => {
    expect(parseCommand("::error title=Invalid patch%3A yes%2C no,file=.github/p.yml,line=3::bad%0Avalue")).toEqual({
      command: "error",
      properties: { title: "Invalid patch: yes, no", file: ".github/p.yml", line: "3" },
      message: "bad\nvalue",
    });
    expect(parseCommand("::add-mask::s3cr%25t")).toEqual({ command: "add-mask", properties: {}, message: "s3cr%t" });
    expect(parseCommand("::endgroup::")).toEqual({ command: "endgroup", properties: {}, message: "" });
  });

  it("ignores lines that are not registered commands", () => {
    expect(parseCommand("plain text")).toBeUndefined();
    expect(parseCommand("::unknown::x")).toBeUndefined();
    expect(parseCommand("::error")).toBeUndefined();
    expect(parseCommand("##[unknown]x")).toBeUndefined();
    expect(parseCommand("##[error no closing bracket")).toBeUndefined();
  });

  it("reads ::name:: after leading white space, as TryParseV2 trims it", () => {
    expect(parseCommand(" \t::error::indented")).toEqual({ command: "error", properties: {}, message: "indented" });
    expect(parseCommand("\\::error::escaped")).toBeUndefined();
  });

  it("reads ##[name props]data anywhere in a line, as TryParse does, names in any case", () => {
    expect(parseCommand("Payments ##[set-output name=connection-id;]attacker%5Dchosen")).toEqual({
      command: "set-output",
      properties: { name: "connection-id" },
      message: "attacker]chosen",
    });
    expect(parseCommand("setting ##[Stop-Commands]abc")).toEqual({
      command: "Stop-Commands",
      properties: {},
      message: "abc",
    });
    expect(parseCommand("Prod ##[error title=Security]Rotate")).toEqual({
      command: "error",
      properties: { title: "Security" },
      message: "Rotate",
    });
    // A ::name:: line is read first; the ##[ in its message is then only text.
    expect(parseCommand("::warning::a ##[set-output name=x;]v")?.command).toBe("warning");
    expect(parseCommand("a ##\\[set-output name=x;]v")).toBeUndefined();
  });
});

describe("masking", () => {
  it("masks a value printed after its add-mask, not one printed before", () => {
    const log = emulateLog([out("token is hunter22\n::add-mask::hunter22\ntoken is hunter22\n")]);
    expect(log.maskedLog).toBe("token is hunter22\ntoken is ***");
    expect(log.masks).toEqual(["hunter22"]);
  });

  it("masks each line of a multi-line mask, trimmed", () => {
    const log = emulateLog([
      out("::add-mask::-----BEGIN KEY-----%0A  MIIEvQIBADAN  %0A-----END KEY-----\n"),
      out("key line MIIEvQIBADAN here\n-----END KEY-----\n"),
    ]);
    expect(log.maskedLog).toBe("key line *** here\n***");
  });

  it("masks the JSON-escaped form too", () => {
    const log = emulateLog([out('::add-mask::a"b\\c\n{"v":"a\\"b\\\\c"}\n')]);
    expect(log.maskedLog).toBe('{"v":"***"}');
  });

  it("merges overlapping masks into one ***", () => {
    expect(masked("xxabcdefyy", ["abcd", "cdef"])).toBe("xx***yy");
    // Adjacent occurrences too, as the runner merges ranges that touch.
    expect(masked("abcabc", ["abc"])).toBe("***");
    expect(masked("nothing here", [])).toBe("nothing here");
  });

  it("processes lines in arrival order across stdout and stderr, a line when it completes", () => {
    const log = emulateLog([err("leak: p4ss\n"), out("partial p4"), err("::add-mask::p4ss\n"), out("ss done\n")]);
    expect(log.maskedLog).toBe("leak: p4ss\npartial *** done");
  });

  it("shows errors, warnings and notices as the runner does, hides debug and add-mask, masks messages", () => {
    const log = emulateLog([
      out("::add-mask::k3y\n"),
      out("::debug::sending k3y\n"),
      out("::error title=Datadog refused,file=p.yml,line=2::bad k3y%0Asecond\n"),
      out("::warning::careful\n"),
      out("::notice::fyi\n"),
      out("::group::Request\ninside\n::endgroup::\n"),
      out("last line without newline"),
    ]);
    expect(log.maskedLog).toBe(
      [
        "Error: bad ***",
        "second",
        "Warning: careful",
        "Notice: fyi",
        "> Request",
        "inside",
        "last line without newline",
      ].join("\n"),
    );
    expect(log.commands.map((command) => command.command)).toEqual([
      "add-mask",
      "debug",
      "error",
      "warning",
      "notice",
      "group",
      "endgroup",
    ]);
    expect(log.commands[2]).toEqual({
      command: "error",
      properties: { title: "Datadog refused", file: "p.yml", line: "2" },
      message: "bad k3y\nsecond",
    });
  });

  it("stops processing commands between ::stop-commands::TOKEN and ::TOKEN::, echoing both", () => {
    const log = emulateLog([
      out("::stop-commands::pause1\n::add-mask::nope\nnope\n::pause1::\n::add-mask::yes\nyes nope\n"),
    ]);
    expect(log.masks).toEqual(["yes"]);
    expect(log.maskedLog).toBe("::stop-commands::pause1\n::add-mask::nope\nnope\n::pause1::\n*** nope");
  });

  it("stops at ##[stop-commands] anywhere in a line and resumes at ##[TOKEN] too; masks a long token", () => {
    const log = emulateLog([out("setting ##[stop-commands]abcdefgh\n::error::lost\nx ##[abcdefgh]\n::error::seen\n")]);
    expect(log.commands.map((command) => command.command)).toEqual(["stop-commands", "error"]);
    expect(log.maskedLog).toBe("setting ##[stop-commands]***\n::error::lost\nx ##[***]\nError: seen");
  });

  it("sets an output from ##[set-output name=x;]v and ::set-output name=x::v", () => {
    const log = emulateLog([out("Payments ##[set-output name=connection-id;]evil\n::set-output name=b::2\n")]);
    expect(log.outputs).toEqual({ "connection-id": "evil", b: "2" });
  });
});

describe("summaryText", () => {
  it("turns a job summary into plain text: headings, Field: value rows, links, entities", () => {
    const html = [
      "<h2>Datadog connection updated</h2>",
      "<table><tr><th><th></tr><tr><td>Connection</td><td>&#60;img src=x&#62; (<code>abc</code>)</td></tr><tr><td>Site</td><td>datadoghq.eu</td></tr></table>",
      "<h3>Fields set</h3>",
      "<table><tr><th>Field</th><th>Value</th></tr><tr><td><code>name</code></td><td>Tom &amp; Jerry&#39;s</td></tr></table>",
      '<pre lang="json"><code>{\n  &quot;a&quot;: 1\n}</code></pre>',
      '<a href="https://github.com/acme/platform/actions/runs/42">Workflow run</a>',
      "",
    ].join("\n");
    expect(summaryText(html)).toBe(
      [
        "Datadog connection updated",
        "",
        "Connection: <img src=x> (abc)",
        "Site: datadoghq.eu",
        "",
        "Fields set",
        "",
        "name: Tom & Jerry's",
        "",
        "{",
        '  "a": 1',
        "}",
        "",
        "Workflow run (https://github.com/acme/platform/actions/runs/42)",
      ].join("\n"),
    );
  });

  it("is empty for an empty summary", () => {
    expect(summaryText("")).toBe("");
  });
});

describe("runAction", () => {
  let scripts: string;
  beforeAll(async () => {
    scripts = await mkdtemp(join(tmpdir(), "runner-test-"));
  });
  afterAll(async () => {
    await rm(scripts, { recursive: true, force: true });
  });

  async function script(name: string, source: string): Promise<string> {
    const path = join(scripts, name);
    await writeFile(path, source);
    return path;
  }

  it("names input variables as the runner does: INPUT_ + upper case, hyphens kept, spaces to _", () => {
    expect(inputVariable("connection-id")).toBe("INPUT_CONNECTION-ID");
    expect(inputVariable("my input")).toBe("INPUT_MY_INPUT");
  });

  it("passes inputs, the runner's variables and workspace files, and none of the parent's INPUT_* or DD_*", async () => {
    const entry = await script(
      "env.mjs",
      [
        'import { appendFileSync, readFileSync } from "node:fs";',
        "const env = process.env;",
        "const picked = Object.fromEntries(Object.entries(env).filter(([k]) => /^(INPUT_|DD_|GITHUB_REPOSITORY|GITHUB_RUN_ID|GITHUB_SERVER_URL|EXTRA)/.test(k)));",
        "const file = readFileSync('patches/p.yml', 'utf8');",
        "const same = process.cwd() === env.GITHUB_WORKSPACE;",
        "appendFileSync(env.GITHUB_OUTPUT, 'env<<EOF\\n' + JSON.stringify({ picked, file, same }) + '\\nEOF\\n');",
        "appendFileSync(env.GITHUB_STEP_SUMMARY, '<h2>hi</h2>');",
        "console.log('::add-mask::shh');",
        "console.error('stderr shh');",
        "process.exitCode = 3;",
      ].join("\n"),
    );
    process.env.INPUT_LEAK = "leak";
    process.env.DD_API_KEY = "leak";
    try {
      const run = await runAction({
        entry,
        inputs: { "connection-id": "abc", patch: "name: x\n" },
        env: { EXTRA: "1" },
        workspaceFiles: { "patches/p.yml": "name: y\n" },
      });
      expect(run.exitCode).toBe(3);
      expect(run.signal).toBeNull();
      expect(run.timedOut).toBe(false);
      expect(JSON.parse(run.outputs.env ?? "{}")).toEqual({
        picked: {
          "INPUT_CONNECTION-ID": "abc",
          INPUT_PATCH: "name: x\n",
          GITHUB_REPOSITORY: "acme/platform",
          GITHUB_RUN_ID: "42",
          GITHUB_SERVER_URL: "https://github.com",
          EXTRA: "1",
        },
        file: "name: y\n",
        same: true,
      });
      expect(run.summary).toBe("<h2>hi</h2>");
      expect(run.masks).toEqual(["shh"]);
      expect(run.stderr).toBe("stderr shh\n");
      expect(run.durationMs).toBeGreaterThan(0);
    } finally {
      delete process.env.INPUT_LEAK;
      delete process.env.DD_API_KEY;
    }
  });

  it("refuses a workspace file outside the workspace", async () => {
    await expect(runAction({ inputs: {}, workspaceFiles: { "../x": "" } })).rejects.toThrow(/inside the workspace/);
  });

  it("kills the child after timeoutMs", async () => {
    const entry = await script("forever.mjs", "console.log('started'); setInterval(() => {}, 1000);");
    const started = Date.now();
    const run = await runAction({ entry, inputs: {}, timeoutMs: 300 });
    // The child never ends by itself; wide for a loaded machine.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.timedOut).toBe(true);
    expect(run.signal).toBe("SIGTERM");
    expect(run.exitCode).toBeNull();
    expect(run.maskedLog).toBe("started");
  });

  it("sends a signal once the output shows a text, then after afterMs, and says when", async () => {
    const entry = await script(
      "signals.mjs",
      [
        "for (const name of ['SIGTERM', 'SIGINT']) process.on(name, () => { console.log('got ' + name); process.exit(7); });",
        "setTimeout(() => console.log('ready'), 100);",
        "setTimeout(() => {}, 10_000);",
      ].join("\n"),
    );
    const run = await runAction({ entry, inputs: {}, signal: { name: "SIGTERM", whenOutput: "ready", afterMs: 100 } });
    expect(run.exitCode).toBe(7);
    expect(run.maskedLog).toBe("ready\ngot SIGTERM");
    expect(run.signalSentMs).toBeGreaterThan(200);
    // The child exits on the signal, not at its 10 s timer; wide for a loaded machine.
    expect(run.durationMs - (run.signalSentMs ?? 0)).toBeLessThan(5000);
    expect(run.timedOut).toBe(false);
  });

  it("sends a signal once a promise resolves too; sends none to a child that has exited", async () => {
    const entry = await script(
      "sigint.mjs",
      [
        "process.on('SIGINT', () => { console.log('got SIGINT at ' + Date.now()); process.exit(8); });",
        "console.log('ready');",
        "setTimeout(() => {}, 10_000);",
      ].join("\n"),
    );
    let gateAt = Number.POSITIVE_INFINITY;
    const gate = new Promise<void>((resolve) =>
      setTimeout(() => {
        gateAt = Date.now();
        resolve();
      }, 300),
    );
    const run = await runAction({ entry, inputs: {}, signal: { name: "SIGINT", whenOutput: "ready", when: gate } });
    expect(run.exitCode).toBe(8);
    const [ready, got] = run.maskedLog.split("\n");
    expect(ready).toBe("ready");
    expect(Number(got?.replace("got SIGINT at ", ""))).toBeGreaterThanOrEqual(gateAt);
    expect(run.signalSentMs).toBeGreaterThan(0);

    const quick = await script("quick.mjs", "console.log('done');");
    const done = await runAction({ entry: quick, inputs: {}, signal: { name: "SIGTERM", afterMs: 10_000 } });
    expect(done.exitCode).toBe(0);
    expect(done.signalSentMs).toBeUndefined();
    // Not held until the signal's time (10 s); wide for a loaded machine.
    expect(done.durationMs).toBeLessThan(8000);
  });

  it("runs the bundle against the simulator as a runner would", async () => {
    const simulator = await Simulator.start();
    try {
      const kind = KINDS.find((candidate) => candidate.kind.type === "OpenAIAPIKey");
      const token = "sk-proj-harness-test-0123456789";
      const run = await runAction({
        inputs: {
          "connection-id": kind?.id ?? "",
          patch: `integration:\n  type: OpenAI\n  credentials:\n    type: OpenAIAPIKey\n    api_token: ${token}\n`,
          "api-url": simulator.url,
          "api-key": SIM_API_KEY,
          "app-key": SIM_APP_KEY,
        },
      });
      expect(run.exitCode, run.maskedLog).toBe(0);
      expect(run.masks).toEqual(expect.arrayContaining([SIM_API_KEY, SIM_APP_KEY, token]));
      expect(run.maskedLog).not.toContain(token);
      expect(run.outputs["connection-id"]).toBe(kind?.id);
      expect(run.outputs["integration-type"]).toBe("OpenAI");
      expect(summaryText(run.summary)).toContain("Integration: OpenAI (OpenAIAPIKey)");
      expect(simulator.requests).toHaveLength(1);
    } finally {
      await simulator.close();
    }
  });
});
