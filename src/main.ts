/**
 * The order of work (contract, behaviour 1): read inputs; parse the patch; mask every secret; validate;
 * build the request; in a dry run show it and stop; send; read the answer; set outputs; write the summary.
 */
import * as core from "@actions/core";
import { differences } from "./compare.ts";
import { DatadogClient } from "./datadog/client.ts";
import { MAX_DEPTH, tooDeepAt } from "./depth.ts";
import { describeUnexpected, Failure, type Problem } from "./failure.ts";
import { type PatchSource, readInputs, readKeys, readPatch } from "./inputs.ts";
import * as log from "./log.ts";
import type { PathMessage } from "./patch/errors.ts";
import { type ParsedPatch, type Position, parsePatch } from "./patch/parse.ts";
import { responseSchema, type UpdateResponse } from "./patch/schema.ts";
import { validatePatch } from "./patch/validate.ts";
import { formatPath, valueAt } from "./paths.ts";
import {
  type Connection,
  readConnection,
  type SummaryFacts,
  setOutputs,
  writeFailureSummary,
  writeSummary,
} from "./report.ts";
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
  try {
    const keys = readKeys(core.getInput, process.env);
    secrets.register([keys.apiKey, keys.appKey].filter(Boolean));
    // The patch's secrets are masked before anything is printed, a refusal of another input included.
    const source = readPatch(core.getInput, process.env);
    const parsed = parsePatch(source.text);
    const deep = tooDeepAt(parsed.value);
    if (deep) {
      // Before any walk of it (findSecrets recurses). The message quotes no key: it may be a secret.
      const { input, file } = source;
      // Positions in a document the parser refused mean little (its value is what could be salvaged).
      const position = parsed.problems.length === 0 ? parsed.locate(deep) : undefined;
      const where = position ? ` (line ${position.line}, column ${position.column})` : "";
      throw new Failure({
        title: "Invalid patch",
        message: `${input}: nests deeper than ${MAX_DEPTH} levels${where}; no field of a connection is that deep.`,
        ...(file ? { file } : {}),
        ...(file && position ? { line: position.line, column: position.column } : {}),
      });
    }
    secrets.register(findSecrets(parsed.value));
    const inputs = readInputs(core.getInput, process.env, { keys, patch: source });

    const [syntax] = parsed.problems;
    if (syntax) {
      // Only the first: a YAML mistake confuses the parser about what follows (a tab gives three errors).
      throw new Failure(patchProblem(inputs.patch, syntax.position, `the YAML ${syntax.message} [${syntax.code}]`));
    }
    const validation = validatePatch(parsed.value);
    if (!validation.ok)
      throw new Failure(
        sortByPosition(validation.problems, parsed).map((problem) => pathProblem(inputs.patch, parsed, problem)),
      );

    const { request, changes } = validation;
    const { where } = inputs;
    const integration = request.data.attributes.integration?.type;
    log.info(
      `${inputs.dryRun ? "Would update" : "Updating"} connection ${inputs.connectionId} on ${where.label}: ` +
        `setting ${changes.map((change) => change.path).join(", ")}`,
    );
    if (inputs.dryRun) {
      const shown = redact(request);
      log.info(`Dry run: nothing sent. The request would be:\n${JSON.stringify(shown, null, 2)}`);
      await summarize(secrets, {
        dryRun: true,
        connectionId: inputs.connectionId,
        site: where.label,
        integration,
        changes,
        request: shown,
      });
      return;
    }

    const client = new DatadogClient({
      baseUrl: inputs.baseUrl,
      apiKey: inputs.apiKey,
      appKey: inputs.appKey,
      userAgent: `${ACTION_NAME}/${ACTION_VERSION} (node ${process.versions.node})`,
      where,
      maxRetries: inputs.maxRetries,
      timeoutMs: inputs.timeoutMs,
      signal: cancel.signal,
      info: log.info,
      debug: log.debug,
    });
    const answer = await client.updateConnection(inputs.connectionId, request);
    // Text from Datadog's answer is quoted as JSON in the log (one line, however many it holds); log.ts
    // neutralises any workflow command in it.
    const rotated = valueAt(request, EXTERNAL_ID_FLAG) === true;
    let connection: Connection;
    try {
      const response = readResponse(answer.text, answer.status, inputs.connectionId, rotated);
      connection = readConnection(response.data);
      log.info(
        `Datadog answered ${answer.status} after ${answer.attempts} attempt${answer.attempts === 1 ? "" : "s"} ` +
          `(${(answer.elapsedMs / 1000).toFixed(2)} s): connection ${JSON.stringify(connection.name)} (${collapseSpace(connection.integrationType)}) is updated.`,
      );
      if (answer.earlierMayHaveApplied && rotated) {
        log.info(
          "An earlier attempt may also have generated an external ID; the external-id output is the one in Datadog's last answer, which is current.",
        );
      }
      for (const path of differences(request.data.attributes, response.data.attributes)) {
        // Paths as the patch wrote them: under data.attributes only if it was a whole request document.
        warnDifference(inputs.patch, parsed, path, valueAt(parsed.value, ["data"]) !== undefined);
      }
    } catch (error) {
      // Whatever fails in reading a 2xx answer, the user must learn that the update was applied.
      if (error instanceof Failure) throw error;
      log.debug(describeUnexpected(error));
      const kind = error instanceof Error ? error.name : typeof error;
      throw appliedButUnreadable(
        answer.status,
        inputs.connectionId,
        rotated,
        `the action could not read its answer (${kind})`,
      );
    }
    setOutputs(connection, (text) => secrets.scrub(text));
    await summarize(secrets, {
      dryRun: false,
      connectionId: connection.id,
      site: where.label,
      integration,
      changes,
      connection,
    });
  } catch (error) {
    await fail(error, secrets);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Problems listed in the log, the annotations and the summary; the rest are counted. */
const MAX_PROBLEMS = 30;

const EXTERNAL_ID_FLAG = ["data", "attributes", "integration", "credentials", "generate_new_external_id"];

/**
 * A 2xx answer that cannot be read: the update was applied. Sets the one output known (connection-id,
 * the ID sent), and with a generated external ID says to read it in Datadog rather than run again.
 */
function appliedButUnreadable(status: number, connectionId: string, rotated: boolean, why: string): Failure {
  core.setOutput("connection-id", connectionId);
  const rotation = rotated
    ? " A new external ID was generated: read it in Datadog (the connection's page), do not run this step again, which would rotate it again."
    : "";
  return new Failure(
    {
      title: "Unexpected answer from Datadog",
      message:
        `Datadog answered ${status}: the update was applied, but ${why}. Only the connection-id output is set; ` +
        `check the connection in Datadog.${rotation}`,
    },
    "updated",
  );
}

/**
 * Datadog's 2xx answer, read. A 2xx means the update was applied: when its body cannot be read, the
 * step fails saying so, sets the one output it knows (connection-id, the ID it sent), and, if an
 * external ID was generated, says to read it in Datadog rather than run again (which would rotate it
 * again). An answer for another connection is not this update's: the step fails, and says the update
 * may have been applied.
 */
function readResponse(text: string, status: number, connectionId: string, rotated: boolean): UpdateResponse {
  const unreadable = (why: string) => appliedButUnreadable(status, connectionId, rotated, why);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw unreadable("the answer is not JSON");
  }
  const deep = tooDeepAt(json);
  if (deep) {
    throw unreadable(
      `its answer nests deeper than ${MAX_DEPTH} levels (under ${formatPath(deep.slice(0, 3))}), which the action does not read`,
    );
  }
  const answeredId = valueAt(json, ["data", "id"]);
  if (typeof answeredId === "string" && answeredId.toLowerCase() !== connectionId.toLowerCase()) {
    throw new Failure(
      {
        title: "Unexpected answer from Datadog",
        message:
          `Datadog answered ${status} for connection ${JSON.stringify(collapseSpace(answeredId).slice(0, 64))}, not ${connectionId} that was sent; ` +
          `the update may have been applied to either. No output is set; check both connections in Datadog.`,
      },
      "unknown",
    );
  }
  const result = responseSchema(valueAt(json, ["data", "attributes", "integration", "type"])).safeParse(json);
  if (!result.success) {
    const paths = [...new Set(result.error.issues.map((issue) => formatPath(issue.path)))].slice(0, 3).join(", ");
    throw unreadable(`its body is not an action connection (${paths})`);
  }
  return result.data;
}

