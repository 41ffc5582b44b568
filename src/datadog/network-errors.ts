/**
 * Network failures → what happened, in words, whether trying again can help, and whether the update
 * may have been applied. Only error codes and names are read: a library's message may quote input,
 * and a proxy URL holds its password.
 */
import { seconds, statusText } from "./explain.ts";
import type { NetworkOutcome } from "./retry.ts";
import type { Route } from "./transport.ts";

/** What an attempt that failed was doing, for the words of its outcome. */
export interface AttemptContext {
  /** Status and headers had arrived: the failure came while the body was read. */
  readonly answered: boolean;
  /** The time the attempt was given. */
  readonly attemptMs: number;
  /** That time was what was left before the deadline (timeout-seconds), not the per-attempt limit. */
  readonly deadlineBound: boolean;
  readonly timeoutMs: number;
  readonly route: Route;
  /** The API's host name. */
  readonly host: string;
}

/**
 * A library error → what happened, in words, and whether trying again can help. Only error codes
 * and names are read: a library's message may quote input, a proxy URL holds its password.
 */
export function networkOutcome(error: unknown, context: AttemptContext): NetworkOutcome {
  const codes = errorCodes(error);
  if (codes.includes("TimeoutError")) {
    if (context.deadlineBound) {
      const what = context.answered ? "before the answer was complete" : "while waiting for an answer";
      const reason = `timeout-seconds (${context.timeoutMs / 1000} s) passed ${what}`;
      return { kind: "network", reason, retryable: true, mayHaveApplied: true, deadline: true };
    }
    const what = context.answered ? "the answer was not complete" : "no answer";
    const reason = `${what} within ${seconds(context.attemptMs)} s, the limit of one attempt`;
    return { kind: "network", reason, retryable: true, mayHaveApplied: true };
  }
  const { route } = context;
  if (route.kind === "proxy" && codes.includes("UND_ERR_ABORTED")) return proxyRefusal(error, route);
  const known = codes.find((code) => code in NETWORK_REASONS);
  if (known) {
    const { reason, connecting, final } = NETWORK_REASONS[known] as (typeof NETWORK_REASONS)[string];
    if (!connecting) return { kind: "network", reason, retryable: !final, mayHaveApplied: true };
    // Through a proxy, every connection is to the proxy: the API's host is the proxy's to reach.
    const words =
      route.kind === "proxy"
        ? `could not connect to the proxy in ${route.variable} (${reason})`
        : known === "ENOTFOUND" || known === "EAI_AGAIN"
          ? `DNS lookup of ${context.host} failed`
          : reason;
    return { kind: "network", reason: words, retryable: true, mayHaveApplied: false };
  }
  const tls = codes.find((code) => /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/.test(code));
  if (tls) {
    return {
      kind: "network",
      reason: `TLS failed (${tls}); check the host's certificate, or the CA of a proxy that inspects TLS (NODE_EXTRA_CA_CERTS)`,
      retryable: false,
      mayHaveApplied: false,
    };
  }
  const code = codes.find((candidate) => /^[A-Z][A-Z0-9_]+$/.test(candidate));
  return {
    kind: "network",
    reason: code ? `network error ${code}` : "network error",
    retryable: true,
    mayHaveApplied: true,
  };
}

/**
 * A proxy that answers CONNECT with anything but 200: undici aborts the request (UND_ERR_ABORTED) and
 * puts the status in its message, the one number read from it. 4xx is the proxy's policy (final);
 * 5xx, the proxy failing to reach the host, may pass.
 */
function proxyRefusal(error: unknown, route: Extract<Route, { kind: "proxy" }>): NetworkOutcome {
  let status: number | undefined;
  for (const { message } of causeChain(error)) {
    const match = typeof message === "string" ? /^Proxy response \((\d{3})\)/.exec(message) : null;
    if (match) status = Number(match[1]);
  }
  const answered = status ? `${status} ${statusText(status)}`.trim() : undefined;
  if (status && status >= 500) {
    return {
      kind: "network",
      reason: `the proxy in ${route.variable} could not open the tunnel to ${route.target}, answering ${answered}`,
      retryable: true,
      mayHaveApplied: false,
    };
  }
  const advice =
    status === 407
      ? `give the proxy's user and password in ${route.variable} (http://user:password@host:port)`
      : `ask for that host to be allowed, or check ${route.variable} and NO_PROXY`;
  return {
    kind: "network",
    reason: `the proxy in ${route.variable} refused the tunnel to ${route.target}${answered ? ` with ${answered}` : ""}; ${advice}`,
    retryable: false,
    mayHaveApplied: false,
  };
}

/**
 * Socket and undici error codes. `connecting`: the failure came before a connection was made, so
 * nothing was sent; `final`: trying again cannot help.
 */
const NETWORK_REASONS: Readonly<Record<string, { reason: string; connecting: boolean; final?: boolean }>> = {
  ECONNREFUSED: { reason: "connection refused", connecting: true },
  ENOTFOUND: { reason: "DNS lookup failed", connecting: true },
  EAI_AGAIN: { reason: "DNS lookup failed", connecting: true },
  ETIMEDOUT: { reason: "connection timed out", connecting: true },
  ENETUNREACH: { reason: "network unreachable", connecting: true },
  EHOSTUNREACH: { reason: "host unreachable", connecting: true },
  UND_ERR_CONNECT_TIMEOUT: { reason: "could not connect in time", connecting: true },
  ECONNRESET: { reason: "connection reset", connecting: false },
  EPIPE: { reason: "connection reset", connecting: false },
  UND_ERR_SOCKET: { reason: "connection closed before the answer", connecting: false },
  UND_ERR_CLOSED: { reason: "connection closed before the answer", connecting: false },
  UND_ERR_HEADERS_TIMEOUT: { reason: "no answer in time", connecting: false },
  UND_ERR_BODY_TIMEOUT: { reason: "the answer stopped arriving", connecting: false },
  ANSWER_TOO_LARGE: {
    reason: "the answer was larger than 4 MiB, which no action connection is",
    connecting: false,
    final: true,
  },
};

interface ErrorLike {
  readonly code?: unknown;
  readonly name?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
}

/** An error and its causes, at most five deep (fetch wraps the socket's error in a TypeError). */
function causeChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  for (let current = error; current && typeof current === "object" && chain.length < 5; ) {
    chain.push(current as ErrorLike);
    current = (current as ErrorLike).cause;
  }
  return chain;
}

/** The codes and names along an error's cause chain. */
function errorCodes(error: unknown): string[] {
  return causeChain(error).flatMap(({ code, name }) =>
    [code, name].filter((text): text is string => typeof text === "string"),
  );
}
