/**
 * The order of work (contract, behaviour 1): read inputs; read every document; mask every secret;
 * validate; build the requests; read current state where a plan or a skip needs it; in a dry run
 * show the plan and stop; send; read the answers; set outputs; write the summary.
 * One connection is a fleet of one: both modes take the same path from documents to results.
 */
import * as core from "@actions/core";
import { appliedButUnreadable, readAnswer } from "./answer.ts";
import { postComment } from "./comment.ts";
import { differences } from "./compare.ts";
import { DatadogClient } from "./datadog/client.ts";
import { RateGate } from "./datadog/rate-gate.ts";
import { realClock } from "./datadog/retry.ts";
import { MAX_DEPTH, tooDeepAt } from "./depth.ts";
import { describeUnexpected, Failure, type Outcome, type Problem } from "./failure.ts";
import { execute, type Job, type JobOutcome } from "./fleet/execute.ts";
import { isFailure, resultLines, totalsLine } from "./fleet/lines.ts";
import { type Inputs, readGitHubToken, readInputs, readKeys, readSources } from "./inputs.ts";
import { type ParsedDocument, parseSources, problemAt, toJobs, withPath } from "./jobs.ts";
import * as log from "./log.ts";
import { listChanges } from "./patch/changes.ts";
import { LITERAL_SECRET_MESSAGE, literalSecrets } from "./patch/literal-secrets.ts";
import { formatPath, valueAt } from "./paths.ts";
import { renderReport } from "./render.ts";
import {
  type Connection,
  MAX_SUMMARY_BYTES,
  readConnection,
  setOutputs,
  writeFailureSummary,
  writeSummary,
} from "./report.ts";
import { type ConnectionResult, resultsOutput } from "./result.ts";
import { workflowRunUrl } from "./run-link.ts";
import { findSecrets, redact, SecretRegistry } from "./secrets.ts";
import { collapseSpace } from "./text.ts";
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
  try {
    const keys = readKeys(core.getInput, process.env);
    secrets.register([keys.apiKey, keys.appKey, readGitHubToken(core.getInput)].filter(Boolean));
    // Every document's secrets are masked before anything is printed, a refusal of another input included.
    const sources = readSources(core.getInput, process.env);
    // A value read with `!env` is masked the moment it is read, whatever field it stands in.
    // In a dry run, a variable that is not set is a value the plan cannot know, not a refusal.
    const lenient = /^(true|True|TRUE)$/.test(core.getInput("dry-run").trim());
    const onRead = (value: string) => secrets.register([value]);
    const documents = parseSources(sources, { env: process.env, onRead, lenient });
    // Before any walk of a document (findSecrets recurses): data nested past MAX_DEPTH is refused.
    refuseTooDeep(documents);
    for (const document of documents) secrets.register(findSecrets(document.parsed.value));
    const fleet = sources[0]?.input === "connections";
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
    setResultsOutput(results, secrets);
    if (fleet) await reportFleet(inputs, results, outcomes, secrets);
    else await reportOne(inputs, jobs[0] as Job, outcomes.get(jobs[0] as Job) as JobOutcome, secrets);
    await comment(results);
  } catch (error) {
    const messages = await fail(error, secrets);
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
    where: inputs.where,
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

/** A document nested deeper than any connection is refused; the message quotes no key (it may be a secret). */
function refuseTooDeep(documents: readonly ParsedDocument[]): void {
  const problems = documents.flatMap(({ source, parsed }) => {
    const deep = tooDeepAt(parsed.value);
    if (!deep) return [];
    // Positions in a document the parser refused mean little (its value is what could be salvaged).
    const position = parsed.problems.length === 0 ? parsed.locate(deep) : undefined;
    return [
      problemAt(source, position, `nests deeper than ${MAX_DEPTH} levels; no field of a connection is that deep.`),
    ];
  });
  if (problems.length > 0) throw new Failure(problems);
}

/** What a document sets, as the one-connection summary lists it. */
const changesOf = (job: Job) => listChanges(job.request.data.attributes, job.fromEnv);

/**
 * Warnings on a document's lines: a variable a dry run found unset, whose value the plan cannot know;
 * and, for a file kept in a repository, each credential written in clear.
 */
function warnDocument({ source, parsed }: ParsedDocument): void {
  const name = source.input === "connections" ? (source.file ?? source.input) : source.input;
  for (const missing of parsed.envMissing) {
    log.warning(
      `${name}: ${withPath(missing.path, `!env ${missing.name}: the environment variable ${missing.name} is not set; the plan takes its value as unknown (•••• will be written), and the apply will need it set`)}`,
      {
        title: "Variable not set",
        ...(source.file ? { file: source.file } : {}),
        startLine: missing.position.line,
        startColumn: missing.position.column,
      },
    );
  }
  if (!source.file) return;
  for (const found of literalSecrets(parsed)) {
    const where = found.position ? { startLine: found.position.line, startColumn: found.position.column } : {};
    log.warning(`${name}: ${withPath(found.path, LITERAL_SECRET_MESSAGE)}`, {
      title: "Credential in clear",
      file: source.file,
      ...where,
    });
  }
}

/** The `results` output: secret values never stand in it, but a name may repeat one. */
function setResultsOutput(results: readonly ConnectionResult[], secrets: SecretRegistry): void {
  core.setOutput("results", secrets.scrub(JSON.stringify(resultsOutput(results))));
}

/**
 * One-connection mode: the outputs of Datadog's answer, the summary of that connection, or the
 * failure as the client described it.
 */
async function reportOne(inputs: Inputs, job: Job, outcome: JobOutcome, secrets: SecretRegistry): Promise<void> {
  const { result, answer, response } = outcome;
  const integration = job.request.data.attributes.integration?.type;
  const rotated = valueAt(job.request, EXTERNAL_ID_FLAG) === true;
  if (outcome.problems) {
    // Applied, but the answer could not be read: the one output known is the id that was sent.
    if (result.status === "updated") core.setOutput("connection-id", job.id);
    // Reported as any failure is; the comment that follows still shows the connection's record.
    await fail(new Failure(outcome.problems, OUTCOME_OF[result.status] ?? "not-updated"), secrets);
    return;
  }
  if (inputs.dryRun) {
    await summarize(secrets, {
      dryRun: true,
      connectionId: job.id,
      site: inputs.where.label,
      integration,
      changes: changesOf(job),
      request: redact(job.request, job.fromEnv),
    });
    return;
  }
  if (!answer || !response) return;
  let connection: Connection;
  try {
    connection = readConnection(response.data);
  } catch (error) {
    // Whatever fails in reading a 2xx answer, the user must learn that the update was applied.
    log.debug(describeUnexpected(error));
    core.setOutput("connection-id", job.id);
    const kind = error instanceof Error ? error.name : typeof error;
    await fail(appliedButUnreadable(answer.status, rotated, `the action could not read its answer (${kind})`), secrets);
    return;
  }
  // Text from Datadog's answer is quoted as JSON in the log (one line, however many it holds); log.ts
  // neutralises any workflow command in it.
  log.info(
    `Datadog answered ${answer.status} after ${answer.attempts} attempt${answer.attempts === 1 ? "" : "s"} ` +
      `(${(answer.elapsedMs / 1000).toFixed(2)} s): connection ${secrets.scrubMessage(JSON.stringify(connection.name))} (${secrets.scrubMessage(collapseSpace(connection.integrationType))}) is updated.`,
  );
  if (answer.earlierMayHaveApplied && rotated) {
    log.info(
      "An earlier attempt may also have generated an external ID; the external-id output is the one in Datadog's last answer, which is current.",
    );
  }
  setOutputs(connection, (text) => secrets.scrub(text));
  await summarize(secrets, {
    dryRun: false,
    connectionId: connection.id,
    site: inputs.where.label,
    integration,
    changes: changesOf(job),
    connection,
  });
}

/** What the failure summary's heading says, from a failed connection's status. */
const OUTCOME_OF: Partial<Record<ConnectionResult["status"], Outcome>> = {
  updated: "updated",
  unknown: "unknown",
  "not-sent": "not-sent",
  failed: "not-updated",
};

/** Fleet mode: the count, an annotation for each connection that failed, the summary; exit 1 if any failed. */
async function reportFleet(
  inputs: Inputs,
  results: readonly ConnectionResult[],
  outcomes: ReadonlyMap<Job, JobOutcome>,
  secrets: SecretRegistry,
): Promise<void> {
  log.info(totalsLine(results));
  const problems = [...outcomes.values()].flatMap(({ result, problems: said }) => {
    if (!isFailure(result.status) && !said) return [];
    const title = said?.[0]?.title ?? (result.status === "not-sent" ? "Not sent" : "Connection failed");
    const line = resultLines({ ...result, fields: [] })[0] ?? "";
    return [
      {
        title,
        message: line,
        ...(result.file ? { file: result.file } : {}),
        ...(result.line ? { line: result.line } : {}),
      },
    ];
  });
  annotate(problems, secrets);
  if (problems.length > 0) process.exitCode = core.ExitCode.Failure;
  const report = { dryRun: inputs.dryRun, site: inputs.where.label, results, runUrl: workflowRunUrl() };
  const scrub = (text: string) => secrets.scrub(text);
  await writeSummarySafely(async () => {
    const text = renderReport(report, { maxBytes: MAX_SUMMARY_BYTES, moreWhere: "the log", scrub });
    await core.summary.emptyBuffer().addRaw(text).write();
  });
}

/** Posts the report (or the refusal) as the pull-request comment; never fails the step. */
type Commenter = (results: readonly ConnectionResult[], problems?: readonly string[]) => Promise<void>;

function commenter(inputs: Inputs, subject: string, secrets: SecretRegistry, signal: AbortSignal): Commenter {
  return (results, problems) =>
    postComment({
      enabled: inputs.comment,
      token: inputs.githubToken,
      subject: { input: inputs.connectionId === undefined ? "connections" : "connection-id", value: subject.trim() },
      report: {
        dryRun: inputs.dryRun,
        site: inputs.where.label,
        results,
        runUrl: workflowRunUrl(),
        ...(problems ? { problems } : {}),
      },
      scrub: (text) => secrets.scrub(text),
      signal,
    });
}

const EXTERNAL_ID_FLAG = ["data", "attributes", "integration", "credentials", "generate_new_external_id"];

/** A warning for each field where Datadog's answer differs from what was sent, at the document's line. */
function warnDifferences(job: Job, document: ParsedDocument, outcome: JobOutcome): void {
  const attributes = outcome.response?.data.attributes;
  if (!attributes) return;
  // Paths as the document wrote them: under data.attributes only if it was a whole request document.
  const whole = valueAt(document.parsed.value, ["data"]) !== undefined;
  for (const path of differences(job.request.data.attributes, attributes)) {
    const documentPath = whole ? ["data", "attributes", ...path] : path;
    const position = document.parsed.locate(documentPath);
    const file = document.source.file;
    const where = position && file ? { file, startLine: position.line, startColumn: position.column } : {};
    const subject = document.source.input === "connections" ? `${file}: connection ${job.id}: ` : "";
    log.warning(
      `${subject}Datadog's answer differs from the patch at ${formatPath(documentPath)}; check the connection in Datadog.`,
      { title: "Answer differs from the patch", ...where },
    );
  }
}

async function summarize(secrets: SecretRegistry, facts: Omit<Parameters<typeof writeSummary>[0], "runUrl">) {
  await writeSummarySafely(() => writeSummary({ ...facts, runUrl: workflowRunUrl() }, (text) => secrets.scrub(text)));
}

/**
 * The summary is a report, not the work: failing to write it must not turn a done update into a
 * failed step (a scheduled rotation would then be run again).
 */
async function writeSummarySafely(write: () => Promise<void>): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    await write();
  } catch {
    log.warning("Could not write the job summary (GITHUB_STEP_SUMMARY); the log has the same facts.", {
      title: "No job summary",
    });
  }
}

