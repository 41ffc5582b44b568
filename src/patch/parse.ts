/**
 * Patch text → plain object, with positions for error messages.
 *
 * YAML and JSON both go through the `yaml` package (JSON is YAML's flow style). Three choices keep
 * the user's text what they meant and keep secrets out of messages:
 * - numbers keep their literal source text: no field of the API is a number, and
 *   `account_id: 012345678912` must stay "012345678912", not become 12345678912;
 * - the schema is pinned to YAML 1.2 core, so a `%YAML 1.1` directive cannot turn `yes` into true or
 *   `0777` into 511;
 * - `prettyErrors: false` with our own LineCounter: the parser's messages would otherwise quote the
 *   offending source line, which may hold a secret. We report its code, line and column only.
 */
import { type Document, isMap, isNode, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from "yaml";

export interface Position {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

/** A problem in the patch's YAML: what went wrong (in our words), where, and the parser's code. */
export interface SyntaxProblem {
  readonly code: string;
  readonly message: string;
  readonly position: Position;
}

export interface ParsedPatch {
  /** The document as plain data; best effort when there are problems (for masking). */
  readonly value: unknown;
  /** Syntax problems; empty when the document is well formed. */
  readonly problems: readonly SyntaxProblem[];
  /**
   * Where a path of the document stands in the source: the key of its last step (the line a person
   * looks for), or for a path that goes past the document, the deepest node on the way.
   */
  locate(path: readonly PropertyKey[]): Position | undefined;
}

/** Enough for any real patch, far too few for an alias bomb (a billion laughs). */
const MAX_ALIAS_COUNT = 100;
const CORE_TAG_PREFIX = "tag:yaml.org,2002:";
const STR_TAG = `${CORE_TAG_PREFIX}str`;

export function parsePatch(text: string): ParsedPatch {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    prettyErrors: false,
    lineCounter,
    version: "1.2",
    schema: "core",
    merge: false,
    uniqueKeys: true,
    strict: true,
  });
  const at = (offset: number | undefined): Position => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { line, column: col };
  };

  const problems: SyntaxProblem[] = [
    ...doc.errors.map((error) => ({ code: error.code, message: describe(error.code), position: at(error.pos[0]) })),
    ...doc.warnings.map((warning) => ({
      code: warning.code,
      message: describe(warning.code),
      position: at(warning.pos[0]),
    })),
  ];
  problems.push(...keepLiteralText(doc, at));

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    // toJS throws only when aliases expand past MAX_ALIAS_COUNT.
    value = undefined;
    problems.push({ code: "ALIAS_COUNT", message: describe("ALIAS_COUNT"), position: at(0) });
  }
  if (problems.length === 0 && (value === null || value === undefined)) {
    problems.push({ code: "EMPTY", message: describe("EMPTY"), position: at(0) });
  }
  problems.sort((a, b) => a.position.line - b.position.line || a.position.column - b.position.column);

  return {
    value,
    problems,
    locate: (path) => {
      const node = nodeAt(doc, path);
      return node?.range ? at(node.range[0]) : undefined;
    },
  };
}

/**
 * Replaces each number by its source text and refuses explicit tags other than `!!str`: a tag such
 * as `!!binary` or `!Ref` would turn text into something the API cannot take.
 */
function keepLiteralText(doc: Document, at: (offset: number | undefined) => Position): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  visit(doc, {
    Node(_key, node) {
      // Unknown tags (`!Ref`) are reported by the parser as TAG_RESOLVE_FAILED already.
      if (node.tag?.startsWith(CORE_TAG_PREFIX) && node.tag !== STR_TAG) {
        problems.push({ code: "TAG", message: describe("TAG"), position: at(node.range?.[0]) });
      }
      if (isScalar(node) && (typeof node.value === "number" || typeof node.value === "bigint") && node.source) {
        node.value = node.source;
      }
    },
  });
  return problems;
}

function nodeAt(doc: Document, path: readonly PropertyKey[]): Node | undefined {
  let node: unknown = doc.contents;
  for (const [index, key] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      if (!pair) return node;
      node = index === path.length - 1 || !isNode(pair.value) ? pair.key : pair.value;
    } else if (isSeq(node) && typeof key === "number" && isNode(node.items[key])) {
      node = node.items[key];
    } else {
      break;
    }
  }
  return isNode(node) ? node : undefined;
}

/** The parser's codes, in our words; none of them quotes the source. */
function describe(code: string): string {
  return MESSAGES[code] ?? "is not valid YAML";
}

const MESSAGES: Readonly<Record<string, string>> = {
  ALIAS_COUNT: `expands aliases too many times (more than ${MAX_ALIAS_COUNT}); write the values out`,
  ALIAS_PROPS: "puts an anchor or tag on an alias",
  BAD_ALIAS: "has an alias that is not valid",
  BAD_COLLECTION_TYPE: "mixes a mapping and a list in one collection",
  BAD_DIRECTIVE: "has a directive that is not valid",
  BAD_DQ_ESCAPE: "has an escape sequence that is not valid in a double-quoted string",
  BAD_INDENT: "is not indented consistently",
  BAD_PROP_ORDER: "puts an anchor or tag in the wrong place",
  BAD_SCALAR_START: "starts a plain value with a reserved character; quote the value",
  BLOCK_AS_IMPLICIT_KEY: "has a second ': ' on one line; quote the value if it holds ': '",
  BLOCK_IN_FLOW: "puts a block collection inside a flow collection",
  DUPLICATE_KEY: "repeats a key; each key may appear once per mapping",
  EMPTY: "is empty; give the attributes to change",
  IMPOSSIBLE: "is not valid YAML",
  KEY_OVER_1024_CHARS: "has a key longer than 1024 characters",
  MISSING_CHAR: "is missing a closing quote or bracket",
  MULTILINE_IMPLICIT_KEY: "has a key that spans lines",
  MULTIPLE_ANCHORS: "puts several anchors on one node",
  MULTIPLE_DOCS: "holds several YAML documents; give one",
  MULTIPLE_TAGS: "puts several tags on one node",
  NON_STRING_KEY: "has a key that is not text",
  TAB_AS_INDENT: "indents with a tab; indent with spaces",
  TAG: "uses a YAML tag (such as !!binary or !Ref); write plain values, quoted if need be",
  TAG_RESOLVE_FAILED: "uses a YAML tag that cannot be resolved; write plain values",
  UNEXPECTED_TOKEN: "has a character where none is expected",
  BAD_COMMENT: "has a comment not preceded by a space",
};
