/**
 * A stand-in for Datadog's Action Connection API: a real HTTP server on 127.0.0.1 that behaves as
 * shared/reference/api-notes.md describes the real service (routes, auth, error shapes, partial
 * updates, blanked secrets, extra attributes, rate-limit headers), with scripted misbehaviour
 * (rate limits, resets, hangs, slow bodies, HTML and non-JSON answers) for tests of the client.
 *
 * It is not a validator (the action validates); it applies an update the way the service does and
 * refuses only what the service is known to refuse.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type Fields, findIntegration, type ListField, type TextField } from "../../src/patch/integrations.ts";
import { KINDS, storedConnection } from "../fixtures.ts";
// What Datadog blanks, from the API reference: not from the table the action is tested on.
import { ORACLE_SECRET_FIELDS } from "../secret-oracle.ts";

/** The API key the simulator accepts (32 hex, as Datadog's). */
export const SIM_API_KEY = "0123456789abcdef0123456789abcdef";
/** The application key the simulator accepts and has registered for Actions (40 hex). */
export const SIM_APP_KEY = "fedcba9876543210fedcba9876543210fedcba98";
/** The UUID of that application key: registrations are made and looked up by it, never by the key. */
export const SIM_APP_KEY_ID = "b7c2a1d4-5e6f-4a8b-9c0d-1e2f3a4b5c6d";
/** Datadog's AWS account that assumes the role: every AWS answer carries it. */
export const SIM_PRINCIPAL_ID = "464622532012";
/** The user every connection is `created_by`. */
export const SIM_USER_ID = "3ad549bf-eba0-11e9-a77a-0705486660d0";

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON; undefined if it is not JSON (or empty). */
  json: unknown;
  /** The query string's parameters. */
  query: URLSearchParams;
  /** Date.now() when the request arrived. */
  at: number;
  /** The status answered, once the answer is sent (undefined for a reset or a hang). */
  status?: number;
}

export type Scripted =
  /** Exactly this answer; object bodies are JSON-encoded; rate-limit headers are added for each one not given. */
  | { kind: "answer"; status: number; headers?: Record<string, string>; body?: string | object }
  /** A 429; `reset` sets X-RateLimit-Reset (with the other rate-limit headers); omitted = no rate-limit headers at all. */
  | { kind: "rate-limit"; reset?: number; retryAfter?: string; body?: "json" | "html" | "empty" }
  /** Destroys the socket without answering (TCP reset). */
  | { kind: "reset" }
  /** Handles the request normally (an update is applied, a rotation done), then resets instead of answering. */
  | { kind: "apply-then-reset" }
  /** Reads the request and never answers (until close()). */
  | { kind: "hang" }
  /** Handles the request normally, sends status and headers, and the body only after delayMs. */
  | { kind: "slow-body"; delayMs: number }
  /** An HTML error page (content-type text/html). */
  | { kind: "html"; status: number }
  /** A plain-text body that is not JSON. */
  | { kind: "non-json"; status: number };

export interface SimulatorOptions {
  apiKey?: string;
  appKey?: string;
  /** The application key's UUID; default SIM_APP_KEY_ID. */
  appKeyId?: string;
  /** UUIDs of the application keys registered for Actions; default [appKeyId]. */
  registeredAppKeyIds?: string[];
  /** Default 1000 requests per 60 s, named "action_connections". */
  rateLimit?: { limit: number; period: number; name: string };
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /**
   * Answer secret fields as stored instead of "", as a misbehaving service (or a future API version)
   * might: the action's own blanking of the `connection` output is then all that stands.
   */
  answerSecrets?: boolean;
}

type Json = Record<string, unknown>;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Meta {
  createdAt: string;
  lastUpdated: string;
}

const ACTIONS_PREFIX = "/api/v2/actions/";
const CONNECTIONS = "/api/v2/actions/connections";
const REGISTRATIONS = "/api/v2/actions/app_key_registrations/";
const JSON_API = "application/vnd.api+json";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACCOUNT_ID = /^\d{12}$/;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const NOT_FOUND_DETAIL = "error creating connection: rpc error: code = NotFound desc = connection not found";
/** Go's %q of the pattern, as the service quotes it: two backslashes. */
const ACCOUNT_ID_DETAIL =
  'error updating connection: invalid AWSAssumeRole: AccountId: value does not match regex pattern "^\\\\d{12}$"';

