/**
 * What a validated patch sets, field by field: for the job summary, and to refuse a patch that
 * changes nothing (only `type` discriminators, or `generate_new_external_id: false`).
 */

import { REDACTED } from "../secrets.ts";
import { type Field, type Fields, findIntegration, isSecretEntry } from "./integrations.ts";
import type { AttributesValue } from "./schema.ts";

export interface Change {
  /** `integration.credentials.api_token`, `integration.credentials.headers[Authorization]` */
  readonly path: string;
  /** Secret values are never shown, only said to be updated. */
  readonly secret: boolean;
  /** What the summary shows: the value of a non-secret field, or what happens to it. */
  readonly shown: string;
}

/** `secretValues`: values shown as secret whatever field holds them (those read with `!env`). */
export function listChanges(attributes: AttributesValue, secretValues: ReadonlySet<string> = new Set()): Change[] {
  const tagsSecret = attributes.tags?.some((tag) => secretValues.has(tag)) ?? false;
  // An HTTP entry named with !env: its name is a secret too, and the path shows it as one.
  const named = (path: string) =>
    path.replace(/\[([^\]]*)\]$/, (whole, name: string) => (secretValues.has(name) ? `[${REDACTED}]` : whole));
  return listAll(attributes).map((change) =>
    !change.secret && (secretValues.has(change.shown) || (change.path === "tags" && tagsSecret))
      ? secret(named(change.path))
      : { ...change, path: named(change.path) },
  );
}

function listAll(attributes: AttributesValue): Change[] {
  const changes: Change[] = [];
  if (attributes.name !== undefined) changes.push(plain("name", attributes.name));
  if (attributes.tags !== undefined) changes.push(plain("tags", attributes.tags.join(", ") || "(none)"));
  const integration = attributes.integration;
  if (integration) {
    const entry = findIntegration(integration.type);
    if (entry) changes.push(...fieldChanges("integration", integration, entry.fields));
    const credentials = integration.credentials;
    const kind = entry?.credentials.find((candidate) => candidate.type === credentials?.type);
    if (credentials && kind) changes.push(...fieldChanges("integration.credentials", credentials, kind.fields));
  }
  return changes;
}

function fieldChanges(prefix: string, values: Record<string, unknown>, fields: Fields): Change[] {
  return Object.entries(fields).flatMap(([name, field]) => {
    const value = values[name];
    return value === undefined ? [] : changesOf(`${prefix}.${name}`, field, value);
  });
}

function changesOf(path: string, field: Field, value: unknown): Change[] {
  switch (field.kind) {
    case "text":
      return [field.secret === true ? secret(path) : plain(path, String(value))];
    case "flag":
      // `generate_new_external_id: false` asks for nothing.
      return value === true ? [{ path, secret: false, shown: "requested" }] : [];
    case "tags":
      return [plain(path, (value as string[]).join(", "))];
    case "object":
      return fieldChanges(path, value as Record<string, unknown>, field.fields);
    case "list":
      return (value as Record<string, unknown>[]).map((entry) => {
        const entryPath = `${path}[${String(entry.name)}]`;
        if (entry.deleted === true) return plain(entryPath, "deleted");
        if (entry.value === undefined) return plain(entryPath, "(name only)");
        return isSecretEntry(listName(path), entry.name) ? secret(entryPath) : plain(entryPath, String(entry.value));
      });
  }
}

/** `headers` of `integration.credentials.headers`. */
const listName = (path: string) => path.slice(path.lastIndexOf(".") + 1);

const plain = (path: string, shown: string): Change => ({ path, secret: false, shown });
const secret = (path: string): Change => ({ path, secret: true, shown: "updated" });
