/**
 * THE table of Datadog Action Connection integrations.
 *
 * Everything else is derived from it: the zod schemas that check a patch and read a response, the
 * set of secret fields that are masked and blanked, the README's table of supported integrations, the
 * JSON Schema for patch files, the simulator's stored connections and the test fixtures. Adding an
 * integration is one entry here.
 *
 * Source: Datadog's API reference for `PATCH /api/v2/actions/connections/{connection_id}` (the
 * `ActionConnectionIntegrationUpdate` and `ActionConnectionIntegration` models) and the notes on how
 * the service answers (shared/reference/api-notes.md).
 */

/** How a text value is checked. */
export type TextCheck =
  /** One line: no control characters at all (CR, LF, NUL...). */
  | "line"
  /** Several lines allowed (PEM keys, serialized bodies); NUL and other controls still refused. */
  | "multiline"
  /** Exactly twelve digits: an AWS account id (the service answers 400 otherwise). */
  | "account-id"
  /** An e-mail address. */
  | "email"
  /** An absolute https:// or http:// URL. */
  | "url"
  /** An HTTP header name: an RFC 9110 token. */
  | "header-name"
  /** An HTTP header value: visible characters, spaces and tabs; never CR, LF or NUL. */
  | "header-value";

/**
 * When a value is a secret. `true`: always (Datadog answers it as ""). `"by-name"`: when the
 * sibling `name` marks a credential (an HTTP header or URL parameter such as `Authorization` or
 * `api_key`), see `isCredentialName`.
 */
export type Secrecy = boolean | "by-name";

/** Where a field may appear: in an update request, in Datadog's answers, or both. */
export type Direction = "both" | "update" | "response";

export interface TextField {
  readonly kind: "text";
  readonly check: TextCheck;
  readonly secret: Secrecy;
  /** Required when a connection is created or its credential kind is switched; never in an update. */
  readonly required: boolean;
  readonly direction: Direction;
  readonly doc: string;
  /** A realistic value for docs, examples and test fixtures (never a real secret). */
  readonly example: string;
}

export interface FlagField {
  readonly kind: "flag";
  readonly secret: false;
  readonly required: false;
  readonly direction: Direction;
  readonly doc: string;
  readonly example: boolean;
}

export interface ObjectField {
  readonly kind: "object";
  readonly secret: false;
  readonly required: boolean;
  readonly direction: Direction;
  readonly doc: string;
  readonly fields: Fields;
}

export interface ListField {
  readonly kind: "list";
  readonly secret: false;
  readonly required: boolean;
  readonly direction: Direction;
  readonly doc: string;
  /** Fields of each entry. In an update, the entry's `required` fields must be given. */
  readonly item: Fields;
  /** Fields an entry must carry in an update request (e.g. `name`, or `name`, `type`, `value`), unless it is deleted. */
  readonly itemRequiredInUpdate: readonly string[];
  /**
   * What a deletion (`{name, deleted: true}`) sends besides its name and `deleted: true`: the form
   * Datadog's Terraform provider sends (tokens carry `type: SECRET` and an empty value).
   */
  readonly deletedForm: Readonly<Record<string, string>>;
}

/** A list of `key:value` strings: the connection's tags. */
export interface TagsField {
  readonly kind: "tags";
  readonly secret: false;
  readonly required: false;
  readonly direction: Direction;
  readonly doc: string;
  readonly example: readonly string[];
}

export type Field = TextField | FlagField | ObjectField | ListField | TagsField;
export type Fields = Readonly<Record<string, Field>>;

interface TextOptions {
  check?: TextCheck;
  required?: boolean;
  direction?: Direction;
}

const text =
  (secret: Secrecy) =>
  (doc: string, example: string, options: TextOptions = {}): TextField => ({
    kind: "text",
    check: options.check ?? "line",
    secret,
    required: options.required ?? true,
    direction: options.direction ?? "both",
    doc,
    example,
  });

/** A field whose value is not a secret. */
const plain = text(false);
/** A field whose value Datadog blanks in its answers: masked, redacted, never shown. */
const secret = text(true);

const flag = (doc: string, example: boolean, direction: Direction = "both"): FlagField => ({
  kind: "flag",
  secret: false,
  required: false,
  direction,
  doc,
  example,
});

const object = (doc: string, fields: Fields, required = false): ObjectField => ({
  kind: "object",
  secret: false,
  required,
  direction: "both",
  doc,
  fields,
});

