/**
 * The Action Connection API client: one PATCH, retried as retry.ts decides, within a deadline,
 * through the proxy the environment names. It takes its settings in the constructor and never reads
 * inputs; it reports through the two log functions it is given and never prints a body or a
 * library's error text.
 */
import { Failure } from "../failure.ts";
import type { UpdateRequest } from "../patch/schema.ts";
import { describeAnswer, describeGiveUp, describeNetworkError, seconds, statusText, type Where } from "./explain.ts";
import { type Clock, DEFAULT_RETRY, type Outcome, realClock, withRetries } from "./retry.ts";
import { openTransport, type Transport } from "./transport.ts";

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
    const transport =
      options.transport ?? (await openTransport(options.env ?? process.env, Math.min(options.timeoutMs, 10_000)));
    if (transport.route === "proxy")
      options.debug("Sending through the proxy set in HTTPS_PROXY / HTTP_PROXY (NO_PROXY honoured)");
    const settings = { ...DEFAULT_RETRY, maxRetries: options.maxRetries };
    try {
      const { result, attempts, decision } = await withRetries(
        (number) => this.#attempt(url, payload, transport, deadline, number),
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
      if (!options.transport) await transport.close().catch(() => undefined);
    }
  }

  async #attempt(
    url: string,
    payload: string,
    transport: Transport,
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
      const text = await readText(answer.body);
      const headers = Object.fromEntries(answer.headers);
      options.debug(
        `Answer ${answer.status} in ${seconds(this.#clock.now() - began)} s; rate limit ${headers["x-ratelimit-name"] ?? "?"}: ` +
          `${headers["x-ratelimit-remaining"] ?? "?"} of ${headers["x-ratelimit-limit"] ?? "?"} left, resets in ${headers["x-ratelimit-reset"] ?? "?"} s`,
      );
      return { outcome: { kind: "answer", status: answer.status, headers }, text };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const outcome = networkOutcome(error, this.#clock.now() >= deadline, attemptMs, options.timeoutMs);
      options.debug(`Attempt ${number} failed: ${outcome.reason}`);
      return { outcome, text: "" };
    }
  }
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

/** A library error → what happened, in words; its message (which may quote input) is never used. */
export function networkOutcome(
  error: unknown,
  pastDeadline: boolean,
  attemptMs: number,
  timeoutMs: number,
): Outcome & { kind: "network" } {
  if (pastDeadline) {
    return { kind: "network", reason: `no answer within timeout-seconds (${timeoutMs / 1000} s)`, retryable: false };
  }
  const codes = errorCodes(error);
  const known = codes.find((code) => code in NETWORK_REASONS);
  if (known) return { kind: "network", ...(NETWORK_REASONS[known] as { reason: string; retryable: boolean }) };
  if (codes.includes("TimeoutError")) {
    return { kind: "network", reason: `no answer within ${seconds(attemptMs)} s`, retryable: true };
  }
  const tls = codes.find((code) => /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/.test(code));
  if (tls) {
    return {
      kind: "network",
      reason: `TLS failed (${tls}); check the host's certificate, or the CA of a proxy that inspects TLS (NODE_EXTRA_CA_CERTS)`,
      retryable: false,
    };
  }
  // A proxy that refuses the tunnel shows as an aborted request that we did not abort.
  if (codes.includes("UND_ERR_ABORTED")) return { kind: "network", ...PROXY_REFUSED };
  const code = codes.find((candidate) => /^[A-Z][A-Z0-9_]+$/.test(candidate));
  return { kind: "network", reason: code ? `network error ${code}` : "network error", retryable: true };
}

const PROXY_REFUSED = { reason: "the proxy refused the tunnel; check HTTPS_PROXY and NO_PROXY", retryable: false };

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

function retryLine(outcome: Outcome, delayMs: number, next: number, total: number): string {
  const wait = `retrying in ${seconds(delayMs)} s (attempt ${next} of ${total})`;
  if (outcome.kind === "network") return `Network error (${outcome.reason}): ${wait}`;
  if (outcome.status === 429)
    return `Rate limited (${outcome.headers["x-ratelimit-name"] ?? "no limit name"}): ${wait}`;
  return `Datadog answered ${outcome.status} ${statusText(outcome.status)}: ${wait}`;
}
