/**
 * The `connections` input → the connection files it names: glob patterns, one a line, relative to
 * the workspace, expanded with tinyglobby (the matcher of picomatch, the one Vite and ESLint use).
 * A line starting with `!` leaves out what it matches. Every positive pattern must match a file; the
 * files are taken in sorted path order, so that results and the summary do not depend on the disk.
 */
import { realpathSync } from "node:fs";
import { isAbsolute, resolve, sep } from "node:path";
import { inputFailure } from "../failure.ts";

/** More would be a pattern gone wrong (`**` over node_modules), not a fleet of connections. */
export const MAX_FILES = 1000;

/** The files the patterns name, relative to the workspace with `/`, sorted; refused with what to fix. */
export async function expandPatterns(text: string, workspace: string): Promise<string[]> {
  const lines = text
    .split(/\r?\n/)
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== "" && !line.startsWith("#"));
  if (lines.length === 0) throw inputFailure("connections", "holds no pattern; give glob patterns, one a line");
  const root = resolve(workspace);
  const realRoot = realpathSync(root);
  const excluded = lines
    .filter(({ line }) => line.startsWith("!"))
    .map(({ line, number }) => ({ line: line.slice(1).trim(), number }));
  const included = lines.filter(({ line }) => !line.startsWith("!"));
  for (const pattern of [...included, ...excluded]) checkPattern(pattern);
  const { globSync } = await import("./glob.ts");
  const files = new Set<string>();
  for (const pattern of included) {
    const matched = globSync(pattern.line, {
      cwd: root,
      ignore: excluded.map(({ line }) => line),
      onlyFiles: true,
      dot: false,
      expandDirectories: false,
      // Followed, so that a link is checked (below) rather than silently skipped.
      followSymbolicLinks: true,
    });
    if (matched.length === 0) {
      throw inputFailure(
        "connections",
        `${named(pattern)} matches no file in the workspace; check it, and that the repository is checked out`,
      );
    }
    for (const file of matched) files.add(file);
    if (files.size > MAX_FILES) {
      throw inputFailure("connections", `match more than ${MAX_FILES} files; narrow the patterns`);
    }
  }
  const sorted = [...files].sort();
  // A link inside the workspace must not lead outside it (to /etc, to the runner's credentials).
  for (const file of sorted) {
    let real: string;
    try {
      real = realpathSync(resolve(root, file));
    } catch {
      throw inputFailure("connections", `${file} cannot be read (a broken link?); give files inside the repository`);
    }
    if (real !== realRoot && !real.startsWith(realRoot + sep)) {
      throw inputFailure(
        "connections",
        `${file} leads outside the workspace through a link; give files inside the repository`,
      );
    }
  }
  return sorted;
}

interface Pattern {
  readonly line: string;
  /** Its line in the input, 1-based. */
  readonly number: number;
}

/** A pattern stays inside the workspace: no absolute path, no `..`, no control characters. */
function checkPattern(pattern: Pattern): void {
  const { line } = pattern;
  if (/\p{Cc}/u.test(line) || line.length > 1024) {
    throw inputFailure("connections", "holds a line that is not a pattern; give glob patterns, one a line");
  }
  if (isAbsolute(line) || /^[A-Za-z]:/.test(line) || line.split(/[\\/]/).includes("..")) {
    throw inputFailure(
      "connections",
      `${named(pattern)} reaches outside the workspace; give patterns relative to GITHUB_WORKSPACE, without ..`,
    );
  }
}

/**
 * How a message names a pattern: by its line, quoted only when it reads as a path or a glob (a
 * secret pasted into the wrong input must not be printed back, as patch-file's messages do too).
 */
function named({ line, number }: Pattern): string {
  const pathLike = /^[\w.@+~/*?{}[\],!-]{1,255}$/.test(line) && /[/*]|\.(ya?ml|json)$/.test(line);
  return `the pattern on line ${number}${pathLike ? `, ${JSON.stringify(line)},` : ""}`;
}
