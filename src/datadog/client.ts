/**
 * The Action Connection API client: one PATCH, retried as retry.ts decides, within a deadline,
 * through the proxy the environment names. It takes its settings in the constructor and never reads
 * inputs; it reports through the two log functions it is given and never prints a body or a
 * library's error text.
 */
import { Failure, type Problem } from "../failure.ts";
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
import { networkOutcome } from "./network-errors.ts";
import { OutOfTime, type RateGate } from "./rate-gate.ts";
import { attemptLimitMs, type Clock, DEFAULT_RETRY, type Outcome, realClock, withRetries } from "./retry.ts";
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
  /** The step's rate-limit view, shared by every request of a fleet; none for a lone request. */
  readonly gate?: RateGate;
  /** When the whole step must end (clock ms); default timeoutMs from each request's start. */
  readonly deadline?: number;
}

export type Method = "PATCH" | "GET";

function describeOutOfTime(method: Method, timeoutMs: number): Problem {
  const what = method === "GET" ? "read" : "sent";
  return {
    title: "Out of time",
    message: `Not ${what}: Datadog's rate limit would hold the request past timeout-seconds (${timeoutMs / 1000} s). Run the job again, or raise timeout-seconds.`,
  };
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

/** The rate limit would hold the request past the deadline: nothing was sent. */
const OUT_OF_TIME: Outcome = {
  kind: "network",
  reason: "the rate limit would hold the request past timeout-seconds",
  retryable: false,
  mayHaveApplied: false,
  deadline: true,
};

export class DatadogClient {
  readonly #options: ClientOptions;
  readonly #clock: Clock;
  #shared: Promise<Transport> | undefined;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#clock = options.clock ?? realClock;
  }

  /** PATCHes the connection; resolves with Datadog's 2xx answer, or throws a Failure that says what to do. */
  updateConnection(connectionId: string, body: UpdateRequest): Promise<Answer> {
    return this.#request("PATCH", connectionId, JSON.stringify(body));
  }

  /** GETs the connection's current state; resolves with Datadog's 2xx answer, or throws a Failure. */
  readConnection(connectionId: string): Promise<Answer> {
    return this.#request("GET", connectionId, undefined);
  }

  /**
   * Opens the transport (a proxy's tunnel, or Node's fetch) once for every request of this client; a
   * fleet calls it before its workers start, so that they share one agent. Undone by close().
   */
  async open(): Promise<void> {
    this.#shared ??= openTransport(
      this.#options.env ?? process.env,
      `${this.#options.baseUrl}/api/v2/actions/connections`,
      Math.min(this.#options.attemptTimeoutMs ?? attemptLimitMs(this.#options.timeoutMs), 10_000),
    );
    await this.#shared;
  }

  async close(): Promise<void> {
    const shared = this.#shared;
    this.#shared = undefined;
    if (shared) await (await shared.catch(() => undefined))?.close().catch(() => undefined);
  }

  async #request(method: Method, connectionId: string, payload: string | undefined): Promise<Answer> {
    const options = this.#options;
    const started = this.#clock.now();
    const deadline = options.deadline ?? started + options.timeoutMs;
    const url = `${options.baseUrl}/api/v2/actions/connections/${encodeURIComponent(connectionId)}`;
    const total = options.maxRetries + 1;
    const limitMs = options.attemptTimeoutMs ?? attemptLimitMs(options.timeoutMs);
    const retried: Outcome[] = [];
    let progress: Progress = { state: "not-sent" };
    let transport = options.transport ?? (this.#shared ? await this.#shared : undefined);
    const own = transport === undefined;
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
          return this.#attempt(method, url, payload, used, deadline, limitMs, number);
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
      const maybe = method === "PATCH" && result.outcome.kind === "network" && result.outcome.mayHaveApplied;
      if (result.outcome === OUT_OF_TIME && attempts === 1) {
        throw new Failure(describeOutOfTime(method, options.timeoutMs), "not-sent");
      }
      if (decision.action === "give-up") {
        throw new Failure(
          describeGiveUp(result.outcome, decision, attempts, options.where, options.timeoutMs),
          maybe ? "unknown" : "not-updated",
        );
      }
      if (result.outcome.kind === "network") {
        throw new Failure(describeNetworkError(result.outcome, options.where), maybe ? "unknown" : "not-updated");
      }
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
      if (status < 200 || status > 299) {
        throw new Failure(describeAnswer(answer, connectionId, options.where), "not-updated");
      }
      return answer;
    } catch (error) {
      if (options.signal?.aborted) {
        const reason: unknown = options.signal.reason;
        // Assigned in the callbacks above: TypeScript cannot see it change.
        const at = progress as Progress;
        const maybe = method === "PATCH" && (at.state === "sending" || (at.state === "waiting" && at.mayHaveApplied));
        throw new Failure(
          describeCancel(typeof reason === "string" ? reason : undefined, progress, options.where),
          maybe ? "unknown" : "not-sent",
        );
      }
      throw error;
    } finally {
      // The proxy's agent destroys its tunnels; Node's fetch ends a socket when its attempt aborts, and
      // keeps no idle one from exiting. Nothing holds the process.
      if (own) await transport?.close().catch(() => undefined);
    }
  }

  async #attempt(
    method: Method,
    url: string,
    payload: string | undefined,
    transport: Transport,
    deadline: number,
    limitMs: number,
    number: number,
  ): Promise<Attempt> {
    const options = this.#options;
    const ticket = await options.gate?.acquire(deadline, options.signal).catch((error: unknown) => {
      if (error instanceof OutOfTime) return null;
      throw error;
    });
    if (ticket === null) return { outcome: OUT_OF_TIME, text: "" };
    const remaining = Math.max(1, deadline - this.#clock.now());
    const attemptMs = Math.min(remaining, limitMs);
    const signals = [AbortSignal.timeout(attemptMs), ...(options.signal ? [options.signal] : [])];
    const signal = AbortSignal.any(signals);
    const began = this.#clock.now();
    let answered = false;
    options.debug(`${method} ${url} (attempt ${number}, ${seconds(attemptMs)} s allowed)`);
    try {
      const answer = await transport.fetch(url, {
        method,
        signal,
        redirect: "manual",
        headers: {
          ...(payload === undefined ? {} : { "content-type": "application/json" }),
          accept: "application/json",
          "user-agent": options.userAgent,
          "dd-api-key": options.apiKey,
          "dd-application-key": options.appKey,
        },
        ...(payload === undefined ? {} : { body: payload }),
      });
      answered = true;
      const headers = Object.fromEntries(answer.headers);
      if (ticket) options.gate?.observe(ticket, answer.status, headers);
      const text = await readText(answer.body);
      options.debug(
        `Answer ${answer.status} in ${seconds(this.#clock.now() - began)} s; rate limit ${headers["x-ratelimit-name"] ?? "?"}: ` +
          `${headers["x-ratelimit-remaining"] ?? "?"} of ${headers["x-ratelimit-limit"] ?? "?"} left, resets in ${headers["x-ratelimit-reset"] ?? "?"} s`,
      );
      return { outcome: { kind: "answer", status: answer.status, headers }, text };
    } catch (error) {
      if (ticket && !answered) options.gate?.abandon(ticket);
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
