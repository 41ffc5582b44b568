/**
 * Test fixtures derived from the table of integrations: one sample per credential kind (25), with
 * the examples the table gives for each field. Adding an integration to the table adds its fixtures.
 */
import { createHash } from "node:crypto";
import { type CredentialKind, type Fields, INTEGRATIONS, type Integration } from "../src/patch/integrations.ts";

export interface Kind {
  readonly integration: Integration;
  readonly kind: CredentialKind;
  /** A stable UUID per credential kind, for the simulator's stored connections. */
  readonly id: string;
}

/** Every credential kind of every integration, in table order. */
export const KINDS: readonly Kind[] = INTEGRATIONS.flatMap((integration) =>
  integration.credentials.map((kind) => ({ integration, kind, id: stableUuid(kind.type) })),
);

/** A UUID derived from a name, so that ids stay the same from run to run. */
export function stableUuid(name: string): string {
  const hex = createHash("sha256").update(name).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

type Mode = "update" | "response";

/** Values for every field of `fields` used in `mode`, from the table's examples. */
export function exampleValues(fields: Fields, mode: Mode): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (field.direction !== "both" && field.direction !== mode) continue;
    switch (field.kind) {
      case "text":
      case "flag":
      case "tags":
        values[name] = field.example;
        break;
      case "object":
        values[name] = exampleValues(field.fields, mode);
        break;
      case "list":
        values[name] = [exampleValues(field.item, mode)].map((entry) => {
          // An update's example entry is set, not deleted.
          const { deleted: _deleted, ...rest } = entry;
          return rest;
        });
        break;
    }
  }
  return values;
}

/** The `integration` attribute of a patch that sets every field of a credential kind. */
export function integrationPatch({ integration, kind }: Kind, mode: Mode = "update"): Record<string, unknown> {
  return {
    type: integration.type,
    ...exampleValues(integration.fields, mode),
    credentials: { type: kind.type, ...exampleValues(kind.fields, mode) },
  };
}

/** A stored connection as Datadog would answer it (secrets not yet blanked). */
export function storedConnection(sample: Kind): Record<string, unknown> {
  return {
    id: sample.id,
    type: "action_connection",
    attributes: {
      name: `${sample.integration.title} (${sample.kind.type})`,
      tags: ["team:platform"],
      integration: integrationPatch(sample, "response"),
    },
  };
}

/** The patch that asks Datadog for a new AWS external ID (the demo's and the fault tests' second use). */
export const ROTATE_EXTERNAL_ID = [
  "integration:",
  "  type: AWS",
  "  credentials:",
  "    type: AWSAssumeRole",
  "    generate_new_external_id: true",
  "",
].join("\n");

/**
 * An HTTP connection as Datadog stores it, the fleet tests' and benchmark's sample: a name, the tag
 * team:payments, a base URL and an X-Region header; `tokens` as given (Datadog never answers them).
 */
export function storedHttp(id: string, name: string, tokens: readonly Record<string, unknown>[] = []) {
  return {
    id,
    type: "action_connection",
    attributes: {
      name,
      tags: ["team:payments"],
      integration: {
        type: "HTTP",
        base_url: "https://api.example.com/v1",
        credentials: {
          type: "HTTPTokenAuth",
          headers: [{ name: "X-Region", value: "eu" }],
          ...(tokens.length > 0 ? { tokens } : {}),
        },
      },
    },
  };
}
