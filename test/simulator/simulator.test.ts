/**
 * Tests of the simulator itself, over real HTTP on loopback: it must behave as api-notes.md says the
 * real service does, or the tests built on it prove nothing.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SECRET_FIELD_NAMES } from "../../src/patch/integrations.ts";
import { KINDS, type Kind, storedConnection } from "../fixtures.ts";
import {
  SIM_API_KEY,
  SIM_APP_KEY,
  SIM_APP_KEY_ID,
  SIM_PRINCIPAL_ID,
  Simulator,
  type SimulatorOptions,
} from "./server.ts";

type Json = Record<string, unknown>;

function sample(type: string): Kind {
  const kind = KINDS.find((candidate) => candidate.kind.type === type);
  if (!kind) throw new Error(`no kind ${type}`);
  return kind;
}
const kindId = (type: string): string => sample(type).id;

const AWS = kindId("AWSAssumeRole");
const OPENAI = kindId("OpenAIAPIKey");
const OKTA = kindId("OktaAPIToken");
const HTTP = kindId("HTTPTokenAuth");
const CLOUDFLARE = kindId("CloudflareAPIToken");
const UNKNOWN = "11111111-2222-4333-8444-555555555555";
const CONNECTIONS = "/api/v2/actions/connections";

interface CallOptions {
  body?: unknown;
  apiKey?: string | null;
  appKey?: string | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

interface Result {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

async function call(sim: Simulator, method: string, path: string, options: CallOptions = {}): Promise<Result> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== null) headers["DD-API-KEY"] = options.apiKey ?? SIM_API_KEY;
  if (options.appKey !== null) headers["DD-APPLICATION-KEY"] = options.appKey ?? SIM_APP_KEY;
  let body: string | undefined;
  if (method === "GET" || method === "HEAD") body = undefined;
  else if (typeof options.body === "string") body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    signal: options.signal ?? AbortSignal.timeout(5000),
  });
  const text = await response.text();
  let json: Json = {};
  try {
    json = text ? (JSON.parse(text) as Json) : {};
  } catch {
    json = {};
  }
  return { status: response.status, headers: response.headers, text, json };
}

const update = (attributes: Json): Json => ({ data: { type: "action_connection", attributes } });
const patch = (sim: Simulator, id: string, attributes: Json, options: CallOptions = {}) =>
  call(sim, "PATCH", `${CONNECTIONS}/${id}`, { ...options, body: update(attributes) });

/** `data.attributes.integration.credentials` of an answer or a stored connection. */
function credentialsOf(data: unknown): Json {
  const attributes = (data as { attributes: { integration: { credentials: Json } } }).attributes;
  return attributes.integration.credentials;
}
/** The stored connection's attributes (fails the test if there is none). */
function storedAttributes(simulator: Simulator, id: string): Json {
  const stored = simulator.connection(id);
  expect(stored).toBeDefined();
  return (stored?.attributes ?? {}) as Json;
}
const integrationOf = (data: unknown): Json => (data as { attributes: { integration: Json } }).attributes.integration;

let sim: Simulator;
beforeAll(async () => {
  sim = await Simulator.start();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});

/** Simulators a test starts with its own options, closed after it. */
const extra: Simulator[] = [];
async function startWith(options: SimulatorOptions): Promise<Simulator> {
  const started = await Simulator.start(options);
  extra.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(extra.splice(0).map((started) => started.close()));
});

