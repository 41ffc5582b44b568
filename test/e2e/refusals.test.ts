/**
 * Every kind of bad input, refused by the bundle as a runner runs it: the exact message the user
 * reads (an error annotation that names the input, the path and what to do, and never quotes a
 * value or a line of the patch), exit code 1, no stack trace, and nothing sent to Datadog. For
 * `patch-file`, the annotation points at the file, line and column, so that it shows on the diff.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KINDS } from "../fixtures.ts";
import { findLeaks, stackTraces } from "../harness/leaks.ts";
import { runAction } from "../harness/runner.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "../simulator/server.ts";

const OPENAI = KINDS.find((kind) => kind.kind.type === "OpenAIAPIKey")?.id ?? "";
const SECRET = "sk-proj-R3fus4lS3cr3t";
const openai = (credentials: string) =>
  `integration: {type: OpenAI, credentials: {type: OpenAIAPIKey, ${credentials}}}`;
const VALID = openai(`api_token: ${SECRET}`);
const SITES =
  "datadoghq.com, us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu, ap1.datadoghq.com, ap2.datadoghq.com, ddog-gov.com, us2.ddog-gov.com, uk1.datadoghq.com";

/** What the annotation must say and, for a patch file, where it must point. */
interface Expected {
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
}

interface Row {
  readonly name: string;
  /** Inputs that replace the valid ones; "" removes one. */
  readonly inputs?: Record<string, string>;
  readonly env?: Record<string, string>;
  /** Files in the workspace. */
  readonly files?: Record<string, string | Uint8Array>;
  /** A workspace of the row's own (for links); given its path, returns what to set up. */
  readonly workspace?: (root: string) => Promise<void>;
  readonly expected: readonly (string | Expected)[];
}

/** A ServiceNow patch whose password is not ASCII; saved as Latin-1 in a test. */
const LATIN1_PATCH = [
  "integration:",
  "  type: ServiceNow",
  "  credentials:",
  "    type: ServiceNowBasicAuth",
  '    password: "p\u00e4ssw\u00f6rd"',
  "",
].join("\n");

/** An alias bomb: nine levels of nine aliases, a billion laughs in a few lines. */
const BOMB = Array.from({ length: 9 }, (_, level) => {
  const name = String.fromCharCode(97 + level);
  const items = level === 0 ? Array(9).fill("lol") : Array(9).fill(`*${String.fromCharCode(96 + level)}`);
  return `${name}: &${name} [${items.join(", ")}]`;
}).join("\n");

