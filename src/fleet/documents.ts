/**
 * Connection files → one document per connection: `id` plus the attributes of a patch, each parsed
 * and validated exactly as a patch is, with positions in the file. Pure: text in, documents or
 * problems out. Every file is checked before anything is sent.
 */

import type { PathMessage } from "../patch/errors.ts";
import { type ParsedPatch, type ParseOptions, type Position, parsePatch } from "../patch/parse.ts";

/** One `---`-separated part of a file: its text and where it starts. */
export interface DocumentText {
  readonly text: string;
  /** 0-based line of the file where the document's text starts. */
  readonly lineOffset: number;
}

/**
 * A file's documents. YAML forbids a line starting with `---` or `...` (then a space or the end of the
 * line) inside content, so a document marker is always a line of its own kind: splitting there is exact.
 * The marker is blanked, not removed, so that columns stay as the user sees them. A part that holds
 * nothing but comments and blank lines (before the first `---`, after the last) is no document.
 */
export function splitDocuments(text: string): DocumentText[] {
  const lines = text.split(/(?<=\n)/);
  const parts: DocumentText[] = [];
  let start = 0;
  let current: string[] = [];
  const flush = () => {
    const body = current.join("");
    if (/^(?:\s*(?:#.*)?(?:\r?\n|$))*$/.test(body) === false) parts.push({ text: body, lineOffset: start });
  };
  lines.forEach((line, index) => {
    const marker = /^(---|\.\.\.)(?=[ \t]|\r?\n|$)/.exec(line);
    if (!marker) {
      current.push(line);
      return;
    }
    if (marker[1] === "---") {
      flush();
      start = index;
      current = [line.replace(/^---/, "   ")];
    } else {
      // `...` ends a document; what follows until the next `---` belongs to none.
      current.push("\n");
      flush();
      start = index + 1;
      current = [];
    }
  });
  flush();
  return parts;
}

/** A document parsed as a patch is, its positions moved to the file's lines. */
export function parseDocument(part: DocumentText, options: ParseOptions = {}): ParsedPatch {
  const parsed = parsePatch(part.text, options);
  const shift = (position: Position): Position => ({ line: position.line + part.lineOffset, column: position.column });
  return {
    value: parsed.value,
    problems: parsed.problems.map((problem) => ({ ...problem, position: shift(problem.position) })),
    envValues: parsed.envValues.map((each) => ({ ...each, position: shift(each.position) })),
    envProblems: parsed.envProblems.map((problem) => ({ ...problem, position: shift(problem.position) })),
    envMissing: parsed.envMissing.map((each) => ({ ...each, position: shift(each.position) })),
    locate: (path) => {
      const position = parsed.locate(path);
      return position && shift(position);
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EXTERNAL_ID_FLAG = ["integration", "credentials", "generate_new_external_id"] as const;

/** A connection document's `id` and the rest, which is a patch's attributes; or what is wrong with it. */
export type Split =
  | { readonly ok: true; readonly id: string; readonly attributes: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly problems: readonly PathMessage[] };

/** The checks a connection document has beyond a patch's: its id, no act, not a request document. */
export function splitConnection(value: unknown): Split {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return refuse([], "must be a mapping: the connection's id and the attributes to set (name, tags, integration)");
  }
  const { id, ...attributes } = value as Record<string, unknown>;
  const problems: PathMessage[] = [];
  if (id === undefined) {
    problems.push({ path: [], message: "has no id; give the connection's UUID as id" });
  } else if (typeof id !== "string" || !UUID.test(id)) {
    problems.push({
      path: ["id"],
      message: "must be the connection's UUID, such as 11111111-2222-3333-4444-555555555555",
    });
  }
  if ("data" in attributes) {
    problems.push({
      path: ["data"],
      message: "is not taken in a connection file; write id, name, tags and integration at the top of the document",
    });
  }
  const credentials = (attributes.integration as { credentials?: unknown } | undefined)?.credentials;
  if (credentials !== null && typeof credentials === "object" && "generate_new_external_id" in credentials) {
    problems.push({
      path: [...EXTERNAL_ID_FLAG],
      message:
        "is an act, not a setting: in a connection file it would rotate the external ID on every release. " +
        "Rotate it with the one-connection mode (connection-id and patch)",
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  if (Object.keys(attributes).length === 0) {
    return refuse([], "sets nothing; give a name, tags or integration settings beside the id");
  }
  return { ok: true, id: (id as string).toLowerCase(), attributes };
}

function refuse(path: readonly PropertyKey[], message: string): Split {
  return { ok: false, problems: [{ path, message }] };
}