describe("seeded connections", () => {
  it("stores one connection per credential kind, as the fixtures describe it", () => {
    expect(KINDS).toHaveLength(25);
    for (const kind of KINDS) expect(sim.connection(kind.id)).toEqual(storedConnection(kind));
  });

  it("listens on 127.0.0.1", () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe("routes", () => {
  it("GET answers the connection with 200 and the JSON:API media type", async () => {
    const answer = await call(sim, "GET", `${CONNECTIONS}/${OPENAI}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/vnd.api+json");
    const data = answer.json.data as Json;
    expect(data.id).toBe(OPENAI);
    expect(data.type).toBe("action_connection");
    expect((data.attributes as Json).name).toBe("OpenAI (OpenAIAPIKey)");
  });

  it("PATCH answers 200 with the updated connection (the recorded AWS exchange)", async () => {
    const answer = await patch(sim, AWS, {
      integration: {
        credentials: { account_id: "123456789123", role: "MyRoleUpdated", type: "AWSAssumeRole" },
        type: "AWS",
      },
      name: "Cassette Connection",
    });
    expect(answer.status).toBe(200);
    const data = answer.json.data as Json;
    expect((data.attributes as Json).name).toBe("Cassette Connection");
    expect(credentialsOf(data)).toEqual({
      type: "AWSAssumeRole",
      account_id: "123456789123",
      role: "MyRoleUpdated",
      external_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      principal_id: SIM_PRINCIPAL_ID,
    });
  });

  it("POST creates a connection (201), GET finds it, DELETE removes it (204), GET then answers 404", async () => {
    const created = await call(sim, "POST", CONNECTIONS, {
      body: update({
        name: "New OpenAI",
        integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey", api_token: "sk-new" } },
      }),
    });
    expect(created.status).toBe(201);
    const id = (created.json.data as Json).id as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(credentialsOf(created.json.data).api_token).toBe("");
    expect(credentialsOf(sim.connection(id)).api_token).toBe("sk-new");

    expect((await call(sim, "GET", `${CONNECTIONS}/${id}`)).status).toBe(200);
    const deleted = await call(sim, "DELETE", `${CONNECTIONS}/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expect((await call(sim, "GET", `${CONNECTIONS}/${id}`)).status).toBe(404);
    expect(sim.connection(id)).toBeUndefined();
  });

  it("POST refuses a connection whose credentials lack a required field", async () => {
    const created = await call(sim, "POST", CONNECTIONS, {
      body: update({ name: "Okta", integration: { type: "Okta", credentials: { type: "OktaAPIToken", domain: "x" } } }),
    });
    expect(created.status).toBe(400);
    expect(JSON.stringify(created.json)).toContain("api_token");
  });

  it("GET / PUT / DELETE app_key_registrations by the key's UUID (200 / 201 / 204)", async () => {
    const path = "/api/v2/actions/app_key_registrations";
    expect((await call(sim, "GET", `${path}/${SIM_APP_KEY_ID}`)).status).toBe(200);
    const other = "00000000-1111-4222-8333-444444444444";
    expect((await call(sim, "GET", `${path}/${other}`)).status).toBe(404);
    const put = await call(sim, "PUT", `${path}/${other}`);
    expect(put.status).toBe(201);
    expect(put.json).toEqual({ data: { id: other, type: "app_key_registration" } });
    expect((await call(sim, "GET", `${path}/${other}`)).status).toBe(200);
    expect((await call(sim, "DELETE", `${path}/${other}`)).status).toBe(204);
    expect((await call(sim, "GET", `${path}/${other}`)).status).toBe(404);
  });

  it("refuses a registration named by the key itself, or anything not a UUID, with 400", async () => {
    const path = "/api/v2/actions/app_key_registrations";
    for (const method of ["GET", "PUT", "DELETE"]) {
      const answer = await call(sim, method, `${path}/${SIM_APP_KEY}`);
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ errors: [{ title: "Generic Error", detail: "app_key_id must be a valid UUID" }] });
    }
    // Nothing was registered under the key's text.
    expect((await call(sim, "GET", path)).json).toMatchObject({ meta: { total: 1 } });
  });

  it("lists the registrations, a page at a time (page[size], page[number] from 0), in JSON:API form", async () => {
    const path = "/api/v2/actions/app_key_registrations";
    const ids = ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"];
    for (const id of ids) expect((await call(sim, "PUT", `${path}/${id}`)).status).toBe(201);
    const all = [...ids, SIM_APP_KEY_ID].sort().map((id) => ({ id, type: "app_key_registration" }));
    const meta = { total: 3, total_filtered: 3 };
    const whole = await call(sim, "GET", path);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("application/vnd.api+json");
    expect(whole.json).toEqual({ data: all, meta });
    expect((await call(sim, "GET", `${path}?page[size]=2&page[number]=0`)).json).toEqual({
      data: all.slice(0, 2),
      meta,
    });
    expect((await call(sim, "GET", `${path}?page%5Bsize%5D=2&page%5Bnumber%5D=1`)).json).toEqual({
      data: all.slice(2),
      meta,
    });
    expect((await call(sim, "GET", `${path}?page[size]=2&page[number]=2`)).json).toEqual({ data: [], meta });
    for (const query of ["page[size]=0", "page[size]=101", "page[number]=-1", "page[size]=x"]) {
      expect((await call(sim, "GET", `${path}?${query}`)).status).toBe(400);
    }
  });

  it("answers an unknown path or method with a JSON:API 404", async () => {
    for (const [method, path] of [
      ["GET", "/api/v2/actions/workflows"],
      ["PUT", `${CONNECTIONS}/${OPENAI}`],
      ["GET", "/"],
    ] as const) {
      const answer = await call(sim, method, path);
      expect(answer.status).toBe(404);
      expect(answer.json).toEqual({ errors: [{ status: "404", title: "Not Found", detail: expect.any(String) }] });
    }
  });
});

describe("auth", () => {
  it.each([
    ["no API key", { apiKey: null }],
    ["a wrong API key", { apiKey: "ffffffffffffffffffffffffffffffff" }],
    ["no application key", { appKey: null }],
    ["a wrong application key", { appKey: "0000000000000000000000000000000000000000" }],
  ] as const)("answers 403 Forbidden (a list of strings) to %s", async (_name, keys) => {
    const answer = await patch(sim, OPENAI, { name: "x" }, keys);
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual({ errors: ["Forbidden"] });
    expect(sim.connection(OPENAI)).toEqual(storedConnection(sample("OpenAIAPIKey")));
  });

  it("answers 403 with a JSON:API error when the application key is not registered, until it is", async () => {
    const unregistered = await startWith({ registeredAppKeyIds: [] });
    const refused = await patch(unregistered, OPENAI, { name: "x" });
    expect(refused.status).toBe(403);
    const errors = refused.json.errors as Json[];
    expect(errors).toHaveLength(1);
    expect(errors[0]?.detail).toMatch(/application key is not registered for Actions/);

    const registered = await call(unregistered, "PUT", `/api/v2/actions/app_key_registrations/${SIM_APP_KEY_ID}`);
    expect(registered.status).toBe(201);
    expect((await patch(unregistered, OPENAI, { name: "x" })).status).toBe(200);
  });

  it("accepts other keys when told to", async () => {
    const custom = await startWith({ apiKey: "a".repeat(32), appKey: "b".repeat(40) });
    expect((await call(custom, "GET", `${CONNECTIONS}/${OPENAI}`)).status).toBe(403);
    const ok = await call(custom, "GET", `${CONNECTIONS}/${OPENAI}`, {
      apiKey: "a".repeat(32),
      appKey: "b".repeat(40),
    });
    expect(ok.status).toBe(200);
  });
});

describe("refusals", () => {
  it("answers 400 to a malformed connection id", async () => {
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const answer = await call(sim, method, `${CONNECTIONS}/not-a-uuid`, { body: update({ name: "x" }) });
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({
        errors: [{ title: "Generic Error", detail: "error connectionId not a valid UUID" }],
      });
    }
  });

  it("answers 404 to an unknown id, without a status field", async () => {
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const answer = await call(sim, method, `${CONNECTIONS}/${UNKNOWN}`, { body: update({ name: "x" }) });
      expect(answer.status).toBe(404);
      expect(answer.json).toEqual({
        errors: [
          {
            title: "Generic Error",
            detail: "error creating connection: rpc error: code = NotFound desc = connection not found",
          },
        ],
      });
    }
  });

  it("answers 400 to an account id that is not twelve digits, and changes nothing", async () => {
    const answer = await patch(sim, AWS, {
      integration: { type: "AWS", credentials: { type: "AWSAssumeRole", account_id: "12345" } },
    });
    expect(answer.status).toBe(400);
    const detail = (answer.json.errors as Json[])[0]?.detail;
    expect(detail).toContain('AccountId: value does not match regex pattern "^\\\\d{12}$"');
    expect(sim.connection(AWS)).toEqual(storedConnection(sample("AWSAssumeRole")));
  });

  it("answers 400 to a body that is not JSON, a wrong data.type or missing attributes", async () => {
    const path = `${CONNECTIONS}/${OPENAI}`;
    const bodies = [
      "{not json",
      "",
      JSON.stringify({ data: { type: "connection", attributes: { name: "x" } } }),
      JSON.stringify({ data: { type: "action_connection" } }),
      JSON.stringify({ data: { type: "action_connection", attributes: [] } }),
    ];
    for (const body of bodies) {
      const answer = await call(sim, "PATCH", path, { body, headers: { "content-type": "application/json" } });
      expect(answer.status, body).toBe(400);
      expect((answer.json.errors as Json[])[0]?.title).toBe("Generic Error");
    }
  });

  it("answers 400 when switching credential kind without every required field, naming it", async () => {
    const answer = await patch(sim, CLOUDFLARE, {
      integration: {
        type: "Cloudflare",
        credentials: { type: "CloudflareGlobalAPIToken", auth_email: "ops@example.com" },
      },
    });
    expect(answer.status).toBe(400);
    expect((answer.json.errors as Json[])[0]?.detail).toMatch(/global_api_key/);
  });

  it("answers 400 when switching integration without credentials", async () => {
    const answer = await patch(sim, OPENAI, { integration: { type: "Anthropic" } });
    expect(answer.status).toBe(400);
    expect((answer.json.errors as Json[])[0]?.detail).toMatch(/credentials/);
  });

  it("answers 400 to an unknown integration or credential type", async () => {
    const unknownIntegration = await patch(sim, OPENAI, {
      integration: { type: "Nope", credentials: { type: "NopeKey" } },
    });
    expect(unknownIntegration.status).toBe(400);
    const wrongKind = await patch(sim, OPENAI, {
      integration: { type: "OpenAI", credentials: { type: "AnthropicAPIKey", api_token: "x" } },
    });
    expect(wrongKind.status).toBe(400);
  });
});