const ROWS: readonly Row[] = [
  // The patch, against the table of integrations.
  {
    name: "an unknown field with a near name",
    inputs: { patch: openai(`api_tokn: ${SECRET}`) },
    expected: ["patch: integration.credentials.api_tokn: unknown field; did you mean api_token? (line 1, column 63)"],
  },
  {
    name: "a credential kind of another integration",
    inputs: { patch: `integration: {type: AWS, credentials: {type: AnthropicAPIKey, api_token: ${SECRET}}}` },
    expected: [
      "patch: integration.credentials.type: AnthropicAPIKey is not a credential of AWS; expected AWSAssumeRole (line 1, column 40)",
    ],
  },
  {
    name: "a wrong type (text for a flag)",
    inputs: {
      patch: "integration: {type: AWS, credentials: {type: AWSAssumeRole, generate_new_external_id: 'yes'}}",
    },
    expected: [
      "patch: integration.credentials.generate_new_external_id: must be true or false, not text; write true or false, unquoted (line 1, column 61)",
    ],
  },
  {
    name: "a flag for a secret (a YAML word taken for true)",
    inputs: { patch: openai("api_token: true") },
    expected: [
      "patch: integration.credentials.api_token: must be text, not true/false; quote it to mean the word (line 1, column 63)",
    ],
  },
  {
    name: "an 11-digit account id",
    inputs: { patch: "integration: {type: AWS, credentials: {type: AWSAssumeRole, account_id: 12345678901}}" },
    expected: ["patch: integration.credentials.account_id: must be 12 digits (an AWS account id) (line 1, column 61)"],
  },
  {
    name: "a header value holding CR/LF",
    inputs: {
      patch:
        'integration: {type: HTTP, credentials: {type: HTTPTokenAuth, headers: [{name: Authorization, value: "Bearer a\\r\\nX-Evil: 1"}]}}',
    },
    expected: [
      "patch: integration.credentials.headers[0].value: must not hold CR, LF, NUL or other control characters (an HTTP header value) (line 1, column 94)",
    ],
  },
  {
    name: "a header name holding NUL",
    inputs: {
      patch: 'integration: {type: HTTP, credentials: {type: HTTPTokenAuth, headers: [{name: "X-A\\0", value: b}]}}',
    },
    expected: [
      "patch: integration.credentials.headers[0].name: must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-) (line 1, column 73)",
    ],
  },
  {
    name: "a header name holding a space",
    inputs: {
      patch: "integration: {type: HTTP, credentials: {type: HTTPTokenAuth, headers: [{name: 'X A', value: b}]}}",
    },
    expected: [
      "patch: integration.credentials.headers[0].name: must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-) (line 1, column 73)",
    ],
  },
  {
    name: "a token whose type is not SECRET",
    inputs: {
      patch: `integration: {type: HTTP, credentials: {type: HTTPTokenAuth, tokens: [{name: t, type: PLAIN, value: ${SECRET}}]}}`,
    },
    expected: ["patch: integration.credentials.tokens[0].type: must be SECRET (line 1, column 81)"],
  },
  {
    name: "an unknown integration type close to a known one",
    inputs: { patch: "integration: {type: Gitlabb, credentials: {type: GitlabAPIKey}}" },
    expected: ["patch: integration.type: unknown integration type; did you mean Gitlab? (line 1, column 15)"],
  },
  {
    name: "a field one level too high",
    inputs: { patch: `credentials: {type: OpenAIAPIKey, api_token: ${SECRET}}` },
    expected: ["patch: credentials: unknown field; it belongs under integration (line 1, column 1)"],
  },
  {
    name: "an id in a whole request document",
    inputs: { patch: `data: {id: ${OPENAI}, type: action_connection, attributes: {name: x}}` },
    expected: ["patch: data.id: unknown field; the connection is chosen by the connection-id input (line 1, column 8)"],
  },
  {
    name: "a tag with a reserved key and one with a space",
    inputs: { patch: "tags: ['default:x', 'team: platform']" },
    expected: [
      "patch: tags[0]: uses the reserved key default (line 1, column 8)",
      "patch: tags[1]: must not hold spaces or commas (line 1, column 21)",
    ],
  },
  {
    name: "a base URL holding a user and password",
    inputs: {
      patch: "integration: {type: HTTP, base_url: 'https://u:p@api.example.com', credentials: {type: HTTPTokenAuth}}",
    },
    expected: [
      "patch: integration.base_url: must be an absolute https:// or http:// URL without user or password (line 1, column 27)",
    ],
  },
  {
    name: "a key that looks like a pasted secret (never printed)",
    inputs: { patch: openai("sk-ant-api03-Zm9vYmFyYmF6cXV4: x") },
    expected: [
      "patch: integration.credentials: has a field whose name is not a field name (not shown); remove it (line 1, column 29)",
    ],
  },
  {
    name: "a patch that changes nothing",
    inputs: { patch: "integration: {type: OpenAI, credentials: {type: OpenAIAPIKey}}" },
    expected: ["patch: changes nothing; set a name, tags or integration credentials (line 1, column 1)"],
  },
  {
    name: "an empty mapping",
    inputs: { patch: "{}" },
    expected: ["patch: changes nothing; set a name, tags or integration credentials (line 1, column 1)"],
  },
  {
    name: "a patch of comments only",
    inputs: { patch: "# name: Prod\n" },
    expected: ["patch: the YAML is empty; give the attributes to change [EMPTY] (line 1, column 1)"],
  },
  {
    name: "a list instead of a mapping",
    inputs: { patch: "- name: x\n" },
    expected: [
      "patch: must be a mapping: the attributes to change (name, tags, integration) or a request document (data: ...) (line 1, column 1)",
    ],
  },

  // YAML problems: line, column and the parser's code, never the line itself.
  {
    name: "a YAML syntax error on the secret's line (patch-file)",
    inputs: { patch: "", "patch-file": "connections/openai.yaml" },
    files: {
      "connections/openai.yaml": `integration:\n  type: OpenAI\n  credentials:\n    type: OpenAIAPIKey\n    api_token: "${SECRET}" ]\n`,
    },
    expected: [
      {
        message: "patch-file: the YAML has a character where none is expected [UNEXPECTED_TOKEN] (line 5, column 40)",
        file: "connections/openai.yaml",
        line: 5,
        col: 40,
      },
    ],
  },
  {
    name: "an unterminated quote (patch-file)",
    inputs: { patch: "", "patch-file": "openai.yml" },
    files: { "openai.yml": `integration:\n  credentials:\n    api_token: "${SECRET}\n  type: OpenAI\n` },
    expected: [
      {
        message: "patch-file: the YAML is missing a closing quote or bracket [MISSING_CHAR] (line 5, column 1)",
        file: "openai.yml",
        line: 5,
        col: 1,
      },
    ],
  },
  {
    name: "a repeated key (patch-file)",
    inputs: { patch: "", "patch-file": "openai.yaml" },
    files: {
      "openai.yaml": `integration:\n  type: OpenAI\n  credentials:\n    type: OpenAIAPIKey\n    api_token: ${SECRET}\n    api_token: ${SECRET}2\n`,
    },
    expected: [
      {
        message:
          "patch-file: the YAML repeats a key; each key may appear once per mapping [DUPLICATE_KEY] (line 6, column 5)",
        file: "openai.yaml",
        line: 6,
        col: 5,
      },
    ],
  },
  {
    name: "several documents (patch-file)",
    inputs: { patch: "", "patch-file": "openai.yaml" },
    files: { "openai.yaml": `name: Prod\n---\n${VALID}\n` },
    expected: [
      {
        message: "patch-file: the YAML holds several YAML documents; give one [MULTIPLE_DOCS] (line 2, column 1)",
        file: "openai.yaml",
        line: 2,
        col: 1,
      },
    ],
  },
  {
    name: "a tab as indentation",
    inputs: { patch: `integration:\n\ttype: OpenAI\n\tcredentials: {type: OpenAIAPIKey, api_token: ${SECRET}}\n` },
    expected: ["patch: the YAML indents with a tab; indent with spaces [TAB_AS_INDENT] (line 2, column 1)"],
  },
  {
    name: "an unresolved tag",
    inputs: { patch: openai(`api_token: !Ref ${SECRET}`) },
    expected: [
      "patch: the YAML uses a YAML tag that cannot be resolved; write plain values [TAG_RESOLVE_FAILED] (line 1, column 74)",
    ],
  },
  {
    name: "a !!binary tag",
    inputs: { patch: openai(`api_token: !!binary ${SECRET}`) },
    expected: [
      "patch: the YAML uses a YAML tag (such as !!binary or !Ref); write plain values, quoted if need be [TAG] (line 1, column 83)",
    ],
  },
  {
    name: "an alias bomb",
    inputs: { patch: `${BOMB}\n${VALID}\n` },
    expected: [
      "patch: the YAML expands aliases too many times (more than 100); write the values out [ALIAS_COUNT] (line 1, column 1)",
    ],
  },
  {
    name: "a mapping used as a key",
    inputs: { patch: `{[${SECRET}]: 1}` },
    expected: [
      "patch: the YAML uses a list or mapping as a key; keys are field names [COLLECTION_KEY] (line 1, column 2)",
    ],
  },

  // Where the patch comes from.
  // The bytes of a patch file: strict UTF-8, or refused where the first bad byte stands.
  {
    name: "a patch file in Latin-1 (a password with ä and ö)",
    inputs: { patch: "", "patch-file": "servicenow.yaml" },
    files: { "servicenow.yaml": Buffer.from(LATIN1_PATCH, "latin1") },
    expected: [
      {
        message:
          "patch-file: servicenow.yaml is not UTF-8 text: byte 0xE4 at line 5, column 17 is not valid UTF-8 " +
          "(Latin-1 or Windows-1252?); save the file as UTF-8",
        file: "servicenow.yaml",
        line: 5,
        col: 17,
      },
    ],
  },
  {
    name: "a patch file in UTF-16, little-endian with its byte order mark",
    inputs: { patch: "", "patch-file": "openai.yaml" },
    files: { "openai.yaml": Buffer.from(`\uFEFF${VALID}\n`, "utf16le") },
    expected: [
      {
        message: "patch-file: openai.yaml is UTF-16 (little-endian) text; save it as UTF-8",
        file: "openai.yaml",
        line: 1,
        col: 1,
      },
    ],
  },
  {
    name: "a patch file in UTF-16, big-endian with its byte order mark",
    inputs: { patch: "", "patch-file": "openai.yaml" },
    files: { "openai.yaml": Buffer.from(`\uFEFF${VALID}\n`, "utf16le").swap16() },
    expected: [
      {
        message: "patch-file: openai.yaml is UTF-16 (big-endian) text; save it as UTF-8",
        file: "openai.yaml",
        line: 1,
        col: 1,
      },
    ],
  },
  {
    name: "a patch file in UTF-16 without a byte order mark",
    inputs: { patch: "", "patch-file": "openai.yaml" },
    files: { "openai.yaml": Buffer.from(`${VALID}\n`, "utf16le") },
    expected: [
      {
        message: "patch-file: openai.yaml is UTF-16 (little-endian) text; save it as UTF-8",
        file: "openai.yaml",
        line: 1,
        col: 1,
      },
    ],
  },
  {
    name: "both patch and patch-file",
    inputs: { "patch-file": "openai.yaml" },
    files: { "openai.yaml": VALID },
    expected: ["patch: and patch-file are both set; give exactly one of them"],
  },
  {
    name: "neither patch nor patch-file",
    inputs: { patch: "" },
    expected: ["patch: is required, or patch-file; give the attributes to change as YAML or JSON"],
  },
  {
    name: "a patch file outside the workspace",
    inputs: { patch: "", "patch-file": "../../etc/passwd" },
    expected: ["patch-file: must be a path inside the workspace (relative to GITHUB_WORKSPACE)"],
  },
  {
    name: "a patch file reached through a link that leads outside the workspace",
    inputs: { patch: "", "patch-file": "config/patch.yaml" },
    workspace: async (root) => {
      await mkdir(join(root, "workspace", "config"), { recursive: true });
      await writeFile(join(root, "outside.yaml"), VALID);
      await symlink(join(root, "outside.yaml"), join(root, "workspace", "config", "patch.yaml"));
    },
    expected: ["patch-file: leads outside the workspace through a link; give a file inside the repository"],
  },
  {
    name: "a patch file that does not exist",
    inputs: { patch: "", "patch-file": "connections/missing.yaml" },
    expected: [
      "patch-file: connections/missing.yaml was not found in the workspace; check the path and that the repository is checked out",
    ],
  },
  {
    name: "a patch file that is a folder",
    inputs: { patch: "", "patch-file": "connections" },
    files: { "connections/openai.yaml": VALID },
    expected: ["patch-file: connections is not a file"],
  },
  {
    name: "a patch given to patch-file",
    inputs: { patch: "", "patch-file": `integration:\n  type: OpenAI\n  credentials: {api_token: ${SECRET}}` },
    expected: ["patch-file: must be a path, on one line; to give the patch itself, use the patch input"],
  },
  {
    name: "a one-line patch given to patch-file (never quoted: it holds the secret)",
    inputs: { patch: "", "patch-file": VALID },
    expected: [
      "patch-file: the file given was not found in the workspace; check the path and that the repository is checked out",
    ],
  },
  {
    // An inline patch cannot be this large: an environment variable holds at most 128 KiB.
    name: "a patch file larger than 1 MiB",
    inputs: { patch: "", "patch-file": "big.yaml" },
    files: { "big.yaml": `name: x\n# ${"x".repeat(1024 * 1024)}\n` },
    expected: ["patch-file: big.yaml is larger than 1 MiB"],
  },

  // The connection and where it lives.
  {
    name: "a connection id that is not a UUID",
    inputs: { "connection-id": "my-connection" },
    expected: [
      "connection-id: must be a UUID such as 11111111-2222-3333-4444-555555555555 (find it in the connection's page in Datadog)",
    ],
  },
  {
    name: "a connection id with a path trick",
    inputs: { "connection-id": `../../v1/${OPENAI}` },
    expected: [
      "connection-id: must be a UUID such as 11111111-2222-3333-4444-555555555555 (find it in the connection's page in Datadog)",
    ],
  },
  {
    name: "a connection id with an encoded path trick",
    inputs: { "connection-id": `%2e%2e%2f${OPENAI}` },
    expected: [
      "connection-id: must be a UUID such as 11111111-2222-3333-4444-555555555555 (find it in the connection's page in Datadog)",
    ],
  },
  {
    name: "no connection id",
    inputs: { "connection-id": "" },
    expected: ["connection-id: is required; give the UUID of the connection to update"],
  },
  {
    name: "a site outside the list",
    inputs: { "api-url": "", site: "datadoghq.evil.example" },
    expected: [`site: is not a Datadog site; use one of ${SITES}`],
  },
  {
    name: "a site given as a URL with a path",
    inputs: { "api-url": "", site: "https://app.datadoghq.com/evil" },
    expected: [`site: is not a Datadog site; use one of ${SITES}`],
  },
  {
    name: "DD_SITE outside the list",
    inputs: { "api-url": "" },
    env: { DD_SITE: "datadoghq.evil.example" },
    expected: [`DD_SITE: is not a Datadog site; use one of ${SITES}`],
  },
  {
    name: "api-url with http:// to a host that is not loopback",
    inputs: { "api-url": "http://dd-gateway.example.com" },
    expected: ["api-url: may use http:// only for a loopback host (localhost, 127.0.0.1, [::1]); use https://"],
  },
  {
    name: "api-url with http:// to a name that only begins like loopback",
    inputs: { "api-url": "http://127.0.0.1.evil.example" },
    expected: ["api-url: may use http:// only for a loopback host (localhost, 127.0.0.1, [::1]); use https://"],
  },
  {
    name: "api-url holding a user and password",
    inputs: { "api-url": "https://user:hunter2-password@dd-gateway.example.com" },
    expected: ["api-url: must not hold a user or password; the keys travel in headers"],
  },
  {
    name: "api-url of another scheme",
    inputs: { "api-url": "ftp://dd-gateway.example.com" },
    expected: ["api-url: must start with https:// (or http:// for a loopback host)"],
  },
  {
    name: "api-url with a query",
    inputs: { "api-url": "https://dd-gateway.example.com/?x=1" },
    expected: ["api-url: must not hold a query or fragment"],
  },

  // Keys and settings.
  {
    name: "no API key",
    inputs: { "api-key": "" },
    expected: [`api-key: is required; pass it as \${{ secrets.* }} or set DD_API_KEY in the environment`],
  },
  {
    name: "no application key",
    inputs: { "app-key": "" },
    expected: [`app-key: is required; pass it as \${{ secrets.* }} or set DD_APP_KEY in the environment`],
  },
  {
    name: "a key holding a line break",
    inputs: { "app-key": `${SIM_APP_KEY}\nsecond-line-of-the-key` },
    expected: ["app-key: holds spaces, line breaks or other characters a Datadog key never has; copy the key again"],
  },
  {
    name: "a timeout of zero",
    inputs: { "timeout-seconds": "0" },
    expected: ["timeout-seconds: must be a number from 1 to 3600"],
  },
  {
    name: "a timeout that is not a number",
    inputs: { "timeout-seconds": "1m" },
    expected: ["timeout-seconds: must be a number from 1 to 3600"],
  },
  {
    name: "max-retries that is not whole",
    inputs: { "max-retries": "1.5" },
    expected: ["max-retries: must be a whole number from 0 to 10"],
  },
  {
    name: "max-retries above the ceiling",
    inputs: { "max-retries": "11" },
    expected: ["max-retries: must be a whole number from 0 to 10"],
  },
  {
    name: "dry-run that is not true or false",
    inputs: { "dry-run": "yes" },
    expected: ["dry-run: must be true or false"],
  },
];

