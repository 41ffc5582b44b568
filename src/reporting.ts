/**
 * How a run reports what became of its connections, once they are planned or sent: the one-connection
 * outputs and summary (report.ts renders them), the fleet's annotations and summary (render.ts), the
 * results output, warnings on the documents' lines, the pull-request comment, and failures. Every line
 * goes through log.ts; every text from outside is scrubbed of secrets first.
 */
import * as core from "@actions/core";
import { appliedButUnreadable } from "./answer.ts";
import { postComment } from "./comment.ts";
import { differences } from "./compare.ts";
import { describeUnexpected, Failure, type Outcome, type Problem } from "./failure.ts";
import type { Job, JobOutcome } from "./fleet/execute.ts";
import { isFailure, resultLines, totalsLine } from "./fleet/lines.ts";
import type { Inputs } from "./inputs.ts";
import { type ParsedDocument, withPath } from "./jobs.ts";
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
import { redact, type SecretRegistry } from "./secrets.ts";
import { collapseSpace } from "./text.ts";

/** What a document sets, as the one-connection summary lists it. */
export const changesOf = (job: Job) => listChanges(job.request.data.attributes, job.fromEnv);

/**
 * Warnings on a document's lines: a variable a dry run found unset, whose value the plan cannot know;
 * and, for a file kept in a repository, each credential written in clear.
 */
export function warnDocument({ source, parsed }: ParsedDocument): void {
  const name = source.input === "connections" ? (source.file ?? source.input) : source.input;
  for (const missing of parsed.envMissing) {
    warn(
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
    warn(`${name}: ${withPath(found.path, LITERAL_SECRET_MESSAGE)}`, {
      title: "Credential in clear",
      file: source.file,
      ...where,
    });
  }
}

/** The `results` output, each of its texts scrubbed on its own (a name that is a secret whole is found). */
export function setResultsOutput(results: readonly ConnectionResult[], secrets: SecretRegistry): void {
  core.setOutput("results", JSON.stringify(resultsOutput(results, (text) => secrets.scrub(text))));
}

/**
 * One-connection mode: the outputs of Datadog's answer, the summary of that connection, or the
 * failure as the client described it.
 */
export async function reportOne(inputs: Inputs, job: Job, outcome: JobOutcome, secrets: SecretRegistry): Promise<void> {
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
export async function reportFleet(
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
  // The runner masks nothing in the summary: what Datadog wrote is scrubbed as server text, of any
  // run of a secret in any form a server echoes (secrets.ts, scrubMessage).
  const scrubs = scrubbers(secrets);
  await writeSummarySafely(async () => {
    const text = renderReport(report, { maxBytes: MAX_SUMMARY_BYTES, moreWhere: "the log", ...scrubs });
    await core.summary.emptyBuffer().addRaw(text).write();
  });
}

/** The renderer's two scrubs: exact for the documents' own text, wide for what Datadog wrote. */
function scrubbers(secrets: SecretRegistry) {
  return { scrub: (text: string) => secrets.scrub(text), scrubServer: (text: string) => secrets.scrubMessage(text) };
}

/** Posts the report (or the refusal) as the pull-request comment; never fails the step. */
export type Commenter = (results: readonly ConnectionResult[], problems?: readonly string[]) => Promise<void>;

export function commenter(inputs: Inputs, subject: string, secrets: SecretRegistry, signal: AbortSignal): Commenter {
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
      ...scrubbers(secrets),
      signal,
    });
}

const EXTERNAL_ID_FLAG = ["data", "attributes", "integration", "credentials", "generate_new_external_id"];

/** A warning for each field where Datadog's answer differs from what was sent, at the document's line. */
export function warnDifferences(job: Job, document: ParsedDocument, outcome: JobOutcome): void {
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
    warn(
      `${subject}Datadog's answer differs from the patch at ${formatPath(documentPath)}; check the connection in Datadog.`,
      { title: "Answer differs from the patch", ...where },
    );
  }
}

/** Warnings on documents' lines written so far: at most MAX_PROBLEMS, then one line for the rest. */
let warned = 0;

function warn(message: string, properties: log.Annotation): void {
  warned++;
  if (warned <= MAX_PROBLEMS) log.warning(message, properties);
}

/** The line for the warnings left out (a fleet of 4,000 documents must not write 8,000 annotations). */
export function flushWarnings(): void {
  const rest = warned - MAX_PROBLEMS;
  if (rest > 0)
    log.warning(`and ${rest} more warning${rest === 1 ? "" : "s"} on the documents' lines, not listed.`, {
      title: "More warnings",
    });
  warned = 0;
}

async function summarize(secrets: SecretRegistry, facts: Omit<Parameters<typeof writeSummary>[0], "runUrl">) {
  const { scrub, scrubServer } = scrubbers(secrets);
  await writeSummarySafely(() => writeSummary({ ...facts, runUrl: workflowRunUrl() }, scrub, scrubServer));
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
export async function fail(error: unknown, secrets: SecretRegistry, fleet = false): Promise<string[]> {
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
  await writeSummarySafely(() => writeFailureSummary(messages, workflowRunUrl(), outcome, fleet));
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
