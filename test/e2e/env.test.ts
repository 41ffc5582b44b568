/**
 * `!env NAME` and HTTP deletions, run through the bundle as a runner runs it against the simulator:
 * the value read from the step's environment reaches Datadog byte for byte and is readable nowhere
 * (log with debug on, summary, outputs, annotations); each `!env` that cannot be read is refused with
 * the variable's name and its place, and nothing is sent; a credential written in clear in a file
 * draws a warning on its line; deletions go out in the form Datadog's Terraform provider sends.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KINDS } from "../fixtures.ts";
import { findLeaks, stackTraces } from "../harness/leaks.ts";
import { type ActionRun, runAction, summaryText } from "../harness/runner.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "../simulator/server.ts";

const idOf = (type: string) => KINDS.find((kind) => kind.kind.type === type)?.id ?? "";
const OPENAI = idOf("OpenAIAPIKey");
const HTTP = idOf("HTTPTokenAuth");
const GCP = idOf("GCPServiceAccount");
const KEYS = [SIM_API_KEY, SIM_APP_KEY];
const REDACTED = "••••";

let simulator: Simulator;
beforeAll(async () => {
  simulator = await Simulator.start();
});
beforeEach(() => simulator.reset());
afterAll(() => simulator.close());

interface Run {
  readonly connectionId: string;
  readonly patch?: string;
  readonly file?: string;
  readonly env?: Record<string, string>;
  readonly dryRun?: boolean;
}

/** Runs the bundle with debug logging on; a `file` is written to connections/patch.yml and given as patch-file. */
function run({ connectionId, patch, file, env, dryRun }: Run): Promise<ActionRun> {
  return runAction({
    inputs: {
      "connection-id": connectionId,
      patch: patch ?? "",
      "patch-file": file === undefined ? "" : "connections/patch.yml",
      "api-url": simulator.url,
      "api-key": SIM_API_KEY,
      "app-key": SIM_APP_KEY,
      ...(dryRun ? { "dry-run": "true" } : {}),
    },
    env: { RUNNER_DEBUG: "1", ...env },
    ...(file === undefined ? {} : { workspaceFiles: { "connections/patch.yml": file } }),
  });
}

const byCommand = (result: ActionRun, name: string) => result.commands.filter((command) => command.command === name);

/** The log as the action wrote it, before the runner's masks: what the action itself let through. */
const unmaskedLog = (result: ActionRun) =>
  result.stdout
    .split("\n")
    .filter((line) => !line.startsWith("::add-mask::"))
    .join("\n");

/** An OpenAI patch whose api_token (line 5, column 16) is `value`. */
const openaiFile = (value: string) =>
  ["integration:", "  type: OpenAI", "  credentials:", "    type: OpenAIAPIKey", `    api_token: ${value}`, ""].join(
    "\n",
  );

function expectClean(result: ActionRun, secrets: readonly string[]): void {
  expect(result.stderr).toBe("");
  expect(stackTraces(result)).toEqual([]);
  expect(findLeaks(result, { secrets: [...secrets, ...KEYS] })).toEqual([]);
  for (const secret of secrets) expect(unmaskedLog(result)).not.toContain(secret);
}

