/**
 * npm run bench: what a workflow pays for this action, against what a user could do instead.
 *
 *   node scripts/bench.ts [--runs N] [--no-client]
 *
 * Starts the simulator, then runs, alternately and N times each (default 15), whole processes doing
 * one successful update of a connection:
 *   (a) the action: node dist/index.js, as a runner runs it (INPUT_* variables, output files);
 *   (b) a bare script doing the same PATCH with Node's built-in fetch;
 *   (c) Datadog's official TypeScript client, @datadog/datadog-api-client, installed on first use into
 *       build/bench-client/ (not a dependency of the action);
 *   (d) the same source bundled by @vercel/ncc, the bundler the project was first specified with, into
 *       build/bench-ncc/: so that the choice of esbuild (scripts/build.ts) stays measured. ncc cannot read
 *       TypeScript 7, so src/ is first stripped of its types by Node (module.stripTypeScriptTypes).
 * Prints medians of wall time and peak memory (max RSS, from GNU time), the ratios a/b and c/a, the
 * size of dist/index.js and of the action's download (git archive of HEAD, gzipped); then what a
 * 429 with X-RateLimit-Reset: 1 costs, and how validation and masking scale with 1,000 headers and
 * a large private key; then the fleet (scripts/bench-fleet.ts): 200 connections under a limit of 50
 * requests a second, in one step against the floor the limit allows, and one process per connection.
 * Not a test: the figures go in the README's performance section.
 */
import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { cpus, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { KINDS } from "../test/fixtures.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "../test/simulator/server.ts";
import { benchFleet } from "./bench-fleet.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({ options: { runs: { type: "string" }, "no-client": { type: "boolean" } } });
const RUNS = Number(values.runs ?? 15);
const TIME = "/usr/bin/time";
const hasTime = existsSync(TIME);

const openai = KINDS.find((kind) => kind.kind.type === "OpenAIAPIKey");
if (!openai) throw new Error("the table has no OpenAI integration");
const http = KINDS.find((kind) => kind.kind.type === "HTTPTokenAuth");
const gcp = KINDS.find((kind) => kind.kind.type === "GCPServiceAccount");
if (!http || !gcp) throw new Error("the table lacks HTTP or GCP");
const ATTRIBUTES = {
  integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey", api_token: "sk-proj-bench-0123456789" } },
};
const work = mkdtempSync(join(tmpdir(), "bench-"));

interface Sample {
  wallMs: number;
  rssKiB: number | undefined;
}

/** Runs one whole process; resolves with its wall time and peak memory. Async: the simulator lives here. */
function measure(command: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const argv = hasTime ? [TIME, "-f", "%M", ...command] : command;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      const lines = stderr.trim().split("\n");
      const rss = hasTime ? Number(lines.pop()) : undefined;
      if (code !== 0) reject(new Error(`${command.join(" ")} exited ${code}\n${stdout}\n${lines.join("\n")}`));
      else resolve({ wallMs, rssKiB: rss });
    });
  });
}

function actionEnv(simulator: Simulator, inputs: Record<string, string>): NodeJS.ProcessEnv {
  const output = join(work, "output");
  const summary = join(work, "summary");
  writeFileSync(output, "");
  writeFileSync(summary, "");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_WORKSPACE: work,
    GITHUB_REPOSITORY: "acme/platform",
    GITHUB_RUN_ID: "42",
    GITHUB_SERVER_URL: "https://github.com",
    "INPUT_API-URL": simulator.url,
    "INPUT_API-KEY": SIM_API_KEY,
    "INPUT_APP-KEY": SIM_APP_KEY,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return env;
}

const FETCH_SCRIPT = `
const response = await fetch(process.env.URL, {
  method: "PATCH",
  headers: { "content-type": "application/json", accept: "application/json",
    "dd-api-key": process.env.DD_API_KEY, "dd-application-key": process.env.DD_APP_KEY },
  body: JSON.stringify({ data: { type: "action_connection", attributes: ${JSON.stringify(ATTRIBUTES)} } }),
});
if (response.status !== 200) throw new Error("status " + response.status);
console.log((await response.json()).data.id);
`;

const CLIENT_SCRIPT = `
import { client, v2 } from "@datadog/datadog-api-client";
const configuration = client.createConfiguration({
  baseServer: new client.BaseServerConfiguration(process.env.BASE, {}),
  authMethods: { apiKeyAuth: process.env.DD_API_KEY, appKeyAuth: process.env.DD_APP_KEY },
});
const api = new v2.ActionConnectionApi(configuration);
const answer = await api.updateActionConnection({
  connectionId: process.env.ID,
  body: { data: { type: "action_connection", attributes: { integration: { type: "OpenAI",
    credentials: { type: "OpenAIAPIKey", apiToken: "sk-proj-bench-0123456789" } } } } },
});
console.log(answer.data.id);
`;