function patchProblem(source: PatchSource, position: Position | undefined, message: string): Problem {
  const where = position ? ` (line ${position.line}, column ${position.column})` : "";
  return {
    message: `${source.input}: ${message}${where}`,
    title: "Invalid patch",
    ...(source.file ? { file: source.file } : {}),
    ...(source.file && position ? { line: position.line, column: position.column } : {}),
  };
}

function pathProblem(source: PatchSource, parsed: ParsedPatch, problem: PathMessage): Problem {
  const path = formatPath(problem.path);
  return patchProblem(source, parsed.locate(problem.path), path ? `${path}: ${problem.message}` : problem.message);
}

/** In file order. Each problem is located once: a comparator that locates is n log n scans of the patch. */
function sortByPosition(problems: readonly PathMessage[], parsed: ParsedPatch): PathMessage[] {
  const keyed = problems.map((problem) => {
    const position = parsed.locate(problem.path);
    return { problem, key: position ? position.line * 100_000 + position.column : 0 };
  });
  return keyed.sort((a, b) => a.key - b.key).map(({ problem }) => problem);
}

function warnDifference(source: PatchSource, parsed: ParsedPatch, path: (string | number)[], whole: boolean): void {
  const documentPath = whole ? ["data", "attributes", ...path] : path;
  const position = parsed.locate(documentPath);
  const where =
    position && source.file ? { file: source.file, startLine: position.line, startColumn: position.column } : {};
  log.warning(
    `Datadog's answer differs from the patch at ${formatPath(documentPath)}; check the connection in Datadog.`,
    { title: "Answer differs from the patch", ...where },
  );
}

