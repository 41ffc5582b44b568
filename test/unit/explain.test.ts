import { describe, expect, it } from "vitest";
import {
  describeAnswer,
  describeCancel,
  describeGiveUp,
  describeNetworkError,
  describeRetry,
  errorDetail,
} from "../../src/datadog/explain.ts";

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
      `Datadog refused the keys (403 Forbidden): Forbidden. Check that api-key and app-key belong to the organization on datadoghq.eu, and that the application key is registered for Actions (PUT /api/v2/actions/app_key_registrations/{app_key_id} with the key's UUID, see https://docs.datadoghq.com/api/latest/action-connection/#register-a-new-app-key) or has "Actions API access" enabled in its settings in Datadog.`,
    );
  });

  it("404 names the connection and the site", () => {
    expect(describeAnswer(answer(404, "Not Found", ""), ID, where).message).toBe(
      `Datadog found no connection ${ID} on datadoghq.eu (404 Not Found). Check connection-id, and that site names the site the connection lives on.`,
    );
  });

  it("a redirect is not followed: the keys would go wherever it points", () => {
    expect(
      describeAnswer(answer(301, "Moved Permanently", ""), ID, { label: "gw.example.com (api-url)", input: "api-url" })
        .message,
    ).toBe(
      "gw.example.com (api-url) answered with a redirect (301 Moved Permanently), which the action does not follow. Check api-url.",
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
      "Datadog answered 4 attempts with a server error (last answer 503 Service Unavailable). Datadog may be having trouble (https://status.datadoghq.com); run the job again later.",
    );
    expect(describeGiveUp(outcome, { action: "give-up", why: "deadline" }, 2, where, 5_000).message).toBe(
      "Datadog answered 2 attempts with a server error (last answer 503 Service Unavailable); the next try would pass timeout-seconds (5 s). Datadog may be having trouble (https://status.datadoghq.com); run the job again later.",
    );
  });

  it("leaves the limit's name out when Datadog gave none", () => {
    const outcome = { kind: "answer" as const, status: 429, headers: {} };
    expect(describeGiveUp(outcome, { action: "give-up", why: "exhausted" }, 1, where, 60_000).message).toBe(
      "Datadog's rate limit refused the update 1 time (last answer 429 Too Many Requests). Run the job later, or raise max-retries and timeout-seconds.",
    );
  });

  it("names a network failure that sent nothing, and where to look", () => {
    const outcome = { kind: "network" as const, reason: "connection refused", retryable: true, mayHaveApplied: false };
    expect(describeGiveUp(outcome, { action: "give-up", why: "exhausted" }, 4, where, 60_000).message).toBe(
      "Could not reach datadoghq.eu in 4 attempts: connection refused. Check the network, the proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and site, then run the job again.",
    );
  });

  it("says a failure after sending may have applied the update", () => {
    const reset = { kind: "network" as const, reason: "connection reset", retryable: true, mayHaveApplied: true };
    expect(describeGiveUp(reset, { action: "give-up", why: "exhausted" }, 2, where, 60_000).message).toBe(
      "No answer from datadoghq.eu in 2 attempts: connection reset. The update may have been applied: check the connection in Datadog, or run the job again.",
    );
  });

  it("says which deadline passed: timeout-seconds, or the limit of one attempt", () => {
    const deadline = {
      kind: "network" as const,
      reason: "timeout-seconds (3 s) passed while waiting for an answer",
      retryable: true,
      mayHaveApplied: true,
      deadline: true,
    };
    expect(describeGiveUp(deadline, { action: "give-up", why: "deadline" }, 2, where, 3_000).message).toBe(
      "No answer from datadoghq.eu in 2 attempts: timeout-seconds (3 s) passed while waiting for an answer. The update may have been applied: check the connection in Datadog, or run the job again with a larger timeout-seconds.",
    );
    const attempt = {
      kind: "network" as const,
      reason: "no answer within 1.5 s, the limit of one attempt",
      retryable: true,
      mayHaveApplied: true,
    };
    expect(describeGiveUp(attempt, { action: "give-up", why: "deadline", delayMs: 900 }, 1, where, 3_000).message).toBe(
      "No answer from datadoghq.eu in 1 attempt: no answer within 1.5 s, the limit of one attempt; the next try would pass timeout-seconds (3 s). The update may have been applied: check the connection in Datadog, or run the job again with a larger timeout-seconds.",
    );
  });
});

