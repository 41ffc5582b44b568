/**
 * zod issues → messages a person can act on, with the path in the patch and never a value.
 *
 * zod's own messages are not used: its unknown-key issues list the keys as typed (a pasted secret
 * can land in a key), and `error.message` is a JSON dump. Only names from the table of integrations,
 * and keys that look like field names, are ever quoted.
 */
import type { $ZodIssue } from "zod/v4/core";
import { valueAt } from "../paths.ts";
import { closest } from "../text.ts";
import {
  ATTRIBUTE_FIELDS,
  type Fields,
  findCredentialOwner,
  findIntegration,
  INTEGRATION_TYPES,
  INTEGRATIONS,
} from "./integrations.ts";

export interface PathMessage {
  /** The path in the user's document, e.g. ["integration", "credentials", "api_tokn"]. */
  readonly path: readonly PropertyKey[];
  /** What is wrong and what to do, without the input's name or the path. */
  readonly message: string;
}

/**
 * A key we may print: it looks like a field name (`api_tokn`, `apiToken`, `API_TOKEN`, `X-Api-Key`),
 * so it is not a pasted value. Tokens are made to look otherwise: `sk-ant-api03-...` and
 * `glpat-...` hold digits, hex keys are mostly digits, random base64 changes case at every turn, and a
 * pass phrase runs long words together. A name is words of letters joined by `_` or `-`, with at most
 * two digits in all, at most three humps of camelCase and no word longer than 16 letters.
 */
export function looksLikeFieldName(key: string): boolean {
  if (key.length > 40 || !/^[A-Za-z_][A-Za-z0-9]*(?:[_-]+[A-Za-z0-9]+)*_*$/.test(key)) return false;
  if ((key.match(/[0-9]/g) ?? []).length > 2) return false;
  if ((key.match(/[a-z0-9][A-Z]/g) ?? []).length > 3) return false;
  return key.split(/[_-]+|(?<=[a-z])(?=[A-Z])/).every((word) => word.length <= 16);
}

export function describeIssues(issues: readonly $ZodIssue[], document: unknown): PathMessage[] {
  return issues.flatMap((issue) => describeIssue(issue, document));
}

function describeIssue(issue: $ZodIssue, document: unknown): PathMessage[] {
  const path = issue.path;
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        path: looksLikeFieldName(key) ? [...path, key] : path,
        message: unknownField(key, document, path),
      }));
    case "invalid_union":
      return [{ path, message: unknownType(path, document) }];
    case "invalid_type":
      return [
        {
          path,
          message: pastedFile(path, valueAt(document, path)) ?? wrongType(issue.expected, valueAt(document, path)),
        },
      ];
    case "invalid_value":
      return [{ path, message: `must be ${issue.values.map(String).join(" or ")}` }];
    case "custom":
    case "invalid_format":
    case "too_small":
      // Our own checks (schema.ts) carry messages we wrote, none of which quotes the value.
      return [{ path, message: issue.message }];
    default:
      return [{ path, message: "is not valid here" }];
  }
}

function unknownField(key: string, document: unknown, path: readonly PropertyKey[]): string {
  if (!looksLikeFieldName(key)) return "has a field whose name is not a field name (not shown); remove it";
  const allowed = allowedKeysAt(document, path);
  const hint = misplacedHint(key, path);
  if (hint) return `unknown field; ${hint}`;
  const suggestion = allowed ? closest(key, allowed) : undefined;
  if (suggestion) return `unknown field; did you mean ${suggestion}?`;
  return allowed ? `unknown field; expected one of ${allowed.join(", ")}` : "unknown field";
}

/** Fields that users put one level too high, or an `id` copied from Datadog's answer. */
function misplacedHint(key: string, path: readonly PropertyKey[]): string | undefined {
  const last = path.at(-1);
  if (key === "id" && last === "data") return "the connection is chosen by the connection-id input";
  const atTop = path.length === 0 || last === "attributes";
  if (atTop && (key === "credentials" || key === "base_url")) return "it belongs under integration";
  const credentialField = INTEGRATIONS.some((entry) =>
    entry.credentials.some((kind) => Object.hasOwn(kind.fields, key)),
  );
  if ((atTop || last === "integration") && credentialField) return "it belongs under integration.credentials";
  return undefined;
}