describe("!env NAME in patch and patch-file", () => {
  const TOKEN = "sk-proj-EnvS3cret-Value-0042";
  const OPENAI_PATCH = `name: Production OpenAI\n${openaiFile("!env OPENAI_API_KEY")}`;

  it.each([
    ["patch", { patch: OPENAI_PATCH }],
    ["patch-file", { file: OPENAI_PATCH }],
  ] as const)(
    "in %s: sends the variable's value exactly, and it is readable nowhere (debug on)",
    async (_where, given) => {
      const result = await run({ connectionId: OPENAI, ...given, env: { OPENAI_API_KEY: TOKEN } });
      expect(result.exitCode, result.maskedLog).toBe(0);
      expect(simulator.requests.map((request) => request.json)).toEqual([
        {
          data: {
            type: "action_connection",
            attributes: {
              name: "Production OpenAI",
              integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey", api_token: TOKEN } },
            },
          },
        },
      ]);
      // Masked before anything else was printed.
      const lines = result.stdout.split("\n").filter(Boolean);
      expect(
        lines.slice(
          0,
          lines.findIndex((line) => !line.startsWith("::add-mask::")),
        ),
      ).toContain(`::add-mask::${TOKEN}`);
      expectClean(result, [TOKEN]);
      expect(summaryText(result.summary)).toContain(`integration.credentials.api_token: ${REDACTED} updated`);
      // Read from the environment: no warning about a credential in clear, nor about the answer.
      expect(byCommand(result, "warning")).toEqual([]);
    },
  );

  const BEARER = "tok-Env-Bearer-9911";
  const CUSTOM = "custom-Hdr-Value-77";
  const HTTP_FILE = [
    "integration:",
    "  type: HTTP",
    "  credentials:",
    "    type: HTTPTokenAuth",
    "    tokens:",
    "      - {name: bearer, type: SECRET, value: !env BEARER_TOKEN}",
    "    headers:",
    "      - name: X-Custom",
    "        value: !env CUSTOM_HEADER",
    "",
  ].join("\n");
  const HTTP_ENV = { BEARER_TOKEN: BEARER, CUSTOM_HEADER: CUSTOM };

  it("treats a value read with !env as secret in a field whose name marks nothing (X-Custom): log, summary, connection output", async () => {
    const result = await run({ connectionId: HTTP, file: HTTP_FILE, env: HTTP_ENV });
    expect(result.exitCode, result.maskedLog).toBe(0);
    const sent = simulator.requests[0]?.json as { data: { attributes: { integration: { credentials: unknown } } } };
    const credentials = sent.data.attributes.integration.credentials;
    expect(credentials).toEqual({
      type: "HTTPTokenAuth",
      tokens: [{ name: "bearer", type: "SECRET", value: BEARER }],
      headers: [{ name: "X-Custom", value: CUSTOM }],
    });
    expect(result.masks).toEqual(expect.arrayContaining([BEARER, CUSTOM]));
    expectClean(result, [BEARER, CUSTOM]);
    // Datadog echoes header values: the output has it scrubbed, and is still set (not dropped).
    const connection = JSON.parse(result.outputs.connection ?? "null");
    expect(connection.attributes.integration.credentials.headers).toEqual(
      expect.arrayContaining([{ name: "X-Custom", value: REDACTED }]),
    );
    // Tokens are not in Datadog's answers: normal, no warning.
    expect(connection.attributes.integration.credentials).not.toHaveProperty("tokens");
    expect(byCommand(result, "warning")).toEqual([]);
    const summary = summaryText(result.summary);
    expect(summary).toContain(`integration.credentials.headers[X-Custom]: ${REDACTED} updated`);
    expect(summary).toContain(`integration.credentials.tokens[bearer]: ${REDACTED} updated`);
  });

  it("warns when Datadog echoes another value than the one read with !env (it is what was sent), naming only the path", async () => {
    simulator.script({
      kind: "answer",
      status: 200,
      body: {
        data: {
          id: HTTP,
          type: "action_connection",
          attributes: {
            name: "HTTP (HTTPTokenAuth)",
            integration: {
              type: "HTTP",
              base_url: "https://api.example.com/v1",
              credentials: { type: "HTTPTokenAuth", headers: [{ name: "X-Custom", value: "another-value-123" }] },
            },
          },
        },
      },
    });
    const result = await run({ connectionId: HTTP, file: HTTP_FILE, env: HTTP_ENV });
    expect(result.exitCode, result.maskedLog).toBe(0);
    expect(byCommand(result, "warning").map((warning) => warning.message)).toEqual([
      "Datadog's answer differs from the patch at integration.credentials.headers[0].value; check the connection in Datadog.",
    ]);
    expectClean(result, [BEARER, CUSTOM]);
  });

  it("redacts a value read with !env in the request a dry run shows, whatever its field", async () => {
    const result = await run({ connectionId: HTTP, file: HTTP_FILE, env: HTTP_ENV, dryRun: true });
    expect(result.exitCode, result.maskedLog).toBe(0);
    // With keys, a dry run reads the connection to plan: nothing else.
    expect(simulator.requests.map((request) => request.method)).toEqual(["GET"]);
    expectClean(result, [BEARER, CUSTOM]);
    expect(result.maskedLog).toContain("integration.credentials.headers[X-Custom]: •••• will be written");
    const log = unmaskedLog(result);
    expect(log).toContain(`"name": "X-Custom",\n              "value": "${REDACTED}"`);
    expect(log).toContain(`"value": "${REDACTED}"`);
  });

  const PEM_LINES = [
    "-----BEGIN PRIVATE KEY-----",
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
    "-----END PRIVATE KEY-----",
    "",
  ];
  it.each([
    ["LF", PEM_LINES.join("\n")],
    ["CRLF", PEM_LINES.join("\r\n")],
  ])("carries a PEM key with %s line ends byte-exact, no YAML quoting needed", async (_ends, pem) => {
    const file = [
      "integration:",
      "  type: GCP",
      "  credentials:",
      "    type: GCPServiceAccount",
      "    private_key: !env GCP_PRIVATE_KEY",
      "",
    ].join("\n");
    const result = await run({ connectionId: GCP, file, env: { GCP_PRIVATE_KEY: pem } });
    expect(result.exitCode, result.maskedLog).toBe(0);
    const [request] = simulator.requests;
    expect(request?.body).toBe(
      JSON.stringify({
        data: {
          type: "action_connection",
          attributes: { integration: { type: "GCP", credentials: { type: "GCPServiceAccount", private_key: pem } } },
        },
      }),
    );
    expectClean(result, [pem]);
  });
});

