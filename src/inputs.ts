/**
 * The action's inputs, read once into a typed object: action inputs first, then the DD_* variables
 * that Datadog's own tools read. Every refusal names the input and says what to do; none quotes a
 * key or a patch.
 */
import { readFileSync, realpathSync, statSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import type { Where } from "./datadog/explain.ts";
import { DEFAULT_SITE, findSite, SITES } from "./datadog/sites.ts";
import { Failure, inputFailure } from "./failure.ts";
import { decodeUtf8File } from "./files.ts";
import { expandPatterns } from "./fleet/patterns.ts";
import { isLoopback } from "./loopback.ts";

export interface PatchSource {
  /** Which input held the text: `patch`, `patch-file`, or `connections` (a connection file). */
  readonly input: "patch" | "patch-file" | "connections";
  /** For `patch-file`: the file's path relative to the workspace, as annotations need it. */
  readonly file?: string;
  readonly text: string;
}

export interface Inputs {
  /** One-connection mode: the connection-id input; undefined in fleet mode. */
  readonly connectionId: string | undefined;
  /** Fleet mode: at most this many requests in flight. */
  readonly maxParallel: number;
  /** Base URL of the API, without a trailing slash: `https://api.datadoghq.eu`. */
  readonly baseUrl: string;
  /** How messages name the place the request goes to, and the input that chose it. */
  readonly where: Where;
  readonly apiKey: string;
  readonly appKey: string;
  readonly dryRun: boolean;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  /** Post the plan (or the outcome) as a pull-request comment. */
  readonly comment: boolean;
  /** For that comment; masked with the keys, before anything is printed. */
  readonly githubToken: string;
}

/** `core.getInput`: trims the value unless told not to. */
export type GetInput = (name: string, options?: { trimWhitespace?: boolean }) => string;

/** Larger than any real patch; keeps a wrong file (a log, a binary) from being read whole. */
export const MAX_PATCH_BYTES = 1024 * 1024;
/** All connection files of a step together: far more than any fleet, bounded so that parsing is. */
const MAX_FLEET_BYTES = 16 * 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TIMEOUT_SECONDS = 3600;
const MAX_RETRIES = 10;
const MAX_PARALLEL = 16;

/** The Datadog keys, from the inputs or DD_API_KEY / DD_APP_KEY; read first so they can be masked first. */
export function readKeys(getInput: GetInput, env: NodeJS.ProcessEnv): { apiKey: string; appKey: string } {
  return {
    apiKey: getInput("api-key").trim() || (env.DD_API_KEY ?? "").trim(),
    appKey: getInput("app-key").trim() || (env.DD_APP_KEY ?? "").trim(),
  };
}

/** The `github-token` input (the workflow's token by default); read first, with the keys, to be masked first. */
export function readGitHubToken(getInput: GetInput): string {
  return getInput("github-token").trim();
}

/** Every input but the sources of documents (read first, to mask their secrets before anything else). */
export function readInputs(
  getInput: GetInput,
  env: NodeJS.ProcessEnv,
  keys: { readonly apiKey: string; readonly appKey: string },
  fleet: boolean,
): Inputs {
  const { apiKey, appKey } = keys;
  const dryRun = readBoolean(getInput, "dry-run", false);
  // A dry run sends nothing, so a pull request from a fork (which gets no secrets) can still check.
  if (!dryRun) {
    checkKey("api-key", "DD_API_KEY", apiKey);
    checkKey("app-key", "DD_APP_KEY", appKey);
  }
  const { baseUrl, where } = readEndpoint(getInput, env);
  return {
    connectionId: fleet ? undefined : readConnectionId(getInput("connection-id")),
    maxParallel: readNumber(getInput, "max-parallel", 4, { min: 1, max: MAX_PARALLEL, integer: true }),
    baseUrl,
    where,
    apiKey,
    appKey,
    dryRun,
    timeoutMs: readNumber(getInput, "timeout-seconds", 60, { min: 1, max: MAX_TIMEOUT_SECONDS, integer: false }) * 1000,
    maxRetries: readNumber(getInput, "max-retries", 3, { min: 0, max: MAX_RETRIES, integer: true }),
    comment: readBoolean(getInput, "comment", false),
    githubToken: readGitHubToken(getInput),
  };
}

function readConnectionId(text: string): string {
  const id = text.trim();
  if (id === "") throw inputFailure("connection-id", "is required; give the UUID of the connection to update");
  if (!UUID.test(id)) {
    throw inputFailure(
      "connection-id",
      "must be a UUID such as 11111111-2222-3333-4444-555555555555 (find it in the connection's page in Datadog)",
    );
  }
  return id.toLowerCase();
}

function checkKey(input: string, variable: string, key: string): void {
  if (key === "") {
    throw inputFailure(input, `is required; pass it as \${{ secrets.* }} or set ${variable} in the environment`);
  }
  // Visible ASCII only: anything else cannot travel in an HTTP header (and would not be a key).
  if (!/^[\x21-\x7E]+$/.test(key)) {
    throw inputFailure(
      input,
      "holds spaces, line breaks or other characters a Datadog key never has; copy the key again",
    );
  }
}

function readEndpoint(getInput: GetInput, env: NodeJS.ProcessEnv): { baseUrl: string; where: Where } {
  const siteText = getInput("site").trim();
  const siteInput = siteText ? "site" : "DD_SITE";
  const named = siteText || (env.DD_SITE ?? "").trim();
  const site = named ? findSite(named) : DEFAULT_SITE;
  if (!site) {
    throw inputFailure(siteInput, `is not a Datadog site; use one of ${SITES.map((entry) => entry.name).join(", ")}`);
  }
  const apiUrl = getInput("api-url").trim();
  if (apiUrl) {
    const baseUrl = readApiUrl(apiUrl);
    return { baseUrl, where: { label: `${new URL(baseUrl).host} (api-url)`, input: "api-url" } };
  }
  // Without site or DD_SITE, the advice names `site`: that is the input to set.
  return { baseUrl: `https://${site.api}`, where: { label: site.name, input: named ? siteInput : "site" } };
}

function readApiUrl(text: string): string {
  if (!URL.canParse(text))
    throw inputFailure("api-url", "must be an absolute URL such as https://dd-gateway.example.com");
  const url = new URL(text);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw inputFailure("api-url", "must start with https:// (or http:// for a loopback host)");
  }
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    throw inputFailure(
      "api-url",
      "may use http:// only for a loopback host (localhost, 127.0.0.1, [::1]); use https://",
    );
  }
  if (url.username || url.password) {
    throw inputFailure("api-url", "must not hold a user or password; the keys travel in headers");
  }
  if (url.search || url.hash) throw inputFailure("api-url", "must not hold a query or fragment");
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * Where the documents come from: the connection files `connections` names (fleet mode), or the
 * patch (one-connection mode). Mixing the two modes' inputs is refused.
 */