/** Installs Datadog's client into build/bench-client/ once (about 140 MB; not part of the action). */
function clientFolder(): string | undefined {
  if (values["no-client"]) return undefined;
  const folder = join(root, "build", "bench-client");
  if (!existsSync(join(folder, "node_modules", "@datadog", "datadog-api-client"))) {
    console.log("Installing @datadog/datadog-api-client into build/bench-client/ (once)...");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "package.json"), '{ "name": "bench-client", "private": true }\n');
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "@datadog/datadog-api-client@1"], {
      cwd: folder,
      stdio: "inherit",
    });
  }
  writeFileSync(join(folder, "update.mjs"), CLIENT_SCRIPT);
  return folder;
}

/**
 * src/ bundled by ncc into build/bench-ncc/dist/index.js: the types stripped by Node into JavaScript
 * files (imports of `.ts` renamed `.js`), then `ncc build`, as the action would be built with it.
 */
function nccBundle(): string {
  const folder = join(root, "build", "bench-ncc");
  rmSync(folder, { recursive: true, force: true });
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
    );
  for (const file of walk(join(root, "src"))) {
    const target = join(folder, "src", relative(join(root, "src"), file)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(target), { recursive: true });
    const js = stripTypeScriptTypes(readFileSync(file, "utf8"), { mode: "strip" }).replace(
      /(from\s+|import\()(["'])(\.{1,2}\/[^"']+)\.ts\2/g,
      "$1$2$3.js$2",
    );
    writeFileSync(target, js);
  }
  writeFileSync(join(folder, "package.json"), '{ "type": "module" }\n');
  const ncc = join(root, "node_modules", "@vercel", "ncc", "dist", "ncc", "cli.js");
  execFileSync(
    process.execPath,
    [ncc, "build", join(folder, "src", "index.js"), "-o", join(folder, "dist"), "-q", "-m"],
    {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  return join(folder, "dist", "index.js");
}

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const mib = (kib: number | undefined) => (kib === undefined ? "n/a" : `${(kib / 1024).toFixed(1)} MiB`);

async function main(): Promise<void> {
  const simulator = await Simulator.start({
    rateLimit: { limit: 1_000_000, period: 3600, name: "action_connections" },
  });
  try {
    const fetchScript = join(work, "fetch.mjs");
    writeFileSync(fetchScript, FETCH_SCRIPT);
    const folder = clientFolder();
    const ncc = nccBundle();
    const url = `${simulator.url}/api/v2/actions/connections/${openai?.id}`;
    const keys = { PATH: process.env.PATH, DD_API_KEY: SIM_API_KEY, DD_APP_KEY: SIM_APP_KEY };
    const contenders: Record<string, () => Promise<Sample>> = {
      "(a) action: node dist/index.js": () =>
        measure(
          [process.execPath, join(root, "dist", "index.js")],
          actionEnv(simulator, { "connection-id": openai?.id ?? "", patch: stringify(ATTRIBUTES) }),
        ),
      "(b) bare fetch script": () => measure([process.execPath, fetchScript], { ...keys, URL: url }),
      ...(folder
        ? {
            "(c) @datadog/datadog-api-client": () =>
              measure([process.execPath, join(folder, "update.mjs")], {
                ...keys,
                BASE: simulator.url,
                ID: openai?.id ?? "",
              }),
          }
        : {}),
      "(d) the same source bundled by ncc": () =>
        measure(
          [process.execPath, ncc],
          actionEnv(simulator, { "connection-id": openai?.id ?? "", patch: stringify(ATTRIBUTES) }),
        ),
    };
    const samples = new Map<string, Sample[]>(Object.keys(contenders).map((name) => [name, []]));
    // One warm-up round, not counted: the first process of each pays for a cold file cache.
    for (const run of Object.values(contenders)) await run();
    for (let round = 0; round < RUNS; round++) {
      for (const [name, run] of Object.entries(contenders)) samples.get(name)?.push(await run());
    }

    const cpu = cpus()[0]?.model ?? "unknown CPU";
    console.log(
      `\nMachine: ${process.platform} ${process.arch}, ${cpus().length} cores, ${cpu}; Node ${process.versions.node}`,
    );
    console.log(`Median of ${RUNS} runs each, alternating; one PATCH to the simulator on 127.0.0.1.\n`);
    const rows = [...samples].map(([name, list]) => ({
      name,
      wall: median(list.map((sample) => sample.wallMs)),
      rss: hasTime ? median(list.map((sample) => sample.rssKiB ?? 0)) : undefined,
    }));
    for (const row of rows)
      console.log(`${row.name.padEnd(36)} ${seconds(row.wall).padStart(9)}  ${mib(row.rss).padStart(10)}`);
    const [a, b] = rows;
    const c = rows.find((row) => row.name.startsWith("(c)"));
    const d = rows.find((row) => row.name.startsWith("(d)"));
    if (a && b) {
      const memory = a.rss && b.rss ? (a.rss / b.rss).toFixed(2) : "n/a";
      console.log(`\na/b: wall ${(a.wall / b.wall).toFixed(2)} (goal ≤ 1.2), peak memory ${memory} (goal ≤ 1.3)`);
    }
    if (a && c) console.log(`c/a: wall ${(c.wall / a.wall).toFixed(1)} (goal ≥ 15)`);
    if (a && d) console.log(`d/a: wall ${(d.wall / a.wall).toFixed(2)} (ncc's bundle against esbuild's)`);

    const bundle = statSync(join(root, "dist", "index.js")).size;
    const download = execFileSync("sh", ["-c", "git archive --format=tar HEAD | gzip -9 | wc -c"], { cwd: root })
      .toString()
      .trim();
    const nccSize = statSync(ncc).size;
    console.log(
      `\ndist/index.js: ${(bundle / 1024).toFixed(0)} KiB (ncc's: ${(nccSize / 1024).toFixed(0)} KiB); download (git archive HEAD | gzip -9): ${(Number(download) / 1024).toFixed(0)} KiB (goal ≤ 1 MB)`,
    );

    // A 429: what the wait costs over a plain update.
    const plain = median(samples.get("(a) action: node dist/index.js")?.map((sample) => sample.wallMs) ?? [0]);
    const limited: number[] = [];
    for (let round = 0; round < 3; round++) {
      simulator.script({ kind: "rate-limit", reset: 1 });
      const sample = await measure(
        [process.execPath, join(root, "dist", "index.js")],
        actionEnv(simulator, { "connection-id": openai?.id ?? "", patch: stringify(ATTRIBUTES) }),
      );
      limited.push(sample.wallMs);
    }
    console.log(
      `429 with X-RateLimit-Reset: 1 → ${seconds(median(limited) - plain)} more than a plain update (goal ≤ 1.3 s)`,
    );

    await scaling(simulator);
  } finally {
    await simulator.close();
  }
  await fleet();
}

/** The fleet's rows: see scripts/bench-fleet.ts. */
async function fleet(): Promise<void> {
  const figures = await benchFleet();
  const requests = `${figures.gets} GET + ${figures.patches} PATCH`;
  console.log(`\nFleet of ${figures.connections} connections, limit ${figures.limit} requests/s (${requests}):`);
  console.log(
    `  one step (max-parallel 8): ${seconds(figures.wallMs)}; requests span ${seconds(figures.spanMs)}; ` +
      `floor ${seconds(figures.floorMs)}; span/floor ${(figures.spanMs / figures.floorMs).toFixed(2)} (goal ≤ 1.25)`,
  );
  console.log(`  429s: ${figures.tooMany} in all, ${figures.tooManyAfterFirstSecond} after the first second (goal 0)`);
  if (figures.sequentialMs !== undefined) {
    console.log(
      `  one process per connection, in sequence: ${seconds(figures.sequentialMs)} (${(figures.sequentialMs / figures.wallMs).toFixed(1)}× the one step)`,
    );
  }
}

/** Validation and masking stay linear: dry runs with many headers and large keys. */
async function scaling(simulator: Simulator): Promise<void> {
  // A file, not an input: a patch of 2,000 headers is larger than one environment variable may be.
  const dryRun = async (patch: object, id: string) => {
    writeFileSync(join(work, "patch.yml"), stringify(patch));
    const list: number[] = [];
    for (let round = 0; round < 5; round++) {
      const env = actionEnv(simulator, { "connection-id": id, "patch-file": "patch.yml", "dry-run": "true" });
      list.push((await measure([process.execPath, join(root, "dist", "index.js")], env)).wallMs);
    }
    return median(list);
  };
  const headers = (count: number) => ({
    integration: {
      type: "HTTP",
      credentials: {
        type: "HTTPTokenAuth",
        headers: Array.from({ length: count }, (_, index) => ({
          name: index % 2 ? `X-Api-Key-${index}` : `X-Trace-${index}`,
          value: `value-${index}-${"v".repeat(24)}`,
        })),
      },
    },
  });
  const key = (bytes: number) => {
    const body = Buffer.alloc((bytes * 3) / 4, 7)
      .toString("base64")
      .replace(/(.{64})/g, "$1\n");
    return {
      integration: {
        type: "GCP",
        credentials: {
          type: "GCPServiceAccount",
          private_key: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`,
        },
      },
    };
  };
  console.log("\nScaling (dry runs, median of 5; the increment is over the first row):");
  let first: number | undefined;
  for (const count of [10, 1000, 2000]) {
    const wall = await dryRun(headers(count), http?.id ?? "");
    first ??= wall;
    const each = count > 10 ? ` (+${((wall - first) / (count - 10)).toFixed(3)} ms a header)` : "";
    console.log(`  ${String(count).padStart(5)} headers: ${seconds(wall)}${each}`);
  }
  first = undefined;
  for (const size of [1024, 10_240, 102_400]) {
    const wall = await dryRun(key(size), gcp?.id ?? "");
    first ??= wall;
    const more = size > 1024 ? ` (+${(wall - first).toFixed(1)} ms)` : "";
    console.log(`  private key ${String(size / 1024).padStart(3)} KiB: ${seconds(wall)}${more}`);
  }
}

await main();
