/**
 * The plan of one connection: what a validated document sets, field by field, against what Datadog
 * holds now. Pure: the dry run shows it, the apply uses it to skip what would change nothing.
 *
 * The API's semantics (api-notes.md): fields a document leaves out stay as they are; `tags` replaces
 * the whole list; HTTP headers, URL parameters and tokens merge by name (an entry named is set or,
 * with `deleted: true`, removed; entries not named stay). Secrets are never returned by Datadog, so
 * the plan cannot know whether they differ: a secret is always "will be written".
 */
import { type Field, type Fields, findIntegration, isSecretEntry } from "./patch/integrations.ts";
import type { AttributesValue } from "./patch/schema.ts";
import type { FieldPlan } from "./result.ts";
import { REDACTED } from "./secrets.ts";

/** What Datadog holds: the attributes of a GET answer; undefined when they were not read. */
export type CurrentState = Readonly<Record<string, unknown>> | undefined;

/** Values read with `!env`: secrets whatever field they stand in. */
export type SecretSource = ReadonlySet<string>;

/** Shown for a field that is not set now, in Datadog's answer. */
export const NOT_SET = "(not set)";

type Json = Readonly<Record<string, unknown>>;

/** Every field the document sets, with Datadog's current value where it is known, in the table's order. */
export function planFields(
  desired: AttributesValue,
  current: CurrentState,
  fromEnv: SecretSource = new Set(),
): FieldPlan[] {
  const walk = new Walk(current !== undefined, fromEnv);
  const now: Json = current ?? {};
  if (desired.name !== undefined) walk.text(["name"], false, desired.name, now.name);
  if (desired.tags !== undefined) walk.tags(["tags"], desired.tags, now.tags);
  const integration = desired.integration;
  if (!integration) return walk.fields;
  const entry = findIntegration(integration.type);
  const nowIntegration = asObject(now.integration);
  const known = current !== undefined;
  // A connection of another type (or credential kind) is rebuilt: every field it sets differs.
  const sameType = nowIntegration.type === integration.type;
  if (known && !sameType) walk.text(["integration", "type"], false, integration.type, nowIntegration.type, true);
  if (!entry) return walk.fields;
  walk.object(["integration"], integration, sameType ? nowIntegration : {}, entry.fields);
  const credentials = integration.credentials;
  const credentialKind = entry.credentials.find((candidate) => candidate.type === credentials?.type);
  if (!credentials || !credentialKind) return walk.fields;
  const nowCredentials = sameType ? asObject(nowIntegration.credentials) : {};
  const sameKind = nowCredentials.type === credentials.type;
  if (known && !sameKind && sameType) {
    walk.text(["integration", "credentials", "type"], false, credentials.type, nowCredentials.type, true);
  }
  walk.object(["integration", "credentials"], credentials, sameKind ? nowCredentials : {}, credentialKind.fields);
  return walk.fields;
}

/** Whether sending the document would change anything: some field differs (secrets always do). */
export function differs(fields: readonly FieldPlan[]): boolean {
  return fields.some((field) => field.differs);
}

/** Whether the document sets a secret: then it is always sent, never skipped. */
export function setsSecret(fields: readonly FieldPlan[]): boolean {
  return fields.some((field) => field.secret);
}

class Walk {
  readonly fields: FieldPlan[] = [];
  readonly #known: boolean;
  readonly #fromEnv: SecretSource;

  constructor(known: boolean, fromEnv: SecretSource) {
    this.#known = known;
    this.#fromEnv = fromEnv;
  }

  object(path: readonly PropertyKey[], desired: Json, current: Json, fields: Fields): void {
    for (const [name, field] of Object.entries(fields)) {
      const value = desired[name];
      if (value !== undefined) this.field([...path, name], field, value, current[name]);
    }
  }

  field(path: readonly PropertyKey[], field: Field, value: unknown, current: unknown): void {
    switch (field.kind) {
      case "text":
        this.text(path, field.secret === true, String(value), current);
        return;
      case "flag":
        // `generate_new_external_id: true` is an act: it always does something. `false` asks for nothing.
        if (value === true) this.push(path, false, field.direction === "update" ? "requested" : "true", current, true);
        return;
      case "tags":
        this.tags(path, value as readonly string[], current);
        return;
      case "object":
        this.object(path, value as Json, asObject(current), field.fields);
        return;
      case "list":
        this.entries(path, value as readonly Json[], current);
        return;
    }
  }

  /** `differs` forced true: a change of type, which the comparison of values cannot see. */
  text(path: readonly PropertyKey[], secret: boolean, value: string, current: unknown, forced = false): void {
    if (secret || this.#fromEnv.has(value)) {
      this.fields.push({ path: show(path), secret: true, desired: "", differs: true });
      return;
    }
    this.push(path, false, value, current, forced || !this.#known || value !== current);
  }

  tags(path: readonly PropertyKey[], value: readonly string[], current: unknown): void {
    // A tag read with !env is a secret: the list is written, never shown.
    if (value.some((tag) => this.#fromEnv.has(tag))) {
      this.fields.push({ path: show(path), secret: true, desired: "", differs: true });
      return;
    }
    const now = Array.isArray(current) ? current.map(String) : [];
    const same = sameSet(value, now);
    const shownNow = this.#known ? now.join(", ") || "(none)" : undefined;
    this.fields.push({
      path: show(path),
      secret: false,
      ...(shownNow === undefined ? {} : { current: shownNow }),
      desired: value.join(", ") || "(none)",
      differs: !this.#known || !same,
    });
  }

  /** Entries merge by name: each entry named is compared with the entry of that name now, if any. */
  entries(path: readonly PropertyKey[], entries: readonly Json[], current: unknown): void {
    const list = String(path[path.length - 1]);
    const now = Array.isArray(current) ? (current as unknown[]).map(asObject) : [];
    entries.forEach((entry) => {
      // A name read with !env is a secret too: the path shows it as one.
      const at = `${show(path)}[${this.#fromEnv.has(String(entry.name)) ? REDACTED : String(entry.name)}]`;
      const match = now.find((candidate) => candidate.name === entry.name);
      const exists = match !== undefined;
      if (entry.deleted === true) {
        this.fields.push({
          path: at,
          secret: false,
          ...(this.#known ? { current: exists ? "present" : NOT_SET } : {}),
          desired: "deleted",
          differs: !this.#known || exists,
        });
        return;
      }
      const secret = isSecretEntry(list, entry.name) || this.#fromEnv.has(String(entry.value));
      if (secret) {
        this.fields.push({ path: at, secret: true, desired: "", differs: true });
        return;
      }
      const value = entry.value === undefined ? undefined : String(entry.value);
      const shownNow = !this.#known ? undefined : exists ? (textOf(match.value) ?? "(no value)") : NOT_SET;
      this.fields.push({
        path: at,
        secret: false,
        ...(shownNow === undefined ? {} : { current: shownNow }),
        desired: value ?? "(name only)",
        differs: !this.#known || !exists || (value !== undefined && value !== match.value),
      });
    });
  }

  push(path: readonly PropertyKey[], secret: boolean, desired: string, current: unknown, differs: boolean): void {
    const shownNow = this.#known ? (textOf(current) ?? NOT_SET) : undefined;
    this.fields.push({
      path: show(path),
      secret,
      ...(shownNow === undefined ? {} : { current: shownNow }),
      desired,
      differs,
    });
  }
}

function textOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function asObject(value: unknown): Json {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {};
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((tag) => right.has(tag));
}

/** `integration.credentials.api_token`: the form the summary and `changed` use. */
function show(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}
