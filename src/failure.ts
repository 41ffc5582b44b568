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

export class Failure extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: Problem | readonly Problem[]) {
    const list = Array.isArray(problems) ? problems : [problems as Problem];
    super(list.map((problem) => problem.message).join("\n"));
    this.name = "Failure";
    this.problems = list;
  }
}

/** A failure of one input: `connection-id: must be a UUID ...`. */
export function inputFailure(input: string, message: string): Failure {
  return new Failure({ message: `${input}: ${message}`, title: "Invalid input" });
}
