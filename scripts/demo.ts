/**
 * `npm run demo`: the action end to end against the Datadog simulator, run as a GitHub runner runs
 * it (child process, INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files). Three runs:
 * rotate an OpenAI API token, rotate an AWS external ID, then a dry run of a patch file with a typo,
 * refused with an annotation at the file's line as a pull request shows it; then a fourth, the plan of
 * a fleet of connection files against Datadog, as a pull request's plan step runs it. Prints each
 * step's log as the runner shows it (masks applied), its outputs and its job summary; exits non-zero if
 * a run does not end as it should (the first two succeed, the third is refused and sends nothing, the
 * fourth reads and sends nothing).
 */
import { randomBytes } from "node:crypto";
import { KINDS, ROTATE_EXTERNAL_ID } from "../test/fixtures.ts";
import { type ActionRun, masked, runAction, summaryText } from "../test/harness/runner.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "../test/simulator/server.ts";

interface Demo {
  title: string;
  credentialType: string;
  patch: string;
  /** Given: the patch is this file of the workspace (`patch-file`), checked in a dry run that must be refused. */
  refusedFile?: string;
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
  {
    title: "A pull request's dry run of a patch file with a typo: refused, nothing sent",
    credentialType: "OpenAIAPIKey",
    refusedFile: ".datadog/connections/openai.yml",
    patch: [
      "# yaml-language-server: $schema=../../schema/patch.schema.json",
      "name: Production OpenAI",
      "tags:",
      "  - team:platform",
      "integration:",
      "  type: OpenAI",
      "  credentials:",
      "    type: OpenAIAPIKey",
      "    api_tokn: sk-proj-demo-typo-in-the-field-name",
      "",
    ].join("\n"),
  },
];

/** The file as a pull request's "Files changed" tab shows it, with each error annotation under its line. */
function annotatedFile(path: string, text: string, run: ActionRun): string {
  const errors = run.commands.filter((command) => command.command === "error" && command.properties.file === path);
  const lines = masked(text, run.masks).trimEnd().split("\n");
  const out = [path];
  for (const [index, line] of lines.entries()) {
    out.push(`${String(index + 1).padStart(3)} │ ${line}`);
    for (const error of errors.filter((candidate) => Number(candidate.properties.line) === index + 1)) {
      const column = Number(error.properties.col ?? 1);
      out.push(
        `    │ ${" ".repeat(Math.max(0, column - 1))}^ ✘ ${error.properties.title ?? "Error"}: ${error.message}`,
      );
    }
  }
  return out.join("\n");
}

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

