/**
 * What Datadog echoed against what was sent: a difference in a non-secret field (the name, tags,
 * base_url, a role, a header value) means the connection is not what the patch says, and is worth
 * a warning. Secret fields are never compared: Datadog answers them as "". A value read with `!env`
 * into a field that is not secret (an X-Custom header) is compared like any other: it is what was
 * sent, so a difference is real; the warning names the path only, never a value.
 */

import { type Fields, findIntegration, isSecretEntry, SECRET_LISTS } from "./patch/integrations.ts";
import { valueAt } from "./paths.ts";

type Json = Readonly<Record<string, unknown>>;

/** Paths (relative to the attributes) where the answer differs from the patch. */
export function differences(sent: Json, answered: Json): (string | number)[][] {
  const found: (string | number)[][] = [];
  if (sent.name !== undefined && sent.name !== answered.name) found.push(["name"]);
  // An answer without tags has none: what clearing them (`tags: []`) should give.
  if (Array.isArray(sent.tags) && !sameSet(sent.tags, valueAt(answered, ["tags"]) ?? [])) found.push(["tags"]);
  const integration = sent.integration as Json | undefined;
  if (!integration) return found;
  const echoed = (answered.integration ?? {}) as Json;
  if (integration.type !== echoed.type) return [...found, ["integration", "type"]];
  const entry = findIntegration(String(integration.type));
  if (!entry) return found;
  found.push(...compareFields(["integration"], integration, echoed, entry.fields));
  const credentials = integration.credentials as Json | undefined;
  const kind = entry.credentials.find((candidate) => candidate.type === credentials?.type);
  if (!credentials || !kind) return found;
  const echoedCredentials = (echoed.credentials ?? {}) as Json;
  if (credentials.type !== echoedCredentials.type) return [...found, ["integration", "credentials", "type"]];
  return [...found, ...compareFields(["integration", "credentials"], credentials, echoedCredentials, kind.fields)];
}

function compareFields(path: (string | number)[], sent: Json, echoed: Json, fields: Fields): (string | number)[][] {
  return Object.entries(fields).flatMap(([name, field]) => {
    const value = sent[name];
    if (value === undefined || field.direction !== "both") return [];
    const at = [...path, name];
    switch (field.kind) {
      case "text":
        return field.secret === false && value !== echoed[name] ? [at] : [];
      case "object":
        return compareFields(at, value as Json, (echoed[name] ?? {}) as Json, field.fields);
      case "list":
        return compareEntries(at, name, value as Json[], echoed[name]);
      default:
        return [];
    }
  });
}

/**
 * Each entry sent should be echoed (by name), with its value unless that is secret; deleted ones gone.
 * A list whose every entry is secret (HTTP tokens) is not echoed at all: Datadog no longer returns
 * tokens in its answers, so a token sent and not echoed is normal.
 */
function compareEntries(path: (string | number)[], list: string, sent: Json[], echoed: unknown): (string | number)[][] {
  const answered = Array.isArray(echoed) ? (echoed as Json[]) : [];
  const notEchoed = SECRET_LISTS.get(list) === true;
  return sent.flatMap((entry, index) => {
    const match = answered.find((candidate) => candidate?.name === entry.name);
    if (entry.deleted === true) return match ? [[...path, index]] : [];
    if (!match) return notEchoed ? [] : [[...path, index]];
    return !isSecretEntry(list, entry.name) && entry.value !== undefined && entry.value !== match.value
      ? [[...path, index, "value"]]
      : [];
  });
}

function sameSet(sent: unknown[], answered: unknown): boolean {
  if (!Array.isArray(answered)) return false;
  const a = new Set(sent.map(String));
  const b = new Set(answered.map(String));
  return a.size === b.size && [...a].every((tag) => b.has(tag));
}
