/**
 * Datadog's answer as it may really come, end to end: fields set to null, a credential kind the table
 * does not know yet, a 503 that asks for an hour's wait, and what the outputs and summary do with
 * short values that are secret by their name. Also a job summary that cannot be written.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KINDS } from "../fixtures.ts";
import { type RunOptions, summaryText } from "../harness/runner.ts";
import { updateOn } from "../harness/update.ts";
import { type Scripted, Simulator } from "../simulator/server.ts";

const OPENAI = KINDS.find((kind) => kind.kind.type === "OpenAIAPIKey")?.id ?? "";
const HTTP = KINDS.find((kind) => kind.kind.type === "HTTPTokenAuth")?.id ?? "";

let sim: Simulator;
beforeAll(async () => {
  sim = await Simulator.start();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const update = (id: string, patch: string, options: Partial<RunOptions> = {}) => updateOn(sim, id, patch, options);

const commands = (run: Awaited<ReturnType<typeof update>>, name: string) =>
  run.commands.filter((command) => command.command === name).map((command) => command.message);

function answer(attributes: Record<string, unknown>): Scripted {
  return { kind: "answer", status: 200, body: { data: { id: OPENAI, type: "action_connection", attributes } } };
}

describe("an answer of a shape the table does not fully describe is still a success", () => {
  it("fields set to null, tags null, credentials null", async () => {
    sim.script(answer({ name: null, tags: null, integration: { type: "OpenAI", credentials: null } }));
    const run = await update(OPENAI, "tags: [team:platform]\n");
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(run.outputs).toMatchObject({ "connection-id": OPENAI, name: "", "integration-type": "OpenAI" });
  });

  it("a credential kind Datadog added to a known integration", async () => {
    sim.script(
      answer({ name: "n", integration: { type: "OpenAI", credentials: { type: "OpenAIProjectKey", project: "p" } } }),
    );
    const run = await update(OPENAI, "name: n\n");
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(JSON.parse(run.outputs.connection ?? "{}").attributes.integration.credentials).toEqual({
      type: "OpenAIProjectKey",
      project: "p",
    });
  });
});

describe("a 503 that asks for an hour's wait", () => {
  it("backs off and tries again, as for any 5xx, instead of giving up", async () => {
    sim.script({ kind: "answer", status: 503, headers: { "retry-after": "3600" }, body: "" });
    const run = await update(OPENAI, "name: n\n", { inputs: { "timeout-seconds": "10" } });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(sim.requests).toHaveLength(2);
    expect(run.maskedLog).toMatch(
      /Datadog answered 503 Service Unavailable: retrying in [01]\.\d s \(attempt 2 of 4\)/,
    );
  });
});

describe("short values that are secret by their name", () => {
  it("are masked in the log, yet leave the outputs and summary whole", async () => {
    // `auth_version` and `sort_key` name credentials (auth, key): their values are secret, if short.
    const patch = [
      "integration:",
      "  type: HTTP",
      "  credentials:",
      "    type: HTTPTokenAuth",
      "    url_parameters:",
      '      - {name: auth_version, value: "1"}',
      "      - {name: sort_key, value: name}",
      "",
    ].join("\n");
    const run = await update(HTTP, patch);
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(run.masks).toEqual(expect.arrayContaining(["1", "name"]));
    expect(run.outputs["connection-id"]).toBe(HTTP);
    const connection = JSON.parse(run.outputs.connection ?? "{}");
    expect(Object.keys(connection.attributes)).toContain("name");
    expect(connection.attributes.integration.credentials.url_parameters).toEqual(
      expect.arrayContaining([
        { name: "auth_version", value: "" },
        { name: "sort_key", value: "" },
      ]),
    );
    expect(summaryText(run.summary)).toContain(`(${HTTP})`);
  });
});

describe("a job summary that cannot be written", () => {
  it("is a warning: the update was applied and the step succeeds, outputs set", async () => {
    const run = await update(OPENAI, "name: n\n", { env: { GITHUB_STEP_SUMMARY: "/" } });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(commands(run, "warning")).toEqual([
      "Could not write the job summary (GITHUB_STEP_SUMMARY); the log has the same facts.",
    ]);
    expect(run.outputs["connection-id"]).toBe(OPENAI);
    expect(sim.requests).toHaveLength(1);
  });
});
