import { describe, expect, it } from "vitest";
import { parsePatch } from "../../src/patch/parse.ts";
import { findSecrets } from "../../src/secrets.ts";

const SECRET = "sk-live-9f8e7d6c";

/** The secrets found in a parsed value, each once. */
const secretsOf = (value: unknown) => [...new Set(findSecrets(value))];

describe("parsePatch keeps what the user wrote", () => {
  it("keeps a number's literal text: account ids keep their leading zero", () => {
    const parsed = parsePatch("account_id: 012345678912\nbig: 1e3\nhex: 0x1F\ntoken: 12345\n");
    expect(parsed.problems).toEqual([]);
    expect(parsed.value).toEqual({ account_id: "012345678912", big: "1e3", hex: "0x1F", token: "12345" });
  });

  it("keeps booleans as booleans and quoted words as text", () => {
    expect(parsePatch('a: true\nb: "true"\nc: False\n').value).toEqual({ a: true, b: "true", c: false });
  });

  it("stays on YAML 1.2 even under a %YAML 1.1 directive: yes is text, 0777 keeps its digits", () => {
    const parsed = parsePatch("%YAML 1.1\n---\nflag: yes\nmode: 0777\n");
    expect(parsed.problems).toEqual([]);
    expect(parsed.value).toEqual({ flag: "yes", mode: "0777" });
  });

  it("carries a PEM key in a block scalar intact", () => {
    const pem =
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";
    const text = `private_key: |\n${pem
      .split("\n")
      .filter(Boolean)
      .map((line) => `  ${line}`)
      .join("\n")}\n`;
    expect(parsePatch(text).value).toEqual({ private_key: pem });
  });

  it("reads JSON as well", () => {
    expect(parsePatch('{"name": "x", "integration": {"type": "AWS"}}').value).toEqual({
      name: "x",
      integration: { type: "AWS" },
    });
  });
});

describe("parsePatch reports YAML problems by code, line and column, never by quoting the source", () => {
  const cases: [string, string, string, number, number][] = [
    ["a duplicate key", `api_token: ${SECRET}\napi_token: ${SECRET}\n`, "DUPLICATE_KEY", 2, 1],
    ["several documents", `name: a\n---\napi_token: ${SECRET}\n`, "MULTIPLE_DOCS", 2, 1],
    ["a tab as indentation", `integration:\n\tapi_token: ${SECRET}\n`, "TAB_AS_INDENT", 2, 1],
    ["an unresolved tag", `api_token: !Ref ${SECRET}\n`, "TAG_RESOLVE_FAILED", 1, 12],
    ["a core tag other than !!str", `api_token: !!binary ${SECRET}\n`, "TAG", 1, 21],
    ["an unterminated quote", `api_token: "${SECRET}\n`, "MISSING_CHAR", 2, 1],
    ["a second ': ' on a line", `api_token: ${SECRET}: x\n`, "BLOCK_AS_IMPLICIT_KEY", 1, 12],
    ["an empty document", "# nothing here\n", "EMPTY", 1, 1],
  ];
  it.each(cases)("%s", (_name, text, code, line, column) => {
    const { problems } = parsePatch(text);
    expect(problems[0]).toMatchObject({ code, position: { line, column } });
    for (const problem of problems) expect(problem.message).not.toContain(SECRET);
  });

  it("refuses an alias bomb without expanding it", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let level = 1; level < 8; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
    }
    levels.push(`integration: {credentials: {api_token: &t ${SECRET}}}`, "other: {api_key: *t}");
    const started = performance.now();
    const parsed = parsePatch(`${levels.join("\n")}\n`);
    expect(parsed.problems.map((problem) => problem.code)).toEqual(["ALIAS_COUNT"]);
    // The value (for masking only) expands each alias one level: bounded, and the secrets are in it.
    expect(JSON.stringify(parsed.value).length).toBeLessThan(100_000);
    expect(secretsOf(parsed.value)).toEqual([SECRET]);
    // Expanded, the bomb is 9^8 (43 million) nodes: minutes. Wide for a loaded machine.
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("keeps the pairs the parser dropped after a syntax error, for masking", () => {
    const text = `credentials:\n  api_token: "a" ]\n  api_tokn: "${SECRET}"\n  password: 'it''s'\n  private_key: |\n    l1\n    l2\n`;
    const parsed = parsePatch(text);
    expect(parsed.problems[0]?.code).toBe("UNEXPECTED_TOKEN");
    expect(findSecrets(parsed.value)).toEqual(expect.arrayContaining([SECRET, "it's", "l1\nl2\n"]));
  });

  it("keeps the text of a tagged value, for masking (a `!!binary` value is not decoded)", () => {
    const parsed = parsePatch(`integration: {credentials: {api_token: !!binary ${SECRET}}}\n`);
    expect(parsed.problems.map((problem) => problem.code)).toEqual(["TAG"]);
    expect(secretsOf(parsed.value)).toEqual([SECRET]);
  });

  it("keeps the secrets of every document and of a repeated key, for masking", () => {
    expect(secretsOf(parsePatch(`name: a\n---\napi_token: ${SECRET}\n`).value)).toEqual([SECRET]);
    expect(secretsOf(parsePatch(`api_token: ${SECRET}\napi_token: other\n`).value)).toEqual([SECRET, "other"]);
  });

  it("refuses a list or mapping as a key, and never writes a warning to stderr about it", async () => {
    const warnings: unknown[] = [];
    const listener = (warning: unknown) => warnings.push(warning);
    process.on("warning", listener);
    try {
      for (const text of [`{[${SECRET}]: 1}`, `? [${SECRET}]\n: 1\n`, `? {a: ${SECRET}}\n: 1\n`]) {
        const { problems } = parsePatch(text);
        expect(problems.map((problem) => problem.code)).toEqual(["COLLECTION_KEY"]);
        expect(problems[0]?.message).toBe("uses a list or mapping as a key; keys are field names");
      }
      // process.emitWarning reports on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", listener);
    }
    expect(warnings).toEqual([]);
  });

  it("still gives the document's values when the YAML has a problem, so that secrets can be masked", () => {
    const parsed = parsePatch(`integration:\n  credentials:\n    api_token: "${SECRET}\n`);
    expect(parsed.problems.map((problem) => problem.code)).toContain("MISSING_CHAR");
    expect(JSON.stringify(parsed.value)).toContain(SECRET);
  });
});

