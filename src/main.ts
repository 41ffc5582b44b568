/**
 * The order of work (contract, behaviour 1): read inputs; read every document; mask every secret;
 * validate; build the requests; read current state where a plan or a skip needs it; in a dry run
 * show the plan and stop; send; read the answers; set outputs; write the summary.
 * One connection is a fleet of one: both modes take the same path from documents to results.
 */
import * as core from "@actions/core";
import { readAnswer } from "./answer.ts";
import { DatadogClient } from "./datadog/client.ts";
import { RateGate } from "./datadog/rate-gate.ts";
import { realClock } from "./datadog/retry.ts";
import { execute, type Job, type JobOutcome } from "./fleet/execute.ts";
import { resultLines } from "./fleet/lines.ts";
import { type Inputs, readGitHubToken, readInputs, readKeys, readSources } from "./inputs.ts";
import { parseSources, refuseTooDeep, toJobs } from "./jobs.ts";
import * as log from "./log.ts";
import {
  type Commenter,
  changesOf,
  commenter,
  fail,
  flushWarnings,
  reportFleet,
  reportOne,
  setResultsOutput,
  warnDifferences,
  warnDocument,
} from "./reporting.ts";
import { findSecrets, redact, SecretRegistry } from "./secrets.ts";
import { ACTION_NAME, ACTION_VERSION } from "./version.ts";

export async function run(): Promise<void> {
  const secrets = new SecretRegistry(core.setSecret);
  const cancel = new AbortController();
  // A cancelled workflow: the runner sends SIGINT, then SIGTERM. The reason names it in the message.
  const onSignal = (signal: NodeJS.Signals) => cancel.abort(signal);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // The pull-request comment, once the inputs that ask for it are read: it reports a refusal too.
  let comment: Commenter | undefined;
  let fleet = core.getInput("connections").trim() !== "";
  try {
    const keys = readKeys(core.getInput, process.env);
    secrets.register([keys.apiKey, keys.appKey, readGitHubToken(core.getInput)].filter(Boolean));
    // Every document's secrets are masked before anything is printed, a refusal of another input included.
    const sources = await readSources(core.getInput, process.env);
    // A value read with `!env` is masked the moment it is read, whatever field it stands in.
    // In a dry run, a variable that is not set is a value the plan cannot know, not a refusal.
    const lenient = /^(true|True|TRUE)$/.test(core.getInput("dry-run").trim());
    const onRead = (value: string) => secrets.register([value], true);
    const documents = parseSources(sources, { env: process.env, onRead, lenient });
    // Before any walk of a document (findSecrets recurses): data nested past MAX_DEPTH is refused.
    refuseTooDeep(documents);
    for (const document of documents) secrets.register(findSecrets(document.parsed.value));
    // Known from the input already (for a refusal's heading); the sources say it for good.
    fleet = sources[0]?.input === "connections";
    const inputs = readInputs(core.getInput, process.env, keys, fleet);
    comment = commenter(inputs, core.getInput(fleet ? "connections" : "connection-id"), secrets, cancel.signal);
    const jobs = toJobs(documents, inputs.connectionId);
    for (const document of documents) warnDocument(document);

    announce(inputs, jobs, sources.length, secrets);
    // A dry run without keys (a fork's pull request) checks offline; with keys, it reads the plan.
    const offline = inputs.dryRun && !(inputs.apiKey && inputs.appKey);
    const client = offline ? undefined : makeClient(inputs, fleet, cancel.signal, secrets);
    const outcomes = new Map<Job, JobOutcome>();
    const results = await execute(jobs, {
      api: client,
      dryRun: inputs.dryRun,
      maxParallel: inputs.maxParallel,
      readAnswer,
      signal: cancel.signal,
      onResult: (result, job, outcome) => {
        outcomes.set(job, outcome);
        // As soon as it is known: whatever fails later, the log says what was applied.
        if (fleet || (inputs.dryRun && !offline)) {
          for (const line of resultLines(result)) log.info(secrets.scrubMessage(line));
        }
        const document = documents[jobs.indexOf(job)];
        if (outcome.response && document) warnDifferences(job, document, outcome);
      },
    }).finally(() => client?.close());
    flushWarnings();
    setResultsOutput(results, secrets);
    if (fleet) await reportFleet(inputs, results, outcomes, secrets);
    else await reportOne(inputs, jobs[0] as Job, outcomes.get(jobs[0] as Job) as JobOutcome, secrets);
    await comment(results);
  } catch (error) {
    const messages = await fail(error, secrets, fleet);
    await comment?.([], messages);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function makeClient(inputs: Inputs, fleet: boolean, signal: AbortSignal, secrets: SecretRegistry): DatadogClient {
  return new DatadogClient({
    baseUrl: inputs.baseUrl,
    apiKey: inputs.apiKey,
    appKey: inputs.appKey,
    userAgent: `${ACTION_NAME}/${ACTION_VERSION} (node ${process.versions.node})`,
    where: fleet ? { ...inputs.where, idFrom: "the id in the connection file" } : inputs.where,
    maxRetries: inputs.maxRetries,
    timeoutMs: inputs.timeoutMs,
    // The whole step, every connection's requests and waits, within timeout-seconds.
    deadline: Date.now() + inputs.timeoutMs,
    ...(fleet ? { gate: new RateGate(realClock) } : {}),
    signal,
    // Retry lines quote Datadog's headers and detail: scrubbed as server text.
    info: (line) => log.info(secrets.scrubMessage(line)),
    debug: (line) => log.debug(secrets.scrubMessage(line)),
  });
}

/** What the step is about to do, before any request. */
function announce(inputs: Inputs, jobs: readonly Job[], files: number, secrets: SecretRegistry): void {
  const { where } = inputs;
  if (inputs.connectionId === undefined) {
    const verb = inputs.dryRun ? "Planning" : "Applying";
    log.info(
      `${verb} ${jobs.length} connection${jobs.length === 1 ? "" : "s"} from ${files} file${files === 1 ? "" : "s"} on ${where.label}` +
        `${inputs.dryRun ? " (dry run: nothing is sent)" : `, at most ${inputs.maxParallel} requests at a time`}.`,
    );
    return;
  }
  const job = jobs[0] as Job;
  const fields = changesOf(job).map((change) => change.path);
  log.info(
    `${inputs.dryRun ? "Would update" : "Updating"} connection ${inputs.connectionId} on ${where.label}: ` +
      `setting ${fields.join(", ")}`,
  );
  if (inputs.dryRun) {
    log.info(
      secrets.scrubMessage(
        `Dry run: nothing sent. The request would be:\n${JSON.stringify(redact(job.request, job.fromEnv), null, 2)}`,
      ),
    );
  }
}
