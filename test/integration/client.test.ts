/**
 * DatadogClient in-process against the simulator, over real HTTP on loopback, on both transports:
 * Node's fetch (direct) and undici's fetch through a tunnelling proxy (HTTP_PROXY). Each fault must
 * give the same outcome and the right words on both; only the words that name the proxy differ.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ClientOptions, DatadogClient } from "../../src/datadog/client.ts";
import { Failure, type Problem } from "../../src/failure.ts";
import type { UpdateRequest } from "../../src/patch/schema.ts";
import { KINDS } from "../fixtures.ts";
import { closedPort, TestProxy } from "../harness/proxy.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "../simulator/server.ts";

const OPENAI = KINDS.find((kind) => kind.kind.type === "OpenAIAPIKey")?.id ?? "";
const UNKNOWN = "11111111-2222-4333-8444-555555555555";
const RENAME = { data: { type: "action_connection", attributes: { name: "Renamed" } } } as UpdateRequest;

/** A name only the proxy resolves (to the simulator's address): loopback itself is never proxied. */
const PROXY_HOSTS = { "datadog.test": "127.0.0.1" };
const viaProxy = (url: string) => url.replace("127.0.0.1", "datadog.test");

let sim: Simulator;
let tunnel: TestProxy;
/** The API's URL for the route under test. */
let base: string;
let deadPort: number;
beforeAll(async () => {
  [sim, tunnel, deadPort] = await Promise.all([
    Simulator.start(),
    TestProxy.start({ mode: "tunnel", hosts: PROXY_HOSTS }),
    closedPort(),
  ]);
});
afterAll(async () => {
  await Promise.all([sim.close(), tunnel.close()]);
});
beforeEach(() => {
  base = sim.url;
  sim.reset();
  tunnel.connects.length = 0;
  tunnel.forwarded.length = 0;
});

interface Made {
  client: DatadogClient;
  info: string[];
  debug: string[];
}

function makeClient(overrides: Partial<ClientOptions> = {}): Made {
  const info: string[] = [];
  const debug: string[] = [];
  const client = new DatadogClient({
    baseUrl: base,
    apiKey: SIM_API_KEY,
    appKey: SIM_APP_KEY,
    userAgent: "client-test",
    where: { label: `${new URL(overrides.baseUrl ?? base).host} (api-url)`, input: "api-url" },
    maxRetries: 3,
    timeoutMs: 10_000,
    random: () => 0,
    env: {},
    info: (line) => info.push(line),
    debug: (line) => debug.push(line),
    ...overrides,
  });
  return { client, info, debug };
}

/** The one problem of the Failure the promise rejects with. */
async function problem(promise: Promise<unknown>): Promise<Problem> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Failure);
  const problems = (error as Failure).problems;
  expect(problems).toHaveLength(1);
  return problems[0] as Problem;
}

