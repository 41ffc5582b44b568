/**
 * The fleet's order of work against the simulator over real HTTP: reads where a skip needs them,
 * sends only what differs, shares one view of the rate limit, and keeps going past one failure.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readAnswer } from "../../src/answer.ts";
import { DatadogClient } from "../../src/datadog/client.ts";
import { RateGate } from "../../src/datadog/rate-gate.ts";
import { realClock } from "../../src/datadog/retry.ts";
import { execute, type Job } from "../../src/fleet/execute.ts";
import type { UpdateRequest } from "../../src/patch/schema.ts";
import { stableUuid, storedHttp } from "../fixtures.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "../simulator/server.ts";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const request = (attributes: Record<string, unknown>) =>
  ({ data: { type: "action_connection", attributes } }) as UpdateRequest;

function job(id: string, attributes: Record<string, unknown>, always = false): Job {
  return {
    file: `connections/${id}.yml`,
    line: 1,
    id,
    request: request(attributes),
    fromEnv: new Set<string>(),
    always,
  };
}

function client(simulator: Simulator, timeoutMs = 20_000) {
  return new DatadogClient({
    baseUrl: simulator.url,
    apiKey: SIM_API_KEY,
    appKey: SIM_APP_KEY,
    userAgent: "fleet-test",
    where: { label: "sim (api-url)", input: "api-url" },
    maxRetries: 3,
    timeoutMs,
    deadline: Date.now() + timeoutMs,
    random: () => 0,
    env: {},
    gate: new RateGate(realClock),
    info: () => undefined,
    debug: () => undefined,
  });
}

describe("execute: a fleet of connections", () => {
  it("reads each document that sets no secret and sends only those that differ; secrets are always sent", async () => {
    sim = await Simulator.start();
    const ids = ["same", "renamed", "secret"].map(stableUuid);
    for (const [index, id] of ids.entries()) sim.put(storedHttp(id, `Conn ${index}`));
    sim.requests.length = 0;
    const jobs = [
      job(ids[0] as string, { name: "Conn 0", tags: ["team:payments"] }),
      job(ids[1] as string, { name: "Renamed" }),
      job(ids[2] as string, {
        integration: {
          type: "HTTP",
          credentials: { type: "HTTPTokenAuth", headers: [{ name: "Authorization", value: "Bearer abcdefghij" }] },
        },
      }),
    ];
    const results = await execute(jobs, { api: client(sim), dryRun: false, maxParallel: 2, readAnswer });
    expect(results.map((result) => [result.status, result.name])).toEqual([
      ["unchanged", "Conn 0"],
      ["updated", "Renamed"],
      ["updated", "Conn 2"],
    ]);
    const made = sim.requests.map((recorded) => `${recorded.method} ${recorded.path.split("/").pop()}`).sort();
    expect(made).toEqual([`GET ${ids[0]}`, `GET ${ids[1]}`, `PATCH ${ids[1]}`, `PATCH ${ids[2]}`].sort());
  });

  it("a dry run reads every connection and sends nothing", async () => {
    sim = await Simulator.start();
    const ids = ["a", "b"].map(stableUuid);
    for (const id of ids) sim.put(storedHttp(id, "Old"));
    sim.requests.length = 0;
    const results = await execute(
      ids.map((id) => job(id, { name: "Old" })),
      { api: client(sim), dryRun: true, maxParallel: 4, readAnswer },
    );
    expect(results.map((result) => result.status)).toEqual(["unchanged", "unchanged"]);
    expect(sim.requests.every((recorded) => recorded.method === "GET")).toBe(true);
  });

  it("one connection's failure does not stop the others; a missing one is failed with the usual words", async () => {
    sim = await Simulator.start();
    const ids = ["ok1", "missing", "ok2"].map(stableUuid);
    sim.put(storedHttp(ids[0] as string, "A"));
    sim.put(storedHttp(ids[2] as string, "C"));
    const results = await execute(
      ids.map((id) => job(id, { name: "New" })),
      { api: client(sim), dryRun: false, maxParallel: 1, readAnswer },
    );
    expect(results.map((result) => result.status)).toEqual(["updated", "failed", "updated"]);
    expect(results[1]?.message).toMatch(/^Datadog found no connection .* \(404 Not Found\)/);
  });

  it("holds back before the rate limit is spent: 30 connections under 10 a second meet no 429 after the first second", async () => {
    sim = await Simulator.start({ rateLimit: { limit: 10, period: 1, name: "action_connections" } });
    const ids = Array.from({ length: 30 }, (_, index) => stableUuid(`rate-${index}`));
    for (const id of ids) sim.put(storedHttp(id, "Old"));
    sim.requests.length = 0;
    const started = Date.now();
    const results = await execute(
      ids.map((id) => job(id, { name: "Old" })),
      { api: client(sim), dryRun: false, maxParallel: 4, readAnswer },
    );
    const elapsed = Date.now() - started;
    expect(results.every((result) => result.status === "unchanged")).toBe(true);
    expect(sim.requests.length).toBe(30);
    // Three periods' worth of requests: at least two period boundaries waited for, and not many more.
    expect(elapsed).toBeGreaterThan(1000);
    expect(elapsed).toBeLessThan(4500);
    const byPeriod = new Map<number, number>();
    for (const recorded of sim.requests)
      byPeriod.set(Math.floor(recorded.at / 1000), (byPeriod.get(Math.floor(recorded.at / 1000)) ?? 0) + 1);
    expect(Math.max(...byPeriod.values())).toBeLessThanOrEqual(10);
  });

  it("a fault of ours while sending one connection is that connection's unknown, and the others go on", async () => {
    sim = await Simulator.start();
    const ids = ["f1", "f2", "f3"].map(stableUuid);
    for (const id of ids) sim.put(storedHttp(id, "Old"));
    const real = client(sim);
    const api = {
      readConnection: (id: string) => real.readConnection(id),
      updateConnection: (id: string, body: UpdateRequest) =>
        id === ids[1] ? Promise.reject(new TypeError("boom: sk-never-printed")) : real.updateConnection(id, body),
    };
    const results = await execute(
      ids.map((id) => job(id, { name: "New" })),
      { api, dryRun: false, maxParallel: 2, readAnswer },
    );
    expect(results.map((result) => result.status)).toEqual(["updated", "unknown", "updated"]);
    expect(results[1]?.message).toBe(
      "Unexpected TypeError while sending; the update may have been applied. Check the connection in Datadog, and report it if it persists.",
    );
  });

  it("a cancelled fleet starts nothing more: the rest are not-sent", async () => {
    sim = await Simulator.start();
    const ids = ["c1", "c2", "c3"].map(stableUuid);
    for (const id of ids) sim.put(storedHttp(id, "Old"));
    const cancel = new AbortController();
    const results = await execute(
      ids.map((id) => job(id, { name: "New" })),
      {
        api: client(sim),
        dryRun: false,
        maxParallel: 1,
        readAnswer,
        signal: cancel.signal,
        onResult: () => cancel.abort("SIGTERM"),
      },
    );
    expect(results.map((result) => result.status)).toEqual(["updated", "not-sent", "not-sent"]);
  });
});
