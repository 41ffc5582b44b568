import { describe, expect, it } from "vitest";
import { OutOfTime, RateGate } from "../../src/datadog/rate-gate.ts";
import { realClock } from "../../src/datadog/retry.ts";
import { fakeClock } from "../harness/clock.ts";

const headers = (remaining: number, reset = 1, limit = 10, period = 1) => ({
  "x-ratelimit-limit": String(limit),
  "x-ratelimit-remaining": String(remaining),
  "x-ratelimit-reset": String(reset),
  "x-ratelimit-period": String(period),
});

describe("RateGate: one view of the rate limit for every request of a step", () => {
  it("lets requests through until the budget Datadog reports is spent, then holds the next until the period ends", async () => {
    const clock = fakeClock(1_000_000_100); // 100 ms into a calendar second
    const gate = new RateGate(clock);
    const first = await gate.acquire(Number.POSITIVE_INFINITY);
    gate.observe(first, 200, headers(2));
    await gate.acquire(Number.POSITIVE_INFINITY);
    await gate.acquire(Number.POSITIVE_INFINITY);
    expect(clock.slept).toEqual([]);
    await gate.acquire(Number.POSITIVE_INFINITY);
    // Held to the period's end (calendar aligned: 900 ms on) and a margin, not the whole Reset second.
    expect(clock.slept).toEqual([930]);
  });

  it("counts requests still on their way against what the last answer reported", async () => {
    const clock = fakeClock(2_000_000_000);
    const gate = new RateGate(clock);
    const a = await gate.acquire(Number.POSITIVE_INFINITY);
    const b = await gate.acquire(Number.POSITIVE_INFINITY);
    gate.observe(a, 200, headers(1)); // b is on its way and may not be counted yet: nothing left
    await gate.acquire(Number.POSITIVE_INFINITY);
    expect(clock.slept.length).toBe(1);
    gate.observe(b, 200, headers(0));
  });

  it("once nothing is on its way, the budget is exactly the lowest Remaining: a period's last slots are used", async () => {
    const clock = fakeClock(7_000_000_100);
    const gate = new RateGate(clock);
    const a = await gate.acquire(Number.POSITIVE_INFINITY);
    const b = await gate.acquire(Number.POSITIVE_INFINITY);
    gate.observe(b, 200, headers(8)); // a is on its way: 7 may start
    gate.observe(a, 200, headers(9)); // answered late, counted earlier: all counted, 8 remain
    for (let index = 0; index < 8; index++) await gate.acquire(Number.POSITIVE_INFINITY);
    expect(clock.slept).toEqual([]);
    await gate.acquire(Number.POSITIVE_INFINITY);
    expect(clock.slept).toEqual([930]);
  });

  it("a request held for a spent budget starts as soon as the last answers reopen it, not at the period's end", async () => {
    const gate = new RateGate(realClock);
    const a = await gate.acquire(Number.POSITIVE_INFINITY);
    const b = await gate.acquire(Number.POSITIVE_INFINITY);
    gate.observe(a, 200, headers(1, 30, 10, 60)); // b on its way may take the last slot: none left
    const started = Date.now();
    const held = gate.acquire(Number.POSITIVE_INFINITY);
    setTimeout(() => gate.observe(b, 200, headers(1, 30, 10, 60)), 50); // all counted: 1 left
    await held;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(gate.waits).toBe(1);
  });

  it("a 429 closes the gate for everyone until its reset", async () => {
    const clock = fakeClock(3_000_000_000);
    const gate = new RateGate(clock);
    const a = await gate.acquire(Number.POSITIVE_INFINITY);
    gate.observe(a, 429, headers(0, 3, 10, 60));
    await gate.acquire(Number.POSITIVE_INFINITY);
    expect(clock.slept).toEqual([3030]);
  });

  it("refuses, without waiting, a wait that would pass the deadline", async () => {
    const clock = fakeClock(4_000_000_000);
    const gate = new RateGate(clock);
    const a = await gate.acquire(Number.POSITIVE_INFINITY);
    gate.observe(a, 200, headers(0, 30, 10, 60));
    await expect(gate.acquire(clock.now() + 5000)).rejects.toBeInstanceOf(OutOfTime);
    expect(clock.slept).toEqual([]);
  });

  it("an answer to a request started in the previous period does not close the new one", async () => {
    const clock = fakeClock(5_000_000_500);
    const gate = new RateGate(clock);
    const a = await gate.acquire(Number.POSITIVE_INFINITY);
    gate.observe(a, 200, headers(5));
    const late = await gate.acquire(Number.POSITIVE_INFINITY);
    await clock.sleep(600); // into the next calendar second
    const fresh = await gate.acquire(Number.POSITIVE_INFINITY);
    gate.observe(late, 200, headers(0)); // that period's last, answered late
    await gate.acquire(Number.POSITIVE_INFINITY);
    expect(clock.slept).toEqual([600]);
    gate.observe(fresh, 200, headers(8));
  });

  it("without rate-limit headers (an HTML page from the edge) it never holds a request", async () => {
    const clock = fakeClock(6_000_000_000);
    const gate = new RateGate(clock);
    for (let index = 0; index < 20; index++) gate.observe(await gate.acquire(Number.POSITIVE_INFINITY), 502, {});
    expect(clock.slept).toEqual([]);
  });
});
