/**
 * Datadog's answers and the network's failures → messages that say what to do.
 *
 * Error bodies come in several shapes (JSON:API `errors` objects, a list of strings, empty, or an
 * HTML page from the edge); only text from a JSON body is quoted, cleaned and shortened.
 */
import type { Problem } from "../failure.ts";
import type { Decision, Outcome } from "./retry.ts";

/** The place a message names: `datadoghq.eu`, or the api-url host. */
export interface Where {
  readonly label: string;
  /** The input that chose it: `site` (or DD_SITE), or `api-url`. */
  readonly input: string;
}

interface AnswerLike {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly text: string;
}

const REGISTRATION =
  "PUT /api/v2/actions/app_key_registrations/{app_key_id}, see https://docs.datadoghq.com/api/latest/action-connection/#register-a-new-app-key";

const title = (status: number) =>
  status === 403 || status === 401 ? "Datadog refused the keys" : "Datadog refused the update";

export function describeAnswer(answer: AnswerLike, connectionId: string, where: Where): Problem {
  const status = `${answer.status} ${answer.statusText}`.trim();
  const detail = errorDetail(answer.text, answer.headers["content-type"]);
  const said = detail ? `: ${detail}` : "";
  if (answer.status === 400 || answer.status === 422) {
    return {
      title: title(answer.status),
      message: `Datadog refused the patch (${status})${said}. Fix the patch and run again.`,
    };
  }
  if (answer.status === 401 || answer.status === 403) {
    return {
      title: title(answer.status),
      message:
        `Datadog refused the keys (${status})${said}. Check that api-key and app-key belong to the organization on ` +
        `${where.label}, and that the application key is registered for Actions (${REGISTRATION}).`,
    };
  }
  if (answer.status === 404) {
    return {
      title: "Connection not found",
      message:
        `Datadog found no connection ${connectionId} on ${where.label} (${status}). Check connection-id, and that ` +
        `${where.input} names the site the connection lives on.`,
    };
  }
  return { title: title(answer.status), message: `Datadog refused the update (${status})${said}.` };
}

export function describeGiveUp(
  outcome: Outcome,
  decision: Extract<Decision, { action: "give-up" }>,
  attempts: number,
  where: Where,
  timeoutMs: number,
): Problem {
  const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
  const budget = `timeout-seconds (${timeoutMs / 1000} s)`;
  if (outcome.kind === "network") {
    const passed = decision.why === "deadline" ? `; the next try would pass ${budget}` : "";
    return {
      title: "Datadog could not be reached",
      message:
        `Could not reach ${where.label} after ${tries}: ${outcome.reason}${passed}. Check the network, the proxy ` +
        "settings (HTTPS_PROXY, NO_PROXY) and api-url, then run the job again.",
    };
  }
  const last = `last answer ${outcome.status} ${statusText(outcome.status)}`.trim();
  if (outcome.status === 429) {
    const limit = `Datadog's rate limit (${outcome.headers["x-ratelimit-name"] ?? "unnamed"})`;
    if (decision.why === "deadline") {
      return {
        title: "Datadog rate limit",
        message: `${limit} refused the update and resets in ${seconds(decision.delayMs ?? 0)} s, after ${budget} would pass (${tries}, ${last}). Run the job later, or raise timeout-seconds.`,
      };
    }
    return {
      title: "Datadog rate limit",
      message: `${limit} refused the update ${attempts} times (${last}). Run the job later, or raise max-retries and timeout-seconds.`,
    };
  }
  const stopped = decision.why === "deadline" ? `; the next try would pass ${budget}` : "";
  return {
    title: "Datadog is failing",
    message: `Datadog failed to answer ${tries} (${last})${stopped}. Datadog may be having trouble (https://status.datadoghq.com); run the job again later.`,
  };
}

export function describeNetworkError(outcome: Outcome & { kind: "network" }, where: Where): Problem {
  return {
    title: "Datadog could not be reached",
    message: `Could not update the connection through ${where.label}: ${outcome.reason}.`,
  };
}

/** Datadog's own words from an error body, cleaned; undefined for empty, HTML or unreadable bodies. */
export function errorDetail(text: string, contentType: string | undefined): string | undefined {
  const trimmed = text.trim();
  if (trimmed === "" || /html/i.test(contentType ?? "") || trimmed.startsWith("<")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  const errors = (parsed as { errors?: unknown })?.errors;
  if (!Array.isArray(errors)) return undefined;
  const parts = errors.flatMap((error) => {
    if (typeof error === "string") return [error];
    if (error && typeof error === "object") {
      const { detail, title } = error as { detail?: unknown; title?: unknown };
      const words = [title, detail].filter((part): part is string => typeof part === "string" && part.trim() !== "");
      return words.length ? [words.join(": ")] : [];
    }
    return [];
  });
  const joined = clean(parts.join("; "));
  return joined === "" ? undefined : joined;
}

/** One line of printable text, at most 500 characters. */
function clean(text: string): string {
  const line = text.replace(/[\p{Cc}\s]+/gu, " ").trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

/** `2.0` */
export function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? "";
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};