const list = (
  doc: string,
  item: Fields,
  itemRequiredInUpdate: readonly string[],
  deletedForm: Readonly<Record<string, string>> = {},
): ListField => ({
  kind: "list",
  secret: false,
  required: false,
  direction: "both",
  doc,
  item,
  itemRequiredInUpdate,
  deletedForm,
});

export interface CredentialKind {
  /** The credentials' `type` discriminator, e.g. `AWSAssumeRole`. */
  readonly type: string;
  readonly fields: Fields;
}

export interface Integration {
  /** The integration's `type` discriminator, e.g. `AWS`. */
  readonly type: string;
  /** The product's name as people write it. */
  readonly title: string;
  /** Fields of the integration object besides `type` and `credentials` (HTTP's `base_url`). */
  readonly fields: Fields;
  readonly credentials: readonly CredentialKind[];
}

const integration = (
  type: string,
  title: string,
  credentials: readonly CredentialKind[],
  fields: Fields = {},
): Integration => ({ type, title, fields, credentials });

const kind = (type: string, fields: Fields): CredentialKind => ({ type, fields });

/** An integration whose one credential is one secret token field, as most are. */
const tokenIntegration = (
  type: string,
  title: string,
  credentialType: string,
  field: "api_token" | "api_key" | "access_token",
  example: string,
): Integration =>
  integration(type, title, [kind(credentialType, { [field]: secret(`${title} ${field.replace("_", " ")}`, example) })]);

const headerEntry: Fields = {
  name: plain("Header name", "X-Api-Version", { check: "header-name" }),
  value: text("by-name")("Header value; secret when the name marks a credential", "2024-06-01", {
    check: "header-value",
  }),
  deleted: flag("Remove this header from the connection", true, "update"),
};

const urlParameterEntry: Fields = {
  name: plain("URL parameter name", "region"),
  value: text("by-name")("URL parameter value; secret when the name marks a credential", "eu"),
  deleted: flag("Remove this URL parameter from the connection", true, "update"),
};

const tokenEntry: Fields = {
  name: plain("Token name, referenced from requests as {{ tokens.<name> }}", "bearer"),
  type: plain("Token type; always SECRET", "SECRET"),
  value: secret("Token value", "tok_5f0c2a9e1b7d4c3a"),
  deleted: flag("Remove this token from the connection", true, "update"),
};