export async function readSources(getInput: GetInput, env: NodeJS.ProcessEnv): Promise<PatchSource[]> {
  const patterns = getInput("connections");
  if (patterns.trim() === "") return [readPatch(getInput, env)];
  const mixed = ["connection-id", "patch", "patch-file"].find((name) => getInput(name).trim() !== "");
  if (mixed) {
    throw inputFailure(
      "connections",
      `and ${mixed} are both set; a step updates one connection (connection-id with patch or patch-file) or a fleet (connections), not both`,
    );
  }
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const files = await expandPatterns(patterns, workspace);
  const sources = files.map((file) => readWorkspaceFile("connections", file, workspace));
  const bytes = sources.reduce((sum, source) => sum + Buffer.byteLength(source.text), 0);
  if (bytes > MAX_FLEET_BYTES) {
    throw inputFailure("connections", "name files of more than 16 MiB in all; split the fleet across steps");
  }
  return sources;
}

/** The patch, from `patch` or from the file `patch-file` names; exactly one of them. */
export function readPatch(getInput: GetInput, env: NodeJS.ProcessEnv): PatchSource {
  // Not trimmed as a whole: JavaScript's trim() also takes a no-break space or U+2028 that ends the
  // last value (YAML writes those unquoted), and the secret sent would not be the one written.
  const inline = getInput("patch", { trimWhitespace: false }).replace(/^[\uFEFF \t\r\n]+|[ \t\r\n]+$/g, "");
  const file = getInput("patch-file").trim();
  if (inline.trim() && file) throw inputFailure("patch", "and patch-file are both set; give exactly one of them");
  if (!inline.trim() && !file) {
    throw inputFailure("patch", "is required, or patch-file; give the attributes to change as YAML or JSON");
  }
  if (inline.trim()) {
    if (Buffer.byteLength(inline) > MAX_PATCH_BYTES) throw inputFailure("patch", "is larger than 1 MiB");
    return { input: "patch", text: inline };
  }
  if (/\p{Cc}/u.test(file) || file.length > 1024) {
    throw inputFailure("patch-file", "must be a path, on one line; to give the patch itself, use the patch input");
  }
  return readWorkspaceFile("patch-file", file, env.GITHUB_WORKSPACE || process.cwd());
}

