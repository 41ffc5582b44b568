/**
 * Sources (the patch, the patch-file, connection files) → parsed documents → jobs, or every problem
 * found, each at its file, line and column. Pure: text in, jobs or problems out. Both modes go through
 * here: one connection is a fleet of one document whose id comes from the connection-id input.
 */
import { MAX_DEPTH, tooDeepAt } from "./depth.ts";
import { Failure, inputFailure, type Problem } from "./failure.ts";
import { parseDocument, splitConnection, splitDocuments } from "./fleet/documents.ts";
import type { Job } from "./fleet/execute.ts";
import type { PatchSource } from "./inputs.ts";
import type { PathMessage } from "./patch/errors.ts";
import { type ParsedPatch, type ParseOptions, type Position, parsePatch } from "./patch/parse.ts";
import { validatePatch } from "./patch/validate.ts";
import { formatPath } from "./paths.ts";

/** Text to read documents from, and how messages name it. */
export type Source = PatchSource;

export interface ParsedDocument {
  readonly source: Source;
  readonly parsed: ParsedPatch;
}

/**
 * Every document of every source. A connection file may hold several (`---`); a patch holds one.
 * `options.onRead` sees each `!env` value the moment it is read, to mask it before anything is printed.
 */
export function parseSources(sources: readonly Source[], options: ParseOptions = {}): ParsedDocument[] {
  const parts = sources.flatMap((source) =>
    source.input === "connections"
      ? splitDocuments(source.text).map((part) => ({ source, part }))
      : [{ source, part: { text: source.text, lineOffset: 0 } }],
  );
  // Counted before any is parsed: thousands of small alias bombs must not take minutes and gigabytes.
  if (parts.length > MAX_DOCUMENTS) {
    throw inputFailure("connections", `hold more than ${MAX_DOCUMENTS} documents; split the fleet across steps`);
  }
  return parts.map(({ source, part }) => ({
    source,
    parsed: source.input === "connections" ? parseDocument(part, options) : parsePatch(source.text, options),
  }));
}

/** More connections than one step should hold: a fleet that large belongs in several steps. */
export const MAX_DOCUMENTS = 1000;

/**
 * The jobs, in document order; or a Failure listing every problem of every document (in file order,
 * then by position), so that one run shows them all and nothing is sent.
 * `connectionId`: the one-connection mode's input; undefined in fleet mode.
 */
export function toJobs(documents: readonly ParsedDocument[], connectionId: string | undefined): Job[] {
  const jobs: Job[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, ParsedDocument>();
  for (const document of documents) {
    const { parsed, source } = document;
    const [syntax] = parsed.problems;
    if (syntax) {
      // Only the first: a YAML mistake confuses the parser about what follows (a tab gives three errors).
      problems.push(problemAt(source, syntax.position, `the YAML ${syntax.message} [${syntax.code}]`));
      continue;
    }
    if (parsed.envProblems.length > 0) {
      problems.push(
        ...parsed.envProblems.map((problem) =>
          problemAt(source, problem.position, withPath(problem.path, problem.message)),
        ),
      );
      continue;
    }
    const fromEnv = new Set(parsed.envValues.map((each) => each.value));
    let id = connectionId;
    let attributes: unknown = parsed.value;
    if (connectionId === undefined) {
      const split = splitConnection(parsed.value);
      if (!split.ok) {
        problems.push(...located(document, split.problems));
        continue;
      }
      id = split.id;
      attributes = split.attributes;
      const first = seen.get(id);
      if (first) {
        const at = (other: ParsedDocument) => {
          const position = other.parsed.locate(["id"]);
          return `${other.source.file ?? other.source.input}${position ? ` (line ${position.line})` : ""}`;
        };
        problems.push(
          ...located(first, [
            {
              path: ["id"],
              message: `the connection ${id} is also set in ${at(document)}; give each connection one document`,
            },
          ]),
        );
        problems.push(
          ...located(document, [
            {
              path: ["id"],
              message: `the connection ${id} is also set in ${at(first)}; give each connection one document`,
            },
          ]),
        );
        continue;
      }
      seen.set(id, document);
    }
    const validation = validatePatch(attributes, fromEnv);
    if (!validation.ok) {
      problems.push(...located(document, validation.problems));
      continue;
    }
    jobs.push({
      file: source.file ?? null,
      line: source.file ? (parsed.locate(connectionId === undefined ? ["id"] : [])?.line ?? 1) : null,
      id: id as string,
      request: validation.request,
      fromEnv,
      always: connectionId !== undefined,
    });
  }
  if (problems.length > 0) throw new Failure(problems);
  return jobs;
}

/** Problems of one document, in the order they stand in it (each position computed once). */
function located(document: ParsedDocument, messages: readonly PathMessage[]): Problem[] {
  return messages
    .map((message) => ({ message, position: document.parsed.locate(message.path) }))
    .sort((a, b) => order(a.position) - order(b.position))
    .map(({ message, position }) => problemAt(document.source, position, withPath(message.path, message.message)));
}

/** `integration.x: unknown field`; the message alone for the document itself. */
export function withPath(path: readonly PropertyKey[], message: string): string {
  const shown = formatPath(path);
  return shown ? `${shown}: ${message}` : message;
}

const order = (position: Position | undefined) => (position ? position.line * 100_000 + position.column : 0);

/** `patch-file: integration.x: unknown field (line 3, column 5)`, an annotation at the file's line. */
export function problemAt(source: Source, position: Position | undefined, message: string): Problem {
  const where = position ? ` (line ${position.line}, column ${position.column})` : "";
  const name = source.input === "connections" ? (source.file ?? source.input) : source.input;
  return {
    message: `${name}: ${message}${where}`,
    title: source.input === "connections" ? "Invalid connection file" : "Invalid patch",
    ...(source.file ? { file: source.file } : {}),
    ...(source.file && position ? { line: position.line, column: position.column } : {}),
  };
}

/** A document nested deeper than any connection is refused; the message quotes no key (it may be a secret). */
export function refuseTooDeep(documents: readonly ParsedDocument[]): void {
  const problems = documents.flatMap(({ source, parsed }) => {
    const deep = tooDeepAt(parsed.value);
    if (!deep) return [];
    // Positions in a document the parser refused mean little (its value is what could be salvaged).
    const position = parsed.problems.length === 0 ? parsed.locate(deep) : undefined;
    return [
      problemAt(source, position, `nests deeper than ${MAX_DEPTH} levels; no field of a connection is that deep.`),
    ];
  });
  if (problems.length > 0) throw new Failure(problems);
}
