import { describe, expect, it } from "vitest";
import { describeAnswer, describeGiveUp, errorDetail } from "../../src/datadog/explain.ts";

const where = { label: "datadoghq.eu", input: "site" };
const ID = "cb460d51-3c88-4e87-adac-d47131d0423d";
const answer = (status: number, statusText: string, text: string, contentType = "application/vnd.api+json") => ({
  status,
  statusText,
  text,
  headers: { "content-type": contentType },
});

describe("errorDetail reads every shape of error body", () => {
  it.each([
    ['{"errors":[{"title":"Generic Error","detail":"connection not found"}]}', "Generic Error: connection not found"],
    ['{"errors":["Forbidden"]}', "Forbidden"],
    ['{"errors":["a","b"]}', "a; b"],
    ['{"errors":[{"status":"400"}]}', undefined],
    ["", undefined],
    ["<html><body>502 Bad Gateway</body></html>", undefined],
    ["not json at all", undefined],
    ['{"message":"other shape"}', undefined],
    ['{"errors":["line one\\nline two\\u0007"]}', "line one line two"],
  ])("%s", (text, expected) => {
    expect(errorDetail(text, "application/json")).toBe(expected);
  });

  it("shortens a long detail to 500 characters", () => {
    expect(errorDetail(JSON.stringify({ errors: ["x".repeat(2000)] }), undefined)).toHaveLength(500);
  });
});

describe("describeAnswer says what to do", () => {
  it("400 shows Datadog's detail", () => {
    const body = '{"errors":[{"title":"Generic Error","detail":"AccountId: value does not match regex pattern"}]}';
    expect(describeAnswer(answer(400, "Bad Request", body), ID, where).message).toBe(
      "Datadog refused the patch (400 Bad Request): Generic Error: AccountId: value does not match regex pattern. Fix the patch and run again.",
    );
  });

  it("403 says the keys were refused and how to register the application key", () => {
    expect(describeAnswer(answer(403, "Forbidden", '{"errors":["Forbidden"]}'), ID, where).message).toBe(
      "Datadog refused the keys (403 Forbidden): Forbidden. Check that api-key and app-key belong to the organization on datadoghq.eu, and that the application key is registered for Actions (PUT /api/v2/actions/app_key_registrations/{app_key_id}, see https://docs.datadoghq.com/api/latest/action-connection/#register-a-new-app-key).",
    );
  });

  it("404 names the connection and the site", () => {
    expect(describeAnswer(answer(404, "Not Found", ""), ID, where).message).toBe(
      `Datadog found no connection ${ID} on datadoghq.eu (404 Not Found). Check connection-id, and that site names the site the connection lives on.`,
    );
  });

  it("an HTML error page is not quoted", () => {
    expect(describeAnswer(answer(409, "Conflict", "<html>x</html>", "text/html"), ID, where).message).toBe(
      "Datadog refused the update (409 Conflict).",
    );
  });
});

describe("describeGiveUp", () => {
  it("names the rate limit, the attempts and the last status", () => {
    const outcome = { kind: "answer" as const, status: 429, headers: { "x-ratelimit-name": "action_connections" } };
    expect(describeGiveUp(outcome, { action: "give-up", why: "exhausted" }, 4, where, 60_000).message).toBe(
      "Datadog's rate limit (action_connections) refused the update 4 times (last answer 429 Too Many Requests). Run the job later, or raise max-retries and timeout-seconds.",
    );
  });

  it("says which deadline a rate-limit wait would pass", () => {
    const outcome = { kind: "answer" as const, status: 429, headers: { "x-ratelimit-name": "action_connections" } };
    expect(
      describeGiveUp(outcome, { action: "give-up", why: "deadline", delayMs: 30_000 }, 1, where, 10_000).message,
    ).toBe(
      "Datadog's rate limit (action_connections) refused the update and resets in 30.0 s, after timeout-seconds (10 s) would pass (1 attempt, last answer 429 Too Many Requests). Run the job later, or raise timeout-seconds.",
    );
  });

  it("names the server errors and the deadline", () => {
    const outcome = { kind: "answer" as const, status: 503, headers: {} };
    expect(describeGiveUp(outcome, { action: "give-up", why: "exhausted" }, 4, where, 60_000).message).toBe(
      "Datadog failed to answer 4 attempts (last answer 503 Service Unavailable). Datadog may be having trouble (https://status.datadoghq.com); run the job again later.",
    );
    expect(describeGiveUp(outcome, { action: "give-up", why: "deadline" }, 2, where, 5_000).message).toBe(
      "Datadog failed to answer 2 attempts (last answer 503 Service Unavailable); the next try would pass timeout-seconds (5 s). Datadog may be having trouble (https://status.datadoghq.com); run the job again later.",
    );
  });

  it("names the network failure", () => {
    const outcome = { kind: "network" as const, reason: "connection refused", retryable: true };
    expect(describeGiveUp(outcome, { action: "give-up", why: "exhausted" }, 4, where, 60_000).message).toBe(
      "Could not reach datadoghq.eu after 4 attempts: connection refused. Check the network, the proxy settings (HTTPS_PROXY, NO_PROXY) and api-url, then run the job again.",
    );
  });
});