describe("every bad input is refused with a message that says what to fix, and nothing is sent", () => {
  it("covers at least thirty kinds of bad input", () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(30);
  });

  it.concurrent.each(ROWS.map((row) => [row.name, row] as const))("%s", async (_name, row) => {
    const own = row.workspace ? await mkdtemp(join(tmpdir(), "refusal-")) : undefined;
    // A simulator of the row's own: rows run at once, and a row that sends a request must fail alone.
    const simulator = await Simulator.start();
    try {
      if (own && row.workspace) await row.workspace(own);
      const inputs: Record<string, string> = {
        "connection-id": OPENAI,
        patch: VALID,
        "api-url": simulator.url,
        "api-key": SIM_API_KEY,
        "app-key": SIM_APP_KEY,
        ...row.inputs,
      };
      const run = await runAction({
        inputs,
        env: { RUNNER_DEBUG: "1", ...row.env, ...(own ? { GITHUB_WORKSPACE: join(own, "workspace") } : {}) },
        ...(row.files ? { workspaceFiles: row.files } : {}),
      });

      expect(run.stderr).toBe("");
      expect(run.exitCode, run.maskedLog).toBe(1);
      expect(stackTraces(run)).toEqual([]);
      const errors = run.commands.filter((command) => command.command === "error");
      const expected = row.expected.map((entry) => (typeof entry === "string" ? { message: entry } : entry));
      expect(errors.map((error) => error.message)).toEqual(expected.map((entry) => entry.message));
      for (const [index, entry] of expected.entries()) {
        const properties = errors[index]?.properties ?? {};
        expect(properties.title).toMatch(/^(Invalid input|Invalid patch)$/);
        expect({ file: properties.file, line: properties.line, col: properties.col }).toEqual({
          file: entry.file,
          line: entry.line === undefined ? undefined : String(entry.line),
          col: entry.col === undefined ? undefined : String(entry.col),
        });
      }
      // Only what is secret is masked (a `!!binary` value once made every digit a mask).
      expect(run.masks.filter((mask) => mask.trim().length < 8)).toEqual([]);
      // Nothing sent; no output set; the secret of the patch not shown anywhere.
      expect(simulator.requests).toEqual([]);
      expect(run.outputs).toEqual({});
      expect(
        findLeaks(run, { secrets: [SECRET, SIM_API_KEY, SIM_APP_KEY, "hunter2-password", "Zm9vYmFyYmF6cXV4"] }),
      ).toEqual([]);
    } finally {
      await simulator.close();
      if (own) await rm(own, { recursive: true, force: true });
    }
  });
});
