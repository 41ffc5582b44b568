/**
 * Which values are secrets, and what to do with them: register masks, redact copies.
 *
 * Secrets are found by field name in the raw parsed document, before validation, so that a patch
 * refused for a typo cannot leak either. The rule (contract, behaviour 7):
 * - a field Datadog blanks in its answers (api_token, private_key... from the table), whatever holds it;
 * - every HTTP token's `value`; an HTTP header's or URL parameter's `value` when its `name` marks a
 *   credential (Authorization, X-Api-Key...);
 * - an unknown field whose name marks a credential or is a typo of a secret field (`api_tokn`): it
 *   is refused anyway, and its value most likely is the secret the user meant.
 * Values of other fields are never masked: masking a short value such as `eu` would hide it
 * everywhere in the log, and the runner drops any output that contains masked text.
 */

import {
  ATTRIBUTE_FIELDS,
  type Fields,
  INTEGRATIONS,
  isCredentialName,
  SECRET_FIELD_NAMES,
  SECRET_LISTS,
} from "./patch/integrations.ts";
import { closest } from "./text.ts";

/** What stands in for a secret in a dry run's request and in the summary. */
export const REDACTED = "••••";

/** Calls `replace` for every secret value in `document`; its return value replaces the secret. */
function mapSecrets(document: unknown, replace: (secret: unknown) => unknown): unknown {
  if (Array.isArray(document)) return document.map((item) => mapSecrets(item, replace));
  if (document === null || typeof document !== "object") return document;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) {
    if (isSecretField(key, value)) {
      copy[key] = replace(value);
    } else if (SECRET_LISTS.has(key) && Array.isArray(value)) {
      const secrecy = SECRET_LISTS.get(key);
      copy[key] = value.map((entry) => mapSecrets(secretEntry(entry, secrecy === true, replace), replace));
    } else {
      copy[key] = mapSecrets(value, replace);
    }
  }
  return copy;
}

/** A list entry (`{name, value}`) with its value replaced when it is secret. */
function secretEntry(entry: unknown, always: boolean, replace: (secret: unknown) => unknown): unknown {
  if (entry === null || typeof entry !== "object" || !("value" in entry)) return entry;
  const name = (entry as { name?: unknown }).name;
  // A name that is not text cannot be judged: treat its value as secret.
  const secret = always || typeof name !== "string" || isCredentialName(name);
  return secret ? { ...entry, value: replace((entry as { value: unknown }).value) } : entry;
}

function isSecretField(key: string, value: unknown): boolean {
  if (SECRET_FIELD_NAMES.has(key)) return true;
  if (KNOWN_FIELD_NAMES.has(key) || typeof value !== "string") return false;
  return isCredentialName(key) || closest(key, [...SECRET_FIELD_NAMES]) !== undefined;
}

/** Field names of the table and of the request/response envelope: never judged by their name. */
const KNOWN_FIELD_NAMES: ReadonlySet<string> = new Set([
  ...collectNames(ATTRIBUTE_FIELDS),
  ...INTEGRATIONS.flatMap((entry) => [
    ...collectNames(entry.fields),
    ...entry.credentials.flatMap((kind) => collectNames(kind.fields)),
  ]),
  ...["data", "id", "type", "attributes", "integration", "credentials", "relationships"],
]);

function collectNames(fields: Fields): string[] {
  return Object.entries(fields).flatMap(([name, field]) => {
    if (field.kind === "object") return [name, ...collectNames(field.fields)];
    if (field.kind === "list") return [name, ...collectNames(field.item)];
    return [name];
  });
}

/** Every secret text in a document (strings nested in a secret value included). */
export function findSecrets(document: unknown): string[] {
  const found: string[] = [];
  mapSecrets(document, (secret) => {
    collectStrings(secret, found);
    return secret;
  });
  return found;
}

function collectStrings(value: unknown, into: string[]): void {
  if (typeof value === "string") {
    into.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectStrings(item, into);
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      into.push(key);
      collectStrings(item, into);
    }
  }
}

/**
 * The forms of a secret to register: the value, trimmed, each of its lines, and its CRLF and LF
 * forms, so that neither the key, a line of it, nor its re-wrapped form can be read. (The runner
 * masks JSON-escaped, base64 and URL-encoded forms itself, but only of what it is given.)
 */
export function maskForms(secret: string): string[] {
  const forms = new Set<string>([secret, secret.trim()]);
  if (/[\r\n]/.test(secret)) {
    forms.add(secret.replace(/\r?\n/g, "\r\n"));
    forms.add(secret.replace(/\r\n/g, "\n"));
    for (const line of secret.split(/\r?\n|\r/)) forms.add(line.trim());
  }
  forms.delete("");
  return [...forms];
}

/**
 * The secrets of this run: each form registered once with the runner (`setSecret`), and kept so
 * that what the action writes where the runner does not mask (the job summary) can be checked.
 */
export class SecretRegistry {
  readonly #forms = new Set<string>();
  readonly #setSecret: (value: string) => void;

  constructor(setSecret: (value: string) => void) {
    this.#setSecret = setSecret;
  }

  register(secrets: Iterable<string>): void {
    for (const secret of secrets) {
      for (const form of maskForms(secret)) {
        if (this.#forms.has(form)) continue;
        this.#forms.add(form);
        this.#setSecret(form);
      }
    }
  }

  /** `text` with every registered secret replaced by REDACTED, longest first. */
  scrub(text: string): string {
    let result = text;
    for (const form of [...this.#forms].sort((a, b) => b.length - a.length)) {
      if (result.includes(form)) result = result.split(form).join(REDACTED);
    }
    return result;
  }
}

/** A copy with every secret replaced by `REDACTED`: the request a dry run shows. */
export function redact<T>(document: T): T {
  return mapSecrets(document, () => REDACTED) as T;
}

/** A copy with every secret blanked as Datadog does (""): the `connection` output. */
export function blank<T>(document: T): T {
  return mapSecrets(document, () => "") as T;
}
