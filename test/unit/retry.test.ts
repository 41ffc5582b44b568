import { describe, expect, it } from "vitest";
import {
  attemptLimitMs,
  DEFAULT_RETRY,
  decide,
  type Outcome,
  rateLimitReset,
  realClock,
  retryAfter,
  withRetries,
} from "../../src/datadog/retry.ts";
import { fakeClock } from "../harness/clock.ts";

const answer = (status: number, headers: Record<string, string> = {}): Outcome => ({ kind: "answer", status, headers });
const network: Outcome = { kind: "network", reason: "connection reset", retryable: true, mayHaveApplied: true };
const settings = { ...DEFAULT_RETRY, maxRetries: 3 };
const NOW = 1_000_000;
const half = () => 0.5;

describe("decide", () => {
  it.each([200, 201, 400, 403, 404, 409, 422])("%i is final", (status) => {
    expect(decide(answer(status), 1, settings, NOW, NOW + 60_000, half)).toEqual({ action: "done" });
  });

  it("waits X-RateLimit-Reset seconds on 429, plus at most 100 ms of jitter", () => {
    const limited = answer(429, { "x-ratelimit-reset": "7", "retry-after": "30" });
    expect(decide(limited, 1, settings, NOW, NOW + 60_000, () => 0)).toEqual({
      action: "retry",
      delayMs: 7000,
      why: "rate-limit",
    });
    expect(decide(limited, 1, settings, NOW, NOW + 60_000, () => 0.999)).toMatchObject({ delayMs: 7099.9 });
  });

  it("falls back to Retry-After (seconds or a date), then to backoff", () => {
    expect(decide(answer(429, { "retry-after": "3" }), 1, settings, NOW, NOW + 60_000, () => 0)).toMatchObject({
      delayMs: 3000,
    });
    const date = new Date(NOW + 5000).toUTCString();
    expect(retryAfter({ "retry-after": date }, NOW)).toBe(5000);
    expect(decide(answer(429), 2, settings, NOW, NOW + 60_000, half)).toMatchObject({
      delayMs: 1000,
      why: "rate-limit",
    });
  });

  it("backs off exponentially with full jitter on 5xx and network errors, capped", () => {
    const delays = [1, 2, 3].map((attempt) => decide(answer(503), attempt, settings, NOW, NOW + 600_000, () => 0.999));
    expect(delays.map((decision) => (decision.action === "retry" ? Math.round(decision.delayMs) : -1))).toEqual([
      999, 1998, 3996,
    ]);
    const capped = decide(network, 3, { ...settings, maxDelayMs: 1500 }, NOW, NOW + 600_000, () => 0.999);
    expect(capped).toMatchObject({ action: "retry", why: "network" });
    expect(capped.action === "retry" && capped.delayMs).toBeLessThan(1500);
    expect(decide(network, 1, settings, NOW, NOW + 60_000, () => 0)).toMatchObject({ delayMs: 0 });
  });

  it("gives up when retries are used", () => {
    expect(decide(answer(500), 4, settings, NOW, NOW + 60_000, half)).toEqual({ action: "give-up", why: "exhausted" });
  });

  it("does not start a wait that would end past the deadline", () => {
    expect(decide(answer(429, { "x-ratelimit-reset": "30" }), 1, settings, NOW, NOW + 10_000, () => 0)).toEqual({
      action: "give-up",
      why: "deadline",
      delayMs: 30_000,
    });
  });

  it("never retries a network error marked final", () => {
    const tls: Outcome = { kind: "network", reason: "TLS", retryable: false, mayHaveApplied: false };
    expect(decide(tls, 1, settings, NOW, NOW + 60_000, half)).toEqual({ action: "done" });
  });

  it("reads only plain numbers from X-RateLimit-Reset", () => {
    expect(rateLimitReset({ "x-ratelimit-reset": "2.5" })).toBe(2500);
    expect(rateLimitReset({ "x-ratelimit-reset": "soon" })).toBeUndefined();
    expect(rateLimitReset({})).toBeUndefined();
  });
});

describe("withRetries on an injected clock", () => {
  it("waits the rate-limit reset, then succeeds; logs each retry", async () => {
    const clock = fakeClock(NOW);
    const outcomes = [answer(429, { "x-ratelimit-reset": "2" }), answer(503), answer(200)];
    const lines: string[] = [];
    const result = await withRetries(async (number) => ({ outcome: outcomes[number - 1] as Outcome }), {
      settings,
      clock,
      random: () => 0,
      deadline: NOW + 60_000,
      onRetry: (_result, delayMs, next, total) => lines.push(`${delayMs} ${next}/${total}`),
    });
    expect(result).toMatchObject({ attempts: 3, decision: { action: "done" } });
    expect(clock.slept).toEqual([2000, 0]);
    expect(lines).toEqual(["2000 2/4", "0 3/4"]);
  });

  it("stops after max-retries + 1 attempts", async () => {
    const clock = fakeClock(NOW);
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls++;
        return { outcome: answer(500) };
      },
      { settings, clock, random: half, deadline: NOW + 600_000, onRetry: () => undefined },
    );
    expect(calls).toBe(4);
    expect(result.decision).toEqual({ action: "give-up", why: "exhausted" });
    expect(clock.slept).toEqual([500, 1000, 2000]);
  });

  it("stops at once when the next wait would pass the deadline", async () => {
    const clock = fakeClock(NOW);
    const result = await withRetries(async () => ({ outcome: answer(429, { "x-ratelimit-reset": "50" }) }), {
      settings,
      clock,
      random: () => 0,
      deadline: NOW + 10_000,
      onRetry: () => undefined,
    });
    expect(result).toMatchObject({ attempts: 1, decision: { action: "give-up", why: "deadline", delayMs: 50_000 } });
    expect(clock.slept).toEqual([]);
  });
});

