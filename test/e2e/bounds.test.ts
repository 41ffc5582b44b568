/**
 * Bounded work and output on any input (issue 9, item 6), end to end on the bundle: a patch of tens
 * of thousands of unknown keys is refused in linear time with a few dozen problems listed; no summary
 * reaches GitHub's 1 MiB; an answer nested thousands deep, or for another connection, is a clear
 * failure that says whether the update was applied.
 *
 * Time is measured as the CPU time of the action's process (user + system, reported by a wrapper that
 * loads the unchanged bundle), not wall time: the machines that run these tests are shared.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KINDS, ROTATE_EXTERNAL_ID } from "../fixtures.ts";
import { BUNDLE, type RunOptions, summaryText } from "../harness/runner.ts";
import { errorMessages, updateOn } from "../harness/update.ts";
import { type Scripted, Simulator } from "../simulator/server.ts";

const OPENAI = KINDS.find((kind) => kind.kind.type === "OpenAIAPIKey")?.id ?? "";
const HTTP = KINDS.find((kind) => kind.kind.type === "HTTPTokenAuth")?.id ?? "";
const AWS = KINDS.find((kind) => kind.kind.type === "AWSAssumeRole")?.id ?? "";
const MIB = 1024 * 1024;

let sim: Simulator;
let scratch: string;
let wrapper: string;
beforeAll(async () => {
  sim = await Simulator.start();
  scratch = await mkdtemp(join(tmpdir(), "bounds-"));
  wrapper = join(scratch, "cpu.cjs");
  // Loads the bundle as the runner does (it runs on load) and writes its CPU time when the process ends.
  await writeFile(
    wrapper,
    [
      'const { writeFileSync } = require("node:fs");',
      'process.on("exit", () => writeFileSync(process.env.CPU_FILE, JSON.stringify(process.cpuUsage())));',
      `require(${JSON.stringify(BUNDLE)});`,
      "",
    ].join("\n"),
  );
});
afterAll(async () => {
  await sim.close();
  await rm(scratch, { recursive: true, force: true });
});
beforeEach(() => sim.reset());

const update = (id: string, patch: string, options: Partial<RunOptions> = {}) => updateOn(sim, id, patch, options);

const errors = errorMessages;

/** A name of letters only (`unknown_abcd`): it looks like a field name, so each is its own problem. */
function unknownKey(index: number): string {
  const letters = Array.from({ length: 4 }, (_, at) => String.fromCharCode(97 + (Math.floor(index / 26 ** at) % 26)));
  return `unknown_${letters.join("")}`;
}

describe("a patch of tens of thousands of unknown keys", () => {
  it.each([
    [20_000, 3_000],
    [40_000, 3_000],
  ])(
    "%i keys: refused in under %i ms of CPU, 30 problems listed and the rest counted",
    async (count, limitMs) => {
      const file = Array.from({ length: count }, (_, index) => `${unknownKey(index)}: value\n`).join("");
      const cpuFile = join(scratch, `cpu-${count}.json`);
      const run = await update(OPENAI, "", {
        entry: wrapper,
        env: { CPU_FILE: cpuFile },
        inputs: { patch: "", "patch-file": "patch.yml" },
        workspaceFiles: { "patch.yml": file },
        timeoutMs: 120_000,
      });
      const cpu = JSON.parse(await readFile(cpuFile, "utf8")) as { user: number; system: number };
      const cpuMs = (cpu.user + cpu.system) / 1000;
      console.info(`${count} unknown keys: ${cpuMs.toFixed(0)} ms CPU, ${run.durationMs.toFixed(0)} ms wall`);
      expect(run.exitCode).toBe(1);
      expect(cpuMs).toBeLessThan(limitMs);
      expect(sim.requests).toHaveLength(0);

      const listed = errors(run);
      expect(listed).toHaveLength(31);
      expect(listed[0]).toBe(
        "patch-file: unknown_aaaa: unknown field; expected one of name, tags, integration (line 1, column 1)",
      );
      expect(listed[29]).toBe(
        "patch-file: unknown_dbaa: unknown field; expected one of name, tags, integration (line 30, column 1)",
      );
      expect(listed[30]).toBe(
        `and ${count - 30} more problems, not listed; fix those above and run again to see them.`,
      );
      expect(Buffer.byteLength(run.stdout)).toBeLessThan(20_000);
      expect(Buffer.byteLength(run.summary)).toBeLessThan(20_000);
      expect(
        summaryText(run.summary)
          .split("\n")
          .filter((line) => line.startsWith("- ")),
      ).toHaveLength(31);
    },
    60_000,
  );

  it("a patch nested deeper than any connection is refused before any walk of it, quoting no key", async () => {
    const run = await update(OPENAI, `${"{k: ".repeat(100)}v${"}".repeat(100)}\n`);
    expect(run.exitCode).toBe(1);
    expect(errors(run)).toEqual([
      "patch: nests deeper than 64 levels; no field of a connection is that deep. (line 1, column 254)",
    ]);
    expect(run.stderr).toBe("");
  });
});