/** What a step shows first: its log as the runner shows it, then its outputs. */
function logAndOutputs(run: ActionRun): void {
  section("Log", run.maskedLog);
  section(
    "Outputs",
    Object.entries(run.outputs)
      .map(([name, value]) => `${name}: ${value}`)
      .join("\n"),
  );
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

async function demo(simulator: Simulator, number: number, entry: Demo): Promise<{ run: ActionRun; ok: boolean }> {
  const id = connectionId(entry.credentialType);
  const before = credentialsOf(simulator.connection(id));
  const seen = simulator.requests.length;
  const run = await runAction({
    inputs: {
      "connection-id": id,
      ...(entry.refusedFile ? { "patch-file": entry.refusedFile, "dry-run": "true" } : { patch: entry.patch }),
      "api-url": simulator.url,
      "api-key": SIM_API_KEY,
      "app-key": SIM_APP_KEY,
    },
    ...(entry.refusedFile ? { workspaceFiles: { [entry.refusedFile]: entry.patch } } : {}),
    ...(entry.env ? { env: entry.env } : {}),
  });
  const after = credentialsOf(simulator.connection(id));

  heading(`Run ${number}: ${entry.title}`);
  // As in a workflow: the patch names the variable; its value, set from a secret, does not show.
  const env = Object.keys(entry.env ?? {}).map((name) => `${name}: \${{ secrets.${name} }}`);
  section(
    "Inputs",
    entry.refusedFile
      ? `connection-id: ${id}\napi-url: ${simulator.url}\npatch-file: ${entry.refusedFile}\ndry-run: true`
      : `${env.length > 0 ? `env:\n${indent(env.join("\n"))}\n` : ""}connection-id: ${id}\napi-url: ${simulator.url}\npatch: |\n${indent(masked(entry.patch, run.masks).trimEnd())}`,
  );
  logAndOutputs(run);
  section("Job summary", summaryText(run.summary));
  if (entry.refusedFile) section("In the pull request", annotatedFile(entry.refusedFile, entry.patch, run));
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
  const how = run.signal ? `signal ${run.signal}` : `exit code ${run.exitCode}`;
  const seconds = (run.durationMs / 1000).toFixed(2);
  if (entry.refusedFile) {
    const annotated = run.commands.some(
      (command) =>
        command.command === "error" && command.properties.file === entry.refusedFile && command.properties.line,
    );
    const ok = run.exitCode === 1 && annotated && received.length === 0;
    console.log(
      `\n${ok ? "✔ refused as it should be, nothing sent" : "✘ NOT REFUSED AS EXPECTED"} (${how}, ${seconds} s)`,
    );
    return { run, ok };
  }
  const ok = run.exitCode === 0;
  console.log(`\n${ok ? "✔ success" : "✘ FAILED"} (${how}, ${seconds} s)`);
  if (!ok && run.stderr.trim() !== "") section("stderr (raw)", masked(run.stderr, run.masks));
  return { run, ok };
}

/** The plan of two connection files, as a pull request's plan step runs it: reads only, sends nothing. */
async function fleetPlan(simulator: Simulator, number: number): Promise<boolean> {
  const files = {
    ".datadog/connections/openai.yml": [
      "# yaml-language-server: $schema=../../schema/connection.schema.json",
      `id: ${connectionId("OpenAIAPIKey")}`,
      "name: Production OpenAI",
      "tags: [team:platform]",
      "integration:",
      "  type: OpenAI",
      "  credentials:",
      "    type: OpenAIAPIKey",
      "    api_token: !env OPENAI_API_KEY",
      "",
    ].join("\n"),
    ".datadog/connections/payments.yml": [
      `id: ${connectionId("HTTPTokenAuth")}`,
      "tags: [team:platform]",
      "---",
      `id: ${connectionId("OktaAPIToken")}`,
      "name: Okta (acme)",
      "",
    ].join("\n"),
  };
  const seen = simulator.requests.length;
  const inputs = { connections: ".datadog/connections/*.yml", "dry-run": "true" };
  const run = await runAction({
    inputs: { ...inputs, "api-url": simulator.url, "api-key": SIM_API_KEY, "app-key": SIM_APP_KEY },
    workspaceFiles: files,
  });
  heading(`Run ${number}: a pull request's plan of connection files against Datadog`);
  section(
    "Files",
    Object.entries(files)
      .map(([path, text]) => `${path}\n${indent(text.trimEnd())}`)
      .join("\n"),
  );
  section("Inputs", `connections: ${inputs.connections}\ndry-run: true\napi-url: ${simulator.url}`);
  logAndOutputs(run);
  section("Job summary (and the pull-request comment, with comment: true)", summaryText(run.summary));
  const received = simulator.requests.slice(seen).map((request) => `${request.method} ${request.path}`);
  section("Datadog (simulator)", `received: ${received.join(", ") || "nothing"}`);
  const ok = run.exitCode === 0 && received.length > 0 && received.every((request) => request.startsWith("GET "));
  console.log(`\n${ok ? "✔ planned: read, nothing sent" : "✘ NOT PLANNED AS EXPECTED"} (exit code ${run.exitCode})`);
  return ok;
}

const simulator = await Simulator.start();
let failed = 0;
const runs = DEMOS.length + 1;
try {
  console.log(`Datadog simulator listening on ${simulator.url}`);
  for (const [index, entry] of DEMOS.entries()) {
    const { ok } = await demo(simulator, index + 1, entry);
    if (!ok) failed++;
  }
  if (!(await fleetPlan(simulator, runs))) failed++;
} finally {
  await simulator.close();
}
console.log(
  failed === 0 ? `\nAll ${runs} runs ended as they should.` : `\n${failed} of ${runs} runs did not end as they should.`,
);
process.exitCode = failed === 0 ? 0 : 1;