/**
 * How messages name the file: its path when it looks like one, else "the file given" (a patch, with
 * its secrets, may have been given to the wrong input).
 */
function shown(path: string): string {
  return /^[\w.@+~/-]{1,255}$/.test(path) ? path : "the file given";
}

/** A file inside the workspace, read whole; refused, naming `input`, when it is not one. */
function readWorkspaceFile(input: PatchSource["input"], file: string, workspace: string): PatchSource {
  const root = resolve(workspace);
  const path = resolve(root, file);
  const name = shown(relative(root, path).split(sep).join("/"));
  const inside = (candidate: string, base: string) => candidate === base || candidate.startsWith(base + sep);
  if (!inside(path, root)) {
    throw inputFailure(input, "must be a path inside the workspace (relative to GITHUB_WORKSPACE)");
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw inputFailure(
      input,
      `${name} was not found in the workspace; check the path and that the repository is checked out`,
    );
  }
  // A link inside the workspace must not lead outside it (to /etc, to the runner's credentials).
  if (!inside(real, realpathSync(root))) {
    throw inputFailure(input, "leads outside the workspace through a link; give a file inside the repository");
  }
  const stats = statSync(real);
  if (!stats.isFile()) throw inputFailure(input, `${name} is not a file`);
  if (stats.size > MAX_PATCH_BYTES) throw inputFailure(input, `${name} is larger than 1 MiB`);
  const inWorkspace = relative(root, path).split(sep).join("/");
  const decoded = decodeUtf8File(readFileSync(real), name);
  if (!decoded.ok) {
    throw new Failure({
      message: `${input}: ${decoded.message}`,
      title: "Invalid input",
      file: inWorkspace,
      line: decoded.line,
      column: decoded.column,
    });
  }
  return { input, file: inWorkspace, text: decoded.text };
}

function readBoolean(getInput: GetInput, name: string, fallback: boolean): boolean {
  const text = getInput(name).trim();
  if (text === "") return fallback;
  if (["true", "True", "TRUE"].includes(text)) return true;
  if (["false", "False", "FALSE"].includes(text)) return false;
  throw inputFailure(name, "must be true or false");
}

function readNumber(
  getInput: GetInput,
  name: string,
  fallback: number,
  range: { min: number; max: number; integer: boolean },
): number {
  const text = getInput(name).trim();
  if (text === "") return fallback;
  const value = Number(text);
  const kind = range.integer ? "a whole number" : "a number";
  if (!/^\d+(\.\d+)?$/.test(text) || (range.integer && !Number.isInteger(value))) {
    throw inputFailure(name, `must be ${kind} from ${range.min} to ${range.max}`);
  }
  if (value < range.min || value > range.max)
    throw inputFailure(name, `must be ${kind} from ${range.min} to ${range.max}`);
  return value;
}
