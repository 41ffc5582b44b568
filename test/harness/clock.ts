/** Time for tests of waits: a clock that moves only when slept on, so that waits take no time and are recorded. */
import type { Clock } from "../../src/datadog/retry.ts";

export function fakeClock(start: number): Clock & { slept: number[] } {
  let now = start;
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
