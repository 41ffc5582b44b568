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
 *   offending source line, which may hold a secret. We report its code, line and column only;
 * - `logLevel: "error"`: the parser otherwise writes some warnings to stderr itself, quoting the
 *   source (a mapping used as a key: `{[sk-...]: 1}`), before any mask could be registered.
 *
 * `!env NAME` (the one tag allowed besides `!!str`) stands for the value of the environment variable
 * NAME: read here, handed to `onRead` at once (to be masked before anything is printed), and listed
 * with its path so that every later step can treat it as a secret, whatever field it stands in.
 */
import {
  CST,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  type Pair,
  parseAllDocuments,
  parseDocument,
  type ScalarTag,
  visit,
  type YAMLMap,
} from "yaml";

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

/** A value the document took from the environment with `!env NAME`. */
export interface EnvValue {
  /** The variable's name. */
  readonly name: string;
  /** Where it stands in the document (`["integration", "credentials", "api_token"]`). */
  readonly path: readonly (string | number)[];
  readonly position: Position;
  readonly value: string;
}

/** A `!env` that cannot be read: the message names the variable (never its value) and says what to do. */
export interface EnvProblem {
  readonly path: readonly (string | number)[];
  readonly position: Position;
  readonly message: string;
}

export interface ParseOptions {
  /** The step's environment, where `!env NAME` reads NAME. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called with each value read from the environment, the moment it is read (to register its mask). */
  readonly onRead?: (value: string) => void;
  /**
   * A dry run: an unset or empty variable is not refused but listed in `envMissing`, its value a
   * stand-in (`(NAME not set)`, counted as read with !env, so shown as a secret), so that a plan runs
   * where the secrets are not given (a fork's pull request gets none).
   */
  readonly lenient?: boolean;
}

