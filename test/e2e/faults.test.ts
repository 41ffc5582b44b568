/**
 * Faults end to end: the bundled action, run as a runner runs it, against the simulator's scripted
 * misbehaviour and against test proxies. Each test asserts the outcome (exit code, outputs), how many
 * requests were made, the exact message a person reads, and the retry lines; none prints a stack.
 *
 * Every test has its own simulator, so most run concurrently; those that measure time run first,
 * alone ({ concurrent: false }). FAULT_TIMINGS=1 prints each fault's outcome and duration at the end.
 *
 * Wall-clock bounds: a run's duration includes starting Node and the bundle and, on a loaded machine
 * (CI: 2 cores, two test files at once, each spawning several actions), seconds of scheduling. A
 * bound is therefore the limit the action must keep plus SLACK_MS, and each is chosen so that the
 * failure it guards against (a wait not cut, a socket keeping the process alive) lands far above it.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KINDS, ROTATE_EXTERNAL_ID } from "../fixtures.ts";
import { loopbackOnly } from "../harness/loopback-only.ts";
import { closedPort, TestProxy } from "../harness/proxy.ts";
import { type ActionRun, type RunOptions, runAction, summaryText } from "../harness/runner.ts";
import { type Scripted, SIM_API_KEY, SIM_APP_KEY, Simulator } from "../simulator/server.ts";

const kindId = (type: string) => KINDS.find((kind) => kind.kind.type === type)?.id ?? "";
const OPENAI = kindId("OpenAIAPIKey");
const AWS = kindId("AWSAssumeRole");
const RENAME = "name: Rotated\n";

interface Timing {
  fault: string;
  exitCode: number | null;
  requests: number;
  message: string;
  ms: number;
}
const timings: Timing[] = [];
afterAll(() => {
  if (!process.env.FAULT_TIMINGS) return;
  for (const timing of timings) {
    console.log(
      `| ${timing.fault} | ${timing.exitCode} | ${timing.requests} | ${timing.message} | ${(timing.ms / 1000).toFixed(2)} s |`,
    );
  }
});

interface Faulted {
  run: ActionRun;
  sim: Simulator;
  /** Error annotations, as the runner shows them. */
  errors: string[];
  warnings: string[];
  /** The info lines before each retry. */
  retries: string[];
  /** Attempts the action made, from its debug lines. */
  attempts: number;
}

/**
 * Runs the action against a fresh simulator that answers `script` first; `inputs` and `run` add to
 * or replace the defaults (rename the OpenAI connection through api-url).
 */