describe("a !env that cannot be read is refused, with the variable's name and place, and nothing is sent", () => {
  const PASTED = "sk-proj-Pasted-Secret-1234";
  const FILE = "connections/patch.yml";

  const rows: [string, Run, { message: string; line?: number; col?: number }[]][] = [
    [
      "an unset variable",
      { connectionId: OPENAI, file: openaiFile("!env OPENAI_API_KEY") },
      [
        {
          message: `patch-file: integration.credentials.api_token: !env OPENAI_API_KEY: the environment variable OPENAI_API_KEY is not set; set it in the step's env: (OPENAI_API_KEY: \${{ secrets.OPENAI_API_KEY }}) (line 5, column 21)`,
          line: 5,
          col: 21,
        },
      ],
    ],
    [
      "an empty variable (a secret that does not exist, or a fork's pull request)",
      { connectionId: OPENAI, file: openaiFile("!env OPENAI_API_KEY"), env: { OPENAI_API_KEY: "" } },
      [
        {
          message:
            "patch-file: integration.credentials.api_token: !env OPENAI_API_KEY: the environment variable OPENAI_API_KEY is empty; check that the secret it is set from exists and is available to this workflow (line 5, column 21)",
          line: 5,
          col: 21,
        },
      ],
    ],
    [
      "a name that is not a variable's (a secret pasted after !env is not quoted)",
      { connectionId: OPENAI, file: openaiFile(`!env ${PASTED}`) },
      [
        {
          message:
            "patch-file: integration.credentials.api_token: !env takes the name of an environment variable (letters, digits and _, not starting with a digit) (line 5, column 21)",
          line: 5,
          col: 21,
        },
      ],
    ],
    [
      "!env on a mapping",
      {
        connectionId: OPENAI,
        file: ["integration:", "  type: OpenAI", "  credentials: !env {type: OpenAIAPIKey}", ""].join("\n"),
      },
      [
        {
          message:
            "patch-file: integration.credentials: !env stands for one text value, not a mapping; put !env NAME on each value instead (line 3, column 21)",
          line: 3,
          col: 21,
        },
      ],
    ],
    [
      "!env on a list",
      {
        connectionId: HTTP,
        file: [
          "integration:",
          "  type: HTTP",
          "  credentials:",
          "    type: HTTPTokenAuth",
          "    tokens: !env [BEARER]",
          "",
        ].join("\n"),
        env: { BEARER: "tok-1234567890" },
      },
      [
        {
          message:
            "patch-file: integration.credentials.tokens: !env stands for one text value, not a list; put !env NAME on each value instead (line 5, column 18)",
          line: 5,
          col: 18,
        },
      ],
    ],
    [
      "!env on a type discriminator",
      {
        connectionId: OPENAI,
        file: [
          "integration:",
          "  type: !env KIND",
          "  credentials: {type: OpenAIAPIKey, api_token: !env KEY}",
          "",
        ].join("\n"),
        env: { KIND: "OpenAI", KEY: "sk-proj-Kind-Secret-77" },
      },
      [
        {
          message:
            "patch-file: integration.type: !env cannot give a type: it decides which fields apply; write the type itself (line 2, column 14)",
          line: 2,
          col: 14,
        },
      ],
    ],
    [
      "two at once, in the patch input (no file to point at)",
      {
        connectionId: OPENAI,
        patch:
          "name: !env CONNECTION_NAME\nintegration: {type: OpenAI, credentials: {type: OpenAIAPIKey, api_token: !env OPENAI_API_KEY}}\n",
      },
      [
        {
          message: `patch: name: !env CONNECTION_NAME: the environment variable CONNECTION_NAME is not set; set it in the step's env: (CONNECTION_NAME: \${{ secrets.CONNECTION_NAME }}) (line 1, column 12)`,
        },
        {
          message: `patch: integration.credentials.api_token: !env OPENAI_API_KEY: the environment variable OPENAI_API_KEY is not set; set it in the step's env: (OPENAI_API_KEY: \${{ secrets.OPENAI_API_KEY }}) (line 2, column 79)`,
        },
      ],
    ],
  ];

  it.concurrent.each(rows)("%s", async (_name, given, expected) => {
    const own = await Simulator.start();
    try {
      const result = await runAction({
        inputs: {
          "connection-id": given.connectionId,
          patch: given.patch ?? "",
          "patch-file": given.file === undefined ? "" : FILE,
          "api-url": own.url,
          "api-key": SIM_API_KEY,
          "app-key": SIM_APP_KEY,
        },
        env: { RUNNER_DEBUG: "1", ...given.env },
        ...(given.file === undefined ? {} : { workspaceFiles: { [FILE]: given.file } }),
      });
      expect(result.exitCode, result.maskedLog).toBe(1);
      const errors = byCommand(result, "error");
      expect(errors.map((error) => error.message)).toEqual(expected.map((entry) => entry.message));
      for (const [index, entry] of expected.entries()) {
        expect(errors[index]?.properties).toEqual({
          title: "Invalid patch",
          ...(entry.line === undefined ? {} : { file: FILE, line: String(entry.line), col: String(entry.col) }),
        });
      }
      expect(own.requests).toEqual([]);
      expect(result.outputs).toEqual({});
      // The variable's name is in the message: it must not have been masked.
      expect(result.masks.filter((mask) => /^[A-Z_]+$/.test(mask))).toEqual([]);
      expectClean(result, [PASTED, ...Object.values(given.env ?? {}).filter(Boolean)]);
    } finally {
      await own.close();
    }
  });
});

