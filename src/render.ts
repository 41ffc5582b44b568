/**
 * THE renderer of results: the plan or the outcome of a run, one record per connection, as GitHub
 * Markdown with HTML, for the job summary (1 MiB cap) and the pull-request comment (65,536
 * characters). A table of every connection, then the details of each; cut at a connection boundary
 * when it would pass the budget, saying how many are left out and where they are.
 *
 * Every text from outside (names, ids, paths, values, messages) is scrubbed of secrets first, then
 * passes forMarkup; whatever is ours is fixed text. Outside text stands in `<code>` where it can:
 * GitHub links mentions, issue references and commit SHAs everywhere else.
 */
import { forMarkup } from "./boundary.ts";
import type { ConnectionResult, FieldPlan, Status } from "./result.ts";
import { REDACTED } from "./secrets.ts";

export interface Report {
  readonly dryRun: boolean;
  /** How messages name where the connections live: `datadoghq.com`, `127.0.0.1:8126 (api-url)`. */
  readonly site: string;
  readonly results: readonly ConnectionResult[];
  readonly runUrl: string | undefined;
  /** Why nothing was planned or sent (refused documents or inputs): our messages, already scrubbed. */
  readonly problems?: readonly string[];
}

export interface RenderOptions {
  /** The text stays within this many UTF-8 bytes (so within as many UTF-16 units or characters). */
  readonly maxBytes: number;
  /** Where what was cut can be read: `the job summary`; linked to `moreUrl` when there is one. */
  readonly moreWhere: string;
  readonly moreUrl?: string | undefined;
  /** Last guard before escaping: replaces any registered secret (default: none). */
  readonly scrub?: (text: string) => string;
  /**
   * For text Datadog wrote (current values, names as it answered them, messages quoting it): scrubbed
   * wider, of any run of a secret in any form a server echoes (default: `scrub`). Paths and the
   * documents' own values take `scrub`, which a field name sharing letters with a secret survives.
   */
  readonly scrubServer?: (text: string) => string;
}

/** GitHub's limit for a job summary; the renderer's default budget. */
export const SUMMARY_MAX_BYTES = 1024 * 1024;

/** Paths listed in the table's "What changes" cell before "and N more": the details list them all. */
const PATHS_IN_TABLE = 6;

const STATUS_TEXT: Readonly<Record<Status, string>> = {
  "would-update": "would update",
  unchanged: "unchanged",
  updated: "updated",
  failed: "failed",
  "not-sent": "not sent",
  unknown: "unknown: may have been applied",
};

/** Renders the report within `options.maxBytes`; always ends with a line break. */
export function renderReport(
  report: Report,
  options: RenderOptions = { maxBytes: SUMMARY_MAX_BYTES, moreWhere: "the log" },
): string {
  const scrub = options.scrub ?? ((text: string) => text);
  const scrubServer = options.scrubServer ?? scrub;
  const text = (value: string) => forMarkup(scrub(value));
  const code = (value: string) => `<code>${text(value)}</code>`;
  const server: Escape = (value) => forMarkup(scrubServer(value));
  const { results } = report;

  const problems = report.problems ?? [];
  const title =
    problems.length > 0 ? "refused, nothing sent" : report.dryRun ? "plan (dry run, nothing sent)" : "applied";
  const head = [
    `### Datadog connections: ${title}`,
    "",
    problems.length > 0 ? `Site ${code(report.site)}.` : `Site ${code(report.site)}. ${tally(report)}.`,
    "",
    ...problems.map((problem) => `- ${text(problem)}`),
    ...(problems.length > 0 ? [""] : []),
  ];
  const table = ["| File | Name | Integration | Status | What changes |", "| --- | --- | --- | --- | --- |"];
  const rows = results.map((result) => `${tableRow(result, report.dryRun, code, server)}\n`);
  const details = results.map((result) => `${detailsBlock(result, report.dryRun, code, server)}\n`);
  const tail = report.runUrl ? [`[Workflow run](${report.runUrl})`, ""] : [];
  const headText = `${head.join("\n")}\n${results.length > 0 ? `${table.join("\n")}\n` : ""}`;
  const tailText = tail.length > 0 ? `\n${tail.join("\n")}` : "";

  const whole = `${headText}${rows.join("")}\n${details.join("")}${tailText}`;
  if (bytes(whole) <= options.maxBytes) return whole;

  // Cut: as many rows as fit, then as many of their details as fit, with room kept for both notes.
  const more = (count: number, what: (count: number) => string) => {
    const where = options.moreUrl ? `[${options.moreWhere}](${options.moreUrl})` : options.moreWhere;
    return `\n${what(count)}: see ${where}.\n`;
  };
  const rowsNote = (count: number) => more(count, (n) => `${n} more connection${n === 1 ? "" : "s"}`);
  const detailsNote = (count: number) =>
    more(count, (n) => `The details of ${n === 1 ? "1 more connection" : `${n} more connections`}`);
  let used = bytes(headText) + bytes(tailText) + bytes(rowsNote(results.length)) + bytes(detailsNote(results.length));
  let shownRows = 0;
  while (shownRows < results.length && used + bytes(rows[shownRows] ?? "") <= options.maxBytes) {
    used += bytes(rows[shownRows] ?? "");
    shownRows++;
  }
  let shownDetails = 0;
  while (shownDetails < shownRows && used + bytes(details[shownDetails] ?? "") + 1 <= options.maxBytes) {
    used += bytes(details[shownDetails] ?? "");
    shownDetails++;
  }
  const parts = [headText, ...rows.slice(0, shownRows)];
  if (shownRows < results.length) parts.push(rowsNote(results.length - shownRows));
  parts.push("\n", ...details.slice(0, shownDetails));
  if (shownDetails < shownRows) parts.push(detailsNote(shownRows - shownDetails));
  parts.push(tailText);
  return parts.join("");
}

