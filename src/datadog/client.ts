/**
 * The Action Connection API client: one PATCH, retried as retry.ts decides, within a deadline,
 * through the proxy the environment names. It takes its settings in the constructor and never reads
 * inputs; it reports through the two log functions it is given and never prints a body or a
 * library's error text.
 */
import { type Dispatcher, EnvHttpProxyAgent, request } from "undici";
import { Failure } from "../failure.ts";
import type { UpdateRequest } from "../patch/schema.ts";
import { describeAnswer, describeGiveUp, describeNetworkError, seconds, statusText, type Where } from "./explain.ts";
import { type Clock, DEFAULT_RETRY, type Outcome, realClock, withRetries } from "./retry.ts";

export interface ClientOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly appKey: string;
  readonly userAgent: string;
  /** Names the place in messages: the site, or the api-url host. */
  readonly where: Where;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  /** Cancellation (a cancelled workflow): stops at once. */
  readonly signal?: AbortSignal;
  readonly info: (message: string) => void;
  readonly debug: (message: string) => void;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Per-attempt ceiling; the deadline still bounds it. */
  readonly attemptTimeoutMs?: number;
  readonly dispatcher?: Dispatcher;
}

export interface Answer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly text: string;
  readonly attempts: number;
  readonly elapsedMs: number;
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
    const dispatcher = options.dispatcher ?? newDispatcher(Math.min(options.timeoutMs, 10_000));
    const settings = { ...DEFAULT_RETRY, maxRetries: options.maxRetries };
    try {
      const { result, attempts, decision } = await withRetries(
        (number) => this.#attempt(url, payload, dispatcher, deadline, number),
        {
          settings,
          clock: this.#clock,
          random: options.random ?? Math.random,
          deadline,
          ...(options.signal ? { signal: options.signal } : {}),
          onRetry: (attempt, delayMs, next, total) => options.info(retryLine(attempt.outcome, delayMs, next, total)),
        },
      );
      const elapsedMs = this.#clock.now() - started;
      if (decision.action === "give-up") {
        throw new Failure(describeGiveUp(result.outcome, decision, attempts, options.where, options.timeoutMs));
      }
      if (result.outcome.kind === "network") {
        throw new Failure(describeNetworkError(result.outcome, options.where));
      }
      const { status, headers } = result.outcome;
      const answer = { status, statusText: statusText(status), headers, text: result.text, attempts, elapsedMs };
      if (status < 200 || status > 299) throw new Failure(describeAnswer(answer, connectionId, options.where));
      return answer;
    } catch (error) {
      if (options.signal?.aborted) {
        throw new Failure({
          message:
            "Cancelled before Datadog answered; the update may or may not have been applied. Check the connection in Datadog.",
          title: "Cancelled",
        });
      }
      throw error;
    } finally {
      if (!options.dispatcher) void dispatcher.destroy().catch(() => undefined);
    }
  }

  async #attempt(
    url: string,
    payload: string,
    dispatcher: Dispatcher,
    deadline: number,
    number: number,
  ): Promise<Attempt> {
    const options = this.#options;
    const remaining = Math.max(1, deadline - this.#clock.now());
    const attemptMs = Math.min(remaining, options.attemptTimeoutMs ?? Math.max(10_000, options.timeoutMs / 3));
    const signals = [AbortSignal.timeout(attemptMs), ...(options.signal ? [options.signal] : [])];
    const signal = AbortSignal.any(signals);
    const began = this.#clock.now();
    options.debug(`PATCH ${url} (attempt ${number}, ${seconds(attemptMs)} s allowed)`);
    try {
      const answer = await request(url, {
        method: "PATCH",
        dispatcher,
        signal,
        headersTimeout: attemptMs,
        bodyTimeout: attemptMs,
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          "user-agent": options.userAgent,
          "dd-api-key": options.apiKey,
          "dd-application-key": options.appKey,
        },
        body: payload,
      });
      const text = await readText(answer.body);
      const headers = flatten(answer.headers);
      options.debug(
        `Answer ${answer.statusCode} in ${seconds(this.#clock.now() - began)} s; rate limit ${headers["x-ratelimit-name"] ?? "?"}: ` +
          `${headers["x-ratelimit-remaining"] ?? "?"} of ${headers["x-ratelimit-limit"] ?? "?"} left, resets in ${headers["x-ratelimit-reset"] ?? "?"} s`,
      );
      return { outcome: { kind: "answer", status: answer.statusCode, headers }, text };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const outcome = networkOutcome(error, this.#clock.now() >= deadline, attemptMs, options.timeoutMs);
      options.debug(`Attempt ${number} failed: ${outcome.reason}`);
      return { outcome, text: "" };
    }
  }
}

