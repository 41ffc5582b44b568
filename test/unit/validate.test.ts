import { describe, expect, it } from "vitest";
import { looksLikeFieldName } from "../../src/patch/errors.ts";
import { parsePatch } from "../../src/patch/parse.ts";
import { validatePatch } from "../../src/patch/validate.ts";
import { formatPath } from "../../src/paths.ts";
import { integrationPatch, KINDS } from "../fixtures.ts";

/** What the action prints for a patch: `path: message` lines. */
function refusals(text: string): string[] {
  const result = validatePatch(parsePatch(text).value);
  if (result.ok) return [];
  return result.problems.map((problem) => [formatPath(problem.path), problem.message].filter(Boolean).join(": "));
}

function body(text: string): unknown {
  const result = validatePatch(parsePatch(text).value);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.request;
}

describe("the two forms of a patch", () => {
  it("gives the same request body for the attributes and for the whole document", () => {
    const attributes =
      "name: Prod\ntags: [team:platform]\nintegration:\n  type: OpenAI\n  credentials: {type: OpenAIAPIKey, api_token: sk-1}\n";
    const whole = `data:\n  type: action_connection\n  attributes:\n${attributes
      .trimEnd()
      .split("\n")
      .map((line) => `    ${line}`)
      .join("\n")}\n`;
    const expected = {
      data: {
        type: "action_connection",
        attributes: {
          name: "Prod",
          tags: ["team:platform"],
          integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey", api_token: "sk-1" } },
        },
      },
    };
    expect(body(attributes)).toEqual(expected);
    expect(body(whole)).toEqual(expected);
  });

  it.each(KINDS.map((kind) => [kind.kind.type, kind] as const))("accepts every field of %s", (_type, kind) => {
    const patch = JSON.stringify({ integration: integrationPatch(kind) });
    expect(body(patch)).toEqual({
      data: { type: "action_connection", attributes: { integration: integrationPatch(kind) } },
    });
  });

  it("sends an account id with a leading zero as the text written", () => {
    expect(body("integration: {type: AWS, credentials: {type: AWSAssumeRole, account_id: 012345678912}}")).toEqual({
      data: {
        type: "action_connection",
        attributes: {
          integration: { type: "AWS", credentials: { type: "AWSAssumeRole", account_id: "012345678912" } },
        },
      },
    });
  });
});