/** `2 connections: 1 would update, 1 unchanged`; says so when nothing is to change. */
function tally(report: Report): string {
  const { results } = report;
  const counts = new Map<Status, number>();
  for (const result of results) counts.set(result.status, (counts.get(result.status) ?? 0) + 1);
  const total = `${results.length} connection${results.length === 1 ? "" : "s"}`;
  if (results.length > 0 && counts.get("unchanged") === results.length) {
    return report.dryRun
      ? `Nothing to change: ${total}, each as its file says in Datadog`
      : `Nothing changed: ${total}, each already as its file says in Datadog`;
  }
  const parts = [...counts].map(([status, count]) => `${count} ${STATUS_TEXT[status]}`);
  return parts.length > 0 ? `${total}: ${parts.join(", ")}` : total;
}

type Escape = (value: string) => string;

function tableRow(result: ConnectionResult, dryRun: boolean, code: Escape, server: Escape): string {
  const file = result.file === null ? "<code>patch</code> input" : `${code(result.file)}${lineSuffix(result)}`;
  const changing = result.fields.filter((field) => field.differs);
  const listed = changing
    .slice(0, PATHS_IN_TABLE)
    .map((field) => `${code(field.path)}${field.secret ? ` ${REDACTED}` : ""}`);
  if (changing.length > PATHS_IN_TABLE) listed.push(`and ${changing.length - PATHS_IN_TABLE} more`);
  const changes = result.status === "failed" ? "" : listed.join(", ") || "nothing";
  const cells = [
    file,
    result.name ? server(result.name) : code(result.id),
    result.integrationType ? server(result.integrationType) : "",
    statusText(result.status, dryRun),
    changes,
  ];
  return `| ${cells.join(" | ")} |`;
}

function statusText(status: Status, dryRun: boolean): string {
  // In a dry run nothing was sent: a connection that could be read but not planned is still "failed".
  return status === "unchanged" && !dryRun ? "unchanged (not sent)" : STATUS_TEXT[status];
}

function lineSuffix(result: ConnectionResult): string {
  return result.line !== null && result.line > 1 ? ` line ${result.line}` : "";
}

function detailsBlock(result: ConnectionResult, dryRun: boolean, code: Escape, server: Escape): string {
  const title = result.name ? `${server(result.name)} (${code(result.id)})` : code(result.id);
  const lines = [`<details><summary>${title}: ${statusText(result.status, dryRun)}</summary>`, ""];
  if (result.message) lines.push(server(result.message), "");
  if (result.externalId) lines.push(`AWS external ID: ${code(result.externalId)}`, "");
  if (result.fields.length > 0) {
    // Without the current state (not read in this run), the column says only what is set.
    const read = result.fields.some((field) => field.current !== undefined);
    lines.push(`| Field | ${read ? "Current → desired" : dryRun ? "Would set" : "Set"} |`, "| --- | --- |");
    const serverCode: Escape = (value) => `<code>${server(value)}</code>`;
    for (const field of result.fields) {
      lines.push(`| ${code(field.path)} | ${fieldChange(field, dryRun, code, serverCode)} |`);
    }
    lines.push("");
  }
  lines.push("</details>");
  return lines.join("\n");
}

/** `current → desired`, the desired value alone when the current one is unknown; secrets never shown. */
function fieldChange(field: FieldPlan, dryRun: boolean, code: Escape, serverCode: Escape): string {
  if (field.secret) return `${REDACTED} ${dryRun ? "will be written" : "written"}`;
  const desired = code(field.desired);
  if (field.current === undefined) return desired;
  if (!field.differs) return `${serverCode(field.current)} (unchanged)`;
  return `${serverCode(field.current)} → ${desired}`;
}

function bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
