/**
 * Parsed document → the request body, or the list of what is wrong with it.
 *
 * A patch is either the attributes themselves (`name`, `tags`, `integration`) or a whole request
 * document (`data: {type: action_connection, attributes: ...}`); both give the same body. Paths in
 * messages follow the form the user wrote.
 */

import { valueAt } from "../paths.ts";
import { type Change, listChanges } from "./changes.ts";
import { describeIssues, type PathMessage } from "./errors.ts";
import { findIntegration } from "./integrations.ts";
import { type AttributesValue, attributesSchema, requestSchema, type UpdateRequest } from "./schema.ts";

export type Validation =
  | { readonly ok: true; readonly request: UpdateRequest; readonly changes: readonly Change[] }
  | { readonly ok: false; readonly problems: readonly PathMessage[] };

/**
 * `secretValues`: values to treat as secret wherever they stand (those read with `!env`), so that the
 * summary says "updated" rather than showing them.
 */
export function validatePatch(document: unknown, secretValues: ReadonlySet<string> = new Set()): Validation {
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return refuse(
      [],
      "must be a mapping: the attributes to change (name, tags, integration) or a request document (data: ...)",
    );
  }
  const whole = "data" in document;
  const attributesPath = whole ? ["data", "attributes"] : [];
  const integrationType = valueAt(document, [...attributesPath, "integration", "type"]);
  const result = whole
    ? requestSchema(integrationType).safeParse(document)
    : attributesSchema(integrationType).safeParse(document);
  if (!result.success) return { ok: false, problems: describeIssues(result.error.issues, document) };

  const parsed: UpdateRequest = whole
    ? (result.data as UpdateRequest)
    : { data: { type: "action_connection", attributes: result.data as AttributesValue } };
  const request = withDeletionForms(parsed);
  const changes = listChanges(request.data.attributes, secretValues);
  if (changes.length === 0) {
    return refuse(attributesPath, "changes nothing; set a name, tags or integration credentials");
  }
  return { ok: true, request, changes };
}

/**
 * Each deleted HTTP entry in the form Datadog's Terraform provider sends it: `{name, deleted: true}`
 * plus the list's deletion form (a token's `type: SECRET` and `value: ""`), whatever else was written.
 */
function withDeletionForms(request: UpdateRequest): UpdateRequest {
  const integration = request.data.attributes.integration;
  const credentials = integration?.credentials;
  const kind = findIntegration(integration?.type ?? "")?.credentials.find((each) => each.type === credentials?.type);
  if (!integration || !credentials || !kind) return request;
  const next: Record<string, unknown> = { ...credentials };
  for (const [name, field] of Object.entries(kind.fields)) {
    const entries = credentials[name];
    if (field.kind !== "list" || !Array.isArray(entries)) continue;
    next[name] = entries.map((entry: Record<string, unknown>) =>
      entry.deleted === true ? { name: entry.name, ...field.deletedForm, deleted: true } : entry,
    );
  }
  const attributes = { ...request.data.attributes, integration: { ...integration, credentials: next } };
  return { data: { ...request.data, attributes } } as UpdateRequest;
}

function refuse(path: readonly PropertyKey[], message: string): Validation {
  return { ok: false, problems: [{ path, message }] };
}