async function fault(
  name: string,
  script: Scripted[],
  inputs: Record<string, string> = {},
  run: (sim: Simulator) => Partial<RunOptions> = () => ({}),
): Promise<Faulted> {
  const sim = await Simulator.start();
  try {
    sim.script(...script);
    const result = await runAction({
      inputs: {
        "connection-id": OPENAI,
        patch: RENAME,
        "api-url": sim.url,
        "api-key": SIM_API_KEY,
        "app-key": SIM_APP_KEY,
        ...inputs,
      },
      ...run(sim),
    });
    const messages = (command: string) =>
      result.commands.filter((entry) => entry.command === command).map((entry) => entry.message);
    const faulted: Faulted = {
      run: result,
      sim,
      errors: messages("error"),
      warnings: messages("warning"),
      retries: result.maskedLog.split("\n").filter((line) => line.includes(": retrying in ")),
      attempts: messages("debug").filter((line) => /^PATCH \S+ \(attempt \d+,/.test(line)).length,
    };
    // Never a stack trace, never anything on stderr.
    expect(result.stderr).toBe("");
    expect(result.maskedLog).not.toMatch(/^\s+at /m);
    expect(result.timedOut).toBe(false);
    timings.push({
      fault: name,
      exitCode: result.exitCode,
      requests: faulted.attempts,
      message: faulted.errors[0] ?? faulted.retries.at(-1) ?? "",
      ms: result.durationMs,
    });
    return faulted;
  } finally {
    await sim.close();
  }
}

/** Waits (at most 10 s, a loaded machine's worst) until the condition holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * What a spawned action may take beyond the limit it keeps: starting Node and the bundle, writing the
 * summary, exiting, and the parent seeing it exit, on a loaded machine.
 */
const SLACK_MS = 3000;

const answered = (attempts: number) => new RegExp(`^Datadog answered 200 after ${attempts} attempts? \\(`, "m");

// Never concurrent with another test of this file: the 429 wait is measured between the two requests
// the simulator received, and only this test's action and simulator may be running then.
describe("measured: one at a time", { concurrent: false }, () => {
  it("429 with X-RateLimit-Reset: 1 waits 1 s (at most 0.3 s more), then succeeds", async () => {
    const { run, sim, retries, errors } = await fault("429 with reset 1 s, then 200", [
      { kind: "rate-limit", reset: 1 },
    ]);
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(errors).toEqual([]);
    expect(sim.requests).toHaveLength(2);
    // The wait the action chose, as its log says it (the reset, plus up to 0.1 s of jitter).
    expect(retries).toHaveLength(1);
    const said = /^Rate limited \(action_connections\): retrying in (1\.[01]) s \(attempt 2 of 4\)$/.exec(
      retries[0] ?? "",
    );
    expect(said, retries[0]).not.toBeNull();
    const chosenMs = Number(said?.[1]) * 1000;
    // The wait that really happened: from the first request's arrival to the second's. Never shorter
    // than the reset nor than the wait announced (rounded to 0.1 s); at most 0.3 s longer than the reset.
    const [first, second] = sim.requests;
    const waited = (second?.at ?? 0) - (first?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(waited).toBeGreaterThanOrEqual(chosenMs - 50);
    expect(waited).toBeLessThanOrEqual(1300);
    expect(run.maskedLog).toMatch(answered(2));
    expect(run.outputs.name).toBe("Rotated");
  });

  it("SIGTERM while waiting for an answer: exits at once (not at the 20 s attempt limit), says the update may be applied", async () => {
    const { run, sim, errors, attempts } = await fault("SIGTERM during a hang", [{ kind: "hang" }], {}, (sim) => ({
      signal: { name: "SIGTERM", when: until(() => sim.requests.length === 1) },
    }));
    expect(run.exitCode).toBe(1);
    expect(run.signal).toBeNull();
    // Unanswered, the attempt would end at its limit (20 s with the default timeout-seconds of 60).
    expect(run.durationMs - (run.signalSentMs ?? Number.NaN)).toBeLessThan(SLACK_MS);
    expect(attempts).toBe(1);
    expect(errors).toEqual([
      `Cancelled (SIGTERM) while waiting for ${new URL(sim.url).host} (api-url) to answer (attempt 1 of 4); the update may have been applied: check the connection in Datadog.`,
    ]);
  });

  it("SIGINT during a rate-limit wait: exits at once (not after the 30 s wait), says nothing was applied", async () => {
    const { run, sim, errors, retries } = await fault(
      "SIGINT during a 30 s rate-limit wait",
      [{ kind: "rate-limit", reset: 30 }],
      {},
      () => ({ signal: { name: "SIGINT", whenOutput: "Rate limited (" } }),
    );
    expect(run.exitCode).toBe(1);
    expect(run.durationMs - (run.signalSentMs ?? Number.NaN)).toBeLessThan(SLACK_MS);
    expect(sim.requests).toHaveLength(1);
    expect(retries).toHaveLength(1);
    expect(errors).toEqual([
      "Cancelled (SIGINT) while waiting to retry (attempt 2 of 4); Datadog had not applied the update.",
    ]);
  });
});

describe.concurrent("rate limits and server errors", () => {
  it("429 without rate-limit headers backs off, then succeeds", async ({ expect }) => {
    const { run, sim, retries } = await fault("429 without headers, then 200", [{ kind: "rate-limit", body: "empty" }]);
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(sim.requests).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatch(/^Rate limited: retrying in (0\.\d|1\.0) s \(attempt 2 of 4\)$/);
  });

  it("429 until max-retries is spent: names the limit, the attempts and the last status", async ({ expect }) => {
    const limited: Scripted = { kind: "rate-limit", reset: 0 };
    const { run, sim, errors, retries } = await fault("429 until max-retries (1) is spent", [limited, limited], {
      "max-retries": "1",
    });
    expect(run.exitCode).toBe(1);
    expect(sim.requests).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(errors).toEqual([
      "Datadog's rate limit (action_connections) refused the update 2 times (last answer 429 Too Many Requests). Run the job later, or raise max-retries and timeout-seconds.",
    ]);
  });

  it("429 whose reset is past timeout-seconds: fails at once and says so", async ({ expect }) => {
    const { run, sim, errors, retries } = await fault(
      "429 with reset 30 s, timeout-seconds 10",
      [{ kind: "rate-limit", reset: 30 }],
      {
        "timeout-seconds": "10",
      },
    );
    expect(run.exitCode).toBe(1);
    // At once: not after waiting out timeout-seconds (10 s), let alone the reset (30 s).
    expect(run.durationMs).toBeLessThan(SLACK_MS + 2000);
    expect(sim.requests).toHaveLength(1);
    expect(retries).toEqual([]);
    // The reset as the action would have waited it: 30 s plus its jitter (under 0.1 s).
    const reset = /resets in (30\.[01]) s/.exec(errors[0] ?? "")?.[1];
    expect(errors).toEqual([
      `Datadog's rate limit (action_connections) refused the update and resets in ${reset} s, after timeout-seconds (10 s) would pass (1 attempt, last answer 429 Too Many Requests). Run the job later, or raise timeout-seconds.`,
    ]);
  });

  it("5xx, then success", async ({ expect }) => {
    const { run, sim, retries } = await fault("503, then 200", [{ kind: "answer", status: 503 }]);
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(sim.requests).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatch(
      /^Datadog answered 503 Service Unavailable: retrying in (0\.\d|1\.0) s \(attempt 2 of 4\)$/,
    );
    expect(run.maskedLog).toMatch(answered(2));
  });

  it("5xx until retries run out (HTML, JSON, plain text): names the last status", async ({ expect }) => {
    const { run, sim, errors, retries } = await fault(
      "5xx until max-retries (2) is spent",
      [
        { kind: "html", status: 502 },
        { kind: "answer", status: 503, body: { errors: ["Service Unavailable"] } },
        { kind: "non-json", status: 500 },
      ],
      { "max-retries": "2" },
    );
    expect(run.exitCode).toBe(1);
    expect(sim.requests).toHaveLength(3);
    expect(retries.map((line) => line.replace(/in \d\.\d s/, "in N s"))).toEqual([
      "Datadog answered 502 Bad Gateway: retrying in N s (attempt 2 of 3)",
      "Datadog answered 503 Service Unavailable: retrying in N s (attempt 3 of 3)",
    ]);
    expect(errors).toEqual([
      "Datadog answered 3 attempts with a server error (last answer 500 Internal Server Error). Datadog may be having trouble (https://status.datadoghq.com); run the job again later.",
    ]);
  });
});

describe.concurrent("the network", () => {
  it("connection reset, then success", async ({ expect }) => {
    const { run, sim, retries } = await fault("connection reset, then 200", [{ kind: "reset" }]);
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(sim.requests).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatch(/^Network error \(connection reset\): retrying in (0\.\d|1\.0) s \(attempt 2 of 4\)$/);
  });

  it("connection refused: retried, then says where to look", async ({ expect }) => {
    const port = await closedPort();
    const { run, errors, retries, attempts } = await fault("connection refused (max-retries 1)", [], {
      "api-url": `http://127.0.0.1:${port}`,
      "max-retries": "1",
    });
    expect(run.exitCode).toBe(1);
    expect(attempts).toBe(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatch(/^Network error \(connection refused\): retrying in (0\.\d|1\.0) s \(attempt 2 of 2\)$/);
    expect(errors).toEqual([
      `Could not reach 127.0.0.1:${port} (api-url) in 2 attempts: connection refused. Check the network, the proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and api-url, then run the job again.`,
    ]);
  });

  it("a hang is bounded by timeout-seconds, with a retry inside it", async ({ expect }) => {
    const hang: Scripted = { kind: "hang" };
    const { run, sim, errors, retries } = await fault("hang, timeout-seconds 3", [hang, hang, hang, hang], {
      "timeout-seconds": "3",
    });
    expect(run.exitCode).toBe(1);
    // Held until timeout-seconds, not past it (the hangs never end: only the deadline stops them).
    expect(run.durationMs).toBeGreaterThanOrEqual(3000);
    expect(run.durationMs).toBeLessThan(3000 + SLACK_MS);
    expect(sim.requests).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatch(
      /^Network error \(no answer within 1\.5 s, the limit of one attempt\): retrying in (0\.\d|1\.0) s \(attempt 2 of 4\)$/,
    );
    expect(errors).toEqual([
      `No answer from ${new URL(sim.url).host} (api-url) in 2 attempts: timeout-seconds (3 s) passed while waiting for an answer. The update may have been applied: check the connection in Datadog, or run the job again with a larger timeout-seconds.`,
    ]);
  });

  it("a slow body is cut at the attempt's limit and retried", async ({ expect }) => {
    const { run, sim, retries } = await fault(
      "slow body (20 s), then 200; timeout-seconds 3",
      [{ kind: "slow-body", delayMs: 20_000 }],
      {
        "timeout-seconds": "3",
      },
    );
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(sim.requests).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatch(
      /^Network error \(the answer was not complete within 1\.5 s, the limit of one attempt\): retrying in (0\.\d|1\.0) s \(attempt 2 of 4\)$/,
    );
    // Within timeout-seconds: the first body, had it been awaited, would have ended after 20 s.
    expect(run.durationMs).toBeLessThan(3000 + SLACK_MS);
  });

  it("a 200 whose body never ends does not hold the step past timeout-seconds", async ({ expect }) => {
    const stall: Scripted = { kind: "slow-body", delayMs: 20_000 };
    const { run, sim, errors } = await fault(
      "200 with a body stalled 20 s, timeout-seconds 3",
      [stall, stall, stall, stall],
      {
        "timeout-seconds": "3",
      },
    );
    expect(run.exitCode).toBe(1);
    // Within timeout-seconds: not held by the stalled bodies (20 s).
    expect(run.durationMs).toBeLessThan(3000 + SLACK_MS);
    expect(sim.requests).toHaveLength(2);
    expect(errors).toEqual([
      `No answer from ${new URL(sim.url).host} (api-url) in 2 attempts: timeout-seconds (3 s) passed before the answer was complete. The update may have been applied: check the connection in Datadog, or run the job again with a larger timeout-seconds.`,
    ]);
  });

  it("a retried rotation: the external-id output is the one of the last answer", async ({ expect }) => {
    let before: unknown;
    const { run, sim, retries } = await fault(
      "rotation applied, then connection reset; retried",
      [{ kind: "apply-then-reset" }],
      { "connection-id": AWS, patch: ROTATE_EXTERNAL_ID },
      (simulator) => {
        before = credentials(simulator.connection(AWS)).external_id;
        return {};
      },
    );
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(sim.requests).toHaveLength(2);
    expect(retries).toHaveLength(1);
    const stored = credentials(sim.connection(AWS)).external_id;
    expect(stored).not.toBe(before);
    expect(run.outputs["external-id"]).toBe(stored);
    expect(credentials(JSON.parse(run.outputs.connection ?? "{}")).external_id).toBe(stored);
    expect(run.maskedLog).toContain(
      "An earlier attempt may also have generated an external ID; the external-id output is the one in Datadog's last answer, which is current.",
    );
  });
});

function credentials(data: unknown): Record<string, unknown> {
  return (data as { attributes: { integration: { credentials: Record<string, unknown> } } }).attributes.integration
    .credentials;
}

describe.concurrent("reading the answer", () => {
  it("a 200 that is not JSON: a clear failure that says the update was applied", async ({ expect }) => {
    const { run, sim, errors, retries } = await fault("200 that is not JSON", [{ kind: "non-json", status: 200 }]);
    expect(run.exitCode).toBe(1);
    expect(sim.requests).toHaveLength(1);
    expect(retries).toEqual([]);
    expect(errors).toEqual([
      "Datadog answered 200: the update was applied, but the answer is not JSON. Only the connection-id output is set; check the connection in Datadog.",
    ]);
    expect(run.outputs).toEqual({ "connection-id": OPENAI, results: run.outputs.results });
    expect(JSON.parse(run.outputs.results ?? "[]")[0].status).toBe("updated");
  });

  it("a 200 whose JSON is not an action connection: a clear failure", async ({ expect }) => {
    const { run, errors } = await fault("200 with JSON of another shape", [
      { kind: "answer", status: 200, body: { data: { id: 42, type: "user" } } },
    ]);
    expect(run.exitCode).toBe(1);
    expect(errors).toEqual([
      "Datadog answered 200: the update was applied, but its body is not an action connection (data.id, data.type, data.attributes). Only the connection-id output is set; check the connection in Datadog.",
    ]);
  });

  it("a 200 with fields nobody knows yet is read", async ({ expect }) => {
    const body = {
      data: {
        id: OPENAI,
        type: "action_connection",
        attributes: {
          name: "Rotated",
          integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey", api_token: "", rotated_by: "x" } },
          future_attribute: { nested: [1, 2] },
        },
        relationships: { created_by: { data: { id: "u", type: "users" } }, team: { data: null } },
      },
      meta: { version: 2 },
      included: [],
    };
    const { run, errors, warnings } = await fault("200 with unknown fields", [{ kind: "answer", status: 200, body }]);
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(run.outputs.name).toBe("Rotated");
  });

  it("an HTML error page is not quoted", async ({ expect }) => {
    const { run, sim, errors } = await fault("403 as an HTML page", [{ kind: "html", status: 403 }]);
    expect(run.exitCode).toBe(1);
    expect(sim.requests).toHaveLength(1);
    expect(errors).toEqual([
      `Datadog refused the keys (403 Forbidden). Check that api-key and app-key belong to the organization on ${new URL(sim.url).host} (api-url), and that the application key is registered for Actions (PUT /api/v2/actions/app_key_registrations/{app_key_id} with the key's UUID, see https://docs.datadoghq.com/api/latest/action-connection/#register-a-new-app-key) or has "Actions API access" enabled in its settings in Datadog.`,
    ]);
    expect(run.maskedLog).not.toMatch(/<html|nginx/);
  });

  it("an empty error body", async ({ expect }) => {
    const { run, sim, errors } = await fault("400 with an empty body", [{ kind: "answer", status: 400, body: "" }]);
    expect(run.exitCode).toBe(1);
    expect(sim.requests).toHaveLength(1);
    expect(errors).toEqual(["Datadog refused the patch (400 Bad Request). Fix the patch and run again."]);
    // A scheduled run's page shows the summary first: it says what went wrong too.
    expect(summaryText(run.summary)).toBe(
      "Datadog connection: not updated\n\n- Datadog refused the patch (400 Bad Request). Fix the patch and run again.\n\nWorkflow run (https://github.com/acme/platform/actions/runs/42)",
    );
  });

  it("an answer that differs from the patch is a warning", async ({ expect }) => {
    const body = {
      data: {
        id: OPENAI,
        type: "action_connection",
        attributes: {
          name: "Not what was sent",
          integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey" } },
        },
      },
    };
    const { run, warnings } = await fault("200 echoing another name", [{ kind: "answer", status: 200, body }]);
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(warnings).toEqual(["Datadog's answer differs from the patch at name; check the connection in Datadog."]);
  });

  it("a line break in an answered name cannot start a workflow command", async ({ expect }) => {
    const body = {
      data: {
        id: OPENAI,
        type: "action_connection",
        attributes: {
          name: "Prod\n::error title=Injected::from Datadog's answer",
          integration: { type: "OpenAI\n::warning::injected", credentials: { type: "OpenAIAPIKey" } },
        },
      },
    };
    const { run, errors } = await fault("200 with a name holding a line break", [
      { kind: "answer", status: 200, body },
    ]);
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(errors).toEqual([]);
    expect(run.commands.filter((command) => command.command === "warning").map((command) => command.message)).toEqual([
      "Datadog's answer differs from the patch at name; check the connection in Datadog.",
    ]);
    expect(run.maskedLog).toContain('connection "Prod\\n::error title=Injected::from Datadog\'s answer"');
  });
});

describe.concurrent("proxies", () => {
  async function withProxy<T>(proxy: Promise<TestProxy>, use: (proxy: TestProxy) => Promise<T>): Promise<T> {
    const started = await proxy;
    try {
      return await use(started);
    } finally {
      await started.close();
    }
  }

  it.for(["HTTPS_PROXY", "https_proxy"])(
    "%s refusing the tunnel to api.datadoghq.eu:443: a clear failure, nothing else contacted",
    async (variable, { expect }) => {
      const folder = await mkdtemp(join(tmpdir(), "faults-"));
      const guardLog = join(folder, "outside-loopback.log");
      try {
        await withProxy(TestProxy.start({ mode: "refuse" }), async (proxy) => {
          const { run, errors, retries } = await fault(
            `${variable} refuses CONNECT (403), site datadoghq.eu`,
            [],
            { site: "datadoghq.eu", "api-url": "" },
            () => ({ env: { [variable]: proxy.url, ...loopbackOnly(guardLog) } }),
          );
          expect(run.exitCode).toBe(1);
          expect(proxy.connects.map((connect) => connect.target)).toEqual(["api.datadoghq.eu:443"]);
          expect(proxy.forwarded).toEqual([]);
          expect(retries).toEqual([]);
          expect(errors).toEqual([
            `Could not update the connection on datadoghq.eu: the proxy in ${variable} refused the tunnel to api.datadoghq.eu:443 with 403 Forbidden; ask for that host to be allowed, or check ${variable} and NO_PROXY.`,
          ]);
          expect(run.maskedLog).not.toContain(String(proxy.port));
        });
        // Nothing beyond loopback was even looked up.
        expect(await readFile(guardLog, "utf8").catch(() => "")).toBe("");
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    },
  );

  // The proxy would tunnel (to loopback): if the action used it, the CONNECT would show here.
  it.for([
    ["HTTP_PROXY", "127.0.0.1", (proxy: TestProxy) => ({ HTTP_PROXY: proxy.url })],
    [
      "http_proxy and HTTPS_PROXY",
      "127.0.0.1",
      (proxy: TestProxy) => ({ http_proxy: proxy.url, HTTPS_PROXY: proxy.url }),
    ],
    [
      "HTTP_PROXY, NO_PROXY of another host",
      "127.0.0.1",
      (proxy: TestProxy) => ({ HTTP_PROXY: proxy.url, NO_PROXY: "example.com" }),
    ],
    ["HTTP_PROXY", "localhost", (proxy: TestProxy) => ({ HTTP_PROXY: proxy.url })],
  ] as const)(
    "%s with api-url on %s: loopback is never proxied, the keys never cross the proxy",
    async ([, host, variables], { expect }) => {
      await withProxy(TestProxy.start({ mode: "tunnel" }), async (proxy) => {
        const env = variables(proxy);
        const { run, sim } = await fault(`loopback api-url (${host}) with a proxy set`, [], {}, (sim) => ({
          env,
          inputs: {
            "connection-id": OPENAI,
            patch: RENAME,
            "api-url": sim.url.replace("127.0.0.1", host),
            "api-key": SIM_API_KEY,
            "app-key": SIM_APP_KEY,
          },
        }));
        expect(run.exitCode, run.maskedLog).toBe(0);
        expect(sim.requests).toHaveLength(1);
        expect(proxy.connects).toEqual([]);
        expect(proxy.forwarded).toEqual([]);
        expect(run.commands.filter((command) => command.message.startsWith("Sending through the proxy"))).toEqual([]);
      });
    },
  );

  it("a proxy variable that is not a URL is refused by name, its value unshown", async ({ expect }) => {
    const { run, errors, attempts } = await fault(
      "HTTPS_PROXY not a URL",
      [],
      { site: "datadoghq.eu", "api-url": "" },
      () => ({
        env: { HTTPS_PROXY: "http://ci:pr0xy-secret@[not-a-host" },
      }),
    );
    expect(run.exitCode).toBe(1);
    expect(attempts).toBe(0);
    expect(errors).toEqual([
      "HTTPS_PROXY is not a proxy URL such as http://proxy.example.com:3128 (http:// or https://); fix the variable or unset it.",
    ]);
    expect(run.maskedLog).not.toContain("pr0xy-secret");
  });
});
