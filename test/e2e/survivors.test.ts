/**
 * Behaviours a mutation of the code once left every test green (issue 9, item 7), each tested through
 * the bundle at its exact boundary: the summary's escaping of text from outside, the 4 MiB limit on
 * Datadog's answer, and how far a typo may be from a field for "did you mean".
 */
import { describe, expect, it } from "vitest";
import { KINDS, type Kind } from "../fixtures.ts";
import { type ActionRun, runAction, summaryText } from "../harness/runner.ts";
import { type Scripted, SIM_API_KEY, SIM_APP_KEY, Simulator } from "../simulator/server.ts";

const OPENAI = KINDS.find((kind) => kind.kind.type === "OpenAIAPIKey") as Kind;

async function run(
  patch: string,
  script: Scripted[] = [],
): Promise<{ result: ActionRun; requests: number; host: string }> {
  const simulator = await Simulator.start();
  try {
    simulator.script(...script);
    const result = await runAction({
      inputs: {
        "connection-id": OPENAI.id,
        patch,
        "api-url": simulator.url,
        "api-key": SIM_API_KEY,
        "app-key": SIM_APP_KEY,
      },
    });
    return { result, requests: simulator.requests.length, host: new URL(simulator.url).host };
  } finally {
    await simulator.close();
  }
}

const errors = (result: ActionRun) =>
  result.commands.filter((command) => command.command === "error").map((command) => command.message);

describe.concurrent("the job summary shows text from outside as text", () => {
  it("a connection name holding HTML is not HTML in the summary", async () => {
    const name = 'Prod <b>bold</b> <img src="x" onerror="alert(1)"> & co';
    const { result } = await run(`name: '${name}'`);
    expect(result.exitCode, result.maskedLog).toBe(0);
    expect(result.summary).not.toContain("<b>");
    expect(result.summary).not.toContain("<img");
    expect(summaryText(result.summary).split("\n")).toContain(`Connection: ${name} (${OPENAI.id})`);
  });
});

/** A 200 answer for the OpenAI connection whose body is exactly `bytes` long (padded with spaces). */
function answerOf(bytes: number): Scripted {
  const data = {
    id: OPENAI.id,
    type: "action_connection",
    attributes: {
      name: "Renamed",
      integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey", api_token: "" } },
    },
  };
  const json = JSON.stringify({ data });
  return {
    kind: "answer",
    status: 200,
    headers: { "content-type": "application/vnd.api+json" },
    body: json + " ".repeat(bytes - Buffer.byteLength(json)),
  };
}

describe.concurrent("Datadog's answer is read up to 4 MiB", () => {
  const MiB4 = 4 * 1024 * 1024;

  it("an answer of exactly 4 MiB is read", async () => {
    const { result } = await run("name: Renamed", [answerOf(MiB4)]);
    expect(result.exitCode, result.maskedLog).toBe(0);
    expect(result.outputs.name).toBe("Renamed");
  });

  it("an answer one byte over 4 MiB is not read, and the step says the update may have been applied", async () => {
    const { result, requests, host } = await run("name: Renamed", [answerOf(MiB4 + 1)]);
    expect(result.exitCode, result.maskedLog).toBe(1);
    expect(requests).toBe(1);
    expect(errors(result)).toEqual([
      `Could not update the connection on ${host} (api-url): the answer was larger than 4 MiB, which no action connection is. The update may have been applied: check the connection in Datadog.`,
    ]);
    expect(Object.keys(result.outputs)).toEqual(["results"]);
    expect(JSON.parse(result.outputs.results ?? "[]")[0].status).toBe("unknown");
  });
});

describe.concurrent("did you mean: at most one edit for a name of four letters or fewer, two for longer", () => {
  const patch = (key: string) =>
    `integration: {type: OpenAI, credentials: {type: OpenAIAPIKey, api_token: sk-proj-abc, ${key}: 1}}`;
  const refusal = (key: string, rest: string) =>
    `patch: integration.credentials.${key}: unknown field; ${rest} (line 1, column ${patch(key).indexOf(`${key}:`) + 1})`;

  it.each([
    // Four letters, one edit (a swap) from `type`: suggested.
    ["tpye", "did you mean type?"],
    // Four letters, two edits from `type`: not.
    ["tapa", "expected one of type, api_token"],
    // Five letters, two edits from `type`: suggested.
    ["typxy", "did you mean type?"],
    // Nine letters, three edits from `api_token`: not.
    ["apx_tkxn", "expected one of type, api_token"],
    // Eight letters, two edits from `api_token`: suggested.
    ["apx_tokn", "did you mean api_token?"],
  ])("%s: %s", async (key, rest) => {
    const { result, requests } = await run(patch(key));
    expect(result.exitCode, result.maskedLog).toBe(1);
    expect(requests).toBe(0);
    expect(errors(result)).toEqual([refusal(key, rest)]);
  });
});
