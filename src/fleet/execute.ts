/**
 * Jobs → results: reads current state where the plan or a skip needs it, plans (pure, plan.ts), and
 * sends what differs, at most `maxParallel` at a time. The rate limit and the deadline are the
 * client's (one RateGate shared by all its requests); this module owns only the order of work per
 * connection and what becomes of each. One connection's failure never stops the others.
 */
import { appliedButUnreadable } from "../answer.ts";
import type { Answer } from "../datadog/client.ts";
import { Failure, type Outcome, type Problem } from "../failure.ts";
import type { UpdateRequest, UpdateResponse } from "../patch/schema.ts";
import { valueAt } from "../paths.ts";
import { type CurrentState, differs, planFields, type SecretSource, setsSecret } from "../plan.ts";
import type { ConnectionResult, FieldPlan, Status } from "../result.ts";

/** One connection to plan and, unless it is a dry run, apply. */
export interface Job {
  /** Workspace-relative file; null for the `patch` input. */
  readonly file: string | null;
  readonly line: number | null;
  readonly id: string;
  readonly request: UpdateRequest;
  /** Values read with `!env`: secrets whatever their field. */
  readonly fromEnv: SecretSource;
  /** One-connection mode: always sent (a rotation must happen even if Datadog looks the same). */
  readonly always: boolean;
}

/** What execute() needs of the Datadog client. */
export interface Api {
  readConnection(id: string): Promise<Answer>;
  updateConnection(id: string, request: UpdateRequest): Promise<Answer>;
}

/** Datadog's 2xx answer → the connection it describes; throws a Failure saying what became of the update. */
export type ReadAnswer = (answer: Answer, id: string, sent: boolean, rotated: boolean) => UpdateResponse;

export interface ExecuteOptions {
  /** Undefined: no keys, an offline dry run (nothing read, nothing sent). */
  readonly api: Api | undefined;
  readonly dryRun: boolean;
  readonly maxParallel: number;
  readonly readAnswer: ReadAnswer;
  /** Cancellation: nothing more is started. */
  readonly signal?: AbortSignal;
  /** Called once per connection as soon as its outcome is known (the log line). */
  readonly onResult?: (result: ConnectionResult, job: Job, outcome: JobOutcome) => void;
}

