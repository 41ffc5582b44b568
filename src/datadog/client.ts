/**
 * The Action Connection API client: one PATCH, retried as retry.ts decides, within a deadline,
 * through the proxy the environment names. It takes its settings in the constructor and never reads
 * inputs; it reports through the two log functions it is given and never prints a body or a
 * library's error text.
 */
import { Failure } from "../failure.ts";
import type { UpdateRequest } from "../patch/schema.ts";
import {
  describeAnswer,
  describeCancel,
  describeGiveUp,
  describeNetworkError,
  describeRetry,
  type Progress,
  seconds,
  statusText,
  type Where,
} from "./explain.ts";
import {
  attemptLimitMs,
  type Clock,
  DEFAULT_RETRY,
  type NetworkOutcome,
  type Outcome,
  realClock,
  withRetries,
} from "./retry.ts";
import { openTransport, type Route, type Transport } from "./transport.ts";

export interface ClientOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly appKey: string;
  readonly userAgent: string;
  /** Names the place in messages: the site, or the api-url host. */
  readonly where: Where;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  /** Cancellation (a cancelled workflow): stops at once. A string reason (`SIGTERM`) is named in the message. */
  readonly signal?: AbortSignal;
  readonly info: (message: string) => void;
  readonly debug: (message: string) => void;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Per-attempt ceiling (default attemptLimitMs(timeoutMs)); the deadline still bounds it. */
  readonly attemptTimeoutMs?: number;
  /** Where proxy variables are read; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Replaces the transport (tests). */
  readonly transport?: Transport;
}

export interface Answer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly text: string;
  readonly attempts: number;
  readonly elapsedMs: number;
  /**
   * An attempt before the last may also have applied the update (it ended in a 5xx, a reset or a
   * timeout). With generate_new_external_id the ID may then have been rotated twice: this answer,
   * the last, holds the current one.
   */
  readonly earlierMayHaveApplied: boolean;
}

interface Attempt {
  readonly outcome: Outcome;
  readonly text: string;
}