/** A refusal: the HTTP status and the `detail` of a Generic Error. */
class Refusal {
  readonly status: number;
  readonly detail: string;
  constructor(status: number, detail: string) {
    this.status = status;
    this.detail = detail;
  }
}

export class Simulator {
  /** "http://127.0.0.1:PORT" */
  readonly url: string;
  /** Every request received, in order (scripted ones too). */
  readonly requests: RecordedRequest[] = [];

  readonly #server: Server;
  readonly #apiKey: string;
  readonly #appKey: string;
  readonly #appKeyId: string;
  readonly #initialRegistered: readonly string[];
  readonly #registered = new Set<string>();
  readonly #rateLimit: { limit: number; period: number; name: string };
  readonly #connections = new Map<string, Json>();
  readonly #meta = new Map<string, Meta>();
  readonly #script: Scripted[] = [];
  readonly #scriptByPath = new Map<string, Scripted[]>();
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #answerSecrets: boolean;
  #window = -1;
  #count = 0;

  private constructor(server: Server, url: string, options: SimulatorOptions) {
    this.#server = server;
    this.url = url;
    this.#apiKey = options.apiKey ?? SIM_API_KEY;
    this.#appKey = options.appKey ?? SIM_APP_KEY;
    this.#appKeyId = (options.appKeyId ?? SIM_APP_KEY_ID).toLowerCase();
    this.#initialRegistered = (options.registeredAppKeyIds ?? [this.#appKeyId]).map((id) => id.toLowerCase());
    this.#rateLimit = { ...(options.rateLimit ?? { limit: 1000, period: 60, name: "action_connections" }) };
    this.#answerSecrets = options.answerSecrets ?? false;
    server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    server.on("request", (request: IncomingMessage, response: ServerResponse) => this.#receive(request, response));
    this.reset();
  }

  /** Starts a simulator on 127.0.0.1 (a free port unless `options.port`). */
  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    return new Simulator(server, `http://127.0.0.1:${port}`, options);
  }

  /** Queues answers: each request to /api/v2/actions/* consumes the next one instead of normal handling. */
  script(...answers: Scripted[]): void {
    this.#script.push(...answers);
  }

  /** Queues answers for one connection: its requests consume them before the common script. */
  scriptFor(id: string, ...answers: Scripted[]): void {
    const path = `${CONNECTIONS}/${id.toLowerCase()}`;
    this.#scriptByPath.set(path, [...(this.#scriptByPath.get(path) ?? []), ...answers]);
  }

