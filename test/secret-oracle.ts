/**
 * What is secret, written out by hand from Datadog's API reference, for the tests to judge the table
 * (src/patch/integrations.ts) by, not to copy it: a test that takes "what is secret" from the code it
 * tests cannot see a secret the code mislabels. Imports nothing from src/.
 *
 * Sources (shared/reference): update-action-connection.md, the credential kinds of the `PATCH` body
 * and of the answer; api-notes.md, "Secret fields come back as empty strings: `api_token`,
 * `access_token`, `client_secret`, `api_password`, `sdk_key`, `api_key`, `app_key`, `private_key`,
 * `global_api_key`, `password`, and each HTTP token's `value`. Other fields (domain, username,
 * datacenter, header values, body) are echoed."
 */

/** The secret fields of each credential kind: the fields Datadog answers as "". */
export const SECRET_FIELDS_BY_KIND: Readonly<Record<string, readonly string[]>> = {
  AWSAssumeRole: [],
  AnthropicAPIKey: ["api_token"],
  AsanaAccessToken: ["access_token"],
  AzureTenant: ["client_secret"],
  CircleCIAPIKey: ["api_token"],
  ClickupAPIKey: ["api_token"],
  CloudflareAPIToken: ["api_token"],
  CloudflareGlobalAPIToken: ["global_api_key"],
  ConfigCatSDKKey: ["api_password", "sdk_key"],
  DatadogAPIKey: ["api_key", "app_key"],
  FastlyAPIKey: ["api_key"],
  FreshserviceAPIKey: ["api_key"],
  GCPServiceAccount: ["private_key"],
  GeminiAPIKey: ["api_key"],
  GitlabAPIKey: ["api_token"],
  GreyNoiseAPIKey: ["api_key"],
  // Its secrets are in lists: see SECRET_LIST_VALUES.
  HTTPTokenAuth: [],
  LaunchDarklyAPIKey: ["api_token"],
  NotionAPIKey: ["api_token"],
  OktaAPIToken: ["api_token"],
  OpenAIAPIKey: ["api_token"],
  ServiceNowBasicAuth: ["password"],
  SplitAPIKey: ["api_key"],
  StatsigAPIKey: ["api_key"],
  VirusTotalAPIKey: ["api_key"],
};

/** Every field name that is secret in some credential kind. */
export const ORACLE_SECRET_FIELDS: ReadonlySet<string> = new Set(Object.values(SECRET_FIELDS_BY_KIND).flat());

/**
 * Lists of HTTPTokenAuth whose entries' `value` is secret: every token's (Datadog answers it ""),
 * a header's or URL parameter's when its name carries a credential (Datadog echoes those, so the
 * action must blank them itself).
 */
export const SECRET_LIST_VALUES: Readonly<Record<string, "always" | "by-name">> = {
  tokens: "always",
  headers: "by-name",
  url_parameters: "by-name",
};

/**
 * Header and URL parameter names the tests use, and whether each carries a credential, decided by
 * hand (the list and the README's rule). A name not in this list throws: a test must say.
 */
const CREDENTIAL_NAME_VERDICTS: Readonly<Record<string, boolean>> = {
  Authorization: true,
  "X-Api-Key": true,
  api_key: true,
  code: true,
  sig: true,
  "X-Cookie": true,
  "Set-Cookie": true,
  "X-Jwt": true,
  "X-Api-Version": false,
  "X-Design-Version": false,
  "X-Custom": false,
  region: false,
};

export function carriesCredential(name: string): boolean {
  const verdict = CREDENTIAL_NAME_VERDICTS[name];
  if (verdict === undefined) throw new Error(`secret-oracle: no verdict for the name ${name}; add one by hand`);
  return verdict;
}

/** Whether `field` of the credential kind `kind` is secret; throws for a kind the oracle does not know. */
export function isSecretField(kind: string, field: string): boolean {
  const fields = SECRET_FIELDS_BY_KIND[kind];
  if (!fields) throw new Error(`secret-oracle: unknown credential kind ${kind}; add it from the API reference`);
  return fields.includes(field);
}

/** Whether the `value` of an entry named `name` of the list `list` is secret. */
export function isSecretEntryValue(list: string, name: string): boolean {
  const rule = SECRET_LIST_VALUES[list];
  if (rule === undefined) return false;
  return rule === "always" || carriesCredential(name);
}
