/**
 * The plan (or the outcome) as one pull-request comment, updated in place on every run. The
 * comment is found again by a hidden marker that names the workflow, the job and the connections
 * input (hashed, so that no name can end the HTML comment, and two jobs keep two comments).
 *
 * A report, not the work: whatever GitHub answers, the step's result stays the plan's or the
 * apply's. A 403 is the fork's read-only token; any other failure is one warning with GitHub's
 * status and message (scrubbed, through the boundary).
 */
import { createHash } from "node:crypto";
import { context } from "@actions/github";
import { describeUnexpected } from "./failure.ts";
import * as log from "./log.ts";
import { type Report, renderReport } from "./render.ts";
import { collapseSpace } from "./text.ts";
import { ACTION_NAME, ACTION_VERSION } from "./version.ts";

export interface CommentRequest {
  /** The `comment` input. */
  readonly enabled: boolean;
  /** The `github-token` input (masked already). */
  readonly token: string;
  /** The input that names the connections of this step, and its text: part of the marker. */
  readonly subject: { readonly input: "connection-id" | "connections"; readonly value: string };
  readonly report: Report;
  /** Replaces every registered secret; applied to all outside text before it is escaped. */
  readonly scrub: (text: string) => string;
  /** For what Datadog or GitHub wrote: the wider scrub of server text (render.ts); default `scrub`. */
  readonly scrubServer?: (text: string) => string;
  /** Cancellation of the step: stop commenting too. */
  readonly signal?: AbortSignal;
}

/** GitHub's cap on a comment body, in characters; the renderer's budget is in bytes, which is stricter. */
export const COMMENT_MAX_CHARS = 65_536;
/** The REST API version the requests ask for (GitHub's current one). */
export const GITHUB_API_VERSION = "2022-11-28";
/** Comments are listed 100 a page (GitHub's maximum); the loop stops after this many pages. */
const PER_PAGE = 100;
const MAX_PAGES = 50;
/** The whole comment (list, then create or update) within this; a hung API must not hold the job. */
const COMMENT_TIMEOUT_MS = 30_000;
const PULL_REQUEST_EVENTS: ReadonlySet<string> = new Set(["pull_request", "pull_request_target"]);

/**
 * The first line of our comment: `<!-- update-datadog-action-connection 3f2a… workflow=… job=… -->`.
 * The hash (of workflow, job, input and its text) is what identifies it; the names are there for a
 * person reading the source, each character outside [A-Za-z0-9 _.] percent-encoded, so that neither
 * `-->` nor `--!>` can appear.
 */
export function commentMarker(workflow: string, job: string, subject: CommentRequest["subject"]): string {
  const key = createHash("sha256")
    .update(JSON.stringify([workflow, job, subject.input, subject.value]))
    .digest("hex")
    .slice(0, 32);
  const label = (text: string) =>
    [...text.slice(0, 80)].map((char) => (/^[A-Za-z0-9 _.]$/.test(char) ? char : percentEncoded(char))).join("");
  return `<!-- ${ACTION_NAME} ${key} workflow=${label(workflow)} job=${label(job)} ${subject.input} -->`;
}

/** Each UTF-8 byte as %XX (a lone surrogate as U+FFFD's). */
const percentEncoded = (char: string) =>
  [...Buffer.from(char, "utf8")].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");