describe("a credential written in clear in a file", () => {
  const SECRET = "sk-proj-Clear-Text-5566";
  const file = openaiFile(SECRET);

  it("is accepted, with a warning on its line that says to write !env NAME (never the value)", async () => {
    const result = await run({ connectionId: OPENAI, file });
    expect(result.exitCode, result.maskedLog).toBe(0);
    expect(simulator.requests).toHaveLength(1);
    expect(byCommand(result, "warning")).toEqual([
      {
        command: "warning",
        properties: { title: "Credential in clear", file: "connections/patch.yml", line: "5", col: "5" },
        message:
          "patch-file: integration.credentials.api_token: the file holds a credential in clear; write !env NAME and set NAME in the step's env: from a secret",
      },
    ]);
    expectClean(result, [SECRET]);
  });

  it("draws no warning in the patch input, which is no file kept in a repository", async () => {
    const result = await run({ connectionId: OPENAI, patch: file });
    expect(result.exitCode, result.maskedLog).toBe(0);
    expect(byCommand(result, "warning")).toEqual([]);
  });
});

describe("deleting HTTP entries: {name, deleted: true}, sent as Datadog's Terraform provider sends them", () => {
  const file = [
    "integration:",
    "  type: HTTP",
    "  credentials:",
    "    type: HTTPTokenAuth",
    "    tokens:",
    "      - {name: bearer, deleted: true}",
    "    headers:",
    "      - {name: X-Api-Version, deleted: true}",
    "    url_parameters:",
    '      - {name: region, value: "", deleted: true}',
    "",
  ].join("\n");

  it("sends a token with type SECRET and an empty value, a header and a URL parameter by name; all three are gone", async () => {
    const result = await run({ connectionId: HTTP, file });
    expect(result.exitCode, result.maskedLog).toBe(0);
    expect(simulator.requests.map((request) => request.body)).toEqual([
      '{"data":{"type":"action_connection","attributes":{"integration":{"type":"HTTP","credentials":{"type":"HTTPTokenAuth",' +
        '"tokens":[{"name":"bearer","type":"SECRET","value":"","deleted":true}],' +
        '"headers":[{"name":"X-Api-Version","deleted":true}],' +
        '"url_parameters":[{"name":"region","deleted":true}]}}}}}',
    ]);
    const stored = (
      simulator.connection(HTTP) as { attributes: { integration: { credentials: Record<string, unknown> } } }
    ).attributes.integration.credentials;
    expect([stored.tokens, stored.headers, stored.url_parameters]).toEqual([[], [], []]);
    expect(byCommand(result, "warning")).toEqual([]);
    const summary = summaryText(result.summary);
    for (const path of ["tokens[bearer]", "headers[X-Api-Version]", "url_parameters[region]"]) {
      expect(summary).toContain(`integration.credentials.${path}: deleted`);
    }
  });

  it("accepts a token's explicit value: '' with deleted: true, and sends the same body", async () => {
    const result = await run({
      connectionId: HTTP,
      patch:
        "integration: {type: HTTP, credentials: {type: HTTPTokenAuth, tokens: [{name: bearer, type: SECRET, value: '', deleted: true}]}}",
    });
    expect(result.exitCode, result.maskedLog).toBe(0);
    expect(simulator.requests.map((request) => request.body)).toEqual([
      '{"data":{"type":"action_connection","attributes":{"integration":{"type":"HTTP","credentials":{"type":"HTTPTokenAuth",' +
        '"tokens":[{"name":"bearer","type":"SECRET","value":"","deleted":true}]}}}}}',
    ]);
  });
});