describe("refusals name the path and say what to do", () => {
  const cases: [string, string, string[]][] = [
    [
      "an unknown field with a near name",
      "integration: {type: OpenAI, credentials: {type: OpenAIAPIKey, api_tokn: x}}",
      ["integration.credentials.api_tokn: unknown field; did you mean api_token?"],
    ],
    [
      "a credential kind of another integration",
      "integration: {type: AWS, credentials: {type: AnthropicAPIKey, api_token: x}}",
      ["integration.credentials.type: AnthropicAPIKey is not a credential of AWS; expected AWSAssumeRole"],
    ],
    [
      "an 11-digit account id",
      "integration: {type: AWS, credentials: {type: AWSAssumeRole, account_id: 12345678901}}",
      ["integration.credentials.account_id: must be 12 digits (an AWS account id)"],
    ],
    [
      "a wrong type",
      "integration: {type: AWS, credentials: {type: AWSAssumeRole, generate_new_external_id: 'yes'}}",
      [
        "integration.credentials.generate_new_external_id: must be true or false, not text; write true or false, unquoted",
      ],
    ],
    [
      "a header value holding a line break",
      'integration: {type: HTTP, credentials: {type: HTTPTokenAuth, headers: [{name: X-A, value: "a\\r\\nb"}]}}',
      [
        "integration.credentials.headers[0].value: must not hold CR, LF, NUL or other control characters (an HTTP header value)",
      ],
    ],
    [
      "a header name that is not a token",
      "integration: {type: HTTP, credentials: {type: HTTPTokenAuth, headers: [{name: 'X A', value: b}]}}",
      ["integration.credentials.headers[0].name: must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)"],
    ],
    [
      "an unknown integration type close to a known one",
      "integration: {type: Gitlabb}",
      ["integration.type: unknown integration type; did you mean Gitlab?"],
    ],
    [
      "a credential kind where the integration type goes",
      "integration: {type: OpenAIAPIKey}",
      ["integration.type: OpenAIAPIKey is a credential kind of OpenAI; the integration type is OpenAI"],
    ],
    [
      "a missing integration type",
      "integration: {credentials: {type: OpenAIAPIKey}}",
      [
        "integration.type: is required; one of AWS, Anthropic, Asana, Azure, CircleCI, Clickup, Cloudflare, ConfigCat, Datadog, Fastly, Freshservice, GCP, Gemini, Gitlab, GreyNoise, HTTP, LaunchDarkly, Notion, Okta, OpenAI, ServiceNow, Split, Statsig, VirusTotal",
      ],
    ],
    [
      "a missing credential type",
      "integration: {type: Cloudflare, credentials: {api_token: x}}",
      ["integration.credentials.type: is required; expected CloudflareAPIToken or CloudflareGlobalAPIToken"],
    ],
    [
      "an empty secret (a secret that did not resolve)",
      "integration: {type: OpenAI, credentials: {type: OpenAIAPIKey, api_token: }}",
      ["integration.credentials.api_token: is empty; give text"],
    ],
    [
      "an empty quoted secret",
      'integration: {type: OpenAI, credentials: {type: OpenAIAPIKey, api_token: ""}}',
      ["integration.credentials.api_token: is empty; give a value"],
    ],
    ["a name that YAML read as true", "name: true", ["name: must be text, not true/false; quote it to mean the word"]],
    ["a reserved tag key", "tags: ['default:x']", ["tags[0]: uses the reserved key default"]],
    ["a tag without a colon", "tags: [team]", ["tags[0]: must hold exactly one colon, between key and value"]],
    ["a tag with two colons", "tags: ['team:a:b']", ["tags[0]: must hold exactly one colon, between key and value"]],
    ["a tag not starting with a letter", "tags: ['1team:a']", ["tags[0]: must start with a letter (key:value)"]],
    ["a tag without a value", "tags: ['team:']", ["tags[0]: must have a value after the colon (key:value)"]],
    ["a tag holding a space", "tags: ['team:a b']", ["tags[0]: must not hold spaces or commas"]],
    ["the reserved key in capitals", "tags: ['Default:x']", ["tags[0]: uses the reserved key default"]],
    [
      "a credential field at the top",
      "api_token: x",
      ["api_token: unknown field; it belongs under integration.credentials"],
    ],
    [
      "credentials at the top",
      "credentials: {type: OpenAIAPIKey}",
      ["credentials: unknown field; it belongs under integration"],
    ],
    [
      "a key named like an object's own property",
      "constructor: x",
      ["constructor: unknown field; expected one of name, tags, integration"],
    ],
    [
      "an id in the whole document",
      "data: {type: action_connection, id: x, attributes: {name: a}}",
      ["data.id: unknown field; the connection is chosen by the connection-id input"],
    ],
    ["a wrong data type", "data: {type: connection, attributes: {name: a}}", ["data.type: must be action_connection"]],
    [
      "a list for a patch",
      "- name: a",
      ["must be a mapping: the attributes to change (name, tags, integration) or a request document (data: ...)"],
    ],
    [
      "a patch that changes nothing",
      "integration: {type: OpenAI, credentials: {type: OpenAIAPIKey}}",
      ["changes nothing; set a name, tags or integration credentials"],
    ],
    [
      "a rotation flag set to false alone",
      "integration: {type: AWS, credentials: {type: AWSAssumeRole, generate_new_external_id: false}}",
      ["changes nothing; set a name, tags or integration credentials"],
    ],
    [
      "a token without its value",
      "integration: {type: HTTP, credentials: {type: HTTPTokenAuth, tokens: [{name: t, type: SECRET}]}}",
      ["integration.credentials.tokens[0].value: is required, unless the entry is deleted (deleted: true)"],
    ],
    [
      "a token with an empty value, not deleted",
      "integration: {type: HTTP, credentials: {type: HTTPTokenAuth, tokens: [{name: t, type: SECRET, value: ''}]}}",
      ["integration.credentials.tokens[0].value: is empty; give a value, or remove the entry with deleted: true"],
    ],
    [
      "a deleted token that still carries a value",
      "integration: {type: HTTP, credentials: {type: HTTPTokenAuth, tokens: [{name: t, deleted: true, value: v}]}}",
      [
        'integration.credentials.tokens[0].value: must be empty or left out: deleted: true removes the entry (write value: "" or no value)',
      ],
    ],
    [
      "a token type other than SECRET",
      "integration: {type: HTTP, credentials: {type: HTTPTokenAuth, tokens: [{name: t, type: PLAIN, value: v}]}}",
      ["integration.credentials.tokens[0].type: must be SECRET"],
    ],
    [
      "a base_url that is not a URL",
      "integration: {type: HTTP, base_url: example.com}",
      ["integration.base_url: must be an absolute https:// or http:// URL without user or password"],
    ],
    [
      "an e-mail that is not one",
      "integration: {type: Cloudflare, credentials: {type: CloudflareGlobalAPIToken, auth_email: ops}}",
      ["integration.credentials.auth_email: must be an e-mail address"],
    ],
    [
      "a response-only field",
      "integration: {type: AWS, credentials: {type: AWSAssumeRole, external_id: abc}}",
      [
        "integration.credentials.external_id: unknown field; expected one of type, account_id, role, generate_new_external_id",
      ],
    ],
  ];

  it.each(cases)("%s", (_name, text, expected) => {
    expect(refusals(text)).toEqual(expected);
  });

  it.each([
    "sk-ant-api03-Zm9vYmFyYmF6cXV4",
    "glpat-EXAMPLE1234567890ab",
    "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5",
    "0123456789abcdef0123456789abcdef",
    "ZmVvYmFyYmF6cXV4",
    "correcthorsebatterystaple",
    "AKIAIOSFODNN7EXAMPLE",
  ])("does not print %s, a key that looks like a pasted secret", (key) => {
    expect(looksLikeFieldName(key)).toBe(false);
    expect(refusals(`integration: {type: OpenAI, credentials: {type: OpenAIAPIKey, ${key}: x}}`)).toEqual([
      "integration.credentials: has a field whose name is not a field name (not shown); remove it",
    ]);
  });

  it.each(["api_tokn", "apiToken", "API_TOKEN", "X-Api-Version", "generate_new_external_id", "oauth2_token", "note"])(
    "prints %s, a key that looks like a field name",
    (key) => {
      expect(looksLikeFieldName(key)).toBe(true);
    },
  );

  it("does not print a key that does not look like a field name (it may be a pasted secret)", () => {
    expect(refusals("integration: {type: OpenAI, credentials: {type: OpenAIAPIKey, 'sk-live abc/def': 1}}")).toEqual([
      "integration.credentials: has a field whose name is not a field name (not shown); remove it",
    ]);
  });
});

