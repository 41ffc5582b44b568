/** Outputs and the job summary: what a following step and a person reading the run see. */
import * as core from "@actions/core";
import { forMarkup } from "./boundary.ts";
import { MAX_DEPTH } from "./depth.ts";
import type { Outcome } from "./failure.ts";
import type { Change } from "./patch/changes.ts";
import { findIntegration } from "./patch/integrations.ts";
import type { IntegrationValue } from "./patch/schema.ts";
import { blank, REDACTED } from "./secrets.ts";

export interface Connection {
  readonly id: string;
  readonly name: string;
  readonly integrationType: string;
  readonly credentialType: string | undefined;
  /** AWS only; "" for other integrations. */
  readonly externalId: string;
  readonly principalId: string;
  /** The answer's `data`, every secret field blanked. */
  readonly data: unknown;
}

/** The facts a run reports, from Datadog's answer (`data`), secrets blanked. */
export function readConnection(data: {
  readonly id: string;
  readonly attributes: { readonly name?: unknown; readonly integration: IntegrationValue };
}): Connection {
  const { integration } = data.attributes;
  const credentials: Readonly<Record<string, unknown>> = integration.credentials ?? {};
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  return {
    id: data.id,
    name: text(data.attributes.name),
    integrationType: integration.type,
    credentialType: typeof credentials.type === "string" ? credentials.type : undefined,
    externalId: integration.type === "AWS" ? text(credentials.external_id) : "",
    principalId: integration.type === "AWS" ? text(credentials.principal_id) : "",
    data: blank(data),
  };
}

/**
 * Sets the outputs. `scrub` is the last guard: secret fields are blanked already, but a value the
 * patch also put in a field that is not secret (a name, a header such as X-Custom) must not reach a
 * following step, nor make the runner drop the output. The connection stays valid JSON.
 */
export function setOutputs(connection: Connection, scrub: (text: string) => string = (text) => text): void {
  core.setOutput("connection-id", scrub(connection.id));
  core.setOutput("external-id", scrub(connection.externalId));
  core.setOutput("name", scrub(connection.name));
  core.setOutput("integration-type", scrub(connection.integrationType));
  core.setOutput("connection", JSON.stringify(mapStrings(connection.data, scrub)));
}

/**
 * A copy of a JSON value with every string value passed through `map`; keys are the API's field names.
 * The answer was checked no deeper than MAX_DEPTH (depth.ts); the bound here keeps that a fact.
 */
function mapStrings(value: unknown, map: (text: string) => string, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new RangeError(`nested deeper than ${MAX_DEPTH} levels`);
  if (typeof value === "string") return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map, depth + 1));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map, depth + 1)]));
}

export interface SummaryFacts {
  readonly dryRun: boolean;
  readonly connectionId: string;
  readonly site: string;
  readonly integration: string | undefined;
  readonly changes: readonly Change[];
  readonly connection?: Connection;
  /** The redacted request, shown in a dry run. */
  readonly request?: unknown;
  readonly runUrl: string | undefined;
}

/**
 * Writes the job summary. The runner masks only the log, so every text that goes in passes through
 * `scrub` first, then forMarkup (boundary.ts): scrubbed before it is escaped, so that a secret holding
 * `"`, `<` or `&` is found too. Only the action's own headings and links are markup.
 */
export async function writeSummary(
  facts: SummaryFacts,
  scrub: (text: string) => string,
  scrubServer: (text: string) => string = scrub,
): Promise<void> {
  const text = (value: string) => forMarkup(scrub(value));
  // What Datadog answered (the name, the credential kind, the IDs) is scrubbed as server text.
  const server = (value: string) => forMarkup(scrubServer(value));
  const summary = core.summary.emptyBuffer();
  const connection = facts.connection;
  summary.addHeading(facts.dryRun ? "Datadog connection: dry run, nothing sent" : "Datadog connection updated", 2);
  const rows: [string, string][] = [
    [
      "Connection",
      connection?.name
        ? `${server(connection.name)} (<code>${text(facts.connectionId)}</code>)`
        : `<code>${text(facts.connectionId)}</code>`,
    ],
    ["Site", text(facts.site)],
  ];
  const integrationType = connection?.integrationType ?? facts.integration;
  if (integrationType) {
    const title = findIntegration(integrationType)?.title ?? integrationType;
    const credential = connection?.credentialType ? ` (${server(connection.credentialType)})` : "";
    rows.push(["Integration", `${text(title)}${credential}`]);
  }
  if (connection?.externalId) rows.push(["AWS external ID", `<code>${server(connection.externalId)}</code>`]);
  if (connection?.principalId)
    rows.push(["Datadog principal (AWS account)", `<code>${server(connection.principalId)}</code>`]);
  // No header row: core.summary leaves an empty header cell unclosed (`<th><th>`), a blank band.
  summary.addTable(rows);

  summary.addHeading(facts.dryRun ? "Fields the patch would set" : "Fields set", 3);
  summary.addTable([
    [
      { data: "Field", header: true },
      { data: "Value", header: true },
    ],
    ...facts.changes.map((change) => [
      `<code>${text(change.path)}</code>`,
      change.secret ? `${REDACTED} ${text(change.shown)}` : text(change.shown),
    ]),
  ]);
  if (facts.request !== undefined) {
    summary.addHeading("Request (secrets redacted)", 3);
    summary.addCodeBlock(text(JSON.stringify(facts.request, null, 2)), "json");
  }
  await writeWithin(summary, facts.runUrl);
}

/** The job summary of a failed run: what went wrong, in the words of the error annotations (already scrubbed). */
export async function writeFailureSummary(
  messages: readonly string[],
  runUrl: string | undefined,
  outcome: Outcome = "not-updated",
  fleet = false,
): Promise<void> {
  // A fleet fails here only before anything is sent: its documents or inputs were refused.
  const heading = fleet ? "Datadog connections: refused, nothing sent" : FAILURE_HEADINGS[outcome];
  const summary = core.summary.emptyBuffer().addHeading(heading, 2);
  summary.addList(messages.map(forMarkup));
  await writeWithin(summary, runUrl);
}

const FAILURE_HEADINGS: Readonly<Record<Outcome, string>> = {
  "not-updated": "Datadog connection: not updated",
  "not-sent": "Datadog connection: not updated",
  updated: "Datadog connection: updated, but its answer could not be read",
  unknown: "Datadog connection: the update may have been applied",
};

/** GitHub refuses a step summary over 1 MiB (of UTF-8); this leaves room for the closing lines. */
export const MAX_SUMMARY_BYTES = 1024 * 1024 - 4096;

/**
 * The one place every summary is written: the run's link added, then cut to MAX_SUMMARY_BYTES. Each
 * block core.summary adds is one line (untrusted text holds no line break once through forMarkup), so
 * cutting at a line break keeps the HTML whole; a note says where it was cut.
 */
async function writeWithin(summary: typeof core.summary, runUrl: string | undefined): Promise<void> {
  if (runUrl) summary.addLink("Workflow run", runUrl);
  const html = summary.stringify();
  if (Buffer.byteLength(html) > MAX_SUMMARY_BYTES) {
    const bytes = Buffer.from(html);
    const cut = bytes.lastIndexOf(0x0a, MAX_SUMMARY_BYTES - 1);
    summary.emptyBuffer().addRaw(bytes.subarray(0, cut + 1).toString());
    summary.addRaw(
      "<p><em>The rest of this summary is left out: GitHub shows at most 1 MiB. The log has every fact.</em></p>",
      true,
    );
    if (runUrl) summary.addLink("Workflow run", runUrl);
  }
  await summary.write();
}