export interface ParsedPatch {
  /** The document as plain data; best effort when there are problems (for masking). */
  readonly value: unknown;
  /** Syntax problems; empty when the document is well formed. */
  readonly problems: readonly SyntaxProblem[];
  /** The values read with `!env`, in document order. */
  readonly envValues: readonly EnvValue[];
  /** Variables a lenient (dry-run) parse found unset or empty: the plan cannot know their values. */
  readonly envMissing: readonly EnvValue[];
  /** Each `!env` refused: an unset or empty variable, a bad name, on a mapping, a list, a key or a `type`. */
  readonly envProblems: readonly EnvProblem[];
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
const ENV_TAG = "!env";
/** What a POSIX shell takes for a variable's name; GitHub's `env:` keys are the same in practice. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_SCALAR: ScalarTag = { tag: ENV_TAG, resolve: (name: string) => name };
/** The parser's warning for `!env` on a mapping or list, which envTags() reports in its own words. */
const UNRESOLVED_ENV = `Unresolved tag: ${ENV_TAG}`;

const OPTIONS = {
  prettyErrors: false,
  version: "1.2",
  schema: "core",
  merge: false,
  // Checked in keepLiteralText(), in linear time: the parser's own check compares every key of a
  // mapping with every other (a mapping of 60,000 keys took a minute).
  uniqueKeys: false,
  strict: true,
  // Not "silent": that also drops the MULTIPLE_DOCS error.
  logLevel: "error",
  // The variable's name as written; envTags() puts the variable's value in its place.
  customTags: [ENV_SCALAR] as ScalarTag[],
} as const;

export function parsePatch(text: string, options: ParseOptions = {}): ParsedPatch {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...OPTIONS, lineCounter });
  const at = (offset: number | undefined): Position => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { line, column: col };
  };

  const problems: SyntaxProblem[] = [
    ...doc.errors.map((error) => ({ code: error.code, message: describe(error.code), position: at(error.pos[0]) })),
    ...doc.warnings
      .filter((warning) => !(warning.code === "TAG_RESOLVE_FAILED" && warning.message === UNRESOLVED_ENV))
      .map((warning) => ({
        code: warning.code,
        message: describe(warning.code),
        position: at(warning.pos[0]),
      })),
  ];
  problems.push(...keepLiteralText(doc, at));
  const env = envTags(doc, at, options);

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    // toJS throws only when aliases expand past MAX_ALIAS_COUNT.
    problems.push({ code: "ALIAS_COUNT", message: describe("ALIAS_COUNT"), position: at(0) });
  }
  if (problems.length === 0 && (value === null || value === undefined)) {
    problems.push({ code: "EMPTY", message: describe("EMPTY"), position: at(0) });
  }
  if (problems.length > 0) {
    // Refused: the value now serves only to find the secrets to mask first, wherever they are: in
    // every document, under a repeated key, behind an alias of a bomb.
    const docs = problems.some((problem) => problem.code === "MULTIPLE_DOCS")
      ? Array.from(parseAllDocuments(text, OPTIONS))
      : [doc];
    const values = docs.map((each) => {
      if (each !== doc) {
        keepLiteralText(each, at);
        envTags(each, at, options);
      }
      return looseValue(each);
    });
    // After a syntax error the parser drops the rest of the document; the lexer still sees its pairs.
    value = [...values, ...lexedPairs(text)];
  }
  problems.sort((a, b) => a.position.line - b.position.line || a.position.column - b.position.column);

  const index: MapIndex = new WeakMap();
  return {
    value,
    problems,
    envValues: env.values,
    envProblems: env.problems,
    envMissing: env.missing,
    locate: (path) => {
      const node = nodeAt(doc, path, index);
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
    Pair(_key, pair) {
      // A list or mapping as a key (`? [a, b]`, `{[a]: 1}`) would become its text; no field is named so.
      if (isCollection(pair.key)) {
        problems.push({
          code: "COLLECTION_KEY",
          message: describe("COLLECTION_KEY"),
          position: at(pair.key.range?.[0]),
        });
      }
    },
    Node(_key, node) {
      if (isMap(node)) {
        const keys = new Set<string>();
        for (const pair of node.items) {
          if (!isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          if (keys.has(key)) {
            problems.push({
              code: "DUPLICATE_KEY",
              message: describe("DUPLICATE_KEY"),
              position: at(pair.key.range?.[0]),
            });
          }
          keys.add(key);
        }
      }
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

/**
 * Puts in place of each `!env NAME` the value of NAME, and lists what was read and what was refused.
 * A refused one is left as "": the name is no secret, and must not be masked (it is in the message).
 */
function envTags(
  doc: Document,
  at: (offset: number | undefined) => Position,
  options: ParseOptions,
): { values: EnvValue[]; problems: EnvProblem[]; missing: EnvValue[] } {
  const values: EnvValue[] = [];
  const problems: EnvProblem[] = [];
  const missing: EnvValue[] = [];
  const refuse = (node: Node, path: (string | number)[], message: string) =>
    problems.push({ path, position: at(node.range?.[0]), message });
  visit(doc, {
    Node(_key, node, ancestors) {
      if (node.tag !== ENV_TAG) return;
      const parent = ancestors[ancestors.length - 1];
      const path = documentPath(ancestors, node);
      if (isMap(node) || isSeq(node)) {
        const what = isMap(node) ? "a mapping" : "a list";
        refuse(node, path, `!env stands for one text value, not ${what}; put !env NAME on each value instead`);
        // Emptied: what it holds are names of variables (in the message), not secrets to mask.
        node.items = [];
        return;
      }
      if (!isScalar(node)) return;
      const name = String(node.value ?? "");
      node.value = "";
      if (isPair(parent) && parent.key === node) {
        refuse(node, path, "!env stands for a value, not a key; write the field's name");
      } else if (isPair(parent) && isScalar(parent.key) && parent.key.value === "type") {
        refuse(node, path, "!env cannot give a type: it decides which fields apply; write the type itself");
      } else if (!ENV_NAME.test(name)) {
        // The name is not quoted: what stands there may be a secret pasted in the wrong place.
        refuse(
          node,
          path,
          "!env takes the name of an environment variable (letters, digits and _, not starting with a digit)",
        );
      } else {
        const value = options.env?.[name];
        if ((value === undefined || value === "") && options.lenient) {
          // Unknown: a stand-in that passes as text, counted as read with !env so that it shows as a secret.
          const unknown = { name, path, position: at(node.range?.[0]), value: `(${name} not set)` };
          node.value = unknown.value;
          missing.push(unknown);
          values.push(unknown);
        } else if (value === undefined) {
          refuse(
            node,
            path,
            `!env ${name}: the environment variable ${name} is not set; set it in the step's env: (${name}: \${{ secrets.${name} }})`,
          );
        } else if (value === "") {
          refuse(
            node,
            path,
            `!env ${name}: the environment variable ${name} is empty; check that the secret it is set from exists and is available to this workflow`,
          );
        } else {
          options.onRead?.(value);
          node.value = value;
          values.push({ name, path, position: at(node.range?.[0]), value });
        }
      }
    },
  });
  return { values, problems, missing };
}

/** The path in the document of `node`, from the visitor's ancestors (Document, YAMLMap, Pair...). */
function documentPath(ancestors: readonly unknown[], node: unknown): (string | number)[] {
  const chain = [...ancestors, node];
  const path: (string | number)[] = [];
  for (let index = 0; index < chain.length - 1; index++) {
    const here = chain[index];
    const next = chain[index + 1];
    if (isPair(here) && next === here.value) path.push(isScalar(here.key) ? String(here.key.value) : "");
    else if (isSeq(here)) path.push(here.items.indexOf(next as never));
  }
  return path;
}

/** Most nodes looseValue() gives: plenty for any real patch, few for an alias bomb. */
const MAX_LOOSE_NODES = 100_000;

/**
 * A refused document as plain data, for finding its secrets: each alias replaced by its anchor's
 * value with the aliases inside that left out (bounded however they nest, and enough: each value is
 * written once in the source, in place or at its anchor), and the values of a repeated key kept as a
 * list of all of them.
 */
function looseValue(doc: Document): unknown {
  let budget = MAX_LOOSE_NODES;
  const convert = (node: unknown, followAlias: boolean): unknown => {
    if (--budget < 0) return undefined;
    if (isAlias(node)) return followAlias ? convert(node.resolve(doc), false) : undefined;
    if (isScalar(node)) {
      // A tagged value (`!!binary`) is not text, but its source is what the user typed: the secret.
      const { value } = node;
      return value === null || ["string", "number", "boolean"].includes(typeof value) ? value : node.source;
    }
    if (isMap(node)) {
      const result: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : "";
        const value = convert(pair.value, followAlias);
        result[key] = Object.hasOwn(result, key) ? [result[key], value].flat() : value;
      }
      return result;
    }
    if (isSeq(node)) return node.items.map((item) => (isPair(item) ? undefined : convert(item, followAlias)));
    return undefined;
  };
  return convert(doc.contents, true);
}

/** Token types that stand between a key's `:` and its value on the same line. */
const BETWEEN = new Set(["space", "comment", "anchor", "tag"]);

/**
 * Every `key: value` pair the lexer sees in `text`, each as a mapping of one field, whatever the
 * syntax errors around it: what the secrets are found in when the parser gave up part way.
 */
function lexedPairs(text: string): Record<string, unknown>[] {
  const pairs: Record<string, unknown>[] = [];
  const tokens = [...new Lexer().lex(text)];
  let key: unknown;
  let pending: string | undefined;
  // After `!env`, the scalar is a variable's name: no secret, and masking it would hide it in messages.
  let envName = false;
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] ?? "";
    const type = CST.tokenType(token);
    let source: string | undefined;
    if (type === "tag") envName = token === ENV_TAG;
    if (type === "scalar") {
      // A plain scalar: a marker, then its source.
      source = tokens[++index] ?? "";
    } else if (type === "single-quoted-scalar" || type === "double-quoted-scalar") {
      source = token;
    } else if (type === "block-scalar-header" && CST.tokenType(tokens[index + 2] ?? "") === "scalar") {
      source = `${token}\n${tokens[index + 3] ?? ""}`;
      index += 3;
    } else if (type === "map-value-ind") {
      pending = typeof key === "string" ? key : undefined;
      continue;
    } else if (type !== null && BETWEEN.has(type)) {
      continue;
    } else {
      // A newline, a bracket, a comma, an alias...: no value for a pending key.
      key = undefined;
      pending = undefined;
      continue;
    }
    const value = envName ? "" : decodeScalar(source);
    envName = false;
    if (pending !== undefined) {
      pairs.push({ [pending]: value });
      pending = undefined;
      key = undefined;
    } else {
      key = value;
    }
  }
  return pairs;
}

/** A scalar's source → its text, read as YAML reads it; the source itself when that fails. */
function decodeScalar(source: string): string {
  // The common cases without a parser (a large broken file holds tens of thousands of scalars).
  if (!/[\r\n]/.test(source)) {
    if (source.startsWith("'") && source.endsWith("'") && source.length > 1) {
      return source.slice(1, -1).replace(/''/g, "'");
    }
    if (source.startsWith('"')) {
      try {
        const text: unknown = JSON.parse(source);
        if (typeof text === "string") return text;
      } catch {
        // YAML escapes that JSON lacks (\x41, \e...): the parser reads them below.
      }
    } else {
      return source.trim();
    }
  }
  const doc = parseDocument(`x: ${source}`, OPTIONS);
  const value = doc.errors.length === 0 && isMap(doc.contents) ? doc.contents.get("x") : undefined;
  return typeof value === "string" ? value : source.trim();
}

function nodeAt(doc: Document, path: readonly PropertyKey[], index: MapIndex): Node | undefined {
  let node: unknown = doc.contents;
  for (const [at, key] of path.entries()) {
    if (isMap(node)) {
      const pair = pairOf(node, String(key), index);
      if (!pair) return node;
      node = at === path.length - 1 || !isNode(pair.value) ? pair.key : pair.value;
    } else if (isSeq(node) && typeof key === "number" && isNode(node.items[key])) {
      node = node.items[key];
    } else {
      break;
    }
  }
  return isNode(node) ? node : undefined;
}

/** Each mapping's pairs by key, built on first use: locating 20,000 problems in one mapping stays linear. */
type MapIndex = WeakMap<object, Map<string, Pair>>;

function pairOf(node: YAMLMap, key: string, index: MapIndex): Pair | undefined {
  let pairs = index.get(node);
  if (!pairs) {
    pairs = new Map();
    for (const item of node.items) {
      // The first of a repeated key, as a linear search would find it.
      if (isScalar(item.key) && !pairs.has(String(item.key.value))) pairs.set(String(item.key.value), item);
    }
    index.set(node, pairs);
  }
  return pairs.get(key);
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
  COLLECTION_KEY: "uses a list or mapping as a key; keys are field names",
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