/**
 * Reports a failure: each problem as an error annotation (at its file and line) and in the job
 * summary, where a person reading a scheduled run's page looks first; exit code 1.
 */
async function fail(error: unknown, secrets: SecretRegistry): Promise<string[]> {
  if (!(error instanceof Failure)) log.debug(describeUnexpected(error));
  const problems: readonly Problem[] =
    error instanceof Failure
      ? error.problems
      : [
          {
            // A library error's message may quote input (a header value, a line of YAML): name its kind only.
            title: "Unexpected error",
            message: `Unexpected ${error instanceof Error ? error.name : typeof error}; nothing in the patch was shown. Run again with debug logging, and report it if it persists.`,
          },
        ];
  // Datadog's detail may quote what it was sent: the runner masks it, and so do we, in case it does not.
  const messages = annotate(problems, secrets);
  // What setFailed does, with the annotation properties it cannot take.
  process.exitCode = core.ExitCode.Failure;
  const outcome = error instanceof Failure ? error.outcome : "not-updated";
  await writeSummarySafely(() => writeFailureSummary(messages, workflowRunUrl(), outcome));
  return messages;
}

/** Problems listed in the log, the annotations and the summary; the rest are counted. */
const MAX_PROBLEMS = 30;

/**
 * An error annotation for each problem (at its file and line), at most MAX_PROBLEMS, then one line for
 * the rest: a patch of 20,000 unknown keys must not write 20,000 annotations (GitHub shows 10 a step)
 * and megabytes of log. Returns the messages written, scrubbed.
 */
function annotate(problems: readonly Problem[], secrets: SecretRegistry): string[] {
  const listed = problems.slice(0, MAX_PROBLEMS);
  const messages = listed.map((problem) => secrets.scrubMessage(problem.message));
  for (const [index, problem] of listed.entries()) {
    log.error(messages[index] ?? "", {
      title: problem.title,
      ...(problem.file ? { file: problem.file } : {}),
      ...(problem.line ? { startLine: problem.line } : {}),
      ...(problem.column ? { startColumn: problem.column } : {}),
    });
  }
  const rest = problems.length - listed.length;
  if (rest > 0) {
    const more = `and ${rest} more problem${rest === 1 ? "" : "s"}, not listed; fix those above and run again to see them.`;
    messages.push(more);
    log.error(more, { title: listed[0]?.title ?? "Invalid patch" });
  }
  return messages;
}