async function summarize(secrets: SecretRegistry, facts: Omit<SummaryFacts, "runUrl">): Promise<void> {
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
async function fail(error: unknown, secrets: SecretRegistry): Promise<void> {
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
  // At most MAX_PROBLEMS listed, then one line for the rest: a patch of 20,000 unknown keys must not
  // write 20,000 annotations (GitHub shows 10 a step) and megabytes of log.
  const listed = problems.slice(0, MAX_PROBLEMS);
  const rest = problems.length - listed.length;
  // Datadog's detail may quote what it was sent: the runner masks it, and so do we, in case it does not.
  const messages = listed.map((problem) => secrets.scrubMessage(problem.message));
  for (const [index, problem] of listed.entries()) {
    log.error(messages[index] ?? "", {
      title: problem.title,
      ...(problem.file ? { file: problem.file } : {}),
      ...(problem.line ? { startLine: problem.line } : {}),
      ...(problem.column ? { startColumn: problem.column } : {}),
    });
  }
  if (rest > 0) {
    const more = `and ${rest} more problem${rest === 1 ? "" : "s"}, not listed; fix those above and run again to see them.`;
    messages.push(more);
    log.error(more, { title: listed[0]?.title ?? "Invalid patch" });
  }
  // What core's setFailed does, with the annotation properties it cannot take.
  process.exitCode = core.ExitCode.Failure;
  const outcome = error instanceof Failure ? error.outcome : "not-updated";
  await writeSummarySafely(() => writeFailureSummary(messages, workflowRunUrl(), outcome));
}
