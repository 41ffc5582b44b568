/**
 * Secrets a server echoes in forms the runner does not mask, and names that carry credentials: the
 * bundle, run as a runner runs it, against the simulator's scripted answers. The runner masks a
 * registered value whole, plain or in its .NET-JSON, URL, XML and base64 forms; what it cannot see
 * (a Go-escaped secret, a secret cut short) only the action's scrub keeps out of the log.
 */
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { KINDS, type Kind } from "../fixtures.ts";
import { readablePlaces } from "../harness/leaks.ts";
import { type ActionRun, runAction, summaryText } from "../harness/runner.ts";
import { type Scripted, SIM_API_KEY, SIM_APP_KEY, Simulator } from "../simulator/server.ts";

const kind = (type: string) => KINDS.find((entry) => entry.kind.type === type) as Kind;
const ANTHROPIC = kind("AnthropicAPIKey");
const HTTP = kind("HTTPTokenAuth");
const GCP = kind("GCPServiceAccount");

async function run(options: { id: string; patch: string; script?: Scripted[]; dryRun?: boolean }) {
  const simulator = await Simulator.start();
  try {
    if (options.script) simulator.script(...options.script);
    const result = await runAction({
      inputs: {
        "connection-id": options.id,
        patch: options.patch,
        "api-url": simulator.url,
        "api-key": SIM_API_KEY,
        "app-key": SIM_APP_KEY,
        ...(options.dryRun ? { "dry-run": "true" } : {}),
      },
      env: { RUNNER_DEBUG: "1" },
    });
    // A dry run with keys reads the connection to plan: only requests that would change it count.
    return { run: result, requests: simulator.requests.filter((request) => request.method !== "GET").length };
  } finally {
    await simulator.close();
  }
}

/** Every place that shows any run of eight characters of `text`, as `place: run`. */
function runsShown(result: ActionRun, text: string): string[] {
  const runs = Array.from({ length: text.length - 7 }, (_, at) => text.slice(at, at + 8));
  return readablePlaces(result).flatMap(([place, shown]) =>
    runs.filter((piece) => shown.includes(piece)).map((piece) => `${place}: ${piece}`),
  );
}

const errorMessages = (result: ActionRun) =>
  result.commands.filter((command) => command.command === "error").map((command) => command.message);

const refusal = (detail: string): Scripted => ({
  kind: "answer",
  status: 400,
  body: { errors: [{ title: "Generic Error", detail }] },
});

const anthropicPatch = (token: string) =>
  stringify({ integration: { type: "Anthropic", credentials: { type: "AnthropicAPIKey", api_token: token } } });

describe("a secret Datadog's detail quotes in a form the runner does not mask", () => {
  it("is scrubbed when escaped as Go's encoding/json escapes it (\\u0026 \\u003c \\u003e)", async () => {
    const token = "sk-ant-api03-Go<&>Esc4p3dT0k3n-Q8w";
    const goEscaped = token.replace(/&/g, "\\u0026").replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
    const { run: result, requests } = await run({
      id: ANTHROPIC.id,
      patch: anthropicPatch(token),
      script: [refusal(`invalid api_token "${goEscaped}" for this organization`)],
    });
    expect(result.exitCode, result.maskedLog).toBe(1);
    expect(requests).toBe(1);
    expect(errorMessages(result)).toEqual([
      'Datadog refused the patch (400 Bad Request): Generic Error: invalid api_token "••••" for this organization. Fix the patch and run again.',
    ]);
    expect(runsShown(result, goEscaped)).toEqual([]);
    expect(summaryText(result.summary)).toContain('invalid api_token "••••" for this organization');
  });

  it("is scrubbed when the detail cuts it short: `token sk-ant-api03-Zq9Xv7LmN4pQwRtY2 (truncated) rejected`", async () => {
    const token = "sk-ant-api03-Zq9Xv7LmN4pQwRtY2bH6sKdE0uJ";
    const { run: result } = await run({
      id: ANTHROPIC.id,
      patch: anthropicPatch(token),
      script: [refusal("token sk-ant-api03-Zq9Xv7LmN4pQwRtY2 (truncated) rejected")],
    });
    expect(result.exitCode, result.maskedLog).toBe(1);
    expect(errorMessages(result)).toEqual([
      "Datadog refused the patch (400 Bad Request): Generic Error: token •••• (truncated) rejected. Fix the patch and run again.",
    ]);
    // Nothing past the public prefix `sk-ant-` shows: no eight characters of the token anywhere.
    expect(runsShown(result, token)).toEqual([]);
  });
});

