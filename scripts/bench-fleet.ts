/**
 * The fleet's part of `npm run bench` (also `node scripts/bench-fleet.ts [--connections N] [--limit L]`):
 * 200 connections against the simulator limited to 50 requests a second, calendar aligned.
 *
 *   (f1) fleet mode, one step: wall time against the floor the limit allows for the requests needed
 *        (a GET for each document without secrets, a PATCH for each that differs or sets a secret),
 *        and the number of 429s, in all and after the first second;
 *   (f2) the same connections done today's way: one process per connection, in sequence.
 *
 * The fleet: a quarter set a token (always sent, no read), a quarter rename (read, then sent), half
 * match Datadog already (read, skipped). Not a test: the figures go in the README's performance section.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stableUuid, storedHttp } from "../test/fixtures.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "../test/simulator/server.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface FleetFigures {
  readonly connections: number;
  readonly limit: number;
  readonly requests: number;
  readonly gets: number;
  readonly patches: number;
  /** The least time from the first request to the last that the limit allows. */
  readonly floorMs: number;
  readonly wallMs: number;
  /** From the first request's arrival to the last's: the part of the wall time the limit governs. */
  readonly spanMs: number;
  readonly tooMany: number;
  /** Requests that arrived in each calendar second, in order: how full each period was. */
  readonly perPeriod: readonly number[];
  readonly tooManyAfterFirstSecond: number;
  readonly sequentialMs: number | undefined;
}

interface Connection {
  readonly id: string;
  readonly document: string;
  /** The one-connection patch for (f2). */
  readonly patch: string;
}

function fleetOf(count: number): Connection[] {
  return Array.from({ length: count }, (_, index) => {
    const id = stableUuid(`bench-fleet-${index}`);
    const kind = index % 4;
    const credentials =
      kind === 0
        ? ["tokens:", `  - {name: api_token, type: SECRET, value: tok_bench_${index}_0123456789}`]
        : ["headers:", "  - {name: X-Region, value: eu}"];
    const name = kind === 1 ? `Renamed ${index}` : `Bench ${index}`;
    const body = [
      `name: ${name}`,
      "integration:",
      "  type: HTTP",
      "  credentials:",
      "    type: HTTPTokenAuth",
      ...credentials.map((line) => `    ${line}`),
    ];
    return { id, document: [`id: ${id}`, ...body].join("\n"), patch: body.join("\n") };
  });
}

function store(simulator: Simulator, fleet: readonly Connection[]): void {
  simulator.reset();
  for (const [index, { id }] of fleet.entries()) simulator.put(storedHttp(id, `Bench ${index}`));
  simulator.requests.length = 0;
}

function runBundle(workspace: string, inputs: Record<string, string>): Promise<number> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_WORKSPACE: workspace };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  env.GITHUB_OUTPUT = join(workspace, ".output");
  writeFileSync(env.GITHUB_OUTPUT, "");
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(root, "dist/index.js")], { env, cwd: workspace });
    let log = "";
    child.stdout.on("data", (chunk) => {
      log = (log + chunk).slice(-4000);
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`the action exited ${code}:\n${log}`)),
    );
  });
}

/**
 * The least time from the first request to the last that `requests` can take under `limit` a second
 * (calendar aligned): every period used whole, the first from `firstAt` to its end, the last request
 * at the start of the last period needed.
 */
function floorMs(requests: number, limit: number, firstAt: number): number {
  const periods = Math.ceil(requests / limit) - 1;
  return periods <= 0 ? 0 : periods * 1000 - (firstAt % 1000);
}

function countPerSecond(times: readonly number[]): number[] {
  const first = Math.floor((times[0] ?? 0) / 1000);
  const counts: number[] = [];
  for (const at of times) {
    const index = Math.floor(at / 1000) - first;
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return Array.from(counts, (count) => count ?? 0);
}

export async function benchFleet(options: { connections?: number; limit?: number; sequential?: boolean } = {}) {
  const count = options.connections ?? 200;
  const limit = options.limit ?? 50;
  const fleet = fleetOf(count);
  const simulator = await Simulator.start({ rateLimit: { limit, period: 1, name: "action_connections" } });
  try {
    const workspace = mkdtempSync(join(tmpdir(), "bench-fleet-"));
    mkdirSync(join(workspace, "connections"));
    writeFileSync(
      join(workspace, "connections/fleet.yml"),
      fleet.map((connection) => connection.document).join("\n---\n"),
    );
    const keys = { "API-KEY": SIM_API_KEY, "APP-KEY": SIM_APP_KEY, "API-URL": simulator.url };

    // Start at a period's beginning, as a fair floor assumes nothing of where in a second a run starts.
    store(simulator, fleet);
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    const start = Date.now();
    const wallMs = await runBundle(workspace, { CONNECTIONS: "connections/*.yml", "MAX-PARALLEL": "8", ...keys });
    const requests = simulator.requests.filter((request) => request.path.startsWith("/api/v2/actions/connections/"));
    const tooMany = requests.filter((request) => request.status === 429);
    const gets = requests.filter((request) => request.method === "GET").length;
    const patches = requests.filter((request) => request.method === "PATCH").length;
    const results = readFileSync(join(workspace, ".output"), "utf8");
    if (!results.includes("results")) throw new Error("the fleet run set no results output");

    let sequentialMs: number | undefined;
    if (options.sequential !== false) {
      store(simulator, fleet);
      const started = performance.now();
      for (const connection of fleet) {
        await runBundle(workspace, { "CONNECTION-ID": connection.id, PATCH: connection.patch, ...keys });
      }
      sequentialMs = performance.now() - started;
    }
    return {
      connections: count,
      limit,
      requests: requests.length,
      gets,
      patches,
      floorMs: floorMs(gets + patches - tooMany.length, limit, requests[0]?.at ?? start),
      wallMs,
      spanMs: (requests.at(-1)?.at ?? 0) - (requests[0]?.at ?? 0),
      tooMany: tooMany.length,
      perPeriod: countPerSecond(requests.map((request) => request.at)),
      tooManyAfterFirstSecond: tooMany.filter((request) => request.at - start > 1000).length,
      sequentialMs,
    } satisfies FleetFigures;
  } finally {
    await simulator.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { connections: { type: "string" }, limit: { type: "string" }, "no-sequential": { type: "boolean" } },
  });
  const figures = await benchFleet({
    connections: Number(values.connections ?? 200),
    limit: Number(values.limit ?? 50),
    sequential: !values["no-sequential"],
  });
  console.log(JSON.stringify(figures, null, 2));
}