/** An answer larger than this is not an action connection; stop reading it. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class DatadogClient {
  readonly #options: ClientOptions;
  readonly #clock: Clock;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#clock = options.clock ?? realClock;
  }

  /** PATCHes the connection; resolves with Datadog's 2xx answer, or throws a Failure that says what to do. */
  async updateConnection(connectionId: string, body: UpdateRequest): Promise<Answer> {
    const options = this.#options;
    const started = this.#clock.now();
    const deadline = started + options.timeoutMs;
    const url = `${options.baseUrl}/api/v2/actions/connections/${encodeURIComponent(connectionId)}`;
    const payload = JSON.stringify(body);
    const total = options.maxRetries + 1;
    const limitMs = options.attemptTimeoutMs ?? attemptLimitMs(options.timeoutMs);
    const retried: Outcome[] = [];
    let progress: Progress = { state: "not-sent" };
    let transport = options.transport;
    try {
      transport ??= await openTransport(options.env ?? process.env, url, Math.min(limitMs, 10_000));
      const used = transport;
      const { route } = used;
      if (route.kind === "proxy") {
        options.debug(`Sending through the proxy in ${route.variable}, in a tunnel to ${route.target}`);
      }
      const { result, attempts, decision } = await withRetries(
        (number) => {
          options.signal?.throwIfAborted();
          progress = { state: "sending", attempt: number, total };
          return this.#attempt(url, payload, used, deadline, limitMs, number);
        },
        {
          settings: { ...DEFAULT_RETRY, maxRetries: options.maxRetries },
          clock: this.#clock,
          random: options.random ?? Math.random,
          deadline,
          ...(options.signal ? { signal: options.signal } : {}),
          onRetry: (attempt, delayMs, next) => {
            retried.push(attempt.outcome);
            progress = { state: "waiting", attempt: next, total, mayHaveApplied: retried.some(mayHaveApplied) };
            options.info(describeRetry(attempt.outcome, delayMs, next, total));
          },
        },
      );
      const elapsedMs = this.#clock.now() - started;
      if (decision.action === "give-up") {
        throw new Failure(describeGiveUp(result.outcome, decision, attempts, options.where, options.timeoutMs));
      }
      if (result.outcome.kind === "network") throw new Failure(describeNetworkError(result.outcome, options.where));
      const { status, headers } = result.outcome;
      const answer: Answer = {
        status,
        statusText: statusText(status),
        headers,
        text: result.text,
        attempts,
        elapsedMs,
        earlierMayHaveApplied: retried.some(mayHaveApplied),
      };
      if (status < 200 || status > 299) throw new Failure(describeAnswer(answer, connectionId, options.where));
      return answer;
    } catch (error) {
      if (options.signal?.aborted) {
        const reason: unknown = options.signal.reason;
        throw new Failure(describeCancel(typeof reason === "string" ? reason : undefined, progress, options.where));
      }
      throw error;
    } finally {
      // The proxy's agent destroys its tunnels; Node's fetch ends a socket when its attempt aborts, and
      // keeps no idle one from exiting. Nothing holds the process.
      if (!options.transport) await transport?.close().catch(() => undefined);
    }
  }

  async #attempt(
    url: string,
    payload: string,
    transport: Transport,
    deadline: number,
    limitMs: number,
    number: number,
  ): Promise<Attempt> {
    const options = this.#options;
    const remaining = Math.max(1, deadline - this.#clock.now());
    const attemptMs = Math.min(remaining, limitMs);
    const signals = [AbortSignal.timeout(attemptMs), ...(options.signal ? [options.signal] : [])];
    const signal = AbortSignal.any(signals);
    const began = this.#clock.now();
    let answered = false;
    options.debug(`PATCH ${url} (attempt ${number}, ${seconds(attemptMs)} s allowed)`);
    try {
      const answer = await transport.fetch(url, {
        method: "PATCH",
        signal,
        redirect: "manual",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          "user-agent": options.userAgent,
          "dd-api-key": options.apiKey,
          "dd-application-key": options.appKey,
        },
        body: payload,
      });
      answered = true;
      const text = await readText(answer.body);
      const headers = Object.fromEntries(answer.headers);
      options.debug(
        `Answer ${answer.status} in ${seconds(this.#clock.now() - began)} s; rate limit ${headers["x-ratelimit-name"] ?? "?"}: ` +
          `${headers["x-ratelimit-remaining"] ?? "?"} of ${headers["x-ratelimit-limit"] ?? "?"} left, resets in ${headers["x-ratelimit-reset"] ?? "?"} s`,
      );
      return { outcome: { kind: "answer", status: answer.status, headers }, text };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const outcome = networkOutcome(error, {
        answered,
        attemptMs,
        deadlineBound: remaining <= limitMs,
        timeoutMs: options.timeoutMs,
        route: transport.route,
        host: new URL(url).hostname,
      });
      options.debug(`Attempt ${number} failed: ${outcome.reason}`);
      return { outcome, text: "" };
    }
  }
}

/** Whether an attempt that was retried may have applied the update: a 429 did not, a 5xx or a reset may have. */
function mayHaveApplied(outcome: Outcome): boolean {
  return outcome.kind === "network" ? outcome.mayHaveApplied : outcome.status >= 500;
}

/** The body as text; a body larger than MAX_BODY_BYTES is not an action connection: stop reading it. */
async function readText(body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error("answer too large"), { code: "ANSWER_TOO_LARGE" });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

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
  for (let current = error, depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const { message, cause } = current as { message?: unknown; cause?: unknown };
    const match = typeof message === "string" ? /^Proxy response \((\d{3})\)/.exec(message) : null;
    if (match) status = Number(match[1]);
    current = cause;
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

/** The codes and names along an error's cause chain (fetch wraps the socket's error in a TypeError). */
function errorCodes(error: unknown): string[] {
  const found: string[] = [];
  for (let current = error, depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const { code, name, cause } = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === "string") found.push(code);
    if (typeof name === "string") found.push(name);
    current = cause;
  }
  return found;
}