describe("updates", () => {
  it("replaces name and tags", async () => {
    const answer = await patch(sim, OPENAI, { name: "Renamed", tags: ["env:prod", "team:ml"] });
    expect(answer.status).toBe(200);
    const attributes = (answer.json.data as Json).attributes as Json;
    expect(attributes.name).toBe("Renamed");
    expect(attributes.tags).toEqual(["env:prod", "team:ml"]);
    expect(storedAttributes(sim, OPENAI).tags).toEqual(["env:prod", "team:ml"]);
  });

  it("merges credential fields of the same kind (a partial update)", async () => {
    const answer = await patch(sim, OKTA, {
      integration: { type: "Okta", credentials: { type: "OktaAPIToken", api_token: "new-okta-token" } },
    });
    expect(answer.status).toBe(200);
    expect(credentialsOf(answer.json.data)).toEqual({ type: "OktaAPIToken", api_token: "", domain: "acme.okta.com" });
    expect(credentialsOf(sim.connection(OKTA))).toEqual({
      type: "OktaAPIToken",
      api_token: "new-okta-token",
      domain: "acme.okta.com",
    });
  });

  it("replaces the credentials when the kind changes", async () => {
    const answer = await patch(sim, CLOUDFLARE, {
      integration: {
        type: "Cloudflare",
        credentials: { type: "CloudflareGlobalAPIToken", auth_email: "ops@example.com", global_api_key: "gk" },
      },
    });
    expect(answer.status).toBe(200);
    expect(credentialsOf(sim.connection(CLOUDFLARE))).toEqual({
      type: "CloudflareGlobalAPIToken",
      auth_email: "ops@example.com",
      global_api_key: "gk",
    });
  });

  it("replaces the integration when its type changes", async () => {
    const answer = await patch(sim, OPENAI, {
      integration: { type: "Anthropic", credentials: { type: "AnthropicAPIKey", api_token: "sk-ant" } },
    });
    expect(answer.status).toBe(200);
    expect(integrationOf(sim.connection(OPENAI))).toEqual({
      type: "Anthropic",
      credentials: { type: "AnthropicAPIKey", api_token: "sk-ant" },
    });
  });

  it("merges HTTP tokens, headers and URL parameters by name; deleted: true removes; base_url and body replace", async () => {
    const answer = await patch(sim, HTTP, {
      integration: {
        type: "HTTP",
        base_url: "https://api.example.org/v2",
        credentials: {
          type: "HTTPTokenAuth",
          tokens: [
            { name: "bearer", type: "SECRET", value: "rotated" },
            { name: "second", type: "SECRET", value: "another" },
          ],
          headers: [
            { name: "X-Api-Version", deleted: true },
            { name: "Authorization", value: "Bearer {{ tokens.bearer }}" },
          ],
          url_parameters: [{ name: "region", value: "us" }],
          body: { content_type: "text/plain" },
        },
      },
    });
    expect(answer.status).toBe(200);
    expect(integrationOf(sim.connection(HTTP))).toEqual({
      type: "HTTP",
      base_url: "https://api.example.org/v2",
      credentials: {
        type: "HTTPTokenAuth",
        tokens: [
          { name: "bearer", type: "SECRET", value: "rotated" },
          { name: "second", type: "SECRET", value: "another" },
        ],
        headers: [{ name: "Authorization", value: "Bearer {{ tokens.bearer }}" }],
        url_parameters: [{ name: "region", value: "us" }],
        body: { content_type: "text/plain" },
      },
    });
    const answered = credentialsOf(answer.json.data);
    // Tokens are left out of the answer, as the service does now (Terraform provider PR #3667).
    expect(answered).not.toHaveProperty("tokens");
    // Header and URL parameter values are echoed, as the service does.
    expect(answered.headers).toEqual([{ name: "Authorization", value: "Bearer {{ tokens.bearer }}" }]);
    expect(answered.url_parameters).toEqual([{ name: "region", value: "us" }]);
    expect(integrationOf(answer.json.data).base_url).toBe("https://api.example.org/v2");
  });

  it("generate_new_external_id makes a new external ID, never stored as a field", async () => {
    const before = credentialsOf(sim.connection(AWS)).external_id;
    const kept = await patch(sim, AWS, {
      integration: { type: "AWS", credentials: { type: "AWSAssumeRole", role: "Other" } },
    });
    expect(credentialsOf(kept.json.data).external_id).toBe(before);

    const answer = await patch(sim, AWS, {
      integration: { type: "AWS", credentials: { type: "AWSAssumeRole", generate_new_external_id: true } },
    });
    expect(answer.status).toBe(200);
    const credentials = credentialsOf(answer.json.data);
    expect(credentials.external_id).toMatch(/^[0-9a-f]{32}$/);
    expect(credentials.external_id).not.toBe(before);
    expect(credentials.principal_id).toBe(SIM_PRINCIPAL_ID);
    const stored = credentialsOf(sim.connection(AWS));
    expect(stored.external_id).toBe(credentials.external_id);
    expect(stored).not.toHaveProperty("generate_new_external_id");
  });

  it("answers every AWS connection with external_id and principal_id, even one put without them", async () => {
    const id = "22222222-3333-4444-8555-666666666666";
    sim.put({
      id,
      type: "action_connection",
      attributes: {
        name: "bare",
        integration: { type: "AWS", credentials: { type: "AWSAssumeRole", account_id: "123456789012", role: "r" } },
      },
    });
    const first = credentialsOf((await call(sim, "GET", `${CONNECTIONS}/${id}`)).json.data);
    const second = credentialsOf((await call(sim, "GET", `${CONNECTIONS}/${id}`)).json.data);
    expect(first.external_id).toMatch(/^[0-9a-f]{32}$/);
    expect(second.external_id).toBe(first.external_id);
    expect(first.principal_id).toBe(SIM_PRINCIPAL_ID);
  });
});