/** Every job's result, in the jobs' order. */
export async function execute(jobs: readonly Job[], options: ExecuteOptions): Promise<ConnectionResult[]> {
  const results: ConnectionResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index] as Job;
      const outcome = await runJob(job, options);
      results[index] = outcome.result;
      options.onResult?.(outcome.result, job, outcome);
    }
  };
  const workers = Math.max(1, Math.min(options.maxParallel, jobs.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

/** What became of one job: its result, and what the one-connection outputs and messages need. */
export interface JobOutcome {
  readonly result: ConnectionResult;
  /** The PATCH's answer, read: the connection after the update. */
  readonly response?: UpdateResponse;
  readonly answer?: Answer;
  /** Why it failed, as the client said it (with the annotations' titles). */
  readonly problems?: readonly Problem[];
}

async function runJob(job: Job, options: ExecuteOptions): Promise<JobOutcome> {
  const attributes = job.request.data.attributes;
  const offline = planFields(attributes, undefined, job.fromEnv);
  const desiredName = attributes.name ?? "";
  const desiredType = attributes.integration?.type ?? "";
  const base = (status: Status, fields: readonly FieldPlan[], extra: Partial<ConnectionResult> = {}) =>
    result(job, { status, fields, name: desiredName, integrationType: desiredType, ...extra });
  if (options.signal?.aborted)
    return { result: base("not-sent", offline, { message: "Cancelled before it was sent." }) };
  const api = options.api;
  if (!api) return { result: base("would-update", offline) };

  // A document that sets a secret is always sent: Datadog never returns secrets, so reading first
  // could not tell whether it differs. Nor is a one-connection rotation skipped.
  const read = options.dryRun || (!job.always && !setsSecret(offline));
  let current: CurrentState;
  let currentName = desiredName;
  let currentType = desiredType;
  if (read) {
    try {
      const state = options.readAnswer(await api.readConnection(job.id), job.id, false, false).data.attributes;
      current = state;
      currentName = typeof state.name === "string" ? state.name : "";
      currentType = state.integration.type;
    } catch (error) {
      const said =
        error instanceof Failure
          ? error
          : new Failure({
              title: "Unexpected error",
              message: `Unexpected ${kindOf(error)} while reading the connection; nothing was sent. Run again, and report it if it persists.`,
            });
      return failed(job, offline, said, desiredName, desiredType);
    }
  }
  const fields = planFields(attributes, current, job.fromEnv);
  const named = { name: desiredName || currentName, integrationType: desiredType || currentType };
  if (options.dryRun) return { result: base(differs(fields) ? "would-update" : "unchanged", fields, named) };
  if (read && !differs(fields)) return { result: base("unchanged", fields, named) };
  if (options.signal?.aborted) {
    return { result: base("not-sent", fields, { ...named, message: "Cancelled before it was sent." }) };
  }
  try {
    const sent = await api.updateConnection(job.id, job.request);
    const rotated = valueAt(attributes, ["integration", "credentials", "generate_new_external_id"]) === true;
    let answer: UpdateResponse;
    try {
      answer = options.readAnswer(sent, job.id, true, rotated);
    } catch (error) {
      // Whatever fails in reading a 2xx answer, the update was applied: the user must learn it.
      const why = `the action could not read its answer (${kindOf(error)})`;
      const said = error instanceof Failure ? error : appliedButUnreadable(sent.status, rotated, why);
      return { ...failed(job, fields, said, named.name, named.integrationType), answer: sent };
    }
    const { integration } = answer.data.attributes;
    const credentials = (integration.credentials ?? {}) as Readonly<Record<string, unknown>>;
    return {
      result: base("updated", fields, {
        name: typeof answer.data.attributes.name === "string" ? answer.data.attributes.name : named.name,
        integrationType: integration.type,
        externalId:
          integration.type === "AWS" && typeof credentials.external_id === "string" ? credentials.external_id : "",
      }),
      response: answer,
      answer: sent,
    };
  } catch (error) {
    // Not a Failure of the client's: a fault of ours, after the request may have left. Said so, for
    // this connection alone; the others go on.
    const said =
      error instanceof Failure
        ? error
        : new Failure(
            {
              title: "Unexpected error",
              message: `Unexpected ${kindOf(error)} while sending; the update may have been applied. Check the connection in Datadog, and report it if it persists.`,
            },
            "unknown",
          );
    return failed(job, fields, said, named.name, named.integrationType);
  }
}

/** An error's kind, never its message (which may quote input). */
const kindOf = (error: unknown) => (error instanceof Error ? error.name : typeof error);

/** A request that failed: its outcome says whether it was sent, refused, applied, or may have been. */
function failed(
  job: Job,
  fields: readonly FieldPlan[],
  error: Failure,
  name: string,
  integrationType: string,
): JobOutcome {
  const status = STATUS_OF[error.outcome];
  const message = error.problems.map((problem) => problem.message).join(" ");
  return { result: result(job, { status, fields, name, integrationType, message }), problems: error.problems };
}

/** An `updated` result with a message: applied, but what Datadog answered could not be read. */
const STATUS_OF: Readonly<Record<Outcome, Status>> = {
  "not-updated": "failed",
  "not-sent": "not-sent",
  updated: "updated",
  unknown: "unknown",
};

function result(
  job: Job,
  facts: Pick<ConnectionResult, "status" | "fields" | "name" | "integrationType"> & Partial<ConnectionResult>,
): ConnectionResult {
  return { file: job.file, line: job.line, id: job.id, externalId: "", ...facts };
}
