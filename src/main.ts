/**
 * The order of work (contract, behaviour 1): read inputs; parse the patch; mask every secret; validate;
 * build the request; in a dry run show it and stop; send; read the answer; set outputs; write the summary.
 */
import * as core from "@actions/core";
import { differences } from "./compare.ts";
import { DatadogClient } from "./datadog/client.ts";
import { describeUnexpected, Failure, type Problem } from "./failure.ts";
import { type PatchSource, readInputs, readKeys, readPatch } from "./inputs.ts";
import type { PathMessage } from "./patch/errors.ts";
import { type ParsedPatch, type Position, parsePatch } from "./patch/parse.ts";
import { responseSchema, type UpdateResponse } from "./patch/schema.ts";
import { validatePatch } from "./patch/validate.ts";
import { formatPath, valueAt } from "./paths.ts";
import { readConnection, type SummaryFacts, setOutputs, writeFailureSummary, writeSummary } from "./report.ts";
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
    core.info(
      `${inputs.dryRun ? "Would update" : "Updating"} connection ${inputs.connectionId} on ${where.label}: ` +
        `setting ${changes.map((change) => change.path).join(", ")}`,
    );
    if (inputs.dryRun) {
      const shown = redact(request);
      core.info(`Dry run: nothing sent. The request would be:\n${JSON.stringify(shown, null, 2)}`);
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
      // Retry lines quote Datadog's headers and detail: scrubbed as server text.
      info: (line) => core.info(secrets.scrubMessage(line)),
      debug: (line) => core.debug(secrets.scrubMessage(line)),
    });
    const answer = await client.updateConnection(inputs.connectionId, request);
    // Text from Datadog's answer is quoted as JSON in the log: a line break in a connection's name
    // must not start a line that the runner would read as a workflow command.
    const response = readResponse(answer.text, answer.status);
    const connection = readConnection(response.data);
    core.info(
      `Datadog answered ${answer.status} after ${answer.attempts} attempt${answer.attempts === 1 ? "" : "s"} ` +
        `(${(answer.elapsedMs / 1000).toFixed(2)} s): connection ${secrets.scrubMessage(JSON.stringify(connection.name))} (${secrets.scrubMessage(collapseSpace(connection.integrationType))}) is updated.`,
    );
    if (answer.earlierMayHaveApplied && valueAt(request, EXTERNAL_ID_FLAG) === true) {
      core.info(
        "An earlier attempt may also have generated an external ID; the external-id output is the one in Datadog's last answer, which is current.",
      );
    }
    for (const path of differences(request.data.attributes, response.data.attributes)) {
      // Paths as the patch wrote them: under data.attributes only if it was a whole request document.
      warnDifference(inputs.patch, parsed, path, valueAt(parsed.value, ["data"]) !== undefined);
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

const EXTERNAL_ID_FLAG = ["data", "attributes", "integration", "credentials", "generate_new_external_id"];

function readResponse(text: string, status: number): UpdateResponse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Failure({
      title: "Unexpected answer from Datadog",
      message: `Datadog answered ${status} but not with JSON; the update may have been applied. Check the connection in Datadog.`,
    });
  }
  const result = responseSchema(valueAt(json, ["data", "attributes", "integration", "type"])).safeParse(json);
  if (!result.success) {
    const paths = [...new Set(result.error.issues.map((issue) => formatPath(issue.path)))].slice(0, 3).join(", ");
    throw new Failure({
      title: "Unexpected answer from Datadog",
      message: `Datadog answered ${status} but its body is not an action connection (${paths}); the update may have been applied. Check the connection in Datadog.`,
    });
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

function sortByPosition(problems: readonly PathMessage[], parsed: ParsedPatch): PathMessage[] {
  const key = (problem: PathMessage) => {
    const position = parsed.locate(problem.path);
    return position ? position.line * 100_000 + position.column : 0;
  };
  return [...problems].sort((a, b) => key(a) - key(b));
}

function warnDifference(source: PatchSource, parsed: ParsedPatch, path: (string | number)[], whole: boolean): void {
  const documentPath = whole ? ["data", "attributes", ...path] : path;
  const position = parsed.locate(documentPath);
  const where =
    position && source.file ? { file: source.file, startLine: position.line, startColumn: position.column } : {};
  core.warning(
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
    core.warning("Could not write the job summary (GITHUB_STEP_SUMMARY); the log has the same facts.", {
      title: "No job summary",
    });
  }
}

/**
 * Reports a failure: each problem as an error annotation (at its file and line) and in the job
 * summary, where a person reading a scheduled run's page looks first; exit code 1.
 */
async function fail(error: unknown, secrets: SecretRegistry): Promise<void> {
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
}