describe("answers", () => {
  it("blanks every secret field of every kind, leaves HTTP tokens out, echoes the rest; the store keeps the secrets", async () => {
    for (const kind of KINDS) {
      const answer = await call(sim, "GET", `${CONNECTIONS}/${kind.id}`);
      expect(answer.status).toBe(200);
      const stored = credentialsOf(storedConnection(kind));
      const answered = credentialsOf(answer.json.data);
      for (const [name, value] of Object.entries(stored)) {
        if (SECRET_FIELD_NAMES.has(name)) {
          expect(answered[name], `${kind.kind.type}.${name}`).toBe("");
          expect(value).not.toBe("");
        } else if (name === "tokens") {
          expect(answered, kind.kind.type).not.toHaveProperty("tokens");
          expect(value).not.toEqual([]);
        } else if (name !== "external_id") {
          expect(answered[name], `${kind.kind.type}.${name}`).toEqual(value);
        }
      }
      expect(credentialsOf(sim.connection(kind.id))).toEqual(stored);
    }
  });

  it("adds the attributes and relationships the reference does not list", async () => {
    const answer = await patch(sim, OPENAI, { name: "x" });
    const data = answer.json.data as Json;
    const attributes = data.attributes as Json;
    expect(attributes.acting_user_can_resolve).toBe(true);
    expect(attributes.is_favorite).toBe(false);
    expect(attributes.external_secrets_manager).toBeNull();
    const time = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} \+0000 UTC$/;
    expect(attributes.created_at).toMatch(time);
    expect(attributes.last_updated).toMatch(time);
    expect(data.relationships).toEqual({
      created_by: { data: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), type: "users" } },
    });
  });
});