describe("describeNetworkError: failures no retry mends", () => {
  it("names the reason, and whether the update may be applied", () => {
    const proxy = {
      kind: "network" as const,
      reason: "the proxy in HTTPS_PROXY refused the tunnel to api.datadoghq.eu:443 with 403 Forbidden",
      retryable: false,
      mayHaveApplied: false,
    };
    expect(describeNetworkError(proxy, where).message).toBe(
      "Could not update the connection on datadoghq.eu: the proxy in HTTPS_PROXY refused the tunnel to api.datadoghq.eu:443 with 403 Forbidden.",
    );
    const large = {
      kind: "network" as const,
      reason: "the answer was too large",
      retryable: false,
      mayHaveApplied: true,
    };
    expect(describeNetworkError(large, where).message).toBe(
      "Could not update the connection on datadoghq.eu: the answer was too large. The update may have been applied: check the connection in Datadog.",
    );
  });
});

describe("describeRetry: one info line per retry", () => {
  it.each([
    [
      { kind: "answer" as const, status: 429, headers: { "x-ratelimit-name": "action_connections" } },
      2000,
      "Rate limited (action_connections): retrying in 2.0 s (attempt 2 of 4)",
    ],
    [{ kind: "answer" as const, status: 429, headers: {} }, 430, "Rate limited: retrying in 0.4 s (attempt 2 of 4)"],
    [
      { kind: "answer" as const, status: 503, headers: {} },
      1234,
      "Datadog answered 503 Service Unavailable: retrying in 1.2 s (attempt 2 of 4)",
    ],
    [
      { kind: "answer" as const, status: 599, headers: {} },
      0,
      "Datadog answered 599: retrying in 0.0 s (attempt 2 of 4)",
    ],
    [
      { kind: "network" as const, reason: "connection reset", retryable: true, mayHaveApplied: true },
      800,
      "Network error (connection reset): retrying in 0.8 s (attempt 2 of 4)",
    ],
  ])("%j", (outcome, delayMs, line) => {
    expect(describeRetry(outcome, delayMs, 2, 4)).toBe(line);
  });
});

describe("describeCancel: where the update stood", () => {
  it.each([
    [{ state: "not-sent" as const }, "Cancelled (SIGTERM) before the update was sent; nothing changed."],
    [
      { state: "sending" as const, attempt: 1, total: 4 },
      "Cancelled (SIGTERM) while waiting for datadoghq.eu to answer (attempt 1 of 4); the update may have been applied: check the connection in Datadog.",
    ],
    [
      { state: "waiting" as const, attempt: 2, total: 4, mayHaveApplied: false },
      "Cancelled (SIGTERM) while waiting to retry (attempt 2 of 4); Datadog had not applied the update.",
    ],
    [
      { state: "waiting" as const, attempt: 3, total: 4, mayHaveApplied: true },
      "Cancelled (SIGTERM) while waiting to retry (attempt 3 of 4); an earlier attempt may have applied the update: check the connection in Datadog.",
    ],
  ])("%j", (progress, message) => {
    expect(describeCancel("SIGTERM", progress, where)).toEqual({ title: "Cancelled", message });
  });

  it("leaves the signal out when it is not known", () => {
    expect(describeCancel(undefined, { state: "not-sent" }, where).message).toBe(
      "Cancelled before the update was sent; nothing changed.",
    );
  });
});