describe("header and URL parameter names that carry a credential", () => {
  const credentialNames = {
    url_parameters: [
      { name: "code", value: "azfn-K3y-0f-th3-funct10n==" },
      { name: "sig", value: "sas-S1gn4tur3%2Fabc%3D" },
    ],
    headers: [
      { name: "X-Cookie", value: "session=c00k13-v4lu3-x" },
      { name: "Set-Cookie", value: "id=s3t-c00k13-v4lu3; HttpOnly" },
      { name: "X-Jwt", value: "eyJhbGciOiJIUzI1NiJ9.e30.j5t-s1gn" },
      { name: "X-Design-Version", value: "2024-06-01-design" },
    ],
  };
  const patch = stringify({
    integration: {
      type: "HTTP",
      credentials: { type: "HTTPTokenAuth", ...credentialNames },
    },
  });
  const secrets = [...credentialNames.url_parameters, ...credentialNames.headers.slice(0, 3)].map(
    (entry) => entry.value,
  );

  it("are secret in the dry run's request and summary; X-Design-Version stays shown", async () => {
    const { run: result, requests } = await run({ id: HTTP.id, patch, dryRun: true });
    expect(result.exitCode, result.maskedLog).toBe(0);
    expect(requests).toBe(0);
    expect(result.masks).toEqual(expect.arrayContaining(secrets));
    expect(result.masks.filter((mask) => mask.includes("design"))).toEqual([]);
    const lines = summaryText(result.summary).split("\n");
    expect(lines.filter((line) => line.startsWith("integration.credentials."))).toEqual([
      "integration.credentials.headers[X-Cookie]: •••• updated",
      "integration.credentials.headers[Set-Cookie]: •••• updated",
      "integration.credentials.headers[X-Jwt]: •••• updated",
      "integration.credentials.headers[X-Design-Version]: 2024-06-01-design",
      "integration.credentials.url_parameters[code]: •••• updated",
      "integration.credentials.url_parameters[sig]: •••• updated",
    ]);
    // The request the dry run shows: from its first line "{" to its last "}" (the plan's lines follow).
    const fromRequest = result.maskedLog.slice(result.maskedLog.indexOf("{"));
    const shown = JSON.parse(fromRequest.slice(0, fromRequest.indexOf("\n}") + 2));
    expect(shown.data.attributes.integration.credentials).toEqual({
      type: "HTTPTokenAuth",
      url_parameters: [
        { name: "code", value: "••••" },
        { name: "sig", value: "••••" },
      ],
      headers: [
        { name: "X-Cookie", value: "••••" },
        { name: "Set-Cookie", value: "••••" },
        { name: "X-Jwt", value: "••••" },
        { name: "X-Design-Version", value: "2024-06-01-design" },
      ],
    });
    for (const secret of secrets) {
      expect(readablePlaces(result).filter(([, text]) => text.includes(secret))).toEqual([]);
    }
  });

  it("are blanked in the connection output (Datadog echoes header and parameter values)", async () => {
    const { run: result } = await run({ id: HTTP.id, patch });
    expect(result.exitCode, result.maskedLog).toBe(0);
    const credentials = JSON.parse(result.outputs.connection ?? "null").attributes.integration.credentials;
    expect(credentials.url_parameters).toEqual(
      expect.arrayContaining([
        { name: "code", value: "" },
        { name: "sig", value: "" },
      ]),
    );
    expect(credentials.headers).toEqual(
      expect.arrayContaining([
        { name: "X-Cookie", value: "" },
        { name: "Set-Cookie", value: "" },
        { name: "X-Jwt", value: "" },
        { name: "X-Design-Version", value: "2024-06-01-design" },
      ]),
    );
    for (const secret of secrets) {
      expect(readablePlaces(result).filter(([, text]) => text.includes(secret))).toEqual([]);
    }
  });
});

