/**
 * Datadog's answers and the network's failures → messages that say what to do.
 *
 * Error bodies come in several shapes (JSON:API `errors` objects, a list of strings, empty, or an
 * HTML page from the edge); only text from a JSON body is quoted, cleaned and shortened.
 */
import type { Problem } from "../failure.ts";
import { collapseSpace } from "../text.ts";
import type { Decision, NetworkOutcome, Outcome } from "./retry.ts";

/** The place a message names: `datadoghq.eu`, or the api-url host. */
export interface Where {
  readonly label: string;
  /** The input that chose it: `site` (or DD_SITE), or `api-url`. */
  readonly input: string;
  /** Where the connection's id was given, for a 404's advice: `connection-id` unless said otherwise. */
  readonly idFrom?: string;
}

interface AnswerLike {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly text: string;
}

/**
 * Datadog words the same need two ways: the key "registered for Actions" (the API, by the key's UUID,
 * not the key itself) or with "Actions API access" enabled (the key's page in Datadog).
 */
const REGISTRATION =
  "PUT /api/v2/actions/app_key_registrations/{app_key_id} with the key's UUID, see https://docs.datadoghq.com/api/latest/action-connection/#register-a-new-app-key";

const title = (status: number) =>
  status === 403 || status === 401 ? "Datadog refused the keys" : "Datadog refused the update";

export function describeAnswer(answer: AnswerLike, connectionId: string, where: Where): Problem {
  const status = `${answer.status} ${answer.statusText}`.trim();
  const detail = errorDetail(answer.text, answer.headers["content-type"]);
  // Our sentence goes on after it: "...for Actions. Check" rather than "...for Actions.. Check".
  const said = detail ? `: ${detail.replace(/\.+$/, "")}` : "";
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
        `${where.label}, and that the application key is registered for Actions (${REGISTRATION}) ` +
        `or has "Actions API access" enabled in its settings in Datadog.`,
    };
  }
  if (answer.status === 404) {
    return {
      title: "Connection not found",
      message:
        `Datadog found no connection ${connectionId} on ${where.label} (${status}). Check ${where.idFrom ?? "connection-id"}, and that ` +
        `${where.input === "api-url" ? "api-url leads to" : `${where.input} names`} the site the connection lives on.`,
    };
  }
  if (answer.status >= 300 && answer.status < 400) {
    // Following it would send the keys wherever the Location header points.
    return {
      title: "Unexpected redirect",
      message: `${where.label} answered with a redirect (${status}), which the action does not follow. Check ${where.input}.`,
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
  // The attempt ended in time, but the wait before the next one would not.
  const passed = decision.why === "deadline" && !(outcome.kind === "network" && outcome.deadline);
  const stopped = passed ? `; the next try would pass ${budget}` : "";
  if (outcome.kind === "network") {
    if (outcome.mayHaveApplied) {
      return {
        title: "Datadog did not answer",
        message:
          `No answer from ${where.label} in ${tries}: ${outcome.reason}${stopped}. The update may have been applied: ` +
          `check the connection in Datadog, or run the job again${decision.why === "deadline" ? " with a larger timeout-seconds" : ""}.`,
      };
    }
    return {
      title: "Datadog could not be reached",
      message:
        `Could not reach ${where.label} in ${tries}: ${outcome.reason}${stopped}. Check the network, the proxy ` +
        `settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and ${where.input}, then run the job again.`,
    };
  }
  const last = `${outcome.status} ${statusText(outcome.status)}`.trim();
  if (outcome.status === 429) {
    const name = outcome.headers["x-ratelimit-name"];
    const limit = `Datadog's rate limit${name ? ` (${name})` : ""}`;
    if (passed) {
      const reset = decision.delayMs === undefined ? "" : ` and resets in ${seconds(decision.delayMs)} s`;
      return {
        title: "Datadog rate limit",
        message: `${limit} refused the update${reset}, after ${budget} would pass (${tries}, last answer ${last}). Run the job later, or raise timeout-seconds.`,
      };
    }
    return {
      title: "Datadog rate limit",
      message: `${limit} refused the update ${attempts} time${attempts === 1 ? "" : "s"} (last answer ${last}). Run the job later, or raise max-retries and timeout-seconds.`,
    };
  }
  return {
    title: "Datadog is failing",
    message: `Datadog answered ${tries} with a server error (last answer ${last})${stopped}. Datadog may be having trouble (https://status.datadoghq.com); run the job again later.`,
  };
}

/** A network failure that no retry can mend (TLS, a proxy that refuses, an oversized answer). */
export function describeNetworkError(outcome: NetworkOutcome, where: Where): Problem {
  const applied = outcome.mayHaveApplied ? " The update may have been applied: check the connection in Datadog." : "";
  return {
    title: "Datadog could not be reached",
    message: `Could not update the connection on ${where.label}: ${outcome.reason}.${applied}`,
  };
}

/** The info line before a wait: `Rate limited (action_connections): retrying in 2.0 s (attempt 2 of 4)`. */
export function describeRetry(outcome: Outcome, delayMs: number, next: number, total: number): string {
  const wait = `retrying in ${seconds(delayMs)} s (attempt ${next} of ${total})`;
  if (outcome.kind === "network") return `Network error (${outcome.reason}): ${wait}`;
  if (outcome.status === 429) {
    const name = outcome.headers["x-ratelimit-name"];
    return `Rate limited${name ? ` (${name})` : ""}: ${wait}`;
  }
  return `Datadog answered ${`${outcome.status} ${statusText(outcome.status)}`.trim()}: ${wait}`;
}

/** Where the update stood when a cancellation (SIGINT/SIGTERM of a cancelled workflow) came. */
export type Progress =
  | { readonly state: "not-sent" }
  | { readonly state: "sending"; readonly attempt: number; readonly total: number }
  | {
      readonly state: "waiting";
      /** The attempt the wait was for. */
      readonly attempt: number;
      readonly total: number;
      /** An earlier attempt may have applied the update (a 5xx, a reset, a timeout); not after 429 only. */
      readonly mayHaveApplied: boolean;
    };

/** `signal`: what cancelled (`SIGTERM`), when known. */
export function describeCancel(signal: string | undefined, progress: Progress, where: Where): Problem {
  const by = signal ? ` (${signal})` : "";
  return { title: "Cancelled", message: `Cancelled${by} ${cancelledWhile(progress, where)}.` };
}

function cancelledWhile(progress: Progress, where: Where): string {
  const check = "check the connection in Datadog";
  switch (progress.state) {
    case "not-sent":
      return "before the update was sent; nothing changed";
    case "sending":
      return `while waiting for ${where.label} to answer (attempt ${progress.attempt} of ${progress.total}); the update may have been applied: ${check}`;
    case "waiting":
      return `while waiting to retry (attempt ${progress.attempt} of ${progress.total}); ${progress.mayHaveApplied ? `an earlier attempt may have applied the update: ${check}` : "Datadog had not applied the update"}`;
  }
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
  const line = collapseSpace(text);
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
  301: "Moved Permanently",
  302: "Found",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  407: "Proxy Authentication Required",
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