function newDispatcher(connectTimeoutMs: number): Dispatcher {
  // Honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case, lower case first) as runners set them;
  // without them it is a plain Agent.
  return new EnvHttpProxyAgent({ connect: { timeout: connectTimeoutMs } });
}

async function readText(body: AsyncIterable<Buffer | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error("answer too large"), { code: "ANSWER_TOO_LARGE" });
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString("utf8");
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

/** A library error → what happened, in words; its message (which may quote input) is never used. */
export function networkOutcome(
  error: unknown,
  pastDeadline: boolean,
  attemptMs: number,
  timeoutMs: number,
): Outcome & { kind: "network" } {
  const code = errorCode(error);
  if (pastDeadline) {
    return { kind: "network", reason: `no answer within timeout-seconds (${timeoutMs / 1000} s)`, retryable: false };
  }
  const words = NETWORK_REASONS[code];
  if (words) return { kind: "network", reason: words.reason, retryable: words.retryable };
  if (code === "TimeoutError" || code === "AbortError" || (code === "UND_ERR_ABORTED" && isTimeout(error))) {
    return { kind: "network", reason: `no answer within ${seconds(attemptMs)} s`, retryable: true };
  }
  if (/^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_SSL)/.test(code)) {
    return {
      kind: "network",
      reason: `TLS failed (${code}); check the host's certificate, or a proxy that intercepts TLS (NODE_EXTRA_CA_CERTS)`,
      retryable: false,
    };
  }
  return { kind: "network", reason: code ? `network error ${code}` : "network error", retryable: true };
}

const NETWORK_REASONS: Readonly<Record<string, { reason: string; retryable: boolean }>> = {
  ECONNREFUSED: { reason: "connection refused", retryable: true },
  ECONNRESET: { reason: "connection reset", retryable: true },
  EPIPE: { reason: "connection reset", retryable: true },
  UND_ERR_SOCKET: { reason: "connection closed before the answer", retryable: true },
  UND_ERR_CLOSED: { reason: "connection closed before the answer", retryable: true },
  ENOTFOUND: { reason: "DNS lookup failed", retryable: true },
  EAI_AGAIN: { reason: "DNS lookup failed", retryable: true },
  ETIMEDOUT: { reason: "connection timed out", retryable: true },
  ENETUNREACH: { reason: "network unreachable", retryable: true },
  EHOSTUNREACH: { reason: "host unreachable", retryable: true },
  UND_ERR_CONNECT_TIMEOUT: { reason: "could not connect in time", retryable: true },
  UND_ERR_HEADERS_TIMEOUT: { reason: "no answer in time", retryable: true },
  UND_ERR_BODY_TIMEOUT: { reason: "the answer stopped arriving", retryable: true },
  ANSWER_TOO_LARGE: { reason: "the answer was larger than 4 MiB", retryable: false },
  UND_ERR_PROXY: {
    reason: "the proxy refused the connection; check HTTPS_PROXY and NO_PROXY",
    retryable: false,
  },
};

function errorCode(error: unknown): string {
  // undici wraps the socket's error: look one level down for the system code.
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const { code, name, cause } = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === "string" && code !== "UND_ERR_SOCKET" && code !== "UND_ERR_ABORTED") return code;
    if (typeof code === "string" && !cause) return code;
    if (!cause && typeof name === "string") return name;
    current = cause;
  }
  return "";
}

function isTimeout(error: unknown): boolean {
  return (error as { cause?: { name?: string } })?.cause?.name === "TimeoutError";
}

function retryLine(outcome: Outcome, delayMs: number, next: number, total: number): string {
  const wait = `retrying in ${seconds(delayMs)} s (attempt ${next} of ${total})`;
  if (outcome.kind === "network") return `Network error (${outcome.reason}): ${wait}`;
  if (outcome.status === 429)
    return `Rate limited (${outcome.headers["x-ratelimit-name"] ?? "no limit name"}): ${wait}`;
  return `Datadog answered ${outcome.status} ${statusText(outcome.status)}: ${wait}`;
}