describe("timing rules", () => {
  const randoms = [0, 0.25, 0.5, 0.75, 0.999_999];

  it("a reset of N s costs N s plus at most 100 ms of jitter, whatever the draw", () => {
    for (const reset of [0, 1, 2, 7, 60]) {
      for (const random of randoms) {
        const decision = decide(
          answer(429, { "x-ratelimit-reset": String(reset) }),
          1,
          settings,
          NOW,
          NOW + 600_000,
          () => random,
        );
        expect(decision.action).toBe("retry");
        const delay = decision.action === "retry" ? decision.delayMs : -1;
        expect(delay).toBeGreaterThanOrEqual(reset * 1000);
        expect(delay).toBeLessThan(reset * 1000 + 100);
      }
    }
  });

  it("full jitter: the backoff is the draw times min(cap, base * 2^(attempt - 1)), from 0", () => {
    for (const attempt of [1, 2, 3]) {
      const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
      for (const random of randoms) {
        for (const outcome of [answer(500), answer(502), network, answer(429)]) {
          expect(decide(outcome, attempt, settings, NOW, NOW + 600_000, () => random)).toMatchObject({
            action: "retry",
            delayMs: random * ceiling,
          });
        }
      }
    }
  });

  it("the backoff ceiling stops at maxDelayMs (16 s)", () => {
    const many = { ...settings, maxRetries: 10 };
    expect(decide(answer(503), 6, many, NOW, NOW + 600_000, () => 0.999_999)).toMatchObject({ delayMs: 15_999.984 });
    expect(decide(answer(503), 10, many, NOW, NOW + 600_000, () => 0.5)).toMatchObject({ delayMs: 8000 });
  });

  it("a wait that would end at or past the deadline is not started", () => {
    const reset = answer(429, { "x-ratelimit-reset": "2" });
    expect(decide(reset, 1, settings, NOW, NOW + 2000, () => 0)).toEqual({
      action: "give-up",
      why: "deadline",
      delayMs: 2000,
    });
    expect(decide(reset, 1, settings, NOW, NOW + 2001, () => 0)).toMatchObject({ action: "retry", delayMs: 2000 });
    expect(decide(answer(503), 1, settings, NOW, NOW + 400, () => 0.5)).toEqual({
      action: "give-up",
      why: "deadline",
      delayMs: 500,
    });
  });

  it("an attempt that ran into the deadline is the last, retries left or not", () => {
    const late: Outcome = {
      kind: "network",
      reason: "timeout-seconds (3 s) passed while waiting for an answer",
      retryable: true,
      mayHaveApplied: true,
      deadline: true,
    };
    expect(decide(late, 1, settings, NOW, NOW + 60_000, () => 0)).toEqual({ action: "give-up", why: "deadline" });
  });

  it.each([
    [1, 500],
    [2, 1000],
    [3, 1500],
    [10, 5000],
    [20, 10_000],
    [30, 10_000],
    [60, 20_000],
    [90, 30_000],
    [3600, 30_000],
  ])(
    "one attempt of a %i s deadline may take %i ms: room for a retry, never the whole of a long deadline",
    (timeout, limit) => {
      expect(attemptLimitMs(timeout * 1000)).toBe(limit);
    },
  );
});

describe("the real clock", () => {
  it("stops a wait at once when cancelled", async () => {
    const cancel = new AbortController();
    const started = performance.now();
    const waiting = realClock.sleep(10_000, cancel.signal);
    setTimeout(() => cancel.abort("SIGTERM"), 20);
    await expect(waiting).rejects.toBe("SIGTERM");
    expect(performance.now() - started).toBeLessThan(2000);
    await expect(realClock.sleep(10_000, cancel.signal)).rejects.toBe("SIGTERM");
  });

  it("sleeps about as long as asked", async () => {
    const started = performance.now();
    await realClock.sleep(50);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });
});

describe("Retry-After on a server error", () => {
  it("is not followed: a 503 backs off like any 5xx (an edge's Retry-After: 3600 would end the run)", () => {
    const decision = decide(answer(503, { "retry-after": "3600" }), 1, settings, NOW, NOW + 60_000, half);
    expect(decision).toEqual({ action: "retry", delayMs: 500, why: "server" });
  });
});