  #nextScripted(path: string): Scripted | undefined {
    return this.#scriptByPath.get(path.toLowerCase())?.shift() ?? this.#script.shift();
  }

  /** The stored connection's `data` object (secrets not blanked), a copy. */
  connection(id: string): Record<string, unknown> | undefined {
    const stored = this.#connections.get(id.toLowerCase());
    return stored ? structuredClone(stored) : undefined;
  }

  /** Stores or replaces a connection `data` object (id, type, attributes). */
  put(data: Record<string, unknown>): void {
    if (typeof data.id !== "string" || data.id === "") throw new Error("put(): data.id must be a non-empty string");
    const id = data.id.toLowerCase();
    this.#connections.set(id, structuredClone({ ...data, id }));
    const now = timestamp(new Date());
    this.#meta.set(id, { createdAt: this.#meta.get(id)?.createdAt ?? now, lastUpdated: now });
  }

  /** Clears the recorded requests, the script and the rate-limit count; restores the sample connections and registered keys. */
  reset(): void {
    this.requests.length = 0;
    this.#script.length = 0;
    this.#scriptByPath.clear();
    this.#window = -1;
    this.#count = 0;
    this.#registered.clear();
    for (const key of this.#initialRegistered) this.#registered.add(key);
    this.#connections.clear();
    this.#meta.clear();
    for (const kind of KINDS) this.put(storedConnection(kind));
  }

  /** Stops the server; hanging requests, slow bodies and open sockets are ended at once. */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    await closed;
  }

  #receive(request: IncomingMessage, response: ServerResponse): void {
    const at = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("error", () => undefined);
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const recorded: RecordedRequest = {
        method: request.method ?? "GET",
        path: url.pathname,
        headers: flattenHeaders(request.headers),
        body,
        json: parseJson(body),
        query: url.searchParams,
        at,
      };
      this.requests.push(recorded);
      response.once("finish", () => {
        recorded.status = response.statusCode;
      });
      if (size > MAX_BODY_BYTES) {
        this.#send(
          response,
          this.#counted(() => jsonApiError(413, "Payload Too Large", "request body too large")),
        );
        return;
      }
      const scripted = recorded.path.startsWith(ACTIONS_PREFIX) ? this.#nextScripted(recorded.path) : undefined;
      if (scripted) {
        this.#scripted(scripted, recorded, request, response);
      } else {
        this.#send(
          response,
          this.#counted(() => this.#handle(recorded)),
        );
      }
    });
  }

  #scripted(scripted: Scripted, recorded: RecordedRequest, request: IncomingMessage, response: ServerResponse): void {
    switch (scripted.kind) {
      case "reset":
        request.socket.resetAndDestroy();
        return;
      case "apply-then-reset":
        this.#counted(() => this.#handle(recorded));
        request.socket.resetAndDestroy();
        return;
      case "hang":
        // Never answered; close() destroys the socket.
        return;
      case "slow-body": {
        const answer = this.#counted(() => this.#handle(recorded));
        response.writeHead(answer.status, answer.headers);
        response.flushHeaders();
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          response.end(answer.body);
        }, scripted.delayMs);
        this.#timers.add(timer);
        return;
      }
      case "html":
        // The edge's pages carry no rate-limit headers: only the API behind it sends them.
        this.#tick();
        this.#send(response, htmlAnswer(scripted.status));
        return;
      case "non-json": {
        const body = `upstream connect error or disconnect/reset before headers. status ${scripted.status}\n`;
        this.#send(
          response,
          this.#withRateLimit({ status: scripted.status, headers: { "content-type": "text/plain" }, body }),
        );
        return;
      }
      case "rate-limit": {
        this.#tick();
        const headers: Record<string, string> = {};
        if (scripted.reset !== undefined) {
          Object.assign(headers, this.#rateLimitHeaders(Date.now()), {
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": String(scripted.reset),
          });
        }
        if (scripted.retryAfter !== undefined) headers["retry-after"] = scripted.retryAfter;
        const body = scripted.body ?? "json";
        if (body === "json") {
          this.#send(response, {
            status: 429,
            headers: { ...headers, "content-type": "application/json" },
            body: JSON.stringify({ errors: ["Too many requests"] }),
          });
        } else if (body === "html") {
          const page = htmlAnswer(429);
          this.#send(response, { ...page, headers: { ...headers, ...page.headers } });
        } else {
          this.#send(response, { status: 429, headers, body: "" });
        }
        return;
      }
      case "answer": {
        const given = lowerCaseKeys(scripted.headers ?? {});
        let body = "";
        const headers: Record<string, string> = {};
        if (typeof scripted.body === "string") {
          body = scripted.body;
          headers["content-type"] = parseJson(body) === undefined ? "text/plain" : JSON_API;
        } else if (scripted.body !== undefined) {
          body = JSON.stringify(scripted.body);
          headers["content-type"] = JSON_API;
        }
        this.#send(response, this.#withRateLimit({ status: scripted.status, headers: { ...headers, ...given }, body }));
        return;
      }
    }
  }

  /** Counts the request against the rate limit: the answer, or a 429 once the period's limit is spent; with rate-limit headers. */
  #counted(produce: () => Answer): Answer {
    const now = Date.now();
    this.#tick(now);
    if (this.#count > this.#rateLimit.limit) {
      return {
        status: 429,
        headers: { ...this.#rateLimitHeaders(now), "content-type": JSON_API },
        body: JSON.stringify({ errors: ["Too many requests"] }),
      };
    }
    let answer: Answer;
    try {
      answer = produce();
    } catch (error) {
      // A bug in the simulator: answer it rather than crash the test run.
      answer = jsonApiError(500, "Internal Server Error", `simulator error: ${String(error)}`);
    }
    return { ...answer, headers: { ...this.#rateLimitHeaders(now), ...answer.headers } };
  }

  /** A scripted answer: counted, with rate-limit headers (those it gives win), never replaced by a 429. */
  #withRateLimit(answer: Answer): Answer {
    const now = Date.now();
    this.#tick(now);
    return { ...answer, headers: { ...this.#rateLimitHeaders(now), ...answer.headers } };
  }

  /** One more request in the current (calendar-aligned) period. */
  #tick(now = Date.now()): void {
    const window = Math.floor(now / (this.#rateLimit.period * 1000));
    if (window !== this.#window) {
      this.#window = window;
      this.#count = 0;
    }
    this.#count++;
  }

  #rateLimitHeaders(now: number): Record<string, string> {
    const periodMs = this.#rateLimit.period * 1000;
    const end = (Math.floor(now / periodMs) + 1) * periodMs;
    return {
      "x-ratelimit-limit": String(this.#rateLimit.limit),
      "x-ratelimit-period": String(this.#rateLimit.period),
      "x-ratelimit-remaining": String(Math.max(0, this.#rateLimit.limit - this.#count)),
      "x-ratelimit-reset": String(Math.max(1, Math.ceil((end - now) / 1000))),
      "x-ratelimit-name": this.#rateLimit.name,
    };
  }

  #send(response: ServerResponse, answer: Answer): void {
    if (response.destroyed) return;
    const headers = { ...answer.headers };
    if (answer.status !== 204 && answer.status !== 304)
      headers["content-length"] = String(Buffer.byteLength(answer.body));
    response.writeHead(answer.status, headers);
    response.end(answer.status === 204 ? undefined : answer.body);
  }

  /** Normal handling: route, auth, then the operation. */
  #handle(request: RecordedRequest): Answer {
    const { method, path } = request;
    const connection = /^\/api\/v2\/actions\/connections\/([^/]+)$/.exec(path);
    const registration = path.startsWith(REGISTRATIONS) ? path.slice(REGISTRATIONS.length) : undefined;
    const listing = path === REGISTRATIONS.slice(0, -1) && method === "GET";
    const known =
      (connection && ["GET", "PATCH", "DELETE"].includes(method)) ||
      (path === CONNECTIONS && method === "POST") ||
      listing ||
      (registration && !registration.includes("/") && ["GET", "PUT", "DELETE"].includes(method));
    if (!known) return jsonApiError(404, "Not Found", `no route for ${method} ${path}`);

    const apiKey = request.headers["dd-api-key"];
    const appKey = request.headers["dd-application-key"];
    if (apiKey !== this.#apiKey || appKey !== this.#appKey) {
      return jsonAnswer(403, { errors: ["Forbidden"] });
    }

    if (listing) return this.#registrations(request.query);
    if (registration !== undefined) return this.#registration(method, decodeURIComponent(registration));

    if (!this.#registered.has(this.#appKeyId)) {
      return jsonApiError(403, "Forbidden", "The application key is not registered for Actions.");
    }
    try {
      if (path === CONNECTIONS) return this.#create(request);
      const id = decodeURIComponent(connection?.[1] ?? "");
      if (!UUID.test(id)) throw new Refusal(400, "error connectionId not a valid UUID");
      if (method === "PATCH") return this.#update(id.toLowerCase(), request);
      const stored = this.#connections.get(id.toLowerCase());
      if (!stored) throw new Refusal(404, NOT_FOUND_DETAIL);
      if (method === "DELETE") {
        this.#connections.delete(id.toLowerCase());
        this.#meta.delete(id.toLowerCase());
        return { status: 204, headers: {}, body: "" };
      }
      return jsonAnswer(200, { data: this.#present(stored) });
    } catch (error) {
      if (error instanceof Refusal) {
        return jsonAnswer(error.status, { errors: [{ title: "Generic Error", detail: error.detail }] });
      }
      throw error;
    }
  }

  /** The registrations, a page at a time: page[size] (1 to 100, default 100) and page[number] (from 0). */
  #registrations(query: URLSearchParams): Answer {
    const size = pageParameter(query, "page[size]", 100);
    const number = pageParameter(query, "page[number]", 0);
    if (size === undefined || size < 1 || size > 100 || number === undefined) {
      return jsonAnswer(400, {
        errors: [{ title: "Generic Error", detail: "page[size] must be 1 to 100 and page[number] 0 or more" }],
      });
    }
    const ids = [...this.#registered].sort();
    const data = ids.slice(number * size, (number + 1) * size).map((id) => ({ id, type: "app_key_registration" }));
    return jsonAnswer(200, { data, meta: { total: ids.length, total_filtered: ids.length } });
  }

  #registration(method: string, key: string): Answer {
    // Keyed by the application key's UUID (its id), not by the key itself.
    if (!UUID.test(key)) {
      return jsonAnswer(400, { errors: [{ title: "Generic Error", detail: "app_key_id must be a valid UUID" }] });
    }
    const id = key.toLowerCase();
    const data = { id, type: "app_key_registration" };
    if (method === "PUT") {
      this.#registered.add(id);
      return jsonAnswer(201, { data });
    }
    if (!this.#registered.has(id)) {
      return jsonAnswer(404, { errors: [{ title: "Generic Error", detail: "app key registration not found" }] });
    }
    if (method === "DELETE") {
      this.#registered.delete(id);
      return { status: 204, headers: {}, body: "" };
    }
    return jsonAnswer(200, { data });
  }

  #update(id: string, request: RecordedRequest): Answer {
    const attributes = requestAttributes(request);
    const stored = this.#connections.get(id);
    if (!stored) throw new Refusal(404, NOT_FOUND_DETAIL);
    const current = (stored.attributes ?? {}) as Json;
    const next: Json = structuredClone(current);
    applyNameAndTags(next, attributes);
    if (attributes.integration !== undefined) {
      next.integration = applyIntegration(current.integration as Json | undefined, attributes.integration);
    }
    const updated = { ...stored, attributes: next };
    this.#connections.set(id, updated);
    const meta = this.#meta.get(id);
    this.#meta.set(id, { createdAt: meta?.createdAt ?? timestamp(new Date()), lastUpdated: timestamp(new Date()) });
    return jsonAnswer(200, { data: this.#present(updated) });
  }

  #create(request: RecordedRequest): Answer {
    const attributes = requestAttributes(request);
    if (typeof attributes.name !== "string") throw new Refusal(400, "invalid request body: name is required");
    if (attributes.integration === undefined) throw new Refusal(400, "invalid request body: integration is required");
    const next: Json = {};
    applyNameAndTags(next, attributes);
    next.integration = applyIntegration(undefined, attributes.integration);
    const id = randomUUID();
    const data: Json = { id, type: "action_connection", attributes: next };
    this.put(data);
    return jsonAnswer(201, { data: this.#present(data) });
  }

  /** The `data` of an answer: secrets blanked, AWS ids, extra attributes and relationships added. */
  #present(stored: Json): Json {
    const id = String(stored.id);
    const attributes = structuredClone((stored.attributes ?? {}) as Json);
    const integration = attributes.integration as Json | undefined;
    if (integration?.type === "AWS") {
      // AWS connections always answer an external ID and Datadog's principal: make them stable.
      const storedCredentials = ((stored.attributes as Json).integration as Json).credentials as Json | undefined;
      if (storedCredentials && typeof storedCredentials === "object") {
        if (typeof storedCredentials.external_id !== "string") storedCredentials.external_id = newExternalId();
        storedCredentials.principal_id = SIM_PRINCIPAL_ID;
        integration.credentials = structuredClone(storedCredentials);
      }
    }
    if (integration && !this.#answerSecrets) attributes.integration = blankSecrets(integration);
    omitTokens(attributes.integration);
    const meta = this.#meta.get(id) ?? { createdAt: timestamp(new Date()), lastUpdated: timestamp(new Date()) };
    const extras: Json = {
      acting_user_can_resolve: true,
      is_favorite: false,
      external_secrets_manager: null,
      created_at: meta.createdAt,
      last_updated: meta.lastUpdated,
    };
    for (const [key, value] of Object.entries(extras)) if (!(key in attributes)) attributes[key] = value;
    return {
      id,
      type: stored.type ?? "action_connection",
      attributes,
      relationships: { created_by: { data: { id: SIM_USER_ID, type: "users" } } },
    };
  }
}

/** The request's `data.attributes`, or a 400 as the service answers a body it cannot read. */
function requestAttributes(request: RecordedRequest): Json {
  const document = request.json;
  if (document === undefined) throw new Refusal(400, "invalid request body: the body is not JSON");
  if (!isObject(document) || !isObject(document.data)) throw new Refusal(400, "invalid request body: data is required");
  if (document.data.type !== "action_connection") {
    throw new Refusal(400, 'invalid request body: data.type must be "action_connection"');
  }
  if (!isObject(document.data.attributes)) {
    throw new Refusal(400, "invalid request body: data.attributes must be an object");
  }
  return document.data.attributes;
}

function applyNameAndTags(target: Json, attributes: Json): void {
  if (attributes.name !== undefined) {
    if (typeof attributes.name !== "string") throw new Refusal(400, "invalid request body: name must be a string");
    target.name = attributes.name;
  }
  if (attributes.tags !== undefined) {
    const tags = attributes.tags;
    if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === "string")) {
      throw new Refusal(400, "invalid request body: tags must be a list of strings");
    }
    if (tags.some((tag) => tag.split(":")[0]?.trim() === "default")) {
      throw new Refusal(400, "invalid request body: the tag key default is reserved");
    }
    target.tags = [...tags];
  }
}

/**
 * The stored integration after an update: same integration and credential type → a partial update
 * (fields merged, lists merged by name); otherwise the new credentials replace the old and must be
 * complete.
 */
function applyIntegration(stored: Json | undefined, patch: unknown): Json {
  if (!isObject(patch)) throw new Refusal(400, "invalid request body: integration must be an object");
  const entry = typeof patch.type === "string" ? findIntegration(patch.type) : undefined;
  if (!entry) throw new Refusal(400, `invalid request body: unknown integration type ${JSON.stringify(patch.type)}`);
  const switching = !stored || stored.type !== entry.type;
  const result: Json = switching ? { type: entry.type } : structuredClone(stored);
  if (switching) requireFields(patch, entry.fields, "integration", entry.type);
  applyFields(result, patch, entry.fields, "integration");

  const credentials = patch.credentials;
  if (credentials === undefined) {
    if (switching)
      throw new Refusal(400, `invalid request body: integration.credentials is required for ${entry.type}`);
    return result;
  }
  if (!isObject(credentials)) throw new Refusal(400, "invalid request body: integration.credentials must be an object");
  const kind = entry.credentials.find((candidate) => candidate.type === credentials.type);
  if (!kind) {
    throw new Refusal(
      400,
      `invalid request body: credentials type ${JSON.stringify(credentials.type)} is not one of ${entry.type}'s (${entry.credentials.map((candidate) => candidate.type).join(", ")})`,
    );
  }
  const storedCredentials = isObject(result.credentials) ? result.credentials : undefined;
  const replacing = switching || storedCredentials?.type !== kind.type;
  const next: Json = replacing || !storedCredentials ? { type: kind.type } : storedCredentials;
  if (replacing) requireFields(credentials, kind.fields, "integration.credentials", kind.type);
  applyFields(next, credentials, kind.fields, "integration.credentials");
  if (kind.type === "AWSAssumeRole") {
    const generate = credentials.generate_new_external_id;
    if (generate !== undefined && typeof generate !== "boolean") {
      throw new Refusal(400, "invalid request body: generate_new_external_id must be a boolean");
    }
    if (replacing || generate === true || typeof next.external_id !== "string") next.external_id = newExternalId();
    next.principal_id = SIM_PRINCIPAL_ID;
  }
  result.credentials = next;
  return result;
}

/** A credential kind switched (or an integration created) must carry every required field. */
function requireFields(patch: Json, fields: Fields, at: string, type: string): void {
  for (const [name, field] of Object.entries(fields)) {
    if (field.required && field.direction === "both" && patch[name] === undefined) {
      throw new Refusal(400, `invalid request body: ${at}.${name} is required for ${type}`);
    }
  }
}

/** Sets the fields of `patch` that the table knows (response-only and unknown fields are ignored). */
function applyFields(target: Json, patch: Json, fields: Fields, at: string): void {
  for (const [name, field] of Object.entries(fields)) {
    const value = patch[name];
    if (value === undefined || field.direction === "response") continue;
    switch (field.kind) {
      case "text":
        target[name] = checkText(value, field, `${at}.${name}`);
        break;
      case "object": {
        if (!isObject(value)) throw new Refusal(400, `invalid request body: ${at}.${name} must be an object`);
        const replaced: Json = {};
        applyFields(replaced, value, field.fields, `${at}.${name}`);
        target[name] = replaced;
        break;
      }
      case "list":
        target[name] = mergeList(Array.isArray(target[name]) ? target[name] : [], value, field, `${at}.${name}`);
        break;
      default:
        // Flags of an update (generate_new_external_id) are acted on, never stored.
        break;
    }
  }
}

function checkText(value: unknown, field: TextField, at: string): string {
  if (typeof value !== "string") throw new Refusal(400, `invalid request body: ${at} must be a string`);
  if (field.check === "account-id" && !ACCOUNT_ID.test(value)) throw new Refusal(400, ACCOUNT_ID_DETAIL);
  return value;
}

/** HTTP lists merge by `name`: an entry replaces or adds; `deleted: true` removes. */
function mergeList(stored: unknown[], patch: unknown, field: ListField, at: string): Json[] {
  if (!Array.isArray(patch)) throw new Refusal(400, `invalid request body: ${at} must be a list`);
  const result: Json[] = stored.filter(isObject).map((entry) => structuredClone(entry));
  patch.forEach((entry: unknown, index) => {
    if (!isObject(entry) || typeof entry.name !== "string") {
      throw new Refusal(400, `invalid request body: ${at}[${index}].name is required`);
    }
    const position = result.findIndex((candidate) => candidate.name === entry.name);
    if (entry.deleted === true) {
      if (position >= 0) result.splice(position, 1);
      return;
    }
    for (const required of field.itemRequiredInUpdate) {
      if (entry[required] === undefined) {
        throw new Refusal(400, `invalid request body: ${at}[${index}].${required} is required`);
      }
    }
    const clean: Json = {};
    for (const [name, item] of Object.entries(field.item)) {
      const value = entry[name];
      if (value === undefined || item.kind !== "text" || item.direction === "response") continue;
      clean[name] = checkText(value, item, `${at}[${index}].${name}`);
    }
    if (position >= 0) result[position] = { ...result[position], ...clean };
    else result.push(clean);
  });
  return result;
}

/** HTTP tokens are not in Datadog's answers (GET or PATCH) any more: not blanked, left out. */
function omitTokens(integration: unknown): void {
  if (isObject(integration) && isObject(integration.credentials)) delete integration.credentials.tokens;
}

/** A page parameter: a whole number, or `fallback` when absent; undefined when it is not a number. */
function pageParameter(query: URLSearchParams, name: string, fallback: number): number | undefined {
  const text = query.get(name);
  if (text === null) return fallback;
  return /^\d{1,6}$/.test(text) ? Number(text) : undefined;
}

/** Secret fields answered as "": those of the API reference (secret-oracle.ts), and each HTTP token's value. */
function blankSecrets(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) {
    return value.map((item) =>
      key === "tokens" && isObject(item) && "value" in item ? { ...item, value: "" } : blankSecrets(item),
    );
  }
  if (!isObject(value)) return value;
  const copy: Json = {};
  for (const [name, item] of Object.entries(value)) {
    copy[name] = ORACLE_SECRET_FIELDS.has(name) && typeof item === "string" ? "" : blankSecrets(item, name);
  }
  return copy;
}

function jsonAnswer(status: number, body: unknown): Answer {
  return { status, headers: { "content-type": JSON_API }, body: JSON.stringify(body) };
}

function jsonApiError(status: number, title: string, detail: string): Answer {
  return jsonAnswer(status, { errors: [{ status: String(status), title, detail }] });
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

function htmlAnswer(status: number): Answer {
  const title = `${status} ${STATUS_TEXT[status] ?? "Error"}`;
  const body = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  return { status, headers: { "content-type": "text/html" }, body };
}

/** `2026-07-13 13:28:03.137288 +0000 UTC`, as the service writes times. */
export function timestamp(date: Date): string {
  const iso = date.toISOString(); // 2026-07-13T13:28:03.137Z
  const micros = `${iso.slice(20, 23)}${String(Math.floor(Math.random() * 1000)).padStart(3, "0")}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${micros} +0000 UTC`;
}

function newExternalId(): string {
  return randomBytes(16).toString("hex");
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function flattenHeaders(headers: IncomingMessage["headers"]): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