describe("what the summary lists", () => {
  it("shows a header given by name only as such, not as a secret updated", () => {
    const result = validatePatch(
      parsePatch("integration: {type: HTTP, credentials: {type: HTTPTokenAuth, headers: [{name: X-Api-Key}]}}").value,
    );
    expect(result.ok && result.changes).toEqual([
      { path: "integration.credentials.headers[X-Api-Key]", secret: false, shown: "(name only)" },
    ]);
  });
});

describe("deleting HTTP entries, in the form Datadog's Terraform provider sends", () => {
  const credentialsOf = (text: string) => {
    const result = validatePatch(parsePatch(text).value);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    return result.request.data.attributes.integration?.credentials;
  };

  it("sends a token as {name, type: SECRET, value: '', deleted: true}, given the name alone or with value ''", () => {
    for (const entry of ["{name: old, deleted: true}", "{name: old, value: '', deleted: true}"]) {
      expect(
        credentialsOf(`integration: {type: HTTP, credentials: {type: HTTPTokenAuth, tokens: [${entry}]}}`),
      ).toEqual({
        type: "HTTPTokenAuth",
        tokens: [{ name: "old", type: "SECRET", value: "", deleted: true }],
      });
    }
  });

  it("sends a header and a URL parameter as {name, deleted: true}, an explicit value '' dropped", () => {
    expect(
      credentialsOf(
        "integration: {type: HTTP, credentials: {type: HTTPTokenAuth, headers: [{name: X-Old, value: '', deleted: true}], url_parameters: [{name: region, deleted: true}]}}",
      ),
    ).toEqual({
      type: "HTTPTokenAuth",
      headers: [{ name: "X-Old", deleted: true }],
      url_parameters: [{ name: "region", deleted: true }],
    });
  });
});

describe("a GCP key file pasted whole", () => {
  const gcp = (privateKey: string) =>
    `integration:\n  type: GCP\n  credentials:\n    type: GCPServiceAccount\n    private_key: ${privateKey}\n`;

  it("under private_key: says which field of it to paste", () => {
    expect(refusals(gcp('{type: service_account, private_key: "-----BEGIN PRIVATE KEY-----"}'))).toEqual([
      "integration.credentials.private_key: must be the PEM text of the key file's private_key field, not the whole key file; paste that field's value",
    ]);
  });

  it("a list or a number under private_key, or a mapping under another field, gets the usual message", () => {
    expect(refusals(gcp("[a, b]"))).toEqual(["integration.credentials.private_key: must be text, not a list"]);
    expect(refusals(gcp("12"))).toEqual([]);
    expect(
      refusals(
        "integration:\n  type: GCP\n  credentials:\n    type: GCPServiceAccount\n    service_account_email: {a: b}\n",
      ),
    ).toEqual(["integration.credentials.service_account_email: must be text, not a mapping"]);
    expect(refusals("name: {private_key: x}\n")).toEqual(["name: must be text, not a mapping"]);
  });
});
