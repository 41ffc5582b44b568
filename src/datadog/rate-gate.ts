/**
 * One view of Datadog's rate limit, shared by every request of a step, so that a fleet larger than
 * the limit holds back before the budget is spent instead of meeting 429s.
 *
 * Datadog sends on every API answer `X-RateLimit-Limit` (requests a period), `-Period` (seconds,
 * calendar aligned), `-Remaining` and `-Reset` (whole seconds until the period ends). The gate keeps
 * how many requests it may still start in this period: the last answer's Remaining, less the requests
 * already on their way (they may not have been counted yet). When none is left it holds every new
 * request until the period ends. A 429 that still comes closes the gate for everyone until its reset.
 *
 * It knows nothing of connections or integrations; it owns only time and the budget.
 */
import type { Clock } from "./retry.ts";

type Headers = Readonly<Record<string, string | undefined>>;

/** Past a period's end, to be sure the service has started the next one (its clock is not ours). */
const BOUNDARY_MARGIN_MS = 30;

export class OutOfTime extends Error {
  constructor() {
    super("the deadline would pass while waiting for the rate limit");
    this.name = "OutOfTime";
  }
}

/** A request let through: when it started, to tell which period its answer speaks of. */
export interface Ticket {
  readonly startedAt: number;
}

export class RateGate {
  readonly #clock: Clock;
  /** Requests that may still start before `#resetAt`; undefined while nothing is known (first answers). */
  #budget: number | undefined;
  #limit: number | undefined;
  /** When the current period ends (our clock); 0 while unknown. */
  #resetAt = 0;
  /** When the current period began (our clock); answers to requests started before it are stale. */
  #periodStart = 0;
  #inFlight = 0;
  /** A 429 closed the gate until then. */
  #closedUntil = 0;
  /** How often a request was held back, and for how long in all: for the debug log and the benchmark. */
  waits = 0;
  waitedMs = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Resolves when a request may start, and counts it as on its way. Throws OutOfTime, without waiting,
   * if the wait would end past `deadline`; rejects at once if `signal` aborts.
   */
  async acquire(deadline: number, signal?: AbortSignal): Promise<Ticket> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#clock.now();
      const until = this.#openAt(now);
      if (until <= now) break;
      if (until >= deadline) throw new OutOfTime();
      this.waits++;
      this.waitedMs += until - now;
      await this.#clock.sleep(until - now, signal);
    }
    this.#inFlight++;
    if (this.#budget !== undefined) this.#budget--;
    return { startedAt: this.#clock.now() };
  }

  /** The request that acquired ended with this answer (any status): its headers update the view. */
  observe(ticket: Ticket, status: number, headers: Headers): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    const now = this.#clock.now();
    // Started in an earlier period: its Remaining may be that period's, and would close this one.
    const stale = ticket.startedAt < this.#periodStart;
    const limit = whole(headers["x-ratelimit-limit"]);
    const remaining = whole(headers["x-ratelimit-remaining"]);
    const reset = seconds(headers["x-ratelimit-reset"]);
    const period = seconds(headers["x-ratelimit-period"]);
    if (limit !== undefined) this.#limit = limit;
    if (reset !== undefined) {
      const resetAt = periodEnd(now, reset, period);
      // A later answer of the same period may come back first; a new period starts a new count.
      if (this.#resetAt === 0 || this.#budget === undefined) {
        this.#resetAt = resetAt;
        this.#periodStart = period === undefined ? now : resetAt - period * 1000;
        if (remaining !== undefined && !stale) this.#budget = remaining - this.#inFlight;
      } else if (remaining !== undefined && !stale) {
        this.#budget = Math.min(this.#budget, remaining - this.#inFlight);
      }
    }
    if (status === 429) {
      const until = reset !== undefined ? this.#resetAt : now + 1000;
      this.#closedUntil = Math.max(this.#closedUntil, until);
      this.#budget = 0;
    }
  }

  /** The request that acquired got no answer (a network error): it may or may not have been counted. */
  abandon(_ticket: Ticket): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  /** When a new request may start: now, or the end of the period (or of a 429's pause). */
  #openAt(now: number): number {
    if (this.#closedUntil > now) return this.#closedUntil;
    if (this.#resetAt !== 0 && now >= this.#resetAt) {
      // A new period: the whole limit, less what is on its way (counted in the new period).
      this.#budget = this.#limit === undefined ? undefined : this.#limit - this.#inFlight;
      this.#periodStart = this.#resetAt;
      this.#resetAt = 0;
    }
    if (this.#budget === undefined || this.#budget > 0) return now;
    return this.#resetAt === 0 ? now : this.#resetAt;
  }
}

/**
 * When the period ends, on our clock. `Reset` is whole seconds, rounded up; with the period known and
 * calendar aligned, its end is the next multiple of the period, which is exact to the millisecond when
 * the clocks agree (a 1 s period would otherwise wait a whole extra second). Reset rules where they differ.
 */
function periodEnd(now: number, resetSeconds: number, periodSeconds: number | undefined): number {
  const byReset = now + resetSeconds * 1000;
  if (periodSeconds === undefined || periodSeconds <= 0) return byReset;
  const periodMs = periodSeconds * 1000;
  const aligned = (Math.floor(now / periodMs) + 1) * periodMs;
  const agrees = aligned <= byReset + 50 && aligned > byReset - 1000 - 50;
  return (agrees ? aligned : byReset) + BOUNDARY_MARGIN_MS;
}

function whole(text: string | undefined): number | undefined {
  const value = text?.trim();
  return value && /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

function seconds(text: string | undefined): number | undefined {
  const value = text?.trim();
  return value && /^\d{1,9}(\.\d{1,6})?$/.test(value) ? Number(value) : undefined;
}
