/**
 * Fleet mode end to end: the bundle run as a runner runs it, with connection files in the workspace,
 * against the simulator. The plan (with and without keys), the apply that sends only what differs,
 * refusals before anything is sent, partial failure, cancellation and a shared rate limit.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ROTATE_EXTERNAL_ID, stableUuid, storedHttp } from "../fixtures.ts";
import { GITHUB_TOKEN, GitHubStandIn } from "../github/server.ts";
import { findLeaks, stackTraces } from "../harness/leaks.ts";
import { type ActionRun, type RunOptions, runAction, summaryText } from "../harness/runner.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "../simulator/server.ts";

const PAYMENTS = stableUuid("fleet-payments");
const BILLING = stableUuid("fleet-billing");
const SEARCH = stableUuid("fleet-search");
const TOKEN = "tok_Zq9Xv7LmN4pQwRtY2sH8";

let sim: Simulator;
beforeAll(async () => {
  sim = await Simulator.start();
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.reset();
  for (const [id, name] of [
    [PAYMENTS, "Payments API"],
    [BILLING, "Billing API"],
    [SEARCH, "Search API"],
  ] as const) {
    sim.put(storedHttp(id, name, [{ name: "api_token", type: "SECRET", value: "old-token-value" }]));
  }
  sim.requests.length = 0;
});

const http = (credentials: string[]) => [
  "integration:",
  "  type: HTTP",
  "  credentials:",
  "    type: HTTPTokenAuth",
  ...credentials.map((line) => `    ${line}`),
];

/** Three connections in two files: payments renamed, billing as it is, search with a token from !env. */
const FILES = {
  "connections/payments.yml": [`id: ${PAYMENTS}`, "name: Payments API v2", "tags: [team:payments]", ""].join("\n"),
  "connections/more.yml": [
    `id: ${BILLING}`,
    "name: Billing API",
    ...http(["headers:", "  - {name: X-Region, value: eu}"]),
    "---",
    `id: ${SEARCH}`,
    ...http(["tokens:", "  - {name: api_token, type: SECRET, value: !env SEARCH_TOKEN}"]),
    "",
  ].join("\n"),
};

function fleet(options: Partial<RunOptions> & { keys?: boolean } = {}): Promise<ActionRun> {
  const keys = options.keys ?? true;
  return runAction({
    ...options,
    workspaceFiles: options.workspaceFiles ?? FILES,
    env: { SEARCH_TOKEN: TOKEN, ...options.env },
    inputs: {
      connections: "connections/*.yml",
      "api-url": sim.url,
      ...(keys ? { "api-key": SIM_API_KEY, "app-key": SIM_APP_KEY } : {}),
      ...options.inputs,
    },
  });
}

const made = () => sim.requests.map((request) => `${request.method} ${request.path.split("/").pop()}`);
const results = (run: ActionRun) =>
  (
    JSON.parse(run.outputs.results ?? "[]") as {
      id: string;
      status: string;
      changed: string[];
      file: string;
      line: number;
    }[]
  ).map((result) => [result.file, result.line, result.id, result.status, result.changed]);
const errors = (run: ActionRun) => run.commands.filter((command) => command.command === "error");

