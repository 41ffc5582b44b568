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
  isSecretEntry,
  SECRET_FIELD_NAMES,
  SECRET_LISTS,
} from "./patch/integrations.ts";
import { closest, collapseSpace } from "./text.ts";

/** What stands in for a secret in a dry run's request and in the summary. */
export const REDACTED = "••••";

/**
 * Calls `replace` for every secret value in `document`; its return value replaces the secret.
 * `guess`: also take what only looks like a secret (a misspelt or unknown field named like one); for
 * the user's patch, never for Datadog's answer, whose future fields (`auth_type: oauth`) must stay.
 */
function mapSecrets(document: unknown, replace: (secret: unknown) => unknown, guess: boolean): unknown {
  if (Array.isArray(document)) return document.map((item) => mapSecrets(item, replace, guess));
  if (!isPlainObject(document)) return document;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) {
    if (SECRET_FIELD_NAMES.has(key) || (guess && looksSecret(key, value))) {
      copy[key] = replace(value);
    } else if (SECRET_LISTS.has(key) && Array.isArray(value)) {
      copy[key] = value.map((entry) => mapSecrets(secretEntry(key, entry, replace, guess), replace, guess));
    } else {
      copy[key] = mapSecrets(value, replace, guess);
    }
  }
  return copy;
}

/** Fields of a list entry that never hold its secret. */
const ENTRY_LABELS: ReadonlySet<string> = new Set(["name", "type", "deleted"]);

/**
 * A list entry (`{name, value}`) with its value replaced when it is secret. Of a secret entry, every
 * field but its name, type and `deleted` is taken as the value: a misspelt `valu` holds the secret too.
 */
function secretEntry(list: string, entry: unknown, replace: (secret: unknown) => unknown, guess: boolean): unknown {
  // Text given as an entry (`tokens: [sk-live-...]`) is refused, but most likely is the secret.
  if (typeof entry === "string") return guess ? replace(entry) : entry;
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return entry;
  if (!isSecretEntry(list, (entry as { name?: unknown }).name)) return entry;
  return Object.fromEntries(
    Object.entries(entry).map(([key, value]) => [
      key,
      key === "value" || (guess && !ENTRY_LABELS.has(key)) ? replace(value) : value,
    ]),
  );
}

/** A field the table does not call secret, but whose name and text say it probably holds one. */
function looksSecret(key: string, value: unknown): boolean {
  if (typeof value !== "string") return false;
  // Text where the credentials or a list of them belongs (`headers: "Authorization: Bearer ..."`).
  if (CREDENTIAL_HOLDERS.has(key)) return true;
  if (KNOWN_FIELD_NAMES.has(key)) return false;
  return isCredentialName(key) || closest(key, [...SECRET_FIELD_NAMES]) !== undefined;
}

/** Fields that hold credentials as a mapping or a list: text given there is taken for a secret. */
const CREDENTIAL_HOLDERS: ReadonlySet<string> = new Set(["credentials", ...SECRET_LISTS.keys()]);

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
  mapSecrets(
    document,
    (secret) => {
      collectStrings(secret, found);
      return secret;
    },
    true,
  );
  return found;
}