export const INTEGRATIONS: readonly Integration[] = [
  integration("AWS", "Amazon Web Services", [
    kind("AWSAssumeRole", {
      account_id: plain("AWS account the connection is created for (12 digits)", "123456789012", {
        check: "account-id",
      }),
      role: plain("Role to assume", "DatadogActionsRole"),
      generate_new_external_id: flag("Ask Datadog to generate a new external ID", true, "update"),
      external_id: plain("External ID that the role's trust policy must require", "33a1011635c44b38a064cf14e82e1d8f", {
        direction: "response",
        required: false,
      }),
      principal_id: plain("Datadog's AWS account that assumes the role", "464622532012", {
        direction: "response",
        required: false,
      }),
    }),
  ]),
  tokenIntegration("Anthropic", "Anthropic", "AnthropicAPIKey", "api_token", "sk-ant-api03-Zm9vYmFy"),
  tokenIntegration("Asana", "Asana", "AsanaAccessToken", "access_token", "2/1204567890/1209876543:a1b2c3d4e5"),
  integration("Azure", "Microsoft Azure", [
    kind("AzureTenant", {
      app_client_id: plain("Application (client) ID of the app registration", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
      client_secret: secret("Client secret of the app registration", "Qx8Q~azure.secret-value_1"),
      custom_scopes: plain("Custom OAuth 2 scope requested for the HTTP action", "api://my-api/.default", {
        required: false,
      }),
      tenant_id: plain("Directory (tenant) ID", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
    }),
  ]),
  tokenIntegration("CircleCI", "CircleCI", "CircleCIAPIKey", "api_token", "CCIPAT_4hTz0cYk_example"),
  tokenIntegration("Clickup", "ClickUp", "ClickupAPIKey", "api_token", "pk_81234567_EXAMPLETOKEN"),
  integration("Cloudflare", "Cloudflare", [
    kind("CloudflareAPIToken", {
      api_token: secret("Cloudflare API token", "cf-token-Y2xvdWRmbGFyZQ"),
    }),
    kind("CloudflareGlobalAPIToken", {
      auth_email: plain("E-mail address of the Cloudflare account", "ops@example.com", { check: "email" }),
      global_api_key: secret("Cloudflare global API key", "c2547eb745079dac9320b638f5e225cf483cc5cfdda41"),
    }),
  ]),
  integration("ConfigCat", "ConfigCat", [
    kind("ConfigCatSDKKey", {
      api_password: secret("Public Management API password", "cc-api-password-example"),
      api_username: plain("Public Management API username", "configcat-automation"),
      sdk_key: secret("SDK key", "configcat-sdk-1/PKDVCLf-Hq-h-kCzMp-L7Q/HhOWfwVtZ0mb30i9wi17GQ"),
    }),
  ]),
  integration("Datadog", "Datadog", [
    kind("DatadogAPIKey", {
      api_key: secret("Datadog API key", "0123456789abcdef0123456789abcdef"),
      app_key: secret("Datadog application key", "0123456789abcdef0123456789abcdef01234567"),
      datacenter: plain("Datadog site the keys belong to", "us1"),
      subdomain: plain("Custom subdomain used for links (acme for https://acme.datadoghq.com)", "acme", {
        required: false,
      }),
    }),
  ]),
  tokenIntegration("Fastly", "Fastly", "FastlyAPIKey", "api_key", "fastly-token-Zm9vYmFyYmF6"),
  integration("Freshservice", "Freshservice", [
    kind("FreshserviceAPIKey", {
      api_key: secret("Freshservice API key", "fs-key-Jx8fYw2mQ0"),
      domain: plain("Freshservice domain", "acme.freshservice.com"),
    }),
  ]),
  integration("GCP", "Google Cloud", [
    kind("GCPServiceAccount", {
      private_key: secret(
        "Private key of the service account (PEM)",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n",
        { check: "multiline" },
      ),
      service_account_email: plain("Service account e-mail address", "actions@my-project.iam.gserviceaccount.com", {
        check: "email",
      }),
    }),
  ]),
  tokenIntegration("Gemini", "Google Gemini", "GeminiAPIKey", "api_key", "AIzaSyExampleGeminiKey0123456789"),
  tokenIntegration("Gitlab", "GitLab", "GitlabAPIKey", "api_token", "glpat-EXAMPLE1234567890ab"),
  tokenIntegration("GreyNoise", "GreyNoise", "GreyNoiseAPIKey", "api_key", "gn-key-EXAMPLE0123456789"),
  integration(
    "HTTP",
    "HTTP",
    [
      kind("HTTPTokenAuth", {
        tokens: list("Secret tokens", tokenEntry, ["name", "type", "value"], { type: "SECRET", value: "" }),
        headers: list("Headers sent with every request", headerEntry, ["name"]),
        url_parameters: list("URL parameters sent with every request", urlParameterEntry, ["name"]),
        body: object("Body sent with every request", {
          content: plain("Serialized body content", '{"source":"datadog"}', { check: "multiline", required: false }),
          content_type: plain("Content type of the body", "application/json", { required: false }),
        }),
      }),
    ],
    { base_url: plain("Base URL of the HTTP API", "https://api.example.com/v1", { check: "url" }) },
  ),
  tokenIntegration("LaunchDarkly", "LaunchDarkly", "LaunchDarklyAPIKey", "api_token", "api-0f1e2d3c-example"),
  tokenIntegration("Notion", "Notion", "NotionAPIKey", "api_token", "ntn_EXAMPLE0123456789abcdef"),
  integration("Okta", "Okta", [
    kind("OktaAPIToken", {
      api_token: secret("Okta API token", "00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_"),
      domain: plain("Okta domain", "acme.okta.com"),
    }),
  ]),
  tokenIntegration("OpenAI", "OpenAI", "OpenAIAPIKey", "api_token", "sk-proj-EXAMPLE0123456789abcdef"),
  integration("ServiceNow", "ServiceNow", [
    kind("ServiceNowBasicAuth", {
      instance: plain("ServiceNow instance name", "acme"),
      username: plain("ServiceNow user", "datadog.integration"),
      password: secret("ServiceNow password", "S3rv!ceNow-pass"),
    }),
  ]),
  tokenIntegration("Split", "Split", "SplitAPIKey", "api_key", "split-admin-key-EXAMPLE"),
  tokenIntegration("Statsig", "Statsig", "StatsigAPIKey", "api_key", "console-EXAMPLE0123456789"),
  tokenIntegration("VirusTotal", "VirusTotal", "VirusTotalAPIKey", "api_key", "vt-EXAMPLE0123456789abcdef0123456789"),
];

/** Attributes of a connection besides `integration`. */
export const ATTRIBUTE_FIELDS: Fields = {
  name: plain("Name of the connection", "Production OpenAI"),
  tags: {
    kind: "tags",
    secret: false,
    required: false,
    direction: "both",
    doc: "Tags, each key:value with exactly one colon, starting with a letter; the key `default` is reserved",
    example: ["team:platform", "env:prod"],
  },
};

/**
 * The name of an HTTP header or URL parameter that carries a credential. The name is cut into words
 * at `-`, `_`, `.`, spaces and case changes (`X-Api-Key`, `apiKey`, `JWTToken` → jwt, token). It marks
 * a credential when:
 * - it is one of CREDENTIAL_NAMES as a whole (`code`);
 * - one of its words is one of CREDENTIAL_WORDS (`X-Jwt`, `Set-Cookie`, `sig`), never a word that
 *   merely holds the letters: `X-Design-Version` stays shown, since masking a short value would hide it
 *   everywhere in the log;
 * - it holds one of CREDENTIAL_PARTS anywhere, even glued to another word (`apikey`, `Authorization`).
 * Letter case never counts.
 */
export function isCredentialName(name: string): boolean {
  const lower = name.toLowerCase();
  if (CREDENTIAL_NAMES.includes(lower)) return true;
  if (nameWords(name).some((word) => CREDENTIAL_WORDS.includes(word))) return true;
  return CREDENTIAL_PARTS.some((part) => lower.includes(part));
}

/** The words of a name, in lower case: `X-Amz-Signature`, `apiKey`, `JWTToken`, `client_secret`. */
export function nameWords(name: string): string[] {
  return name
    .split(/[-_.\s]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/)
    .filter((word) => word !== "")
    .map((word) => word.toLowerCase());
}

/**
 * Names that mark a credential only as the whole name: Azure Functions' `code` key. As a word it would
 * take `country_code` or `status_code`, whose short values (`US`, `200`) masked would vanish from the log.
 */
export const CREDENTIAL_NAMES: readonly string[] = ["code"];

/** Whole words of a name that mark a credential: too short, or too common inside other words, to match anywhere. */
export const CREDENTIAL_WORDS: readonly string[] = [
  "sig",
  "sas",
  "jwt",
  "cookie",
  "credential",
  "credentials",
  "bearer",
  "passwd",
  "pwd",
];

/** Parts of a name that mark a credential wherever they stand in it. */
export const CREDENTIAL_PARTS: readonly string[] = [
  "key",
  "token",
  "secret",
  "password",
  "auth",
  "session",
  "signature",
];

/** Every integration's type, in table order. */
export const INTEGRATION_TYPES: readonly string[] = INTEGRATIONS.map((entry) => entry.type);

/** The integration whose type is `type`, if any. */
export function findIntegration(type: string): Integration | undefined {
  return INTEGRATIONS.find((entry) => entry.type === type);
}

/** The integration that owns a credential kind, if any. */
export function findCredentialOwner(credentialType: string): Integration | undefined {
  return INTEGRATIONS.find((entry) => entry.credentials.some((kind) => kind.type === credentialType));
}

/** Names of the fields that always hold a secret, wherever they stand (api_token, private_key...). */
export const SECRET_FIELD_NAMES: ReadonlySet<string> = new Set(
  INTEGRATIONS.flatMap((entry) => entry.credentials.flatMap((kind) => secretNames(kind.fields))),
);

/**
 * Lists whose entries hold a secret `value`: `tokens` (always) and `headers`, `url_parameters`
 * (when the entry's `name` marks a credential). Their `value` is not in SECRET_FIELD_NAMES because
 * a header's value is often harmless (`X-Api-Version: 2024-06-01`).
 */
export const SECRET_LISTS: ReadonlyMap<string, Secrecy> = new Map(
  INTEGRATIONS.flatMap((entry) => entry.credentials.flatMap((kind) => secretLists(kind.fields))),
);

/**
 * Whether the `value` of an entry named `name` of the list `list` is secret: every token's; a header's
 * or URL parameter's when its name marks a credential. A name that is not text cannot be judged: its
 * value is taken as secret.
 */
export function isSecretEntry(list: string, name: unknown): boolean {
  const secrecy = SECRET_LISTS.get(list);
  if (!secrecy) return false;
  return secrecy === true || typeof name !== "string" || isCredentialName(name);
}

function secretNames(fields: Fields): string[] {
  return Object.entries(fields).flatMap(([name, field]) => {
    if (field.kind === "object") return secretNames(field.fields);
    return field.kind === "text" && field.secret === true ? [name] : [];
  });
}

function secretLists(fields: Fields): [string, Secrecy][] {
  return Object.entries(fields).flatMap(([name, field]): [string, Secrecy][] => {
    const value = field.kind === "list" ? field.item.value : undefined;
    return value?.kind === "text" && value.secret !== false ? [[name, value.secret]] : [];
  });
}
