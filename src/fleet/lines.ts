/**
 * The log's account of the results: one line per connection as soon as its outcome is known, the plan
 * of its fields under it, and a count at the end. Text only: the caller prints it through the log
 * module, which neutralises workflow commands, after the secrets are scrubbed.
 */
import type { ConnectionResult, FieldPlan, Status } from "../result.ts";

/** What stands for a secret's value in a plan: it will be written, whatever Datadog holds. */
export const SECRET_PLAN = "•••• will be written";

/** `connections/a.yml:3 1111…5555 "Payments API" (HTTP): would-update`, then one line per field that changes. */
export function resultLines(result: ConnectionResult): string[] {
  const where = result.file ? `${result.file}${result.line ? `:${result.line}` : ""} ` : "";
  const name = result.name ? ` ${JSON.stringify(result.name)}` : "";
  const type = result.integrationType ? ` (${result.integrationType})` : "";
  const head = `${where}${result.id}${name}${type}: ${result.status}`;
  const lines = [result.message ? `${head}. ${result.message}` : head];
  const shown = result.status === "unchanged" ? [] : result.fields.filter((field) => field.differs);
  for (const field of shown) lines.push(`  ${fieldLine(field)}`);
  return lines;
}

/** `name: "Old" → "New"`, `tags: team:a`, `integration.credentials.api_token: •••• will be written` */
export function fieldLine(field: FieldPlan): string {
  if (field.secret) return `${field.path}: ${SECRET_PLAN}`;
  const desired = JSON.stringify(field.desired);
  return field.current === undefined
    ? `${field.path}: ${desired}`
    : `${field.path}: ${JSON.stringify(field.current)} → ${desired}`;
}

const ORDER: readonly Status[] = ["would-update", "updated", "unchanged", "failed", "unknown", "not-sent"];

/** `3 connections: 2 updated, 1 unchanged` */
export function totalsLine(results: readonly ConnectionResult[]): string {
  const counts = ORDER.map((status) => [status, results.filter((result) => result.status === status).length] as const)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`);
  return `${results.length} connection${results.length === 1 ? "" : "s"}: ${counts.join(", ") || "none"}`;
}

/** The statuses that fail the step: Datadog did not do, or may not have done, what the files say. */
export function isFailure(status: Status): boolean {
  return status === "failed" || status === "unknown" || status === "not-sent";
}