describe("every summary stays under GitHub's 1 MiB", () => {
  it("a dry run whose body would fill several MiB of summary is cut at a block, and says so", async () => {
    // Each punctuation character becomes a 5-character reference: 900 KB of them is 4.5 MB of HTML.
    const content = "{}[]!".repeat(180_000);
    const patch = JSON.stringify({
      integration: { type: "HTTP", credentials: { type: "HTTPTokenAuth", body: { content } } },
    });
    const run = await update(HTTP, "", {
      inputs: { patch: "", "patch-file": "patch.json", "dry-run": "true" },
      workspaceFiles: { "patch.json": patch },
    });
    expect(run.exitCode, run.maskedLog).toBe(0);
    const bytes = Buffer.byteLength(run.summary);
    console.info(`summary of a dry run with a 900 KB body: ${bytes} bytes`);
    expect(bytes).toBeLessThan(MIB);
    expect(summaryText(run.summary)).toBe(
      [
        "Datadog connection: dry run, nothing sent",
        "",
        `Connection: ${HTTP}`,
        `Site: ${sim.url.replace("http://", "")} (api-url)`,
        "Integration: HTTP",
        "",
        "Fields the patch would set",
        "",
        "The rest of this summary is left out: GitHub shows at most 1 MiB. The log has every fact.",
        "",
        "Workflow run (https://github.com/acme/platform/actions/runs/42)",
      ].join("\n"),
    );
  });
});

/** A 200 answer for `id`; NESTED in its JSON text stands for a value nested 5,000 deep. */
function connection(id: string, attributes: Record<string, unknown>): Scripted {
  const body = JSON.stringify({ data: { id, type: "action_connection", attributes } });
  // As text: JSON.stringify of so deep a value would overflow the test's own stack.
  return {
    kind: "answer",
    status: 200,
    body: body.replace('"NESTED"', `${'{"a":'.repeat(5_000)}"bottom"${"}".repeat(5_000)}`),
  };
}

describe("an answer the action cannot read after the update was applied", () => {
  it("an unknown attribute nested 5,000 deep: the step says the update was applied, and sets connection-id", async () => {
    sim.script(
      connection(OPENAI, {
        name: "n",
        integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey" } },
        future: "NESTED",
      }),
    );
    const run = await update(OPENAI, "name: n\n");
    expect(run.exitCode).toBe(1);
    expect(sim.requests).toHaveLength(1);
    expect(errors(run)).toEqual([
      "Datadog answered 200: the update was applied, but its answer nests deeper than 64 levels (under data.attributes.future), which the action does not read. Only the connection-id output is set; check the connection in Datadog.",
    ]);
    expect(run.outputs).toEqual({ "connection-id": OPENAI, results: run.outputs.results });
    expect(JSON.parse(run.outputs.results ?? "[]")[0].status).toBe("updated");
    expect(run.stderr).toBe("");
    expect(summaryText(run.summary).split("\n")[0]).toBe(
      "Datadog connection: updated, but its answer could not be read",
    );
  });

  it("with generate_new_external_id: says the external ID was rotated, to read it in Datadog, not to run again", async () => {
    sim.script(
      connection(AWS, {
        integration: { type: "AWS", credentials: { type: "AWSAssumeRole", external_id: "NESTED" } },
      }),
    );
    const run = await update(AWS, ROTATE_EXTERNAL_ID);
    expect(run.exitCode).toBe(1);
    expect(errors(run)).toEqual([
      "Datadog answered 200: the update was applied, but its answer nests deeper than 64 levels (under data.attributes.integration), which the action does not read. Only the connection-id output is set; check the connection in Datadog. A new external ID was generated: read it in Datadog (the connection's page), do not run this step again, which would rotate it again.",
    ]);
    expect(run.outputs).toEqual({ "connection-id": AWS, results: run.outputs.results });
  });

  it("a 2xx answer for another connection: the step fails, says the update may have been applied, sets no output", async () => {
    const other = KINDS.find((kind) => kind.kind.type === "AnthropicAPIKey")?.id ?? "";
    sim.script(
      connection(other, { name: "n", integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey" } } }),
    );
    const run = await update(OPENAI, "name: n\n");
    expect(run.exitCode).toBe(1);
    expect(errors(run)).toEqual([
      `Datadog answered 200 for connection "${other}", not ${OPENAI} that was sent; the update may have been applied to either. No output is set; check both connections in Datadog.`,
    ]);
    // Only results, which says the update may have been applied.
    expect(Object.keys(run.outputs)).toEqual(["results"]);
    expect(JSON.parse(run.outputs.results ?? "[]")[0].status).toBe("unknown");
    expect(summaryText(run.summary).split("\n")[0]).toBe("Datadog connection: the update may have been applied");
  });
});