describe("the plan (dry-run: true)", () => {
  it("with keys: reads every connection and says what would change, in file order; sends nothing", async () => {
    const run = await fleet({ inputs: { "dry-run": "true" } });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(made().sort()).toEqual([`GET ${BILLING}`, `GET ${PAYMENTS}`, `GET ${SEARCH}`].sort());
    expect(results(run)).toEqual([
      ["connections/more.yml", 1, BILLING, "unchanged", []],
      ["connections/more.yml", 10, SEARCH, "would-update", ["integration.credentials.tokens[api_token]"]],
      ["connections/payments.yml", 1, PAYMENTS, "would-update", ["name"]],
    ]);
    expect(run.maskedLog).toContain(`connections/payments.yml:1 ${PAYMENTS} "Payments API v2" (HTTP): would-update`);
    expect(run.maskedLog).toContain('  name: "Payments API" → "Payments API v2"');
    expect(run.maskedLog).toContain("  integration.credentials.tokens[api_token]: •••• will be written");
    const summary = summaryText(run.summary);
    expect(summary).toContain("dry run");
    expect(summary).toContain("Payments API v2");
    expect(run.maskedLog + run.summary + JSON.stringify(run.outputs)).not.toContain(TOKEN);
  });

  it("a variable !env reads that is not set (a fork's pull request): a warning at its line, the value unknown", async () => {
    const run = await fleet({ inputs: { "dry-run": "true" }, env: { SEARCH_TOKEN: "" } });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(run.commands.filter((command) => command.command === "warning")).toEqual([
      {
        command: "warning",
        properties: { title: "Variable not set", file: "connections/more.yml", line: "16", col: "53" },
        message:
          "connections/more.yml: integration.credentials.tokens[0].value: !env SEARCH_TOKEN: the environment variable SEARCH_TOKEN is not set; the plan takes its value as unknown (•••• will be written), and the apply will need it set",
      },
    ]);
    expect(results(run)[1]).toEqual([
      "connections/more.yml",
      10,
      SEARCH,
      "would-update",
      ["integration.credentials.tokens[api_token]"],
    ]);
    // The apply refuses it, and sends nothing.
    sim.requests.length = 0;
    const apply = await fleet({ env: { SEARCH_TOKEN: "" } });
    expect(apply.exitCode).toBe(1);
    expect(sim.requests).toEqual([]);
  });

  it("without keys: checks every file offline and reads nothing", async () => {
    const run = await fleet({ keys: false, inputs: { "dry-run": "true" } });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(sim.requests).toEqual([]);
    expect(results(run).map((result) => result[3])).toEqual(["would-update", "would-update", "would-update"]);
  });

  it("a connection that cannot be read is failed, with the usual explanation; the others are planned", async () => {
    const missing = stableUuid("fleet-missing");
    const run = await fleet({
      inputs: { "dry-run": "true" },
      workspaceFiles: { ...FILES, "connections/zz.yml": `id: ${missing}\nname: Gone\n` },
    });
    expect(run.exitCode).toBe(1);
    expect(results(run).map((result) => result[3])).toEqual(["unchanged", "would-update", "would-update", "failed"]);
    expect(errors(run).map((error) => error.message)).toEqual([
      expect.stringMatching(
        new RegExp(`^connections/zz.yml:1 ${missing} "Gone": failed. Datadog found no connection ${missing}`),
      ),
    ]);
  });
});

describe("the apply", () => {
  it("sends only what differs, and always what sets a secret; a re-run sends only the secrets", async () => {
    const first = await fleet();
    expect(first.exitCode, first.maskedLog).toBe(0);
    expect(results(first).map((result) => result[3])).toEqual(["unchanged", "updated", "updated"]);
    expect(made().sort()).toEqual([`GET ${BILLING}`, `GET ${PAYMENTS}`, `PATCH ${PAYMENTS}`, `PATCH ${SEARCH}`].sort());
    const search = sim.requests.find((request) => request.method === "PATCH" && request.path.endsWith(SEARCH));
    expect(search?.json).toEqual({
      data: {
        type: "action_connection",
        attributes: {
          integration: {
            type: "HTTP",
            credentials: { type: "HTTPTokenAuth", tokens: [{ name: "api_token", type: "SECRET", value: TOKEN }] },
          },
        },
      },
    });
    sim.requests.length = 0;
    const again = await fleet();
    expect(again.exitCode, again.maskedLog).toBe(0);
    expect(made().filter((request) => request.startsWith("PATCH"))).toEqual([`PATCH ${SEARCH}`]);
    expect(results(again).map((result) => result[3])).toEqual(["unchanged", "updated", "unchanged"]);
  });

  it("one connection's failure does not stop the others; the step fails and says which were applied", async () => {
    // Search sets a secret: sent without a read, and refused.
    sim.scriptFor(SEARCH, {
      kind: "answer",
      status: 400,
      body: { errors: [{ title: "Generic Error", detail: "bad token" }] },
    });
    const run = await fleet();
    expect(run.exitCode).toBe(1);
    expect(results(run).map((result) => result[3])).toEqual(["unchanged", "failed", "updated"]);
    expect(run.maskedLog).toContain("3 connections: 1 updated, 1 unchanged, 1 failed");
  });

  it("SIGTERM: starts nothing more, reports what was and was not sent, exits promptly", async () => {
    sim.scriptFor(BILLING, { kind: "hang" });
    const run = await fleet({
      inputs: { "max-parallel": "1" },
      signal: { name: "SIGTERM", whenOutput: "GET", afterMs: 300 },
      env: { RUNNER_DEBUG: "1", SEARCH_TOKEN: TOKEN },
    });
    expect(run.exitCode).toBe(1);
    expect(results(run).map((result) => result[3])).toEqual(["not-sent", "not-sent", "not-sent"]);
    expect(run.durationMs - (run.signalSentMs ?? 0)).toBeLessThan(2000);
  });
});

