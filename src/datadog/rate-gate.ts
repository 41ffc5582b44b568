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

/** A request let through: when it started (which period its answer speaks of), and in what order. */
export interface Ticket {
  readonly startedAt: number;
  readonly seq: number;
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
  /** The requests on their way, by order of start. */
  readonly #inFlight = new Set<number>();
  #seq = 0;
  /** The lowest Remaining Datadog answered in this period. */
  #lowest = 0;
  /** Requests held back, to be woken when the budget reopens. */
  readonly #wake = new Set<AbortController>();
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
      const started = now;
      await this.#waitUntil(until, signal);
      this.waitedMs += this.#clock.now() - started;
    }
    const seq = ++this.#seq;
    this.#inFlight.add(seq);
    if (this.#budget !== undefined) this.#budget--;
    return { startedAt: this.#clock.now(), seq };
  }

  /**
   * The request that acquired ended with this answer (any status): its headers update the view. The
   * budget is the lowest Remaining of the period less the requests still on their way (they may not
   * have been counted yet; answers come back in any order over parallel connections). When none is on
   * its way, every request has been counted: the budget is then exactly the lowest Remaining, so that a
   * period's last slots are used rather than left to the next one.
   */
  observe(ticket: Ticket, status: number, headers: Headers): void {
    this.#inFlight.delete(ticket.seq);
    const now = this.#clock.now();
    // Started in an earlier period: its Remaining may be that period's, and would close this one.
    const stale = ticket.startedAt < this.#periodStart;
    const limit = whole(headers["x-ratelimit-limit"]);
    const remaining = whole(headers["x-ratelimit-remaining"]);
    const reset = seconds(headers["x-ratelimit-reset"]);
    const period = seconds(headers["x-ratelimit-period"]);
    if (limit !== undefined) this.#limit = limit;
    if (reset !== undefined) {
      const first = this.#resetAt === 0 || this.#budget === undefined;
      if (first) {
        this.#resetAt = periodEnd(now, reset, period);
        this.#periodStart = period === undefined ? now : this.#resetAt - period * 1000;
      }
      if (remaining !== undefined && !stale) {
        this.#lowest = first ? remaining : Math.min(this.#lowest, remaining);
        const onTheirWay = this.#inFlight.size;
        this.#budget = onTheirWay === 0 ? this.#lowest : Math.min(this.#budget ?? remaining, remaining - onTheirWay);
      }
    }
    if (status === 429) {
      const until = reset !== undefined ? this.#resetAt : now + 1000;
      this.#closedUntil = Math.max(this.#closedUntil, until);
      this.#budget = 0;
    }
    this.#changed();
  }

  /** The request that acquired got no answer (a network error): it may or may not have been counted. */
  abandon(ticket: Ticket): void {
    this.#inFlight.delete(ticket.seq);
  }

  /**
   * Sleeps until `until`, or until an answer on its way changes the view (a held budget may reopen
   * when the last requests of a period are answered: see observe), whichever comes first.
   */
  async #waitUntil(until: number, signal: AbortSignal | undefined): Promise<void> {
    const woken = new AbortController();
    this.#wake.add(woken);
    try {
      const wait = AbortSignal.any([woken.signal, ...(signal ? [signal] : [])]);
      await this.#clock.sleep(until - this.#clock.now(), wait).catch((error: unknown) => {
        if (!woken.signal.aborted) throw error;
      });
    } finally {
      this.#wake.delete(woken);
    }
  }

  /** Wakes every held request to look again (an answer came; the budget may have reopened). */
  #changed(): void {
    if (this.#inFlight.size > 0 || this.#budget === undefined || this.#budget <= 0) return;
    for (const woken of this.#wake) woken.abort();
  }

  /** When a new request may start: now, or the end of the period (or of a 429's pause). */
  #openAt(now: number): number {
    if (this.#closedUntil > now) return this.#closedUntil;
    if (this.#resetAt !== 0 && now >= this.#resetAt) {
      // A new period: the whole limit, less what is on its way (counted in the new period).
      this.#budget = this.#limit === undefined ? undefined : this.#limit - this.#inFlight.size;
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