describe("rate limits", () => {
  it("sends the rate-limit headers on every answer, remaining decreasing", async () => {
    const limited = await startWith({ rateLimit: { limit: 5, period: 86_400, name: "action_connections" } });
    const remaining: string[] = [];
    for (const [method, path] of [
      ["GET", `${CONNECTIONS}/${OPENAI}`],
      ["PATCH", `${CONNECTIONS}/not-a-uuid`],
      ["GET", "/nowhere"],
    ] as const) {
      const answer = await call(limited, method, path, { body: update({ name: "x" }), apiKey: null });
      expect(answer.headers.get("x-ratelimit-limit")).toBe("5");
      expect(answer.headers.get("x-ratelimit-period")).toBe("86400");
      expect(answer.headers.get("x-ratelimit-name")).toBe("action_connections");
      const reset = answer.headers.get("x-ratelimit-reset") ?? "";
      expect(reset).toMatch(/^\d+$/);
      expect(Number(reset)).toBeGreaterThanOrEqual(1);
      expect(Number(reset)).toBeLessThanOrEqual(86_400);
      remaining.push(answer.headers.get("x-ratelimit-remaining") ?? "");
    }
    expect(remaining).toEqual(["4", "3", "2"]);
  });

  it("answers 429 once the period's limit is spent, with remaining 0 and the seconds left", async () => {
    const limited = await startWith({ rateLimit: { limit: 2, period: 86_400, name: "action_connections" } });
    expect((await patch(limited, OPENAI, { name: "a" })).status).toBe(200);
    expect((await patch(limited, OPENAI, { name: "b" })).status).toBe(200);
    const refused = await patch(limited, OPENAI, { name: "c" });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(refused.headers.get("x-ratelimit-reset"))).toBeGreaterThan(0);
    expect(refused.json).toEqual({ errors: ["Too many requests"] });
    expect(storedAttributes(limited, OPENAI).name).toBe("b");
  });
});

