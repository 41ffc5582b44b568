/**
 * `npm run demo`: the action end to end against the Datadog simulator, run as a GitHub runner runs
 * it (child process, INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files). Two runs:
 * rotate an OpenAI API token, then rotate an AWS external ID. Prints each step's log as the runner
 * shows it (masks applied), its outputs and its job summary; exits non-zero if a run fails.
 */
import { randomBytes } from "node:crypto";
import { KINDS, ROTATE_EXTERNAL_ID } from "../test/fixtures.ts";
import { type ActionRun, masked, runAction, summaryText } from "../test/harness/runner.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "../test/simulator/server.ts";

interface Demo {
  title: string;
  credentialType: string;
  patch: string;
  /** The step's `env:`, where `!env NAME` in the patch reads NAME (in a workflow, set from a secret). */
  env?: Record<string, string>;
}

const DEMOS: Demo[] = [
  {
    title: "Rotate an OpenAI API token",
    credentialType: "OpenAIAPIKey",
    patch: [
      "integration:",
      "  type: OpenAI",
      "  credentials:",
      "    type: OpenAIAPIKey",
      "    api_token: !env OPENAI_API_KEY",
      "",
    ].join("\n"),
    env: { OPENAI_API_KEY: `sk-proj-demo${randomBytes(12).toString("hex")}` },
  },
  {
    title: "Rotate the AWS external ID",
    credentialType: "AWSAssumeRole",
    patch: ROTATE_EXTERNAL_ID,
  },
];

const indent = (text: string, prefix = "  ") =>
  text
    .split("\n")
    .map((line) => (line === "" ? "" : `${prefix}${line}`))
    .join("\n");

function heading(text: string): void {
  const line = "═".repeat(Math.max(60, text.length + 4));
  console.log(`\n${line}\n  ${text}\n${line}`);
}

function section(title: string, body: string): void {
  console.log(`\n── ${title}`);
  console.log(body.trim() === "" ? "  (none)" : indent(body));
}

function connectionId(credentialType: string): string {
  const kind = KINDS.find((candidate) => candidate.kind.type === credentialType);
  if (!kind) throw new Error(`no sample connection for ${credentialType}`);
  return kind.id;
}

function credentialsOf(data: Record<string, unknown> | undefined): Record<string, unknown> {
  const attributes = data?.attributes as { integration?: { credentials?: Record<string, unknown> } } | undefined;
  return attributes?.integration?.credentials ?? {};
}

async function demo(simulator: Simulator, number: number, entry: Demo): Promise<ActionRun> {
  const id = connectionId(entry.credentialType);
  const before = credentialsOf(simulator.connection(id));
  const seen = simulator.requests.length;
  const run = await runAction({
    inputs: {
      "connection-id": id,
      patch: entry.patch,
      "api-url": simulator.url,
      "api-key": SIM_API_KEY,
      "app-key": SIM_APP_KEY,
    },
    ...(entry.env ? { env: entry.env } : {}),
  });
  const after = credentialsOf(simulator.connection(id));

  heading(`Run ${number}: ${entry.title}`);
  // As in a workflow: the patch names the variable; its value, set from a secret, does not show.
  const env = Object.keys(entry.env ?? {}).map((name) => `${name}: \${{ secrets.${name} }}`);
  section(
    "Inputs",
    `${env.length > 0 ? `env:\n${indent(env.join("\n"))}\n` : ""}connection-id: ${id}\napi-url: ${simulator.url}\npatch: |\n${indent(masked(entry.patch, run.masks).trimEnd())}`,
  );
  section("Log", run.maskedLog);
  section(
    "Outputs",
    Object.entries(run.outputs)
      .map(([name, value]) => `${name}: ${value}`)
      .join("\n"),
  );
  section("Job summary", summaryText(run.summary));
  const received = simulator.requests.slice(seen).map((request) => `${request.method} ${request.path}`);
  const changes: string[] = [];
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[name] === after[name]) continue;
    // The simulator stores what Datadog would: show that the secret changed, not what it is.
    const secret = run.masks.some((mask) => String(after[name]).includes(mask));
    changes.push(
      secret ? `${name}: changed (a secret)` : `${name}: ${String(before[name] ?? "(none)")} → ${String(after[name])}`,
    );
  }
  section("Datadog (simulator)", [`received: ${received.join(", ") || "nothing"}`, ...changes].join("\n"));
  const ok = run.exitCode === 0;
  const how = run.signal ? `signal ${run.signal}` : `exit code ${run.exitCode}`;
  console.log(`\n${ok ? "✔ success" : "✘ FAILED"} (${how}, ${(run.durationMs / 1000).toFixed(2)} s)`);
  if (!ok && run.stderr.trim() !== "") section("stderr (raw)", masked(run.stderr, run.masks));
  return run;
}

const simulator = await Simulator.start();
let failed = 0;
try {
  console.log(`Datadog simulator listening on ${simulator.url}`);
  for (const [index, entry] of DEMOS.entries()) {
    const run = await demo(simulator, index + 1, entry);
    if (run.exitCode !== 0) failed++;
  }
} finally {
  await simulator.close();
}
console.log(failed === 0 ? "\nBoth runs succeeded." : `\n${failed} of ${DEMOS.length} runs failed.`);
process.exitCode = failed === 0 ? 0 : 1;
