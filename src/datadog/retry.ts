/**
 * When to try again, and after how long: a pure policy, so that tests run it on an injected clock.
 *
 * - 429: wait `X-RateLimit-Reset` seconds (seconds until the period ends, not a timestamp), else
 *   `Retry-After`, else back off; plus a little jitter so that parallel jobs do not all return at once.
 * - 5xx and network errors: exponential backoff with full jitter (AWS's "full jitter").
 * - Other answers are final. No wait is started that would end past the deadline, and an attempt
 *   that ran into the deadline is the last one.
 */

/** What one attempt came to. */
export type Outcome =
  | { readonly kind: "answer"; readonly status: number; readonly headers: Readonly<Record<string, string | undefined>> }
  | NetworkOutcome;

/** An attempt that got no complete answer. */
export interface NetworkOutcome {
  readonly kind: "network";
  /** What happened, in our words (`connection reset`), never a library's message. */
  readonly reason: string;
  readonly retryable: boolean;
  /** The request may have reached Datadog (a reset or a timeout after sending): the update may be applied. */
  readonly mayHaveApplied: boolean;
  /** The attempt ran until the deadline (timeout-seconds) passed. */
  readonly deadline?: boolean;
}

export interface RetrySettings {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** Base of the exponential backoff. */
  readonly baseDelayMs: number;
  /** Cap of one backoff wait. */
  readonly maxDelayMs: number;
  /** Most jitter added to a rate-limit wait. */
  readonly rateLimitJitterMs: number;
}

export const DEFAULT_RETRY: RetrySettings = {
  maxRetries: 3,
  baseDelayMs: 1000,
  maxDelayMs: 16_000,
  rateLimitJitterMs: 100,
};

export type Decision =
  | { readonly action: "done" }
  | { readonly action: "retry"; readonly delayMs: number; readonly why: "rate-limit" | "server" | "network" }
  | { readonly action: "give-up"; readonly why: "exhausted" | "deadline"; readonly delayMs?: number };

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * The longest one attempt may take, before the deadline cuts it shorter: a third of timeout-seconds,
 * at least 10 s so that a slow answer is not cut off, but never more than half of timeout-seconds (a
 * hanging server then leaves time for a retry), nor more than 30 s (Datadog answers in well under one).
 */
export function attemptLimitMs(timeoutMs: number): number {
  return Math.min(30_000, Math.max(timeoutMs / 3, Math.min(10_000, timeoutMs / 2)));
}

/**
 * What to do after attempt number `attempt` (1-based) ended in `outcome`, at time `now`, given the
 * deadline. `random` returns a number in [0, 1).
 */
export function decide(
  outcome: Outcome,
  attempt: number,
  settings: RetrySettings,
  now: number,
  deadline: number,
  random: () => number,
): Decision {
  const retryable = outcome.kind === "network" ? outcome.retryable : isRetryableStatus(outcome.status);
  if (!retryable) return { action: "done" };
  if (outcome.kind === "network" && outcome.deadline) return { action: "give-up", why: "deadline" };
  if (attempt > settings.maxRetries) return { action: "give-up", why: "exhausted" };
  const delayMs = waitBefore(outcome, attempt, settings, now, random);
  if (now + delayMs >= deadline) return { action: "give-up", why: "deadline", delayMs };
  const why = outcome.kind === "network" ? "network" : outcome.status === 429 ? "rate-limit" : "server";
  return { action: "retry", delayMs, why };
}

function waitBefore(outcome: Outcome, attempt: number, settings: RetrySettings, now: number, random: () => number) {
  // Only a 429 says when to come back. A 5xx backs off (contract, behaviour 5): an edge's
  // `Retry-After: 3600` on a 503 would otherwise end the run at the first failure.
  if (outcome.kind === "answer" && outcome.status === 429) {
    const after = rateLimitReset(outcome.headers) ?? retryAfter(outcome.headers, now);
    if (after !== undefined) return after + random() * settings.rateLimitJitterMs;
  }
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
  return random() * ceiling;
}

/** `X-RateLimit-Reset`: seconds until the rate-limit period ends. */
export function rateLimitReset(headers: Readonly<Record<string, string | undefined>>): number | undefined {
  const text = headers["x-ratelimit-reset"]?.trim();
  if (!text || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text) * 1000;
}

/** `Retry-After`: seconds, or an HTTP date. */
export function retryAfter(headers: Readonly<Record<string, string | undefined>>, now: number): number | undefined {
  const text = headers["retry-after"]?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Time, injectable so that tests of waits take no time. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects at once if `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(done, ms);
      function done() {
        signal?.removeEventListener("abort", stop);
        resolve();
      }
      function stop() {
        clearTimeout(timer);
        reject(signal?.reason);
      }
      signal?.addEventListener("abort", stop, { once: true });
    }),
};

export interface LoopOptions<T> {
  readonly settings: RetrySettings;
  readonly clock: Clock;
  readonly random: () => number;
  readonly deadline: number;
  /** Cancellation: stops a wait at once. */
  readonly signal?: AbortSignal;
  /** Called before each wait, to say why and how long. */
  readonly onRetry: (result: T, delayMs: number, nextAttempt: number, totalAttempts: number) => void;
}

export interface LoopResult<T> {
  readonly result: T;
  readonly attempts: number;
  /** `done`: a final answer; `give-up`: retryable, but retries or time ran out. */
  readonly decision: Exclude<Decision, { action: "retry" }>;
}

/** Runs `attempt` until its outcome is final, retries run out, or the next wait would pass the deadline. */
export async function withRetries<T extends { readonly outcome: Outcome }>(
  attempt: (number: number) => Promise<T>,
  options: LoopOptions<T>,
): Promise<LoopResult<T>> {
  const total = options.settings.maxRetries + 1;
  for (let number = 1; ; number++) {
    const result = await attempt(number);
    const decision = decide(
      result.outcome,
      number,
      options.settings,
      options.clock.now(),
      options.deadline,
      options.random,
    );
    if (decision.action !== "retry") return { result, attempts: number, decision };
    options.onRetry(result, decision.delayMs, number + 1, total);
    await options.clock.sleep(decision.delayMs, options.signal);
  }
}