/** Waits (at most 10 s, a loaded machine's worst) until the condition holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

const ROUTES = [
  { route: "direct", env: (): NodeJS.ProcessEnv => ({}), url: (url: string) => url },
  { route: "proxy", env: (): NodeJS.ProcessEnv => ({ HTTP_PROXY: tunnel.url }), url: viaProxy },
] as const;

describe.each(ROUTES)("$route", ({ route, env, url }) => {
  beforeEach(() => {
    base = url(sim.url);
  });
  const host = () => new URL(base).host;
  const label = () => `${host()} (api-url)`;

  afterAll(() => {
    // Through the proxy, every request went in a tunnel: the proxy never saw a header.
    expect(tunnel.forwarded).toEqual([]);
  });

  it("resolves with Datadog's answer", async () => {
    const { client, info } = makeClient({ env: env() });
    const answer = await client.updateConnection(OPENAI, RENAME);
    expect(answer).toMatchObject({ status: 200, statusText: "OK", attempts: 1, earlierMayHaveApplied: false });
    expect(JSON.parse(answer.text).data.attributes.name).toBe("Renamed");
    expect(answer.headers["x-ratelimit-name"]).toBe("action_connections");
    expect(info).toEqual([]);
    expect(sim.requests).toHaveLength(1);
    expect(tunnel.connects.map((connect) => connect.target)).toEqual(route === "proxy" ? [host()] : []);
  });

  it("400 shows Datadog's detail", async () => {
    sim.script({
      kind: "answer",
      status: 400,
      body: { errors: [{ title: "Generic Error", detail: "AccountId: value does not match regex pattern" }] },
    });
    const { client } = makeClient({ env: env() });
    expect((await problem(client.updateConnection(OPENAI, RENAME))).message).toBe(
      "Datadog refused the patch (400 Bad Request): Generic Error: AccountId: value does not match regex pattern. Fix the patch and run again.",
    );
    expect(sim.requests).toHaveLength(1);
  });

  it("403 for an application key not registered for Actions says how to register it", async () => {
    const unregistered = await Simulator.start({ registeredAppKeyIds: [] });
    try {
      const { client } = makeClient({ env: env(), baseUrl: unregistered.url });
      const { message, title } = await problem(client.updateConnection(OPENAI, RENAME));
      expect(title).toBe("Datadog refused the keys");
      expect(message).toBe(
        "Datadog refused the keys (403 Forbidden): Forbidden: The application key is not registered for Actions. " +
          `Check that api-key and app-key belong to the organization on ${new URL(unregistered.url).host} (api-url), ` +
          "and that the application key is registered for Actions (PUT /api/v2/actions/app_key_registrations/{app_key_id} with the key's UUID, " +
          'see https://docs.datadoghq.com/api/latest/action-connection/#register-a-new-app-key) or has "Actions API access" enabled in its settings in Datadog.',
      );
      expect(unregistered.requests).toHaveLength(1);
    } finally {
      await unregistered.close();
    }
  });

  it("403 for wrong keys quotes the list of strings Datadog answers", async () => {
    const { client } = makeClient({ env: env(), appKey: "0".repeat(40) });
    expect((await problem(client.updateConnection(OPENAI, RENAME))).message).toMatch(
      /^Datadog refused the keys \(403 Forbidden\): Forbidden\. Check that api-key and app-key/,
    );
    expect(sim.requests).toHaveLength(1);
  });

  it("404 names the connection id and where it was looked for", async () => {
    const { client } = makeClient({ env: env() });
    expect((await problem(client.updateConnection(UNKNOWN, RENAME))).message).toBe(
      `Datadog found no connection ${UNKNOWN} on ${label()} (404 Not Found). Check connection-id, and that api-url leads to the site the connection lives on.`,
    );
  });

  it("a redirect is not followed", async () => {
    sim.script({ kind: "answer", status: 301, headers: { location: "http://127.0.0.1:1/elsewhere" } });
    const { client } = makeClient({ env: env() });
    expect((await problem(client.updateConnection(OPENAI, RENAME))).message).toBe(
      `${label()} answered with a redirect (301 Moved Permanently), which the action does not follow. Check api-url.`,
    );
    expect(sim.requests).toHaveLength(1);
  });

  it("retries 5xx and a reset, counting attempts, then resolves", async () => {
    sim.script({ kind: "answer", status: 503 }, { kind: "reset" }, { kind: "html", status: 502 });
    const { client, info } = makeClient({ env: env() });
    const answer = await client.updateConnection(OPENAI, RENAME);
    expect(answer).toMatchObject({ status: 200, attempts: 4, earlierMayHaveApplied: true });
    expect(sim.requests).toHaveLength(4);
    expect(info).toEqual([
      "Datadog answered 503 Service Unavailable: retrying in 0.0 s (attempt 2 of 4)",
      "Network error (connection reset): retrying in 0.0 s (attempt 3 of 4)",
      "Datadog answered 502 Bad Gateway: retrying in 0.0 s (attempt 4 of 4)",
    ]);
  });

  it("after 429 only, no earlier attempt applied the update", async () => {
    sim.script({ kind: "rate-limit", reset: 0 });
    const { client, info } = makeClient({ env: env() });
    expect(await client.updateConnection(OPENAI, RENAME)).toMatchObject({ attempts: 2, earlierMayHaveApplied: false });
    expect(info).toEqual(["Rate limited (action_connections): retrying in 0.0 s (attempt 2 of 4)"]);
  });

  it("gives up after max-retries, naming the rate limit, the attempts and the last status", async () => {
    sim.script({ kind: "rate-limit", reset: 0 }, { kind: "rate-limit", reset: 0 });
    const { client } = makeClient({ env: env(), maxRetries: 1 });
    expect((await problem(client.updateConnection(OPENAI, RENAME))).message).toBe(
      "Datadog's rate limit (action_connections) refused the update 2 times (last answer 429 Too Many Requests). Run the job later, or raise max-retries and timeout-seconds.",
    );
    expect(sim.requests).toHaveLength(2);
  });

  it("does not start a rate-limit wait that would pass the deadline", async () => {
    sim.script({ kind: "rate-limit", reset: 30 });
    const { client, info } = makeClient({ env: env(), timeoutMs: 10_000 });
    const started = performance.now();
    expect((await problem(client.updateConnection(OPENAI, RENAME))).message).toBe(
      "Datadog's rate limit (action_connections) refused the update and resets in 30.0 s, after timeout-seconds (10 s) would pass (1 attempt, last answer 429 Too Many Requests). Run the job later, or raise timeout-seconds.",
    );
    // At once: not after waiting out the deadline (10 s), let alone the reset (30 s).
    expect(performance.now() - started).toBeLessThan(2000);
    expect(info).toEqual([]);
    expect(sim.requests).toHaveLength(1);
  });

  it("bounds each attempt: a hang is cut at attemptTimeoutMs and retried", async () => {
    sim.script({ kind: "hang" }, { kind: "hang" });
    const { client, info } = makeClient({ env: env(), attemptTimeoutMs: 200, maxRetries: 1 });
    const started = performance.now();
    expect((await problem(client.updateConnection(OPENAI, RENAME))).message).toBe(
      `No answer from ${label()} in 2 attempts: no answer within 0.2 s, the limit of one attempt. The update may have been applied: check the connection in Datadog, or run the job again.`,
    );
    // Two attempts of 0.2 s, not the deadline (10 s). Wide for a loaded machine.
    expect(performance.now() - started).toBeLessThan(3000);
    expect(info).toEqual([
      "Network error (no answer within 0.2 s, the limit of one attempt): retrying in 0.0 s (attempt 2 of 2)",
    ]);
    expect(sim.requests).toHaveLength(2);
  });

  it("a body that stalls past the attempt's limit is retried", async () => {
    sim.script({ kind: "slow-body", delayMs: 5000 });
    const { client, info } = makeClient({ env: env(), attemptTimeoutMs: 300 });
    expect(await client.updateConnection(OPENAI, RENAME)).toMatchObject({ status: 200, attempts: 2 });
    expect(info).toEqual([
      "Network error (the answer was not complete within 0.3 s, the limit of one attempt): retrying in 0.0 s (attempt 2 of 4)",
    ]);
  });

  it("stops at the deadline, and says it was timeout-seconds that passed", async () => {
    sim.script({ kind: "hang" });
    const { client, info } = makeClient({ env: env(), timeoutMs: 600, attemptTimeoutMs: 10_000 });
    const started = performance.now();
    expect((await problem(client.updateConnection(OPENAI, RENAME))).message).toBe(
      `No answer from ${label()} in 1 attempt: timeout-seconds (0.6 s) passed while waiting for an answer. The update may have been applied: check the connection in Datadog, or run the job again with a larger timeout-seconds.`,
    );
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(590);
    // The deadline (0.6 s), not the attempt's limit (10 s). Wide for a loaded machine.
    expect(elapsed).toBeLessThan(3000);
    expect(info).toEqual([]);
  });

  it("a refused connection sends nothing and is retried", async () => {
    const { client, info } = makeClient({ env: env(), baseUrl: url(`http://127.0.0.1:${deadPort}`), maxRetries: 1 });
    const { message } = await problem(client.updateConnection(OPENAI, RENAME));
    if (route === "direct") {
      expect(message).toBe(
        `Could not reach 127.0.0.1:${deadPort} (api-url) in 2 attempts: connection refused. Check the network, the proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and api-url, then run the job again.`,
      );
      expect(info).toEqual(["Network error (connection refused): retrying in 0.0 s (attempt 2 of 2)"]);
    } else {
      // The proxy makes the connection: it answers CONNECT with 502.
      const reason = `the proxy in HTTP_PROXY could not open the tunnel to datadog.test:${deadPort}, answering 502 Bad Gateway`;
      expect(message).toBe(
        `Could not reach datadog.test:${deadPort} (api-url) in 2 attempts: ${reason}. Check the network, the proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and api-url, then run the job again.`,
      );
      expect(info).toEqual([`Network error (${reason}): retrying in 0.0 s (attempt 2 of 2)`]);
      expect(tunnel.connects).toHaveLength(2);
    }
  });

  it("cancellation during a request stops it at once", async () => {
    sim.script({ kind: "hang" });
    const cancel = new AbortController();
    const { client } = makeClient({ env: env(), signal: cancel.signal });
    const pending = problem(client.updateConnection(OPENAI, RENAME));
    await until(() => sim.requests.length === 1);
    const started = performance.now();
    cancel.abort("SIGTERM");
    expect(await pending).toEqual({
      title: "Cancelled",
      message: `Cancelled (SIGTERM) while waiting for ${label()} to answer (attempt 1 of 4); the update may have been applied: check the connection in Datadog.`,
    });
    // At once: unanswered, the attempt would have ended at its limit (5 s of timeout-seconds 10).
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("cancellation during a retry wait stops it at once", async () => {
    sim.script({ kind: "rate-limit", reset: 30 });
    const cancel = new AbortController();
    const { client, info } = makeClient({ env: env(), signal: cancel.signal, timeoutMs: 60_000 });
    const pending = problem(client.updateConnection(OPENAI, RENAME));
    await until(() => info.length === 1);
    const started = performance.now();
    cancel.abort("SIGINT");
    expect((await pending).message).toBe(
      "Cancelled (SIGINT) while waiting to retry (attempt 2 of 4); Datadog had not applied the update.",
    );
    // At once: the wait cancelled is 30 s.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(sim.requests).toHaveLength(1);
  });
});

describe("before anything is sent", () => {
  it("a cancellation that came first sends nothing", async () => {
    const { client } = makeClient({ signal: AbortSignal.abort("SIGTERM") });
    expect((await problem(client.updateConnection(OPENAI, RENAME))).message).toBe(
      "Cancelled (SIGTERM) before the update was sent; nothing changed.",
    );
    expect(sim.requests).toHaveLength(0);
  });
});

describe("the proxy", () => {
  it("NO_PROXY exempts the host: the request goes direct (where only the proxy knows the name)", async () => {
    base = viaProxy(sim.url);
    for (const env of [
      { HTTP_PROXY: tunnel.url, NO_PROXY: "datadog.test" },
      { http_proxy: tunnel.url, no_proxy: "localhost, .datadog.test" },
    ]) {
      const { client, debug } = makeClient({ env, maxRetries: 0 });
      expect((await problem(client.updateConnection(OPENAI, RENAME))).message).toBe(
        `Could not reach ${new URL(base).host} (api-url) in 1 attempt: DNS lookup of datadog.test failed. Check the network, the proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and api-url, then run the job again.`,
      );
      expect(debug.some((line) => line.includes("proxy"))).toBe(false);
    }
    expect(tunnel.connects).toEqual([]);
    expect(sim.requests).toHaveLength(0);
  });

  it("a loopback host is never proxied, whatever the variables say", async () => {
    for (const env of [
      { HTTP_PROXY: tunnel.url },
      { http_proxy: tunnel.url, HTTPS_PROXY: tunnel.url, NO_PROXY: "x.example" },
    ]) {
      const { client, debug } = makeClient({ env });
      expect(await client.updateConnection(OPENAI, RENAME)).toMatchObject({ status: 200 });
      expect(debug.some((line) => line.includes("proxy"))).toBe(false);
    }
    expect(tunnel.connects).toEqual([]);
    expect(tunnel.forwarded).toEqual([]);
    expect(sim.requests).toHaveLength(2);
  });

  it("a proxy that refuses the tunnel is final; its URL is never shown", async () => {
    const refusing = await TestProxy.start({ mode: "refuse", status: 407 });
    try {
      const password = "pr0xy-pa55word";
      const proxyUrl = `http://ci-user:${password}@127.0.0.1:${refusing.port}`;
      base = viaProxy(sim.url);
      const { client, info, debug } = makeClient({ env: { HTTP_PROXY: proxyUrl } });
      const { message } = await problem(client.updateConnection(OPENAI, RENAME));
      expect(message).toBe(
        `Could not update the connection on ${new URL(base).host} (api-url): the proxy in HTTP_PROXY refused the tunnel to ${new URL(base).host} with 407 Proxy Authentication Required; give the proxy's user and password in HTTP_PROXY (http://user:password@host:port).`,
      );
      expect(refusing.connects).toHaveLength(1);
      // The user and password went to the proxy, as Proxy-Authorization, and nowhere a person reads.
      expect(refusing.connects[0]?.headers["proxy-authorization"]).toBe(
        `Basic ${Buffer.from(`ci-user:${password}`).toString("base64")}`,
      );
      for (const text of [message, ...info, ...debug]) {
        expect(text).not.toContain(password);
        expect(text).not.toContain(String(refusing.port));
      }
      expect(sim.requests).toHaveLength(0);
    } finally {
      await refusing.close();
    }
  });

  it("a proxy that cannot be reached is retried, and named", async () => {
    // An https URL goes through https_proxy, here written without a scheme (http:// is meant, as curl reads it).
    const { client, info } = makeClient({
      baseUrl: "https://api.datadoghq.eu",
      where: { label: "datadoghq.eu", input: "site" },
      env: { https_proxy: `127.0.0.1:${deadPort}`, HTTP_PROXY: tunnel.url },
      maxRetries: 1,
    });
    const { message } = await problem(client.updateConnection(OPENAI, RENAME));
    expect(message).toBe(
      "Could not reach datadoghq.eu in 2 attempts: could not connect to the proxy in https_proxy (connection refused). Check the network, the proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and site, then run the job again.",
    );
    expect(info).toEqual([
      "Network error (could not connect to the proxy in https_proxy (connection refused)): retrying in 0.0 s (attempt 2 of 2)",
    ]);
  });

  it("a proxy variable that is not a URL is refused by name, its value unshown", async () => {
    base = viaProxy(sim.url);
    const { client } = makeClient({ env: { HTTP_PROXY: "http://user:secret@[bad" } });
    expect(await problem(client.updateConnection(OPENAI, RENAME))).toEqual({
      title: "Invalid proxy setting",
      message:
        "HTTP_PROXY is not a proxy URL such as http://proxy.example.com:3128 (http:// or https://); fix the variable or unset it.",
    });
    expect(sim.requests).toHaveLength(0);
  });
});
