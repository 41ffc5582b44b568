/**
 * zod schemas derived from the table of integrations.
 *
 * The request schema is strict (an unknown field, a credential kind of another integration or a
 * wrong type is refused before anything is sent); the response schema is loose (Datadog adds fields
 * and integrations over time, and the action must keep working). zod/mini keeps the bundle small.
 */
import * as z from "zod/mini";
import {
  ATTRIBUTE_FIELDS,
  type Direction,
  type Field,
  type Fields,
  findIntegration,
  INTEGRATIONS,
  type Integration,
  type ListField,
  type TextCheck,
  type TextField,
} from "./integrations.ts";

// zod compiles a fast path for each object schema the first time it parses with it (new Function):
// worth it after thousands of parses; the action parses two documents once each.
z.config({ jitless: true });

type Mode = "update" | "response";

const usedIn = (direction: Direction, mode: Mode) => direction === "both" || direction === mode;

/**
 * Each check as a pattern (so that the JSON Schema for editors carries it too), with the message that
 * says what to fix; never the value. `test` adds what a pattern cannot say.
 */
interface TextRule {
  readonly pattern: RegExp;
  readonly message: string;
  readonly test?: (value: string) => boolean;
}

/** C0 controls, DEL and C1 controls, for use inside a character class. */
const CONTROLS = "\\u0000-\\u001f\\u007f-\\u009f";

const TEXT_RULES: Readonly<Record<TextCheck, TextRule>> = {
  line: { pattern: new RegExp(`^[^${CONTROLS}]*$`), message: "must be one line without control characters" },
  multiline: {
    // Tab, LF and CR allowed.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    pattern: /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$/,
    message: "must not hold control characters other than tabs and line breaks",
  },
  "account-id": { pattern: /^\d{12}$/, message: "must be 12 digits (an AWS account id)" },
  email: { pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, message: "must be an e-mail address" },
  url: {
    pattern: /^https?:\/\/\S+$/,
    test: isHttpUrl,
    message: "must be an absolute https:// or http:// URL without user or password",
  },
  "header-name": {
    pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
    message: "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)",
  },
  "header-value": {
    // Tab allowed; CR, LF, NUL never (they would split or end the header).
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    pattern: /^[^\u0000-\u0008\u000a-\u001f\u007f]*$/,
    message: "must not hold CR, LF, NUL or other control characters (an HTTP header value)",
  },
};

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (
    (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "" && !url.username && !url.password
  );
}

/** Field docs and, for values that are not secret, an example: what editors show from the JSON Schema. */
function describe<T extends z.ZodMiniType>(schema: T, field: Field): T {
  const example =
    field.secret === false && field.kind !== "object" && field.kind !== "list" ? field.example : undefined;
  z.globalRegistry.add(schema, { description: field.doc, ...(example === undefined ? {} : { examples: [example] }) });
  return schema;
}

function textSchema(field: TextField, mode: Mode) {
  if (mode === "response") return z.string();
  const rule = TEXT_RULES[field.check];
  const checks = [
    // `abort`: an empty value gets this message only, not the pattern's too.
    ...(field.required ? [z.minLength(1, { message: "is empty; give a value", abort: true })] : []),
    z.regex(rule.pattern, { message: rule.message, abort: true }),
    ...(rule.test ? [z.refine<string>(rule.test, { message: rule.message })] : []),
  ];
  return z.string().check(...checks);
}

/**
 * Tags as Datadog's Connections docs define them: `key:value` with exactly one colon, starting with
 * a letter, the key `default` reserved. One rule at a time, so the message names the one that failed.
 */
function tagsSchema(mode: Mode) {
  if (mode === "response") return z.array(z.string());
  return z.array(
    z.string().check(
      z.regex(/^[A-Za-z]/, { message: "must start with a letter (key:value)", abort: true }),
      z.regex(/^[^:]*:[^:]*$/, { message: "must hold exactly one colon, between key and value", abort: true }),
      z.regex(/^[^:]+:.+$/, { message: "must have a value after the colon (key:value)", abort: true }),
      z.regex(/^[^\s,]+$/, { message: "must not hold spaces or commas", abort: true }),
      z.refine((tag) => !tag.toLowerCase().startsWith("default:"), { message: "uses the reserved key default" }),
    ),
  );
}

function fieldSchema(field: Field, mode: Mode): z.ZodMiniType {
  return mode === "update" ? describe(bareFieldSchema(field, mode), field) : bareFieldSchema(field, mode);
}

function bareFieldSchema(field: Field, mode: Mode): z.ZodMiniType {
  switch (field.kind) {
    case "text":
      return textSchema(field, mode);
    case "flag":
      return z.boolean();
    case "tags":
      return tagsSchema(mode);
    case "object":
      return objectSchema(field.fields, mode, {});
    case "list": {
      if (mode === "response") return z.array(objectSchema(field.item, mode, {}));
      // Only the name is always needed: `{name, deleted: true}` removes an entry, as Datadog takes it.
      // The other fields' presence and emptiness depend on `deleted`, checked by checkEntry().
      const optional = Object.fromEntries(
        Object.entries(field.item).map(([name, item]) => [
          name,
          item.kind === "text" && name !== "name" ? { ...item, required: false } : item,
        ]),
      );
      const item = objectSchema(optional, mode, {}, new Set(["name"]));
      return z.array(item.check(z.superRefine((entry, context) => checkEntry(entry as Entry, field, context))));
    }
  }
}

type Entry = Readonly<Record<string, unknown>>;