describe("a GCP key file pasted whole under private_key", () => {
  const pem =
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDp4stEd\n-----END PRIVATE KEY-----\n";
  const keyFile = {
    type: "service_account",
    project_id: "my-project-4821",
    private_key_id: "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6",
    private_key: pem,
    client_email: "actions@my-project-4821.iam.gserviceaccount.com",
    client_id: "104857600123456789012",
  };

  it("is refused saying which field of the key file to paste, and only its values are masked", async () => {
    const patch = stringify({
      integration: { type: "GCP", credentials: { type: "GCPServiceAccount", private_key: keyFile } },
    });
    const { run: result, requests } = await run({ id: GCP.id, patch });
    expect(result.exitCode, result.maskedLog).toBe(1);
    expect(requests).toBe(0);
    expect(errorMessages(result)).toEqual([
      "patch: integration.credentials.private_key: must be the PEM text of the key file's private_key field, not the whole key file; paste that field's value (line 5, column 5)",
    ]);
    // The keys of the mapping are not masks (they would hide `type`, `private_key`... all job long).
    for (const key of Object.keys(keyFile)) expect(result.masks).not.toContain(key);
    expect(result.masks).toEqual(expect.arrayContaining([pem, keyFile.private_key_id, keyFile.client_id]));
    expect(readablePlaces(result).filter(([, text]) => text.includes("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw"))).toEqual(
      [],
    );
  });
});

describe("a secret that holds a lone surrogate (YAML's \\uD800)", () => {
  it("is masked, and every secret after it too, and the dry run goes on", async () => {
    const patch =
      'integration: {type: HTTP, base_url: "https://api.example.com", credentials: {type: HTTPTokenAuth, ' +
      'tokens: [{name: a, type: SECRET, value: "tok-\\uD800-lone-surrogate"}, {name: b, type: SECRET, value: "tok-after-the-lone-one"}]}}';
    const { run: result } = await run({ id: HTTP.id, patch, dryRun: true });
    expect(errorMessages(result)).toEqual([]);
    expect(result.exitCode, result.maskedLog).toBe(0);
    // The runner reads the mask as UTF-8: the lone surrogate arrives as U+FFFD.
    expect(result.masks).toEqual(expect.arrayContaining(["tok-\uFFFD-lone-surrogate", "tok-after-the-lone-one"]));
  });
});

describe("a token given as text where a list of tokens belongs", () => {
  it("is masked, though the patch is refused", async () => {
    const patch =
      'integration: {type: HTTP, base_url: "https://api.example.com", credentials: {type: HTTPTokenAuth, ' +
      "tokens: [sk-live-given-as-text-0123]}}";
    const { run: result, requests } = await run({ id: HTTP.id, patch, dryRun: true });
    expect(result.exitCode, result.maskedLog).toBe(1);
    expect(requests).toBe(0);
    expect(result.masks).toContain("sk-live-given-as-text-0123");
    expect(readablePlaces(result).filter(([, text]) => text.includes("sk-live-given-as-text-0123"))).toEqual([]);
  });
});

describe("what Datadog answers, in the one-connection summary", () => {
  it("a name echoing the API key base64-encoded, or a token cut short, is scrubbed there too", async () => {
    const token = "sk-proj-Zq9Xv7LmN4pQwRtY2sH8aBcD";
    const name = `${Buffer.from(SIM_API_KEY).toString("base64")} ${token.slice(0, 16)}`;
    const openai = KINDS.find((kind) => kind.kind.type === "OpenAIAPIKey")?.id ?? "";
    const { run: result } = await run({
      id: openai,
      patch: `integration: {type: OpenAI, credentials: {type: OpenAIAPIKey, api_token: ${token}}}`,
      script: [
        {
          kind: "answer",
          status: 200,
          body: {
            data: {
              id: openai,
              type: "action_connection",
              attributes: { name, integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey" } } },
            },
          },
        },
      ],
    });
    expect(result.exitCode, result.maskedLog).toBe(0);
    const summary = summaryText(result.summary);
    expect(summary).toContain("Connection: ••••");
    expect(summary).not.toContain(Buffer.from(SIM_API_KEY).toString("base64").slice(0, 12));
    expect(summary).not.toContain(token.slice(0, 16));
  });
});