describe("scripted answers", () => {
  it("answers exactly what is scripted, in order, then handles normally again", async () => {
    sim.script(
      { kind: "answer", status: 503, body: { errors: ["Service Unavailable"] } },
      { kind: "answer", status: 500, headers: { "X-RateLimit-Name": "custom", "Content-Type": "text/plain" } },
    );
    const first = await patch(sim, OPENAI, { name: "x" });
    expect(first.status).toBe(503);
    expect(first.json).toEqual({ errors: ["Service Unavailable"] });
    expect(first.headers.get("x-ratelimit-limit")).toBe("1000");
    const second = await patch(sim, OPENAI, { name: "x" });
    expect(second.status).toBe(500);
    expect(second.text).toBe("");
    expect(second.headers.get("x-ratelimit-name")).toBe("custom");
    expect(second.headers.get("content-type")).toBe("text/plain");
    expect(storedAttributes(sim, OPENAI).name).not.toBe("x");
    expect((await patch(sim, OPENAI, { name: "x" })).status).toBe(200);
    expect(sim.requests.map((request) => request.method)).toEqual(["PATCH", "PATCH", "PATCH"]);
  });

  it("is consumed only by requests to /api/v2/actions/*", async () => {
    sim.script({ kind: "answer", status: 502 });
    expect((await call(sim, "GET", "/elsewhere")).status).toBe(404);
    expect((await call(sim, "GET", `${CONNECTIONS}/${OPENAI}`)).status).toBe(502);
  });

  it("rate-limit with reset: 429 with the rate-limit headers and that reset", async () => {
    sim.script({ kind: "rate-limit", reset: 2 });
    const answer = await patch(sim, OPENAI, { name: "x" });
    expect(answer.status).toBe(429);
    expect(answer.headers.get("x-ratelimit-reset")).toBe("2");
    expect(answer.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(answer.headers.get("x-ratelimit-limit")).toBe("1000");
    expect(answer.headers.get("x-ratelimit-period")).toBe("60");
    expect(answer.headers.get("x-ratelimit-name")).toBe("action_connections");
    expect(answer.headers.get("retry-after")).toBeNull();
    expect(answer.json).toEqual({ errors: ["Too many requests"] });
  });

  it("rate-limit without reset: no rate-limit headers; Retry-After only if given; html and empty bodies", async () => {
    sim.script(
      { kind: "rate-limit" },
      { kind: "rate-limit", retryAfter: "1", body: "html" },
      { kind: "rate-limit", body: "empty" },
    );
    const plain = await patch(sim, OPENAI, { name: "x" });
    expect(plain.status).toBe(429);
    expect([...plain.headers.keys()].filter((name) => name.startsWith("x-ratelimit"))).toEqual([]);
    expect(plain.headers.get("retry-after")).toBeNull();

    const html = await patch(sim, OPENAI, { name: "x" });
    expect(html.status).toBe(429);
    expect(html.headers.get("retry-after")).toBe("1");
    expect(html.headers.get("content-type")).toBe("text/html");
    expect(html.text).toMatch(/^<html>/);
    expect([...html.headers.keys()].filter((name) => name.startsWith("x-ratelimit"))).toEqual([]);

    const empty = await patch(sim, OPENAI, { name: "x" });
    expect(empty.status).toBe(429);
    expect(empty.text).toBe("");
  });

  it("reset: the connection is reset, fetch rejects", async () => {
    sim.script({ kind: "reset" });
    await expect(patch(sim, OPENAI, { name: "x" })).rejects.toThrow();
    expect(sim.requests).toHaveLength(1);
    expect((await patch(sim, OPENAI, { name: "x" })).status).toBe(200);
  });

  it("apply-then-reset: the update is applied (an AWS rotation done), then the connection is reset", async () => {
    const before = credentialsOf(sim.connection(AWS)).external_id;
    sim.script({ kind: "apply-then-reset" });
    await expect(
      patch(sim, AWS, {
        name: "applied",
        integration: { type: "AWS", credentials: { type: "AWSAssumeRole", generate_new_external_id: true } },
      }),
    ).rejects.toThrow();
    expect(sim.requests).toHaveLength(1);
    expect(storedAttributes(sim, AWS).name).toBe("applied");
    const rotated = credentialsOf(sim.connection(AWS)).external_id;
    expect(rotated).toMatch(/^[0-9a-f]{32}$/);
    expect(rotated).not.toBe(before);
  });

  it("hang: no answer, the client's timeout aborts", async () => {
    sim.script({ kind: "hang" });
    const started = Date.now();
    await expect(patch(sim, OPENAI, { name: "x" }, { signal: AbortSignal.timeout(300) })).rejects.toMatchObject({
      name: "TimeoutError",
    });
    // Aborted by the client's timeout; the hang itself never ends. Wide for a loaded machine.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("slow-body: status and headers at once, the body after the delay", async () => {
    // The delay is far longer than the bound on the headers, however loaded the machine.
    const delayMs = 5000;
    sim.script({ kind: "slow-body", delayMs });
    const started = Date.now();
    const response = await fetch(`${sim.url}${CONNECTIONS}/${OPENAI}`, {
      method: "PATCH",
      headers: { "DD-API-KEY": SIM_API_KEY, "DD-APPLICATION-KEY": SIM_APP_KEY },
      body: JSON.stringify(update({ name: "slow" })),
      signal: AbortSignal.timeout(15_000),
    });
    const headersAfter = Date.now() - started;
    expect(response.status).toBe(200);
    expect(headersAfter).toBeLessThan(2000);
    const body = JSON.parse(await response.text()) as Json;
    expect(Date.now() - started).toBeGreaterThanOrEqual(delayMs - 10);
    expect(((body.data as Json).attributes as Json).name).toBe("slow");
  });

  it("html: an HTML error page from the edge, without the API's rate-limit headers", async () => {
    sim.script({ kind: "html", status: 502 });
    const answer = await patch(sim, OPENAI, { name: "x" });
    expect(answer.status).toBe(502);
    expect(answer.headers.get("content-type")).toBe("text/html");
    expect(answer.text).toContain("502 Bad Gateway");
    expect([...answer.headers.keys()].filter((name) => name.startsWith("x-ratelimit"))).toEqual([]);
    // An API answer still carries them.
    expect((await patch(sim, OPENAI, { name: "x" })).headers.get("x-ratelimit-limit")).toBe("1000");
  });

  it("non-json: a plain-text body that is not JSON, whatever the status", async () => {
    sim.script({ kind: "non-json", status: 200 }, { kind: "non-json", status: 503 });
    for (const status of [200, 503]) {
      const answer = await patch(sim, OPENAI, { name: "x" });
      expect(answer.status).toBe(status);
      expect(() => JSON.parse(answer.text)).toThrow();
      expect(answer.text.length).toBeGreaterThan(0);
    }
  });
});

describe("recording and state", () => {
  it("records method, path, headers, raw body, parsed JSON and arrival time", async () => {
    const before = Date.now();
    await patch(sim, OPENAI, { name: "recorded" });
    await call(sim, "PATCH", `${CONNECTIONS}/${OPENAI}`, { body: "not json" });
    const [first, second] = sim.requests;
    expect(first).toMatchObject({
      method: "PATCH",
      path: `${CONNECTIONS}/${OPENAI}`,
      body: JSON.stringify(update({ name: "recorded" })),
      json: update({ name: "recorded" }),
    });
    expect(first?.headers["dd-api-key"]).toBe(SIM_API_KEY);
    expect(first?.headers["dd-application-key"]).toBe(SIM_APP_KEY);
    expect(first?.at).toBeGreaterThanOrEqual(before);
    expect(second?.body).toBe("not json");
    expect(second?.json).toBeUndefined();
  });

  it("put() stores a connection; reset() restores the samples and clears requests and script", async () => {
    sim.put({ id: UNKNOWN, type: "action_connection", attributes: { name: "mine" } });
    expect((await call(sim, "GET", `${CONNECTIONS}/${UNKNOWN}`)).status).toBe(200);
    await patch(sim, OPENAI, { name: "changed" });
    sim.script({ kind: "hang" });
    sim.reset();
    expect(sim.requests).toHaveLength(0);
    expect(sim.connection(UNKNOWN)).toBeUndefined();
    expect(storedAttributes(sim, OPENAI).name).toBe("OpenAI (OpenAIAPIKey)");
    expect((await call(sim, "GET", `${CONNECTIONS}/${OPENAI}`)).status).toBe(200);
  });

  it("connection() returns a copy", () => {
    const copy = sim.connection(OPENAI);
    if (copy) (copy.attributes as Json).name = "mutated";
    expect(storedAttributes(sim, OPENAI).name).toBe("OpenAI (OpenAIAPIKey)");
  });
});

describe("close()", () => {
  it("returns at once (not after the 10 s body) with a hanging request and a slow body in flight", async () => {
    const closing = await Simulator.start();
    closing.script({ kind: "hang" }, { kind: "slow-body", delayMs: 10_000 });
    const hanging = patch(closing, OPENAI, { name: "x" }).catch((error: unknown) => error);
    const slow = fetch(`${closing.url}${CONNECTIONS}/${OPENAI}`, {
      method: "PATCH",
      headers: { "DD-API-KEY": SIM_API_KEY, "DD-APPLICATION-KEY": SIM_APP_KEY },
      body: JSON.stringify(update({ name: "y" })),
    }).then((response) => response.text().catch((error: unknown) => error));
    for (let i = 0; i < 500 && closing.requests.length < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closing.requests).toHaveLength(2);
    const started = Date.now();
    await closing.close();
    // Wide for a loaded machine, and still far below the slow body's 10 s (the hang never ends).
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await hanging).toBeInstanceOf(Error);
    expect(await slow).toBeInstanceOf(Error);
  });
});

describe("deleting HTTP entries in the forms Datadog's clients send", () => {
  it("removes a token sent as {name, type: SECRET, value: '', deleted: true}, and a header and URL parameter sent as {name, deleted: true}", async () => {
    const answer = await patch(sim, HTTP, {
      integration: {
        type: "HTTP",
        credentials: {
          type: "HTTPTokenAuth",
          tokens: [{ name: "bearer", type: "SECRET", value: "", deleted: true }],
          headers: [{ name: "X-Api-Version", deleted: true }],
          url_parameters: [{ name: "region", deleted: true }],
        },
      },
    });
    expect(answer.status).toBe(200);
    const stored = credentialsOf(sim.connection(HTTP));
    expect(stored.tokens).toEqual([]);
    expect(stored.headers).toEqual([]);
    expect(stored.url_parameters).toEqual([]);
  });
});