/**
 * An entry that stays needs its fields (a token its type and value), none empty; a deleted one needs
 * only its name, and may carry an empty value (as Datadog's own clients send it) but no other.
 */
function checkEntry(entry: Entry, field: ListField, context: z.core.$RefinementCtx<unknown>): void {
  const issue = (name: string, message: string) =>
    context.addIssue({ code: "custom", message, path: [name], input: entry[name] });
  if (entry.deleted === true) {
    if (typeof entry.value === "string" && entry.value !== "") {
      issue("value", 'must be empty or left out: deleted: true removes the entry (write value: "" or no value)');
    }
    return;
  }
  for (const name of field.itemRequiredInUpdate) {
    if (entry[name] === undefined) issue(name, "is required, unless the entry is deleted (deleted: true)");
    else if (entry[name] === "") issue(name, "is empty; give a value, or remove the entry with deleted: true");
  }
}

function objectSchema(
  fields: Fields,
  mode: Mode,
  extra: Record<string, z.ZodMiniType>,
  required: ReadonlySet<string> = new Set(),
) {
  const shape: Record<string, z.ZodMiniType> = { ...extra };
  for (const [name, field] of Object.entries(fields)) {
    if (!usedIn(field.direction, mode)) continue;
    // The token type is an enum of one value; keep it exact rather than any text.
    const schema = name === "type" && field.kind === "text" ? z.literal("SECRET") : fieldSchema(field, mode);
    // An answer may hold null where a field is unset: accepted (what is read from it checks types).
    shape[name] = required.has(name) ? schema : z.optional(mode === "response" ? z.nullable(schema) : schema);
  }
  return mode === "update" ? z.strictObject(shape) : z.looseObject(shape);
}

/** One integration's object: its fields and the union of its credential kinds. Built when first needed. */
function integrationOption(integration: Integration, mode: Mode) {
  const kinds = integration.credentials.map((kind) => objectSchema(kind.fields, mode, { type: z.literal(kind.type) }));
  const known = z.discriminatedUnion("type", kinds as [(typeof kinds)[number], ...typeof kinds]);
  // In an answer, a credential kind Datadog adds to a known integration is accepted too.
  const credentials = mode === "update" ? known : z.union([known, NEW_CREDENTIALS]);
  return objectSchema(integration.fields, mode, {
    type: z.literal(integration.type),
    credentials: z.optional(mode === "response" ? z.nullable(credentials) : credentials),
  });
}

/** Credentials of a kind the table does not know yet, as Datadog may answer them. */
const NEW_CREDENTIALS = z.looseObject({ type: z.string() });

/**
 * The `integration` schema. Given the type the document names, only that integration's schema is
 * built: building all 24 costs more than the rest of a run's start-up. An unknown or missing type
 * gets the union of all (a refusal is coming, and its message lists them).
 */
function integrationSchema(mode: Mode, type?: unknown) {
  const known = typeof type === "string" ? findIntegration(type) : undefined;
  const options = (known ? [known] : INTEGRATIONS).map((integration) => integrationOption(integration, mode));
  return z.discriminatedUnion("type", options as [(typeof options)[number], ...typeof options]);
}

/**
 * The shape of what the schemas accept. The table is data, so zod cannot infer its fields; these
 * types name what the code reads (the envelope and the discriminators) and leave the rest open.
 */
export type CredentialsValue = { readonly type: string } & Readonly<Record<string, unknown>>;
export type IntegrationValue = {
  readonly type: string;
  readonly credentials?: CredentialsValue | undefined;
} & Readonly<Record<string, unknown>>;
export interface AttributesValue {
  readonly name?: string | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly integration?: IntegrationValue | undefined;
  readonly [field: string]: unknown;
}
export interface UpdateRequest {
  readonly data: { readonly type: "action_connection"; readonly attributes: AttributesValue };
}
export interface UpdateResponse {
  readonly data: {
    readonly id: string;
    readonly type: "action_connection";
    readonly attributes: AttributesValue & { readonly integration: IntegrationValue };
    readonly [field: string]: unknown;
  };
}

/** The attributes of an update: every field optional; unknown fields refused. */
export function attributesSchema(integrationType?: unknown): z.ZodMiniType<AttributesValue> {
  return objectSchema(ATTRIBUTE_FIELDS, "update", {
    integration: z.optional(integrationSchema("update", integrationType)),
  }) as unknown as z.ZodMiniType<AttributesValue>;
}

/** The whole `UpdateActionConnectionRequest` document. */
export function requestSchema(integrationType?: unknown): z.ZodMiniType<UpdateRequest> {
  return z.strictObject({
    data: z.strictObject({
      type: z.literal("action_connection"),
      attributes: attributesSchema(integrationType),
    }),
  });
}

/**
 * What a successful update answers. Loose: unknown fields are kept, and an integration the table does
 * not know yet is accepted with only its `type` checked.
 */
export function responseSchema(integrationType?: unknown): z.ZodMiniType<UpdateResponse> {
  const known = typeof integrationType === "string" && findIntegration(integrationType);
  const integration = known
    ? integrationOption(known, "response")
    : z.looseObject({ type: z.string(), credentials: z.optional(NEW_CREDENTIALS) });
  return z.looseObject({
    data: z.looseObject({
      id: z.string(),
      type: z.literal("action_connection"),
      attributes: objectSchema(ATTRIBUTE_FIELDS, "response", { integration }),
    }),
  }) as unknown as z.ZodMiniType<UpdateResponse>;
}
