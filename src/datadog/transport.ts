/**
 * How requests travel: Node's own fetch (undici, built into Node: nothing to load, the fastest start)
 * when no proxy is configured; npm undici's fetch through an EnvHttpProxyAgent when HTTPS_PROXY or
 * HTTP_PROXY is set, as on self-hosted runners behind a proxy. Node 24's fetch ignores those
 * variables (unless NODE_USE_ENV_PROXY=1 was set before the process started), and it cannot take a
 * dispatcher from npm undici 8, so the proxy path uses undici's own fetch. undici is loaded only then.
 */

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface Transport {
  readonly fetch: Fetch;
  /** `direct`, or `proxy` (the URL is never shown: it may hold a user and password). */
  readonly route: "direct" | "proxy";
  close(): Promise<void>;
}

const PROXY_VARIABLES = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"];

export function proxyConfigured(env: NodeJS.ProcessEnv): boolean {
  return PROXY_VARIABLES.some((name) => (env[name] ?? "").trim() !== "");
}

export async function openTransport(env: NodeJS.ProcessEnv, connectTimeoutMs: number): Promise<Transport> {
  if (!proxyConfigured(env)) {
    return { fetch: (url, init) => globalThis.fetch(url, init), route: "direct", close: async () => undefined };
  }
  const undici = await import("undici");
  // Reads HTTP(S)_PROXY and NO_PROXY, lower case first, as curl and runners do.
  const agent = new undici.EnvHttpProxyAgent({ connect: { timeout: connectTimeoutMs } });
  const fetch = undici.fetch as unknown as (
    url: string,
    init: RequestInit & { dispatcher: unknown },
  ) => Promise<Response>;
  return {
    fetch: (url, init) => fetch(url, Object.assign({ dispatcher: agent }, init)),
    route: "proxy",
    close: () => agent.close(),
  };
}