describe("locate", () => {
  const parsed = parsePatch(
    "name: x\nintegration:\n  type: HTTP\n  credentials:\n    headers:\n      - name: A\n        value: b\n",
  );

  it("points at the key of the path's last step", () => {
    expect(parsed.locate(["integration", "type"])).toEqual({ line: 3, column: 3 });
    expect(parsed.locate(["integration", "credentials", "headers", 0, "value"])).toEqual({ line: 7, column: 9 });
  });

  it("points at the deepest node on the way when the path goes past the document", () => {
    expect(parsed.locate(["integration", "credentials", "missing"])).toEqual({ line: 5, column: 5 });
  });
});

describe("!env NAME takes a value from the environment", () => {
  const PEM = "-----BEGIN PRIVATE KEY-----\r\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\r\n-----END PRIVATE KEY-----\r\n";

  it("puts the variable's value in place, byte-exact (CRLF kept), hands it to onRead, and lists it with its path", () => {
    const read: string[] = [];
    const parsed = parsePatch(
      "credentials:\n  private_key: !env GCP_KEY\n  headers: [{name: X-Custom, value: !env CUSTOM}]\n",
      {
        env: { GCP_KEY: PEM, CUSTOM: "custom-value-1" },
        onRead: (value) => read.push(value),
      },
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.envProblems).toEqual([]);
    expect(parsed.value).toEqual({
      credentials: { private_key: PEM, headers: [{ name: "X-Custom", value: "custom-value-1" }] },
    });
    expect(read).toEqual([PEM, "custom-value-1"]);
    expect(parsed.envValues).toEqual([
      { name: "GCP_KEY", path: ["credentials", "private_key"], position: { line: 2, column: 21 }, value: PEM },
      {
        name: "CUSTOM",
        path: ["credentials", "headers", 0, "value"],
        position: { line: 3, column: 42 },
        value: "custom-value-1",
      },
    ]);
  });

  const refusals: [string, string, Record<string, string>, string, number, number][] = [
    [
      "an unset variable",
      "api_token: !env OPENAI_KEY\n",
      {},
      `!env OPENAI_KEY: the environment variable OPENAI_KEY is not set; set it in the step's env: (OPENAI_KEY: \${{ secrets.OPENAI_KEY }})`,
      1,
      17,
    ],
    [
      "an empty variable",
      "api_token: !env OPENAI_KEY\n",
      { OPENAI_KEY: "" },
      "!env OPENAI_KEY: the environment variable OPENAI_KEY is empty; check that the secret it is set from exists and is available to this workflow",
      1,
      17,
    ],
    [
      "a name that is not one",
      `api_token: !env ${SECRET}\n`,
      {},
      "!env takes the name of an environment variable (letters, digits and _, not starting with a digit)",
      1,
      17,
    ],
    [
      "!env on a mapping",
      "credentials: !env {a: b}\n",
      {},
      "!env stands for one text value, not a mapping; put !env NAME on each value instead",
      1,
      19,
    ],
    [
      "!env on a list",
      "tokens: !env [a]\n",
      {},
      "!env stands for one text value, not a list; put !env NAME on each value instead",
      1,
      14,
    ],
    [
      "!env on a type",
      "type: !env KIND\n",
      { KIND: "OpenAI" },
      "!env cannot give a type: it decides which fields apply; write the type itself",
      1,
      12,
    ],
  ];
  it.each(refusals)(
    "refuses %s, naming the variable (never its value or a pasted secret)",
    (_name, text, env, message, line, column) => {
      const parsed = parsePatch(text, { env });
      expect(parsed.problems).toEqual([]);
      expect(parsed.envProblems).toEqual([expect.objectContaining({ message, position: { line, column } })]);
      expect(parsed.envValues).toEqual([]);
      // The name is not a secret: it must not be masked (the message names it).
      expect(secretsOf(parsed.value).filter(Boolean)).toEqual([]);
    },
  );

  it("still refuses other tags", () => {
    expect(parsePatch("api_token: !secret X\n", { env: { X: "y" } }).problems).toMatchObject([
      { code: "TAG_RESOLVE_FAILED" },
    ]);
  });
});