/** Posts or updates the comment; never throws, never fails the step. */
export async function postComment(request: CommentRequest): Promise<void> {
  if (!request.enabled) return;
  const event = context.eventName ?? "";
  if (!PULL_REQUEST_EVENTS.has(event)) {
    log.debug(
      `comment: true does nothing on a ${event || "(unnamed)"} event; only pull_request and pull_request_target.`,
    );
    return;
  }
  const payload = context.payload as { pull_request?: { number?: unknown }; number?: unknown };
  const number = payload.pull_request?.number ?? payload.number;
  const repository = (process.env.GITHUB_REPOSITORY ?? "").split("/");
  const [owner, repo] = repository;
  if (typeof number !== "number" || !Number.isInteger(number) || repository.length !== 2 || !owner || !repo) {
    log.warning(
      "Could not comment: the event payload (GITHUB_EVENT_PATH) names no pull request, or GITHUB_REPOSITORY is not owner/name. The plan is in the job summary.",
      { title: "No pull-request comment" },
    );
    return;
  }
  if (request.token === "") {
    log.warning("Could not comment: github-token is empty. The plan is in the job summary.", {
      title: "No pull-request comment",
    });
    return;
  }
  const signal = AbortSignal.any([
    AbortSignal.timeout(COMMENT_TIMEOUT_MS),
    ...(request.signal ? [request.signal] : []),
  ]);
  try {
    const marker = commentMarker(context.workflow ?? "", context.job ?? "", request.subject);
    const body = `${marker}\n${renderReport(request.report, {
      maxBytes: COMMENT_MAX_CHARS - Buffer.byteLength(`${marker}\n`),
      moreWhere: "the job summary",
      moreUrl: request.report.runUrl,
      scrub: request.scrub,
      ...(request.scrubServer ? { scrubServer: request.scrubServer } : {}),
    })}`;
    const { getOctokit } = await import("./github-api.ts");
    const octokit = getOctokit(request.token, { userAgent: `${ACTION_NAME}/${ACTION_VERSION}` });
    const options = { headers: { "x-github-api-version": GITHUB_API_VERSION }, request: { signal } };
    const where = { owner, repo, issue_number: number };
    // The marker is public: anyone can post a comment that starts with it. Ours is written by a bot
    // (the workflow's token is github-actions[bot], an app's token its bot) or, for a person's token,
    // by that person; a look-alike by someone else is left alone, and a new comment made.
    let me: string | null | undefined;
    const whoAmI = async () => {
      me ??= await octokit.rest.users
        .getAuthenticated(options)
        .then((answer) => answer.data.login)
        .catch(() => null);
      return me;
    };
    const ours = async (author: { login?: string; type?: string } | null | undefined) =>
      author?.type === "Bot" || (author?.login !== undefined && author.login === (await whoAmI()));
    let found: number | undefined;
    let pages = 0;
    for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
      ...where,
      per_page: PER_PAGE,
      ...options,
    })) {
      for (const comment of page.data) {
        if (!comment.body?.startsWith(`${marker}\n`) || !(await ours(comment.user))) continue;
        found = comment.id;
        break;
      }
      if (found !== undefined || ++pages >= MAX_PAGES) break;
    }
    if (found === undefined) {
      const created = await octokit.rest.issues.createComment({ ...where, body, ...options });
      log.info(
        `Commented the ${request.report.dryRun ? "plan" : "outcome"} on pull request #${number}: ${String(created.data.html_url)}`,
      );
    } else {
      const updated = await octokit.rest.issues.updateComment({ owner, repo, comment_id: found, body, ...options });
      // The address is GitHub's text: through the boundary like any other.
      log.info(`Updated the comment on pull request #${number}: ${String(updated.data.html_url)}`);
    }
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name !== "HttpError") log.debug(describeUnexpected(error));
    log.warning(describeCommentError(error, number, request.scrubServer ?? request.scrub, signal.aborted), {
      title: "No pull-request comment",
    });
  }
}

/** GitHub's status and message, scrubbed and through the boundary; never a library's own text. */
export function describeCommentError(
  error: unknown,
  number: number,
  scrub: (text: string) => string,
  stopped: boolean,
): string {
  const { status, response } = (error ?? {}) as { status?: unknown; response?: { data?: unknown } };
  if (typeof status === "number" && response) {
    if (status === 403) {
      return `Could not comment on pull request #${number}: GitHub answered 403: the plan is in the job summary; a fork's token cannot comment (for a pull request from this repository, give the job permissions: pull-requests: write).`;
    }
    const data = response.data as { message?: unknown } | undefined;
    const message = typeof data?.message === "string" ? collapseSpace(data.message).slice(0, 300) : "";
    const said = message ? `: ${scrub(message)}` : "";
    return `Could not comment on pull request #${number}: GitHub answered ${status}${said}. The plan is in the job summary.`;
  }
  // Octokit reports a network error or an abort as an HttpError (500) without a response.
  const http = (error as { name?: unknown } | null)?.name === "HttpError";
  const kind = stopped
    ? "stopped before GitHub answered"
    : http
      ? "GitHub could not be reached"
      : `unexpected ${error instanceof Error ? error.name : typeof error}`;
  return `Could not comment on pull request #${number}: ${kind}. The plan is in the job summary.`;
}
