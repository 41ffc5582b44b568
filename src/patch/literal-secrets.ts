/**
 * Secrets written in clear in a file: the file is kept in a repository, where every reader of the
 * repository (and its history) sees them. Accepted, but each draws a warning on its line that says to
 * write `!env NAME`. A function of the parsed document alone, so that every kind of file (patch-file,
 * connection files) gets the same check.
 */
import { blank } from "../secrets.ts";
import type { ParsedPatch, Position } from "./parse.ts";

export interface LiteralSecret {
  readonly path: readonly (string | number)[];
  readonly position: Position | undefined;
}

export const LITERAL_SECRET_MESSAGE =
  "the file holds a credential in clear; write !env NAME and set NAME in the step's env: from a secret";

/** Every secret field of the document (by the table) whose value is written in the file, not read with `!env`. */
export function literalSecrets(parsed: ParsedPatch): LiteralSecret[] {
  const fromEnv = new Set(parsed.envValues.map((each) => each.value));
  const found: LiteralSecret[] = [];
  // blank() empties exactly the secret fields: where it changed a text, a secret stands.
  const walk = (value: unknown, blanked: unknown, path: (string | number)[]) => {
    if (typeof value === "string") {
      if (value !== "" && blanked === "" && !fromEnv.has(value)) {
        found.push({ path, position: parsed.locate(path) });
      }
    } else if (Array.isArray(value) && Array.isArray(blanked)) {
      for (const [index, item] of value.entries()) walk(item, blanked[index], [...path, index]);
    } else if (value !== null && typeof value === "object" && blanked !== null && typeof blanked === "object") {
      for (const [key, item] of Object.entries(value)) {
        walk(item, (blanked as Record<string, unknown>)[key], [...path, key]);
      }
    }
  };
  walk(parsed.value, blank(parsed.value), []);
  return found;
}
