import { describe, expect, it } from "vitest";
import {
  type Clock,
  DEFAULT_RETRY,
  decide,
  type Outcome,
  rateLimitReset,
  retryAfter,
  withRetries,
} from "../../src/datadog/retry.ts";

const answer = (status: number, headers: Record<string, string> = {}): Outcome => ({ kind: "answer", status, headers });
const network: Outcome = { kind: "network", reason: "connection reset", retryable: true };
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
    expect(decide({ kind: "network", reason: "TLS", retryable: false }, 1, settings, NOW, NOW + 60_000, half)).toEqual({
      action: "done",
    });
  });

  it("reads only plain numbers from X-RateLimit-Reset", () => {
    expect(rateLimitReset({ "x-ratelimit-reset": "2.5" })).toBe(2500);
    expect(rateLimitReset({ "x-ratelimit-reset": "soon" })).toBeUndefined();
    expect(rateLimitReset({})).toBeUndefined();
  });
});

/** A clock whose sleeps take no time and are recorded. */
function fakeClock(): Clock & { slept: number[] } {
  let now = NOW;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe("withRetries on an injected clock", () => {
  it("waits the rate-limit reset, then succeeds; logs each retry", async () => {
    const clock = fakeClock();
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
    const clock = fakeClock();
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
    const clock = fakeClock();
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
