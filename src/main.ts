/**
 * The order of work (contract, behaviour 1): read inputs; read every document; mask every secret;
 * validate; build the requests; read current state where a plan or a skip needs it; in a dry run
 * show the plan and stop; send; read the answers; set outputs; write the summary.
 * One connection is a fleet of one: both modes take the same path from documents to results.
 */
import * as core from "@actions/core";
import { readAnswer } from "./answer.ts";
import { postComment } from "./comment.ts";
import { differences } from "./compare.ts";
import { DatadogClient } from "./datadog/client.ts";
import { RateGate } from "./datadog/rate-gate.ts";
import { realClock } from "./datadog/retry.ts";
import { describeUnexpected, Failure, type Problem } from "./failure.ts";
import { execute, type Job, type JobOutcome } from "./fleet/execute.ts";
import { isFailure, resultLines, totalsLine } from "./fleet/lines.ts";
import { type Inputs, readGitHubToken, readInputs, readKeys, readSources } from "./inputs.ts";
import { type ParsedDocument, parseSources, toJobs, withPath } from "./jobs.ts";
import { listChanges } from "./patch/changes.ts";
import { LITERAL_SECRET_MESSAGE, literalSecrets } from "./patch/literal-secrets.ts";
import { formatPath, valueAt } from "./paths.ts";
import { renderReport, SUMMARY_MAX_BYTES } from "./render.ts";
import { readConnection, setOutputs, writeFailureSummary, writeSummary } from "./report.ts";
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
    const documents = parseSources(sources, { env: process.env, onRead: (value) => secrets.register([value]) });
    for (const document of documents) secrets.register(findSecrets(document.parsed.value));
    const fleet = sources[0]?.input === "connections";
    const inputs = readInputs(core.getInput, process.env, keys, fleet);
    comment = commenter(inputs, core.getInput(fleet ? "connections" : "connection-id"), secrets, cancel.signal);
    const jobs = toJobs(documents, inputs.connectionId);
    for (const document of documents) warnLiteralSecrets(document);

    announce(inputs, jobs, sources.length, secrets);
    // A dry run without keys (a fork's pull request) checks offline; with keys, it reads the plan.
    const offline = inputs.dryRun && !(inputs.apiKey && inputs.appKey);
    const client = offline ? undefined : makeClient(inputs, fleet, cancel.signal);
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
          for (const line of resultLines(result)) core.info(secrets.scrubMessage(line));
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

function makeClient(inputs: Inputs, fleet: boolean, signal: AbortSignal): DatadogClient {
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
    info: core.info,
    debug: core.debug,
  });
}

/** What the step is about to do, before any request. */
function announce(inputs: Inputs, jobs: readonly Job[], files: number, secrets: SecretRegistry): void {
  const { where } = inputs;
  if (inputs.connectionId === undefined) {
    const verb = inputs.dryRun ? "Planning" : "Applying";
    core.info(
      `${verb} ${jobs.length} connection${jobs.length === 1 ? "" : "s"} from ${files} file${files === 1 ? "" : "s"} on ${where.label}` +
        `${inputs.dryRun ? " (dry run: nothing is sent)" : `, at most ${inputs.maxParallel} requests at a time`}.`,
    );
    return;
  }
  const job = jobs[0] as Job;
  const fields = changesOf(job).map((change) => change.path);
  core.info(
    `${inputs.dryRun ? "Would update" : "Updating"} connection ${inputs.connectionId} on ${where.label}: ` +
      `setting ${fields.join(", ")}`,
  );
  if (inputs.dryRun) {
    core.info(
      secrets.scrubMessage(
        `Dry run: nothing sent. The request would be:\n${JSON.stringify(redact(job.request, job.fromEnv), null, 2)}`,
      ),
    );
  }
}

/** What a document sets, as the one-connection summary lists it. */
const changesOf = (job: Job) => listChanges(job.request.data.attributes, job.fromEnv);

