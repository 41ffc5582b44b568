/**
 * How requests travel: Node's own fetch (undici, built into Node: nothing to load, the fastest start)
 * when no proxy applies to the API's URL; npm undici's fetch through a ProxyAgent when HTTPS_PROXY or
 * HTTP_PROXY names one and NO_PROXY does not exempt the host, as on self-hosted runners behind a
 * proxy. Node 24's fetch ignores those variables (unless NODE_USE_ENV_PROXY=1 was set before the
 * process started), and it cannot take a dispatcher from npm undici 8, so the proxy path uses
 * undici's own fetch. undici is loaded only then.
 *
 * The route is chosen here, not inside undici, so that messages can say whether a proxy was used and
 * which variable named it. The rules are undici's EnvHttpProxyAgent's (and curl's): lower case
 * first; an https URL falls back to the http proxy; NO_PROXY entries match a host, its subdomains
 * (`example.com`, `.example.com`), only its subdomains (`*.example.com`), any host (`*`), and may
 * carry a port. Empty variables count as unset. A loopback host (localhost, 127.0.0.0/8, [::1]) is
 * never proxied, as curl and Go decide (loopback.ts).
 *
 * Requests to the proxy always open a tunnel (CONNECT), http:// URLs included: the keys travel
 * inside it, never in a request the proxy reads.
 */
import { Failure } from "../failure.ts";
import { isLoopback } from "../loopback.ts";

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** The way to the API. The proxy's URL is never part of it: it may hold a user and password. */
export type Route =
  | { readonly kind: "direct" }
  | {
      readonly kind: "proxy";
      /** The variable that named the proxy: `https_proxy`, `HTTPS_PROXY`, `http_proxy` or `HTTP_PROXY`. */
      readonly variable: string;
      /** `host:port` of the tunnel asked for. */
      readonly target: string;
    };

export interface Transport {
  readonly fetch: Fetch;
  readonly route: Route;
  /** Ends every connection at once; nothing is left to hold the process. */
  close(): Promise<void>;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { "http:": 80, "https:": 443 };

/** The proxy for `url` as the environment sets it, and the variable that set it; undefined if none applies. */
export function chooseProxy(
  env: NodeJS.ProcessEnv,
  url: URL,
): { readonly variable: string; readonly value: string } | undefined {
  if (isLoopback(url.hostname)) return undefined;
  const names =
    url.protocol === "https:"
      ? ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"]
      : ["http_proxy", "HTTP_PROXY"];
  const variable = names.find((name) => (env[name] ?? "").trim() !== "");
  if (!variable) return undefined;
  const noProxy = [env.no_proxy, env.NO_PROXY].find((value) => (value ?? "").trim() !== "") ?? "";
  if (exempt(url, noProxy)) return undefined;
  return { variable, value: (env[variable] ?? "").trim() };
}

/** Whether NO_PROXY exempts `url`'s host (undici's EnvHttpProxyAgent rules). */
export function exempt(url: URL, noProxy: string): boolean {
  let host = url.hostname.replace(/^\[(.+)\]$/, "$1").toLowerCase();
  if (host.length > 1 && host.endsWith(".")) host = host.slice(0, -1);
  const port = Number(url.port) || DEFAULT_PORTS[url.protocol] || 0;
  return noProxy
    .split(/[,\s]+/)
    .filter((entry) => entry !== "")
    .map(noProxyEntry)
    .some((entry) => {
      if (entry.port && entry.port !== port) return false;
      if (entry.host === "*") return true;
      return (!entry.subdomainsOnly && host === entry.host) || host.endsWith(`.${entry.host}`);
    });
}

function noProxyEntry(entry: string): { host: string; port: number; subdomainsOnly: boolean } {
  // `[::1]:443`, `[::1]`, `::1` (a bare IPv6 address: its colons are not a port), `host:port`, `host`.
  const bracketed = /^\[(.+)\]:(\d+)$/.exec(entry);
  const unbracketed = entry.replace(/^\[(.+)\]$/, "$1");
  const hostPort = unbracketed.split(":").length === 2 ? /^(.+):(\d+)$/.exec(unbracketed) : null;
  const [host, port] = bracketed
    ? [bracketed[1] ?? "", Number(bracketed[2])]
    : hostPort
      ? [hostPort[1] ?? "", Number(hostPort[2])]
      : [unbracketed, 0];
  return {
    host: host
      .replace(/^\*?\./, "")
      .replace(/^(.+)\.$/, "$1")
      .toLowerCase(),
    port,
    subdomainsOnly: entry.startsWith("*"),
  };
}

/** A proxy variable's value as a URL; `proxy:3128` means `http://proxy:3128`, as curl reads it. */
function proxyUrl(variable: string, value: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    // The value is not shown: it may hold a password.
    throw new Failure({
      title: "Invalid proxy setting",
      message: `${variable} is not a proxy URL such as http://proxy.example.com:3128 (http:// or https://); fix the variable or unset it.`,
    });
  }
  return url;
}

/** The transport for requests to `url`; `connectTimeoutMs` bounds each connection to the proxy and through it. */
export async function openTransport(env: NodeJS.ProcessEnv, url: string, connectTimeoutMs: number): Promise<Transport> {
  const target = new URL(url);
  const proxy = chooseProxy(env, target);
  if (!proxy) {
    return { fetch: (to, init) => globalThis.fetch(to, init), route: { kind: "direct" }, close: async () => undefined };
  }
  const uri = proxyUrl(proxy.variable, proxy.value).href;
  const undici = await import("./proxy-undici.ts");
  const agent = new undici.ProxyAgent({ uri, proxyTunnel: true, connectTimeout: connectTimeoutMs });
  const fetch = undici.fetch as unknown as (
    url: string,
    init: RequestInit & { dispatcher: unknown },
  ) => Promise<Response>;
  return {
    fetch: (to, init) => fetch(to, Object.assign({ dispatcher: agent }, init)),
    route: {
      kind: "proxy",
      variable: proxy.variable,
      target: `${target.hostname}:${Number(target.port) || DEFAULT_PORTS[target.protocol]}`,
    },
    close: () => agent.destroy(),
  };
}