describe("refused before anything is sent, every problem listed", () => {
  it.each([
    [
      "the same id in two documents (both places named)",
      { "connections/a.yml": `id: ${PAYMENTS}\nname: A\n`, "connections/b.yml": `name: B\nid: ${PAYMENTS}\n` },
      [
        `connections/a.yml: id: the connection ${PAYMENTS} is also set in connections/b.yml (line 2); give each connection one document (line 1, column 1)`,
        `connections/b.yml: id: the connection ${PAYMENTS} is also set in connections/a.yml (line 1); give each connection one document (line 2, column 1)`,
      ],
    ],
    [
      "generate_new_external_id",
      {
        "connections/aws.yml": `id: ${PAYMENTS}\n${ROTATE_EXTERNAL_ID}`,
      },
      [
        "connections/aws.yml: integration.credentials.generate_new_external_id: is an act, not a setting: in a connection file it would rotate the external ID on every release. Rotate it with the one-connection mode (connection-id and patch) (line 6, column 5)",
      ],
    ],
    [
      "a document that sets nothing, and an unknown field in another file",
      { "connections/a.yml": `id: ${PAYMENTS}\n`, "connections/b.yml": `id: ${BILLING}\nnmae: x\n` },
      [
        "connections/a.yml: sets nothing; give a name, tags or integration settings beside the id (line 1, column 1)",
        expect.stringMatching(/^connections\/b.yml: nmae: unknown field; did you mean name\? \(line 2, column 1\)$/),
      ],
    ],
  ])("%s", async (_name, workspaceFiles, messages) => {
    const run = await fleet({ workspaceFiles });
    expect(run.exitCode).toBe(1);
    expect(sim.requests).toEqual([]);
    expect(errors(run).map((error) => error.message)).toEqual(messages);
    expect(summaryText(run.summary).split("\n")[0]).toBe("Datadog connections: refused, nothing sent");
    for (const error of errors(run)) expect(error.properties.file).toMatch(/^connections\//);
  });

  it("the one-connection inputs together with connections", async () => {
    const run = await fleet({ inputs: { "connection-id": PAYMENTS } });
    expect(run.exitCode).toBe(1);
    expect(sim.requests).toEqual([]);
    expect(errors(run).map((error) => error.message)).toEqual([
      "connections: and connection-id are both set; a step updates one connection (connection-id with patch or patch-file) or a fleet (connections), not both",
    ]);
  });

  it("a pattern that matches nothing, by name", async () => {
    const run = await fleet({ inputs: { connections: "connections/*.yml\nmissing/*.yaml" } });
    expect(run.exitCode).toBe(1);
    expect(errors(run).map((error) => error.message)).toEqual([
      'connections: the pattern on line 2, "missing/*.yaml", matches no file in the workspace; check it, and that the repository is checked out',
    ]);
  });
});

describe("the plan as one pull-request comment", () => {
  it("one comment for the connections input, with every connection, updated in place by the next run", async () => {
    const github = await GitHubStandIn.start();
    const folder = mkdtempSync(join(tmpdir(), "fleet-event-"));
    try {
      const eventPath = join(folder, "event.json");
      writeFileSync(eventPath, JSON.stringify({ number: 12, pull_request: { number: 12 } }));
      const plan = () =>
        fleet({
          inputs: { "dry-run": "true", comment: "true", "github-token": GITHUB_TOKEN },
          env: {
            SEARCH_TOKEN: TOKEN,
            GITHUB_API_URL: github.url,
            GITHUB_EVENT_PATH: eventPath,
            GITHUB_EVENT_NAME: "pull_request",
            GITHUB_WORKFLOW: "Datadog connections",
            GITHUB_JOB: "plan",
          },
        });
      const first = await plan();
      expect(first.exitCode, first.maskedLog).toBe(0);
      const [comment] = github.comments;
      expect(github.comments).toHaveLength(1);
      const body = comment?.body ?? "";
      expect(body.split("\n")[0]).toMatch(
        /^<!-- update-datadog-action-connection [0-9a-f]{32} workflow=Datadog connections job=plan connections -->$/,
      );
      expect(body).toContain("3 connections: 1 unchanged, 2 would update.");
      expect(body).toContain(
        "| <code>connections&#47;payments&#46;yml</code> | Payments API v2 | HTTP | would update | <code>name</code> |",
      );
      expect(body).toContain("| <code>name</code> | <code>Payments API</code> → <code>Payments API v2</code> |");
      expect(
        findLeaks({ ...first, summary: body }, { secrets: [TOKEN, SIM_API_KEY, SIM_APP_KEY, GITHUB_TOKEN] }),
      ).toEqual([]);
      // The next push: the same comment, edited; nothing to change is said there too.
      sim.put(storedHttp(PAYMENTS, "Payments API v2"));
      const second = await plan();
      expect(second.exitCode, second.maskedLog).toBe(0);
      expect(github.comments).toHaveLength(1);
      expect(github.comments[0]?.id).toBe(comment?.id);
      expect(github.comments[0]?.body).toContain("3 connections: 2 unchanged, 1 would update.");
    } finally {
      await github.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe("secrets in fleet mode", () => {
  it("no secret of any file is readable anywhere, in any form, debug on, when Datadog echoes them", async () => {
    const header = "Bearer hdr_Pq7Lm2Xv9Zt4Rw8K";
    const literal = "tok_literal_9f8e7d6c5b4a";
    const files = {
      ...FILES,
      "connections/secret.yml": [
        `id: ${PAYMENTS}`,
        ...http([
          "headers:",
          `  - {name: Authorization, value: "${header}"}`,
          "tokens:",
          `  - {name: second, type: SECRET, value: ${literal}}`,
        ]),
        "",
      ].join("\n"),
    };
    // Datadog refuses one quoting what it was sent (Go-escaped), and answers a name holding another.
    sim.scriptFor(PAYMENTS, {
      kind: "answer",
      status: 400,
      body: {
        errors: [
          {
            title: "Generic Error",
            detail: `bad header ${header.replace("<", "\\u003c")} and ${literal.slice(0, 14)}`,
          },
        ],
      },
    });
    sim.scriptFor(SEARCH, {
      kind: "answer",
      status: 200,
      body: {
        data: {
          id: SEARCH,
          type: "action_connection",
          attributes: {
            name: `Search ${TOKEN}`,
            integration: { type: "HTTP", credentials: { type: "HTTPTokenAuth" } },
          },
        },
      },
    });
    const run = await fleet({ workspaceFiles: files, env: { SEARCH_TOKEN: TOKEN, RUNNER_DEBUG: "1" } });
    expect(run.exitCode).toBe(1);
    expect(findLeaks(run, { secrets: [TOKEN, header, literal, SIM_API_KEY, SIM_APP_KEY] })).toEqual([]);
    expect(stackTraces(run)).toEqual([]);
    // Every mask was registered before the first line of anything else.
    const lines = run.stdout.split("\n");
    const firstOther = lines.findIndex((line) => line !== "" && !line.startsWith("::add-mask::"));
    expect(lines.findLastIndex((line) => line.startsWith("::add-mask::"))).toBeLessThan(firstOther);
  });
});

describe("as an attacker would try it", () => {
  it("short values read with !env (a tag, a header's name, a name) show nowhere: plan, summary, results", async () => {
    const file = [
      `id: ${BILLING}`,
      "name: !env NAME_S",
      "tags: [team:a, !env TAG_S]",
      ...http(["headers:", "  - {name: !env HDR_S, value: plain}"]),
      "",
    ].join("\n");
    const run = await fleet({
      inputs: { "dry-run": "true" },
      workspaceFiles: { "connections/short.yml": file },
      env: { NAME_S: "Nm5$kQ", TAG_S: "k:Hu7#x", HDR_S: "Hd3Zp9" },
    });
    expect(run.exitCode, run.maskedLog).toBe(0);
    const readable = [summaryText(run.summary), run.summary, run.outputs.results ?? ""].join("\n");
    for (const value of ["Nm5$kQ", "k:Hu7#x", "Hu7", "Hd3Zp9"]) expect(readable).not.toContain(value);
    expect(JSON.parse(run.outputs.results ?? "[]")[0].changed).toEqual([
      "name",
      "tags",
      "integration.credentials.headers[••••]",
    ]);
  });

  it("Datadog echoing secrets in current values (base64, URL-encoded, Go-escaped, cut): none shows in the summary", async () => {
    const token = "tok<Secret>/Pl+us=0123456789abcdefXYZ";
    sim.put(storedHttp(SEARCH, encodeURIComponent(token)));
    const stored = sim.connection(BILLING) as { attributes: { name: string; integration: { base_url: string } } };
    stored.attributes.name = Buffer.from(SIM_API_KEY).toString("base64");
    stored.attributes.integration.base_url = `https://x.example/${token.replace("<", "\\u003c").replace(">", "\\u003e")}`;
    sim.put(stored as never);
    sim.put(storedHttp(PAYMENTS, token.slice(0, 20)));
    const run = await fleet({ inputs: { "dry-run": "true" }, env: { SEARCH_TOKEN: token } });
    expect(run.exitCode, run.maskedLog).toBe(0);
    const summary = summaryText(run.summary);
    for (const shown of [
      encodeURIComponent(token),
      Buffer.from(SIM_API_KEY).toString("base64").slice(0, 24),
      token.slice(0, 20),
      "\\u003cSecret\\u003e",
    ]) {
      expect(summary).not.toContain(shown);
    }
  });

  it("warnings on documents' lines are capped: 40 tokens in clear give 30 annotations and a count", async () => {
    const ids = Array.from({ length: 40 }, (_, index) => stableUuid(`fleet-clear-${index}`));
    const file = ids
      .map((id, index) =>
        [`id: ${id}`, ...http(["tokens:", `  - {name: t, type: SECRET, value: clear_token_${index}_abcdef}`])].join(
          "\n",
        ),
      )
      .join("\n---\n");
    const run = await fleet({
      inputs: { "dry-run": "true" },
      keys: false,
      workspaceFiles: { "connections/clear.yml": file },
    });
    expect(run.exitCode, run.maskedLog).toBe(0);
    const warnings = run.commands.filter((command) => command.command === "warning").map((command) => command.message);
    expect(warnings).toHaveLength(31);
    expect(warnings.at(-1)).toBe("and 10 more warnings on the documents' lines, not listed.");
  });

  it("more documents than a step should hold are refused before any is parsed", async () => {
    const file = Array.from({ length: 1001 }, (_, index) => `id: ${stableUuid(`many-${index}`)}\nname: n`).join(
      "\n---\n",
    );
    const run = await fleet({ workspaceFiles: { "connections/many.yml": file } });
    expect(run.exitCode).toBe(1);
    expect(sim.requests).toEqual([]);
    expect(errors(run).map((error) => error.message)).toEqual([
      "connections: hold more than 1000 documents; split the fleet across steps",
    ]);
  });
});

describe("one view of the rate limit", () => {
  it("30 connections under 10 requests a second: no 429, done in about three periods", async () => {
    const small = await Simulator.start({ rateLimit: { limit: 10, period: 1, name: "action_connections" } });
    try {
      const ids = Array.from({ length: 30 }, (_, index) => stableUuid(`fleet-rate-${index}`));
      for (const id of ids)
        small.put({
          id,
          type: "action_connection",
          attributes: {
            name: "Same",
            integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey", api_token: "" } },
          },
        });
      small.requests.length = 0;
      const run = await runAction({
        workspaceFiles: { "connections/all.yml": ids.map((id) => `id: ${id}\nname: Same\n`).join("---\n") },
        inputs: {
          connections: "connections/*.yml",
          "api-url": small.url,
          "api-key": SIM_API_KEY,
          "app-key": SIM_APP_KEY,
        },
      });
      expect(run.exitCode, run.maskedLog).toBe(0);
      expect(small.requests).toHaveLength(30);
      expect(run.maskedLog).not.toContain("Rate limited");
    } finally {
      await small.close();
    }
  });
});
