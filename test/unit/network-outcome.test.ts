/**
 * Library errors → outcomes: the words come from error codes only (never from a library's message,
 * which may quote input or a proxy URL), and say whether a retry can help and whether the update
 * may have been applied.
 */
import { describe, expect, it } from "vitest";
import { type AttemptContext, networkOutcome } from "../../src/datadog/network-errors.ts";

const direct: AttemptContext = {
  answered: false,
  attemptMs: 1500,
  deadlineBound: false,
  timeoutMs: 3000,
  route: { kind: "direct" },
  host: "api.datadoghq.eu",
};
const proxied: AttemptContext = {
  ...direct,
  route: { kind: "proxy", variable: "https_proxy", target: "api.datadoghq.eu:443" },
};

/** fetch's shape: a TypeError whose cause carries the code; the message holds text we must not show. */
const fetchError = (code: string, message = "connect http://user:s3cret@proxy:3128") =>
  new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code }) });
const timeout = () => new DOMException("The operation was aborted due to timeout", "TimeoutError");

describe("networkOutcome", () => {
  it.each([
    ["ECONNREFUSED", "connection refused", true, false],
    ["ENOTFOUND", "DNS lookup of api.datadoghq.eu failed", true, false],
    ["EAI_AGAIN", "DNS lookup of api.datadoghq.eu failed", true, false],
    ["EHOSTUNREACH", "host unreachable", true, false],
    ["UND_ERR_CONNECT_TIMEOUT", "could not connect in time", true, false],
    ["ECONNRESET", "connection reset", true, true],
    ["UND_ERR_SOCKET", "connection closed before the answer", true, true],
    ["UND_ERR_HEADERS_TIMEOUT", "no answer in time", true, true],
    ["ANSWER_TOO_LARGE", "the answer was larger than 4 MiB, which no action connection is", false, true],
    ["EWHATEVER", "network error EWHATEVER", true, true],
  ])("%s → %s", (code, reason, retryable, mayHaveApplied) => {
    expect(networkOutcome(fetchError(code), direct)).toEqual({ kind: "network", reason, retryable, mayHaveApplied });
  });

  it("through a proxy, a failure to connect is the proxy's", () => {
    expect(networkOutcome(fetchError("ECONNREFUSED"), proxied)).toEqual({
      kind: "network",
      reason: "could not connect to the proxy in https_proxy (connection refused)",
      retryable: true,
      mayHaveApplied: false,
    });
    expect(networkOutcome(fetchError("ENOTFOUND"), proxied).reason).toBe(
      "could not connect to the proxy in https_proxy (DNS lookup failed)",
    );
  });

  it("reads only the status of a refused tunnel; 4xx is final, 5xx retried", () => {
    const refused = (status: number | string) =>
      new TypeError("fetch failed", {
        cause: Object.assign(new Error(`Proxy response (${status}) !== 200 when HTTP Tunneling`), {
          name: "AbortError",
          code: "UND_ERR_ABORTED",
        }),
      });
    expect(networkOutcome(refused(403), proxied)).toEqual({
      kind: "network",
      reason:
        "the proxy in https_proxy refused the tunnel to api.datadoghq.eu:443 with 403 Forbidden; ask for that host to be allowed, or check https_proxy and NO_PROXY",
      retryable: false,
      mayHaveApplied: false,
    });
    expect(networkOutcome(refused(503), proxied)).toMatchObject({
      reason:
        "the proxy in https_proxy could not open the tunnel to api.datadoghq.eu:443, answering 503 Service Unavailable",
      retryable: true,
    });
    expect(networkOutcome(refused("x"), proxied)).toMatchObject({
      reason:
        "the proxy in https_proxy refused the tunnel to api.datadoghq.eu:443; ask for that host to be allowed, or check https_proxy and NO_PROXY",
      retryable: false,
    });
  });

  it("a TLS failure is final and names the code, not the message", () => {
    const outcome = networkOutcome(fetchError("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), direct);
    expect(outcome).toMatchObject({ retryable: false, mayHaveApplied: false });
    expect(outcome.reason).toBe(
      "TLS failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE); check the host's certificate, or the CA of a proxy that inspects TLS (NODE_EXTRA_CA_CERTS)",
    );
  });

  it("a timeout says which limit passed: the attempt's, or timeout-seconds", () => {
    expect(networkOutcome(timeout(), direct)).toEqual({
      kind: "network",
      reason: "no answer within 1.5 s, the limit of one attempt",
      retryable: true,
      mayHaveApplied: true,
    });
    expect(networkOutcome(timeout(), { ...direct, answered: true }).reason).toBe(
      "the answer was not complete within 1.5 s, the limit of one attempt",
    );
    expect(networkOutcome(timeout(), { ...direct, deadlineBound: true })).toEqual({
      kind: "network",
      reason: "timeout-seconds (3 s) passed while waiting for an answer",
      retryable: true,
      mayHaveApplied: true,
      deadline: true,
    });
    expect(networkOutcome(timeout(), { ...direct, deadlineBound: true, answered: true }).reason).toBe(
      "timeout-seconds (3 s) passed before the answer was complete",
    );
  });

  it("never repeats a library's message", () => {
    for (const error of [fetchError("ECONNRESET"), fetchError("EODD"), new Error("boom s3cret"), "s3cret", undefined]) {
      for (const context of [direct, proxied]) expect(networkOutcome(error, context).reason).not.toMatch(/s3cret|boom/);
    }
  });
});