/** A file kept in a repository should not hold a credential: each one written in clear gets a warning on its line. */
function warnLiteralSecrets({ source, parsed }: ParsedDocument): void {
  if (!source.file) return;
  for (const found of literalSecrets(parsed)) {
    const where = found.position ? { startLine: found.position.line, startColumn: found.position.column } : {};
    const name = source.input === "connections" ? source.file : source.input;
    core.warning(`${name}: ${withPath(found.path, LITERAL_SECRET_MESSAGE)}`, {
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
  const { result } = outcome;
  const integration = job.request.data.attributes.integration?.type;
  if (isFailure(result.status)) {
    // Reported as any failure is; the comment that follows still shows the connection's record.
    await fail(new Failure(outcome.problems ?? [{ title: "Not updated", message: result.message ?? "" }]), secrets);
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
  const { answer, response } = outcome;
  if (!answer || !response) return;
  const connection = readConnection(response.data);
  // Text from Datadog's answer is quoted as JSON in the log: a line break in a connection's name
  // must not start a line that the runner would read as a workflow command.
  core.info(
    `Datadog answered ${answer.status} after ${answer.attempts} attempt${answer.attempts === 1 ? "" : "s"} ` +
      `(${(answer.elapsedMs / 1000).toFixed(2)} s): connection ${JSON.stringify(connection.name)} (${collapseSpace(connection.integrationType)}) is updated.`,
  );
  if (answer.earlierMayHaveApplied && valueAt(job.request, EXTERNAL_ID_FLAG) === true) {
    core.info(
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

/** Fleet mode: the count, an annotation for each connection that failed, the summary; exit 1 if any failed. */
async function reportFleet(
  inputs: Inputs,
  results: readonly ConnectionResult[],
  outcomes: ReadonlyMap<Job, JobOutcome>,
  secrets: SecretRegistry,
): Promise<void> {
  core.info(totalsLine(results));
  for (const outcome of outcomes.values()) {
    const { result } = outcome;
    if (!isFailure(result.status)) continue;
    const title = outcome.problems?.[0]?.title ?? (result.status === "not-sent" ? "Not sent" : "Connection failed");
    core.error(secrets.scrubMessage(resultLines({ ...result, fields: [] })[0] ?? ""), {
      title,
      ...(result.file ? { file: result.file } : {}),
      ...(result.line ? { startLine: result.line } : {}),
    });
  }
  if (results.some((result) => isFailure(result.status))) process.exitCode = core.ExitCode.Failure;
  const report = { dryRun: inputs.dryRun, site: inputs.where.label, results, runUrl: workflowRunUrl() };
  const scrub = (text: string) => secrets.scrub(text);
  await writeSummarySafely(async () => {
    const text = renderReport(report, { maxBytes: SUMMARY_MAX_BYTES, moreWhere: "the log", scrub });
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
    core.warning(
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
    core.warning("Could not write the job summary (GITHUB_STEP_SUMMARY); the log has the same facts.", {
      title: "No job summary",
    });
  }
}

/**
 * Reports a failure: each problem as an error annotation (at its file and line) and in the job
 * summary, where a person reading a scheduled run's page looks first; exit code 1.
 */
async function fail(error: unknown, secrets: SecretRegistry): Promise<string[]> {
  if (!(error instanceof Failure)) core.debug(describeUnexpected(error));
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
  const messages = problems.map((problem) => secrets.scrubMessage(problem.message));
  for (const [index, problem] of problems.entries()) {
    core.error(messages[index] ?? "", {
      title: problem.title,
      ...(problem.file ? { file: problem.file } : {}),
      ...(problem.line ? { startLine: problem.line } : {}),
      ...(problem.column ? { startColumn: problem.column } : {}),
    });
  }
  // What core.setFailed does, with the annotation properties it cannot take.
  process.exitCode = core.ExitCode.Failure;
  await writeSummarySafely(() => writeFailureSummary(messages, workflowRunUrl()));
  return messages;
}