function unknownType(path: readonly PropertyKey[], document: unknown): string {
  const given = valueAt(document, path);
  const isCredentials = path.at(-2) === "credentials";
  if (!isCredentials) {
    if (given === undefined || given === null) return `is required; one of ${INTEGRATION_TYPES.join(", ")}`;
    if (typeof given !== "string") return "must be an integration type (text)";
    const owner = findCredentialOwner(given);
    if (owner) return `${given} is a credential kind of ${owner.type}; the integration type is ${owner.type}`;
    const suggestion = closest(given, INTEGRATION_TYPES);
    return suggestion
      ? `unknown integration type; did you mean ${suggestion}?`
      : `unknown integration type; expected one of ${INTEGRATION_TYPES.join(", ")}`;
  }
  const integrationType = valueAt(document, [...path.slice(0, -2), "type"]);
  const integration = typeof integrationType === "string" ? findIntegration(integrationType) : undefined;
  const expected = integration?.credentials.map((kind) => kind.type) ?? [];
  const expectedText = expected.join(" or ");
  if (given === undefined || given === null) return `is required; expected ${expectedText}`;
  if (typeof given !== "string") return `must be a credential kind (text); expected ${expectedText}`;
  const owner = findCredentialOwner(given);
  if (owner && integration) return `${given} is not a credential of ${integration.type}; expected ${expectedText}`;
  const suggestion = closest(given, expected);
  return suggestion
    ? `unknown credential kind; did you mean ${suggestion}?`
    : `unknown credential kind; expected ${expectedText}`;
}

/** A whole key file pasted where one field of it belongs: say which field to take. */
function pastedFile(path: readonly PropertyKey[], given: unknown): string | undefined {
  const isMapping = given !== null && typeof given === "object" && !Array.isArray(given);
  if (isMapping && path.at(-1) === "private_key" && path.at(-2) === "credentials") {
    return "must be the PEM text of the key file's private_key field, not the whole key file; paste that field's value";
  }
  return undefined;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: "text",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
};

function wrongType(expected: string, given: unknown): string {
  const want = EXPECTED[expected] ?? expected;
  if (given === undefined) return `is required (${want})`;
  if (given === null) return `is empty; give ${want}`;
  const got = Array.isArray(given) ? "a list" : typeof given === "object" ? "a mapping" : kindOf(given);
  const quoteHint = expected === "string" && typeof given === "boolean" ? "; quote it to mean the word" : "";
  // A number became text too (numbers keep their source text): "unquoted" covers both.
  const flagHint = expected === "boolean" && typeof given === "string" ? "; write true or false, unquoted" : "";
  return `must be ${want}, not ${got}${quoteHint}${flagHint}`;
}

function kindOf(value: unknown): string {
  if (typeof value === "boolean") return "true/false";
  if (typeof value === "string") return "text";
  return typeof value;
}

/** The field names allowed in the mapping at `path`, following the document's type discriminators. */
function allowedKeysAt(document: unknown, path: readonly PropertyKey[]): string[] | undefined {
  const last = path.at(-1);
  if (path.length === 0) return valueAt(document, ["data"]) === undefined ? attributeKeys() : ["data"];
  if (last === "data") return ["type", "attributes"];
  if (last === "attributes") return attributeKeys();
  if (last === "integration") {
    const integration = typeOf(document, path, findIntegration);
    return integration ? ["type", "credentials", ...updateKeys(integration.fields)] : undefined;
  }
  if (last === "credentials") {
    const integration = typeOf(document, path.slice(0, -1), findIntegration);
    const given = valueAt(document, [...path, "type"]);
    const kind = integration?.credentials.find((candidate) => candidate.type === given);
    return kind ? ["type", ...updateKeys(kind.fields)] : undefined;
  }
  // Inside credentials: an object field (body) or a list entry (headers[0]).
  const index = path.lastIndexOf("credentials");
  if (index < 0) return undefined;
  const integration = typeOf(document, path.slice(0, index), findIntegration);
  const given = valueAt(document, [...path.slice(0, index + 1), "type"]);
  let fields: Fields | undefined = integration?.credentials.find((kind) => kind.type === given)?.fields;
  for (const key of path.slice(index + 1)) {
    if (typeof key === "number" || !fields) continue;
    const field: Fields[string] | undefined = fields[String(key)];
    fields = field?.kind === "object" ? field.fields : field?.kind === "list" ? field.item : undefined;
  }
  return fields ? updateKeys(fields) : undefined;
}

function attributeKeys(): string[] {
  return [...Object.keys(ATTRIBUTE_FIELDS), "integration"];
}

function updateKeys(fields: Fields): string[] {
  return Object.entries(fields)
    .filter(([, field]) => field.direction !== "response")
    .map(([name]) => name);
}

function typeOf<T>(document: unknown, path: readonly PropertyKey[], find: (type: string) => T | undefined) {
  const given = valueAt(document, [...path, "type"]);
  return typeof given === "string" ? find(given) : undefined;
}