function collectStrings(value: unknown, into: string[]): void {
  if (typeof value === "string") {
    into.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectStrings(item, into);
  } else if (isPlainObject(value)) {
    // Leaf values, not keys: a GCP key file pasted whole under private_key would make `type`,
    // `private_key`, `client_id` masks for the whole job (hiding those words in every later message).
    // One exception: a secret holding ": " unquoted, which YAML reads as a mapping of one entry whose
    // key is the secret's first part (`api_token: sk-1: rest`); a field name of ours is never that.
    // (Not a Uint8Array (`!!binary`) or the like: its keys are indices.)
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first && typeof first[1] === "string" && !KNOWN_FIELD_NAMES.has(first[0])) {
      into.push(first[0]);
    }
    for (const [, item] of entries) collectStrings(item, into);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The forms of a secret to register: the value, trimmed, each of its lines, and its CRLF and LF
 * forms, so that neither the key, a line of it, nor its re-wrapped form can be read; then, of each of
 * those, the JSON-escaped form (as JavaScript writes it, so that the mask does not depend on how the
 * runner escapes quotes, backslashes and controls) and the form with each run of white space and
 * control characters made one space (how a message quoting Datadog's answer shows it).
 */
export function maskForms(secret: string): string[] {
  const bases = new Set<string>([secret, secret.trim()]);
  if (/[\r\n]/.test(secret)) {
    bases.add(secret.replace(/\r?\n/g, "\r\n"));
    bases.add(secret.replace(/\r\n/g, "\n"));
    for (const line of secret.split(/\r?\n|\r/)) bases.add(line.trim());
  }
  const forms = new Set<string>();
  for (const base of bases) {
    forms.add(base);
    forms.add(JSON.stringify(base).slice(1, -1));
    forms.add(collapseSpace(base));
  }
  forms.delete("");
  return [...forms];
}

/**
 * Secrets this long or longer are scrubbed wherever they stand in a text; shorter ones only where
 * they are the whole text. A short value marked secret by its name (`auth_version: "1"`) would
 * otherwise turn every "1" of the connection's id into ••••; the runner's masks still hide it in the log.
 * In server text (scrubMessage), this many consecutive units of a secret are taken for the secret.
 */
const MIN_EMBEDDED = 8;
/** The shortest value read with !env that is scrubbed inside a longer text (see register). */
const MIN_ANYWHERE = 4;
/** A piece of a secret's start this long, cut off by a shortened message, is taken for the secret. */
const MIN_CUT_PREFIX = 6;
/** What may follow where a message was shortened. */
const CUT_ENDS: ReadonlySet<string> = new Set([".", "…", ")", "]", '"', "'"]);

/**
 * The secrets of this run: each form registered once with the runner (`setSecret`), and kept so
 * that what the action writes where the runner does not mask (the job summary) can be checked.
 */
export class SecretRegistry {
  readonly #forms = new Set<string>();
  readonly #setSecret: (value: string) => void;
  /**
   * Lengths of the forms of at least MIN_EMBEDDED units (longest first) by their first two UTF-16 code
   * units, as a number so that scrub() allocates nothing at a position where no form starts.
   */
  readonly #byPrefix = new Map<number, number[]>();
  /** Every run of MIN_EMBEDDED units of every echoed form (echoForms) of each secret that long. */
  readonly #runs = new Set<string>();
  /** The first MIN_CUT_PREFIX to MIN_EMBEDDED - 1 units of each echoed form: a message cut there. */
  readonly #heads = new Set<string>();

  constructor(setSecret: (value: string) => void) {
    this.#setSecret = setSecret;
  }

  /**
   * `anywhere`: values the user marked secret themselves (read with `!env`), scrubbed wherever they
   * stand from MIN_ANYWHERE units on, not only whole when shorter than MIN_EMBEDDED: a tag or a header
   * name read with !env must not show inside a plan's line.
   */
  register(secrets: Iterable<string>, anywhere = false): void {
    const list = [...secrets];
    for (const secret of list) {
      for (const form of maskForms(secret)) {
        const embedded = form.length >= MIN_EMBEDDED || (anywhere && form.length >= MIN_ANYWHERE);
        if (this.#forms.has(form) && !embedded) continue;
        if (!this.#forms.has(form)) {
          this.#forms.add(form);
          this.#setSecret(form);
        }
        if (!embedded) continue;
        const prefix = prefixKey(form, 0);
        const lengths = this.#byPrefix.get(prefix) ?? [];
        if (!lengths.includes(form.length)) lengths.push(form.length);
        lengths.sort((a, b) => b - a);
        this.#byPrefix.set(prefix, lengths);
      }
    }
    // Only once every mask is with the runner: nothing here may keep one from it.
    for (const secret of list) {
      if (secret.trim().length < MIN_EMBEDDED) continue;
      for (const form of echoForms(secret)) {
        for (let at = 0; at + MIN_EMBEDDED <= form.length; at++) this.#runs.add(form.slice(at, at + MIN_EMBEDDED));
        for (let length = MIN_CUT_PREFIX; length < MIN_EMBEDDED; length++) this.#heads.add(form.slice(0, length));
      }
    }
  }

  /**
   * `text` with every registered form of a secret replaced by REDACTED, leftmost and longest first
   * (see MIN_EMBEDDED for short ones). Linear in the text: at each position only the forms that start
   * with its two characters are tried (a summary of 1,000 headers checked against 1,000 secrets must
   * not take seconds).
   *
   * Exact, not by runs: for outputs and the summary, which hold the connection as Datadog stores it.
   * There a value may legitimately share eight characters with a secret (a base_url and a token
   * holding it, the `-----BEGIN PRIVATE KEY-----` line of a PEM, a header value), and a following
   * step reading `connection` needs it whole; a secret there is in a field the table blanks anyway.
   */
  scrub(text: string): string {
    if (this.#forms.has(text)) return REDACTED;
    if (this.#byPrefix.size === 0) return text;
    let result = "";
    let copied = 0;
    for (let at = 0; at < text.length; ) {
      const length = this.#matchAt(text, at);
      if (length > 0) {
        result += text.slice(copied, at) + REDACTED;
        at += length;
        copied = at;
      } else {
        at++;
      }
    }
    return result + text.slice(copied);
  }

  /** The length of the longest form that stands in `text` at `at`, or 0. */
  #matchAt(text: string, at: number): number {
    for (const length of this.#byPrefix.get(prefixKey(text, at)) ?? NONE) {
      if (length <= text.length - at && this.#forms.has(text.slice(at, at + length))) return length;
    }
    return 0;
  }

  /**
   * Text from the server (a message quoting Datadog's detail, a header, a name), scrubbed wider than
   * scrub(): any run of MIN_EMBEDDED or more consecutive units of a secret, in any form a server
   * plausibly echoes it in (echoForms), whole or cut anywhere; and a start of a secret of
   * MIN_CUT_PREFIX units or more where a shortened message stops (at the end, or before the `.`,
   * `...` or closing bracket or quote that follows). Covered ranges are merged, each replaced by
   * REDACTED. Linear in the text: one set lookup per position for the runs, two for the cut starts.
   */
  scrubMessage(text: string): string {
    if (this.#forms.has(text)) return REDACTED;
    if (this.#runs.size === 0) return this.scrub(text);
    let result = "";
    let copied = 0;
    // The covered range being built: [start, end).
    let start = -1;
    let end = -1;
    for (let at = 0; at < text.length; at++) {
      let reach = this.#runs.has(text.slice(at, at + MIN_EMBEDDED)) ? at + MIN_EMBEDDED : -1;
      for (let length = MIN_EMBEDDED - 1; reach < 0 && length >= MIN_CUT_PREFIX; length--) {
        const after = at + length;
        if (after > text.length || !(after === text.length || CUT_ENDS.has(text[after] ?? ""))) continue;
        if (this.#heads.has(text.slice(at, after))) reach = after;
      }
      if (reach < 0) continue;
      if (at <= end) {
        end = Math.max(end, reach);
        continue;
      }
      if (start >= 0) {
        result += text.slice(copied, start) + REDACTED;
        copied = end;
      }
      start = at;
      end = reach;
    }
    if (start >= 0) {
      result += text.slice(copied, start) + REDACTED;
      copied = end;
    }
    return this.scrub(result + text.slice(copied));
  }
}

/**
 * The forms in which a server may quote a secret it was sent, for scrubMessage: the value and its
 * LF, CRLF and one-line forms, each as it is, JSON-escaped as JavaScript writes it, as Go's
 * encoding/json writes it (`\u0026 \u003c \u003e \u2028 \u2029`), as .NET's System.Text.Json
 * writes it (`\u0022 \u0027 \u002B \u0060`, upper-case hex, every non-ASCII unit), as Python's json
 * writes it (non-ASCII as `\u00e4`), JSON-escaped twice (a JSON body quoted inside a JSON string or
 * with Go's %q), URL-encoded (JavaScript's encodeURIComponent, and every reserved character as Go's
 * QueryEscape does; spaces as %20 or +), and HTML/XML-escaped (`&amp;`, `&#34;`/`&quot;`,
 * `&#39;`/`&apos;`); of each, the form with white space collapsed (how a message shows it). The
 * runner masks only the plain, .NET-escaped, URL-encoded, XML-escaped and base64 forms, whole.
 */
export function echoForms(secret: string): string[] {
  const bases = new Set([
    secret,
    secret.replace(/\r?\n/g, "\n"),
    secret.replace(/\r?\n/g, "\r\n"),
    collapseSpace(secret),
  ]);
  const forms = new Set<string>();
  for (const base of bases) {
    for (const escaper of ESCAPES) {
      const form = escaper(base);
      forms.add(form);
      forms.add(collapseSpace(form));
    }
  }
  return [...forms].filter((form) => form.length >= MIN_EMBEDDED);
}

const hex4 = (unit: number, upper: boolean) => {
  const digits = unit.toString(16).padStart(4, "0");
  return `\\u${upper ? digits.toUpperCase() : digits}`;
};

/** JSON string content (no quotes) escaping `special` units and controls as \uXXXX besides `"` and `\\`. */
function jsonEscaper(special: RegExp, upper: boolean): (text: string) => string {
  return (text) =>
    JSON.stringify(text)
      .slice(1, -1)
      .replace(special, (unit) => hex4(unit.charCodeAt(0), upper));
}

const jsonJs = (text: string) => JSON.stringify(text).slice(1, -1);
const jsonGo = jsonEscaper(/[&<>\u2028\u2029]/g, false);
const jsonPython = jsonEscaper(/[\u0080-\uffff]/g, false);
const jsonDotNet = (text: string) => jsonEscaper(/[&<>'+`\u007f-\uffff]/g, true)(text).replace(/\\"/g, "\\u0022");
/** encodeURIComponent, which throws on a lone surrogate: a server can only have echoed it as U+FFFD. */
const uri = (text: string) => encodeURIComponent(text.toWellFormed());
const urlStrict = (text: string) =>
  uri(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
const html = (quote: string, apostrophe: string) => (text: string) =>
  text.replace(/[&<>"']/g, (char) =>
    char === "&" ? "&amp;" : char === "<" ? "&lt;" : char === ">" ? "&gt;" : char === '"' ? quote : apostrophe,
  );

/**
 * Base64 of the text as it stands at each of the three alignments inside a longer encoded text (an
 * echoed `Authorization: Basic` header, a token in a JSON Web Token): the groups that hold only its
 * bytes, without the partial ones at either end, which depend on what stands beside it.
 */
const base64At = (offset: number) => (text: string) => {
  const bytes = Buffer.concat([Buffer.alloc(offset), Buffer.from(text, "utf8")]);
  const encoded = bytes.toString("base64");
  const whole = Math.floor(bytes.length / 3) * 4;
  return encoded.slice(offset === 0 ? 0 : 4, whole);
};

const ESCAPES: readonly ((text: string) => string)[] = [
  (text) => text,
  base64At(0),
  base64At(1),
  base64At(2),
  jsonJs,
  jsonGo,
  jsonDotNet,
  jsonPython,
  (text) => jsonJs(jsonJs(text)),
  (text) => jsonJs(jsonGo(text)),
  uri,
  (text) => uri(text).replace(/%20/g, "+"),
  urlStrict,
  (text) => urlStrict(text).replace(/%20/g, "+"),
  html("&#34;", "&#39;"),
  html("&quot;", "&#39;"),
  html("&quot;", "&apos;"),
];

const NONE: readonly number[] = [];

/** The two UTF-16 code units of `text` at `at` as one number. */
function prefixKey(text: string, at: number): number {
  return text.charCodeAt(at) * 0x10000 + text.charCodeAt(at + 1);
}

/**
 * A copy with every secret replaced by `REDACTED`: the request a dry run shows. `alsoSecret`: values
 * redacted wherever they stand (those read with `!env`, secret whatever field holds them).
 */
export function redact<T>(document: T, alsoSecret: ReadonlySet<string> = new Set()): T {
  const redacted = mapSecrets(document, () => REDACTED, true);
  return (alsoSecret.size === 0 ? redacted : redactValues(redacted, alsoSecret)) as T;
}

function redactValues(document: unknown, values: ReadonlySet<string>): unknown {
  if (typeof document === "string") return values.has(document) ? REDACTED : document;
  if (Array.isArray(document)) return document.map((item) => redactValues(item, values));
  if (!isPlainObject(document)) return document;
  return Object.fromEntries(Object.entries(document).map(([key, item]) => [key, redactValues(item, values)]));
}

/** A copy with every secret blanked as Datadog does (""), by the table only: the `connection` output. */
export function blank<T>(document: T): T {
  return mapSecrets(document, () => "", false) as T;
}
