/**
 * One record per connection, in file order: what the plan or the apply did with it. Both modes end
 * here (one connection is a fleet of one); the log, the summary, the comment and the `results` output
 * are rendered from these records and nothing else.
 */

/** Contract: status of one connection. `would-update` only in a dry run. */
export type Status = "updated" | "unchanged" | "failed" | "not-sent" | "unknown" | "would-update";

/** One field a document sets, as the plan sees it. Values are shown text, never a secret. */
export interface FieldPlan {
  /** `integration.credentials.api_token`, `integration.credentials.headers[Authorization]`, `tags` */
  readonly path: string;
  /** Secret: its value is never shown (`•••• will be written`). */
  readonly secret: boolean;
  /** What Datadog holds now, as shown text; undefined when unknown (no GET made, or a secret). */
  readonly current?: string | undefined;
  /** What the document sets, as shown text ("deleted" for a removed HTTP entry). */
  readonly desired: string;
  /** Whether this field differs from Datadog's current state (secrets: always true, unknowable). */
  readonly differs: boolean;
}

export interface ConnectionResult {
  /** Workspace-relative path of the connection file or patch-file; null for the `patch` input. */
  readonly file: string | null;
  /** Line of the document in the file (1-based); null for the `patch` input. */
  readonly line: number | null;
  readonly id: string;
  /** Name after the update (from Datadog's answer), else the current or desired name, else "". */
  readonly name: string;
  readonly integrationType: string;
  /** AWS only, else "". */
  readonly externalId: string;
  readonly status: Status;
  /** The fields set or that would be set. */
  readonly fields: readonly FieldPlan[];
  /** Why it failed, or what is unknown: our message (already scrubbed), for `failed` / `unknown` / `not-sent`. */
  readonly message?: string;
}

/**
 * The `results` output: the contract's field names. `scrub` is the last guard for each text: a
 * secret never stands in a result, but a name or a path may repeat one.
 */
export function resultsOutput(
  results: readonly ConnectionResult[],
  scrub: (text: string) => string = (text) => text,
): unknown[] {
  return results.map((result) => ({
    file: result.file === null ? null : scrub(result.file),
    line: result.line,
    id: scrub(result.id),
    name: scrub(result.name),
    integration_type: scrub(result.integrationType),
    external_id: scrub(result.externalId),
    status: result.status,
    changed: result.fields.filter((field) => field.differs).map((field) => scrub(field.path)),
  }));
}
