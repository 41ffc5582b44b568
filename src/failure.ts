/**
 * The one kind of error the action reports: a message we wrote (never a library's, never a value),
 * where it points, and a short title. Anything else that is thrown is reported without its message.
 */
export interface Problem {
  /** `patch: integration.credentials.api_tokn: unknown field; did you mean api_token?` */
  readonly message: string;
  /** The annotation's title; fixed text, never derived from input. */
  readonly title: string;
  /** Where it points in the repository (patch-file): path relative to the workspace, 1-based. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * What became of the update when it failed: not updated (refused, or Datadog unreachable); not sent at
 * all (cancelled, or out of time before it left); updated, but its answer could not be read; unknown
 * (sent without an answer: it may have been applied). The summary's heading and a result's status say it.
 */
export type Outcome = "not-updated" | "not-sent" | "updated" | "unknown";

export class Failure extends Error {
  readonly problems: readonly Problem[];
  readonly outcome: Outcome;

  constructor(problems: Problem | readonly Problem[], outcome: Outcome = "not-updated") {
    const list = Array.isArray(problems) ? problems : [problems as Problem];
    super(list.map((problem) => problem.message).join("\n"));
    this.name = "Failure";
    this.problems = list;
    this.outcome = outcome;
  }
}

/** A failure of one input: `connection-id: must be a UUID ...`. */
export function inputFailure(input: string, message: string): Failure {
  return new Failure({ message: `${input}: ${message}`, title: "Invalid input" });
}

/**
 * What debug logging shows of an error the action did not expect: its kind, its code and where it was
 * thrown. Not its message, which may quote input (a header value, a line of YAML).
 */
export function describeUnexpected(error: unknown): string {
  const { name, code, message, stack } = (error ?? {}) as Record<string, unknown>;
  const kind = typeof name === "string" ? name : typeof error;
  // The frames follow the message, which may span lines: without the message, no frames.
  const head = `${String(name)}: ${String(message)}\n`;
  const frames = typeof stack === "string" && stack.startsWith(head) ? stack.slice(head.length).split("\n") : [];
  return [`Unexpected ${kind}${typeof code === "string" ? ` (${code})` : ""}, thrown:`, ...frames].join("\n");
}
