import { describe, expect, it } from "vitest";
import { describeCommentError } from "../../src/comment.ts";

const scrub = (text: string) => text.replaceAll("ghs_secret_value", "••••");
const httpError = (status: number, data?: unknown) =>
  Object.assign(new Error("raw library text"), { name: "HttpError", status, ...(data ? { response: { data } } : {}) });

describe("describeCommentError", () => {
  it("a 403 is the fork's read-only token, whatever GitHub's message", () => {
    expect(describeCommentError(httpError(403, { message: "Resource not accessible" }), 7, scrub, false)).toBe(
      "Could not comment on pull request #7: GitHub answered 403: the plan is in the job summary; a fork's token cannot comment (for a pull request from this repository, give the job permissions: pull-requests: write).",
    );
  });

  it("another status gives GitHub's message, on one line, scrubbed, never the library's text", () => {
    const error = httpError(422, { message: "Validation Failed:\n body ghs_secret_value is too long" });
    expect(describeCommentError(error, 7, scrub, false)).toBe(
      "Could not comment on pull request #7: GitHub answered 422: Validation Failed: body •••• is too long. The plan is in the job summary.",
    );
    expect(describeCommentError(httpError(502, "<html>"), 7, scrub, false)).toBe(
      "Could not comment on pull request #7: GitHub answered 502. The plan is in the job summary.",
    );
  });

  it("no answer: out of reach, stopped, or an error of ours, named by kind only", () => {
    expect(describeCommentError(httpError(500), 7, scrub, false)).toBe(
      "Could not comment on pull request #7: GitHub could not be reached. The plan is in the job summary.",
    );
    expect(describeCommentError(httpError(500), 7, scrub, true)).toBe(
      "Could not comment on pull request #7: stopped before GitHub answered. The plan is in the job summary.",
    );
    expect(describeCommentError(new TypeError("x is ghs_secret_value"), 7, scrub, false)).toBe(
      "Could not comment on pull request #7: unexpected TypeError. The plan is in the job summary.",
    );
  });
});
