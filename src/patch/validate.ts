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
import { type AttributesValue, attributesSchema, requestSchema, type UpdateRequest } from "./schema.ts";

export type Validation =
  | { readonly ok: true; readonly request: UpdateRequest; readonly changes: readonly Change[] }
  | { readonly ok: false; readonly problems: readonly PathMessage[] };

export function validatePatch(document: unknown): Validation {
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

  const request: UpdateRequest = whole
    ? (result.data as UpdateRequest)
    : { data: { type: "action_connection", attributes: result.data as AttributesValue } };
  const changes = listChanges(request.data.attributes);
  if (changes.length === 0) {
    return refuse(attributesPath, "changes nothing; set a name, tags or integration credentials");
  }
  return { ok: true, request, changes };
}

function refuse(path: readonly PropertyKey[], message: string): Validation {
  return { ok: false, problems: [{ path, message }] };
}
