/** Outputs and the job summary: what a following step and a person reading the run see. */
import * as core from "@actions/core";
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

export function setOutputs(connection: Connection): void {
  core.setOutput("connection-id", connection.id);
  core.setOutput("external-id", connection.externalId);
  core.setOutput("name", connection.name);
  core.setOutput("integration-type", connection.integrationType);
  core.setOutput("connection", JSON.stringify(connection.data));
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

/** Writes the job summary; `scrub` is the last guard against a secret in it (the runner masks only the log). */
export async function writeSummary(facts: SummaryFacts, scrub: (html: string) => string): Promise<void> {
  const summary = core.summary.emptyBuffer();
  const connection = facts.connection;
  summary.addHeading(facts.dryRun ? "Datadog connection: dry run, nothing sent" : "Datadog connection updated", 2);
  const rows: [string, string][] = [
    [
      "Connection",
      connection?.name
        ? `${escapeHtml(connection.name)} (<code>${escapeHtml(facts.connectionId)}</code>)`
        : `<code>${escapeHtml(facts.connectionId)}</code>`,
    ],
    ["Site", escapeHtml(facts.site)],
  ];
  const integrationType = connection?.integrationType ?? facts.integration;
  if (integrationType) {
    const title = findIntegration(integrationType)?.title ?? integrationType;
    const credential = connection?.credentialType ? ` (${escapeHtml(connection.credentialType)})` : "";
    rows.push(["Integration", `${escapeHtml(title)}${credential}`]);
  }
  if (connection?.externalId) rows.push(["AWS external ID", `<code>${escapeHtml(connection.externalId)}</code>`]);
  if (connection?.principalId)
    rows.push(["Datadog principal (AWS account)", `<code>${escapeHtml(connection.principalId)}</code>`]);
  summary.addTable([
    [
      { data: "", header: true },
      { data: "", header: true },
    ],
    ...rows,
  ]);

  summary.addHeading(facts.dryRun ? "Fields the patch would set" : "Fields set", 3);
  summary.addTable([
    [
      { data: "Field", header: true },
      { data: "Value", header: true },
    ],
    ...facts.changes.map((change) => [
      `<code>${escapeHtml(change.path)}</code>`,
      change.secret ? `${REDACTED} ${change.shown}` : escapeHtml(change.shown),
    ]),
  ]);
  if (facts.request !== undefined) {
    summary.addHeading("Request (secrets redacted)", 3);
    summary.addCodeBlock(escapeHtml(JSON.stringify(facts.request, null, 2)), "json");
  }
  if (facts.runUrl) summary.addLink("Workflow run", facts.runUrl);
  const html = scrub(summary.stringify());
  await summary.emptyBuffer().addRaw(html).write();
}

/** Summary cells are HTML: a connection name such as `<img src=x>` must stay text. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
