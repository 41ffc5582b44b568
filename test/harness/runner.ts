/**
 * A GitHub runner's view of one action step: runs the bundled action in a child process exactly as
 * the runner does (INPUT_* variables with the hyphen kept, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files,
 * a workspace as the working directory), then reads back what a workflow sees: the outputs, the job
 * summary and the log after the runner has applied workflow commands and masks.
 *
 * The log is emulated as the runner shows it: `::add-mask::` lines are hidden and their value (each
 * of its lines, trimmed, and the JSON-escaped, URL-encoded and base64 forms) is replaced by `***` in
 * every LATER line, not in earlier ones; `::debug::` is hidden; `::error::` / `::warning::` /
 * `::notice::` show as `Error: ...` / `Warning: ...` / `Notice: ...`. Commands are read as the runner
 * reads them: `::name::` after leading white space, and `##[name props]data` ANYWHERE in a line
 * (`##[set-output name=x;]v` sets an output; `##[stop-commands]t` stops processing until `::t::` or
 * `##[t]`). Lines are processed in the order they reached this process, stdout and stderr
 * interleaved, as the runner's two reader threads do.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The bundled action, as a workflow runs it. */
export const BUNDLE: string = fileURLToPath(new URL("../../dist/index.js", import.meta.url));

export interface WorkflowCommand {
  command: string;
  /** Decoded (%25 %0D %0A %3A %2C). */
  properties: Record<string, string>;
  /** Decoded (%25 %0D %0A). */
  message: string;
}

export interface ActionRun {
  exitCode: number | null;
  signal: string | null;
  /** The child was killed after timeoutMs. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** From set-output commands in the log and the GITHUB_OUTPUT file, as the runner sets them. */
  outputs: Record<string, string>;
  /** The GITHUB_STEP_SUMMARY file as written (HTML); see summaryText(). */
  summary: string;
  /** Values registered with ::add-mask::, in order, decoded. */
  masks: string[];
  /** The log as the runner shows it, masks applied progressively. */
  maskedLog: string;
  /** Every workflow command the runner would process, in order, decoded (not masked). */
  commands: WorkflowCommand[];
  durationMs: number;
  /** When `signal` was sent, in ms from the start (as durationMs); undefined if it was not sent. */
  signalSentMs: number | undefined;
}

export interface RunOptions {
  /** Action inputs by name (`connection-id`, `patch`...): become INPUT_CONNECTION-ID... */
  inputs: Record<string, string>;
  /** Extra variables (DD_API_KEY, HTTPS_PROXY...); they override the runner's. */
  env?: Record<string, string>;
  /** Files to create in the workspace, by path relative to it. */
  workspaceFiles?: Record<string, string | Uint8Array>;
  /** Default 30 s; then SIGTERM, and SIGKILL 2 s later. */
  timeoutMs?: number;
  /** The script to run; default the bundle (dist/index.js). */
  entry?: string;
  /** A signal to send mid-run, as the runner does when a workflow is cancelled. */
  signal?: SignalOptions;
}

/**
 * Sent once every condition given holds: `whenOutput` has appeared in the raw output (stdout or
 * stderr), `when` has resolved; then after `afterMs` more (default 0). Not sent if the child has exited.
 */
export interface SignalOptions {
  name: "SIGTERM" | "SIGINT";
  whenOutput?: string;
  when?: Promise<unknown>;
  afterMs?: number;
}

/**
 * Variables a runner's step gets from the machine. Nothing else is inherited: no INPUT_*, DD_*,
 * GITHUB_* or proxy variables of the process running the tests.
 */
const INHERITED = [
  "PATH",
  "HOME",
  "TMPDIR",
  "TEMP",
  "TMP",
  "LANG",
  "LC_ALL",
  "TZ",
  "NODE_EXTRA_CA_CERTS",
  "SYSTEMROOT",
];

const KILL_GRACE_MS = 2000;

/** The variable the runner sets for an input: `INPUT_` + name, spaces to `_`, upper case; hyphens kept. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

/** Runs the action once as a runner would; never rejects for the action's own failure. */
export async function runAction(options: RunOptions): Promise<ActionRun> {
  const root = await mkdtemp(join(tmpdir(), "action-run-"));
  try {
    const workspace = join(root, "workspace");
    const files = join(root, "files");
    const runnerTemp = join(root, "runner-temp");
    await Promise.all([mkdir(workspace), mkdir(files), mkdir(runnerTemp)]);
    const fileCommands = {
      GITHUB_OUTPUT: join(files, "output"),
      GITHUB_STEP_SUMMARY: join(files, "step-summary"),
      GITHUB_ENV: join(files, "env"),
      GITHUB_PATH: join(files, "path"),
      GITHUB_STATE: join(files, "state"),
    };
    await Promise.all(Object.values(fileCommands).map((path) => writeFile(path, "")));
    for (const [path, content] of Object.entries(options.workspaceFiles ?? {})) {
      const target = resolve(workspace, path);
      if (isAbsolute(path) || relative(workspace, target).startsWith("..") || target === workspace) {
        throw new Error(`workspaceFiles: ${path} is not a path inside the workspace`);
      }
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }

    const env: Record<string, string> = {};
    for (const name of INHERITED) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    Object.assign(env, fileCommands, {
      CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_WORKSPACE: workspace,
      GITHUB_REPOSITORY: "acme/platform",
      GITHUB_RUN_ID: "42",
      GITHUB_RUN_ATTEMPT: "1",
      GITHUB_SERVER_URL: "https://github.com",
      RUNNER_TEMP: runnerTemp,
    });
    for (const [name, value] of Object.entries(options.inputs)) env[inputVariable(name)] = value;
    Object.assign(env, options.env ?? {});

    const started = performance.now();
    const result = await spawnAndCollect(
      options.entry ?? BUNDLE,
      workspace,
      env,
      options.timeoutMs ?? 30_000,
      options.signal,
    );
    const durationMs = performance.now() - started;

    const [outputText, summary] = await Promise.all([
      readFile(fileCommands.GITHUB_OUTPUT, "utf8"),
      readFile(fileCommands.GITHUB_STEP_SUMMARY, "utf8"),
    ]);
    const log = emulateLog(result.chunks);
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      stdout: result.chunks
        .filter((chunk) => chunk.stream === "stdout")
        .map((chunk) => chunk.text)
        .join(""),
      stderr: result.chunks
        .filter((chunk) => chunk.stream === "stderr")
        .map((chunk) => chunk.text)
        .join(""),
      // Outputs set by a command in the log, then the file's, which the runner reads when the step ends.
      outputs: { ...log.outputs, ...parseOutputFile(outputText) },
      summary,
      masks: log.masks,
      maskedLog: log.maskedLog,
      commands: log.commands,
      durationMs,
      signalSentMs: result.signalSentAt === undefined ? undefined : result.signalSentAt - started,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Output as it reached the parent, in arrival order. */
export interface Chunk {
  stream: "stdout" | "stderr";
  text: string;
}

interface Spawned {
  chunks: Chunk[];
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** performance.now() when the signal was sent. */
  signalSentAt: number | undefined;
}

function spawnAndCollect(
  entry: string,
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
  signal: SignalOptions | undefined,
): Promise<Spawned> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [entry], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Chunk[] = [];
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    let signalSentAt: number | undefined;
    let signalTimer: NodeJS.Timeout | undefined;
    let exited = false;
    let seen = "";
    let outputSeen: () => void = () => undefined;
    const output = new Promise<void>((resolveOutput) => {
      outputSeen = resolveOutput;
    });
    const collect = (stream: Chunk["stream"]) => (text: string) => {
      chunks.push({ stream, text });
      if (signal?.whenOutput !== undefined && signalSentAt === undefined) {
        // Keep enough of the tail to find the text across chunk boundaries.
        seen = (seen + text).slice(-(signal.whenOutput.length + text.length));
        if (seen.includes(signal.whenOutput)) outputSeen();
      }
    };
    child.stdout.setEncoding("utf8").on("data", collect("stdout"));
    child.stderr.setEncoding("utf8").on("data", collect("stderr"));
    if (signal) {
      const conditions = [signal.whenOutput === undefined ? undefined : output, signal.when];
      Promise.all(conditions).then(
        () => {
          signalTimer = setTimeout(() => {
            if (exited) return;
            signalSentAt = performance.now();
            child.kill(signal.name);
          }, signal.afterMs ?? 0);
        },
        () => undefined,
      );
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      killer = setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS);
    }, timeoutMs);
    child.once("exit", () => {
      exited = true;
      clearTimeout(signalTimer);
    });
    child.once("error", (error) => {
      exited = true;
      clearTimeout(timer);
      clearTimeout(killer);
      clearTimeout(signalTimer);
      reject(error);
    });
    child.once("close", (exitCode, signalName) => {
      exited = true;
      clearTimeout(timer);
      clearTimeout(killer);
      clearTimeout(signalTimer);
      resolvePromise({ chunks, exitCode, signal: signalName, timedOut, signalSentAt });
    });
  });
}

/** The GITHUB_OUTPUT file: `name<<DELIMITER` … `DELIMITER` blocks and `name=value` lines. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    if (line.trim() === "") continue;
    const heredoc = /^([^=]+?)<<(.+)$/.exec(line);
    const equals = line.indexOf("=");
    if (heredoc && (equals < 0 || equals > line.indexOf("<<"))) {
      const [, name = "", delimiter = ""] = heredoc;
      const value: string[] = [];
      let closed = false;
      for (index++; index < lines.length; index++) {
        const current = lines[index] ?? "";
        if (current === delimiter) {
          closed = true;
          break;
        }
        value.push(current);
      }
      if (!closed) throw new Error(`GITHUB_OUTPUT: matching delimiter not found for ${name}`);
      outputs[name] = value.join("\n");
    } else if (equals > 0) {
      outputs[line.slice(0, equals)] = line.slice(equals + 1);
    } else {
      throw new Error(`GITHUB_OUTPUT: invalid line ${JSON.stringify(line)}`);
    }
  }
  return outputs;
}

/** Commands the runner acts on; other `::name::` lines are printed as they are. */
const REGISTERED = new Set([
  "add-mask",
  "add-matcher",
  "add-path",
  "debug",
  "echo",
  "endgroup",
  "error",
  "group",
  "notice",
  "remove-matcher",
  "save-state",
  "set-env",
  "set-output",
  "stop-commands",
  "warning",
]);

/** Message text of a workflow command: %25, %0D, %0A decoded. */
export function unescapeData(text: string): string {
  return text.replace(/%(25|0D|0A)/g, (_match, code: string) => ({ "25": "%", "0D": "\r", "0A": "\n" })[code] ?? "");
}

/** A property value of a workflow command: %25, %0D, %0A, %3A, %2C decoded. */
export function unescapeProperty(text: string): string {
  return text.replace(
    /%(25|0D|0A|3A|2C)/g,
    (_match, code: string) => ({ "25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": "," })[code] ?? "",
  );
}

/** Message and property text of a legacy `##[...]` command: %3B, %0D, %0A, %5D, %25 decoded. */
export function unescapeLegacy(text: string): string {
  return text.replace(
    /%(3B|0D|0A|5D|25)/g,
    (_match, code: string) => ({ "3B": ";", "0D": "\r", "0A": "\n", "5D": "]", "25": "%" })[code] ?? "",
  );
}

/** Leading white space as the runner's String.TrimStart removes it. */
const LEADING_SPACE = /^[\s\u0085]+/;

/**
 * A line as the runner reads it (actions/runner ActionCommand.TryParseV2, then TryParse): first
 * `::name key=value,key=value::message` once leading white space is trimmed, else `##[name
 * key=value;key=value]message` ANYWHERE in the line (its first `##[`). Names are matched without
 * regard to case; `extra` holds names registered for the moment (a stop-commands token).
 */
export function parseCommand(line: string, extra: ReadonlySet<string> = new Set()): WorkflowCommand | undefined {
  const known = (name: string) => REGISTERED.has(name.toLowerCase()) || extra.has(name.toLowerCase());
  const properties: Record<string, string> = {};
  const trimmed = line.replace(LEADING_SPACE, "");
  if (trimmed.startsWith("::")) {
    const end = trimmed.indexOf("::", 2);
    if (end >= 0) {
      const info = trimmed.slice(2, end);
      const space = info.indexOf(" ");
      const command = space < 0 ? info : info.slice(0, space);
      if (known(command)) {
        if (space > 0) {
          for (const pair of info
            .slice(space + 1)
            .trim()
            .split(",")) {
            const [key, value] = splitPair(pair);
            if (key !== undefined && value !== undefined) properties[key] = unescapeProperty(value);
          }
        }
        return { command, properties, message: unescapeData(trimmed.slice(end + 2)) };
      }
    }
  }
  const prefix = line.indexOf("##[");
  if (prefix < 0) return undefined;
  const bracket = line.indexOf("]", prefix);
  if (bracket < 0) return undefined;
  const info = line.slice(prefix + 3, bracket);
  const space = info.indexOf(" ");
  const command = space < 0 ? info : info.slice(0, space);
  if (!known(command)) return undefined;
  if (space > 0) {
    for (const pair of info.slice(space + 1).split(";")) {
      const [key, value] = splitPair(pair);
      if (key !== undefined && value !== undefined) properties[key] = unescapeLegacy(value);
    }
  }
  return { command, properties, message: unescapeLegacy(line.slice(bracket + 1)) };
}

/** `key=value` as the runner splits it (at the first `=`, empty parts dropped): both parts, or none. */
function splitPair(pair: string): [string, string] | [] {
  const parts = pair.split(/=(.*)/s).filter((part) => part !== "");
  return parts.length === 2 ? [parts[0] as string, parts[1] as string] : [];
}

/**
 * The forms of an added mask the runner hides: the value, its lines (trimmed), and the JSON-escaped,
 * URL-encoded and base64 forms of each.
 */
export function maskForms(value: string): string[] {
  const bases = new Set<string>([value, value.trim()]);
  for (const line of value.split(/\r\n|\r|\n/)) bases.add(line.trim());
  bases.delete("");
  const forms = new Set<string>();
  for (const base of bases) {
    forms.add(base);
    forms.add(JSON.stringify(base).slice(1, -1));
    forms.add(
      encodeURIComponent(base).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`),
    );
    if (base.length >= 3) forms.add(Buffer.from(base, "utf8").toString("base64").replace(/=+$/, ""));
  }
  forms.delete("");
  return [...forms];
}

/** `text` with every occurrence of every mask (in all its forms) replaced by `***`, overlaps merged. */
export function masked(text: string, masks: readonly string[]): string {
  const forms = [...new Set(masks.flatMap(maskForms))];
  const ranges: [number, number][] = [];
  for (const form of forms) {
    for (let at = text.indexOf(form); at >= 0; at = text.indexOf(form, at + 1)) ranges.push([at, at + form.length]);
  }
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let result = "";
  let position = 0;
  let current: [number, number] | undefined;
  for (const range of ranges) {
    if (current && range[0] <= current[1]) {
      current[1] = Math.max(current[1], range[1]);
      continue;
    }
    if (current) {
      result += `${text.slice(position, current[0])}***`;
      position = current[1];
    }
    current = [range[0], range[1]];
  }
  if (current) {
    result += `${text.slice(position, current[0])}***`;
    position = current[1];
  }
  return result + text.slice(position);
}

export interface EmulatedLog {
  masks: string[];
  maskedLog: string;
  commands: WorkflowCommand[];
  /** Outputs set by `set-output` commands in the log (`::set-output name=x::v`, `##[set-output name=x;]v`). */
  outputs: Record<string, string>;
}

/**
 * What the runner makes of a step's output, given in arrival order: each stream is split into lines,
 * and lines are processed as they complete (a line still open on one stream waits while the other
 * goes on), workflow commands acted on, masks applied from the moment they are added.
 */
export function emulateLog(chunks: readonly Chunk[]): EmulatedLog {
  const masks: string[] = [];
  const commands: WorkflowCommand[] = [];
  const shown: string[] = [];
  const outputs: Record<string, string> = {};
  let stopToken: string | undefined;

  const processLine = (line: string) => {
    const command = parseCommand(line, new Set(stopToken === undefined ? [] : [stopToken.toLowerCase()]));
    if (stopToken !== undefined) {
      // Stopped: only the token resumes; the line is shown as it is, as the runner echoes it.
      if (command && command.command.toLowerCase() === stopToken.toLowerCase()) stopToken = undefined;
      shown.push(masked(line, masks));
      return;
    }
    if (!command) {
      shown.push(masked(line, masks));
      return;
    }
    commands.push(command);
    switch (command.command.toLowerCase()) {
      case "add-mask":
        if (command.message.trim() !== "" && !masks.includes(command.message)) masks.push(command.message);
        break;
      case "error":
        shown.push(masked(`Error: ${command.message}`, masks));
        break;
      case "warning":
        shown.push(masked(`Warning: ${command.message}`, masks));
        break;
      case "notice":
        shown.push(masked(`Notice: ${command.message}`, masks));
        break;
      case "group":
        shown.push(masked(`> ${command.message}`, masks));
        break;
      case "set-output":
        // The deprecated command still sets an output (the runner warns, and sets it).
        if (command.properties.name) outputs[command.properties.name] = command.message;
        break;
      case "stop-commands":
        if (command.message !== "") {
          stopToken = command.message;
          // The runner masks a token longer than 6 characters, then echoes the line.
          if (stopToken.length > 6 && !masks.includes(stopToken)) masks.push(stopToken);
          shown.push(masked(line, masks));
        }
        break;
      default:
        // debug (shown only with step debug logging), endgroup and the file-less legacy commands.
        break;
    }
  };

  const pending: Record<Chunk["stream"], string> = { stdout: "", stderr: "" };
  for (const chunk of chunks) {
    const lines = (pending[chunk.stream] + chunk.text).split("\n");
    pending[chunk.stream] = lines.pop() ?? "";
    for (const line of lines) processLine(line.replace(/\r$/, ""));
  }
  for (const stream of ["stdout", "stderr"] as const) {
    if (pending[stream] !== "") processLine(pending[stream].replace(/\r$/, ""));
  }
  return { masks, maskedLog: shown.join("\n"), commands, outputs };
}

/**
 * A job summary (HTML) as readable plain text: headings on their own lines, table rows as
 * `Field: value` (header rows dropped), links as `text (url)`, code blocks kept, entities decoded.
 */
export function summaryText(html: string): string {
  let text = html.replace(/\r\n/g, "\n");
  // In <pre>, a <br> is a line break as a raw one is (untrusted text is written with <br>).
  text = text.replace(
    /<pre\b[^>]*>([\s\S]*?)<\/pre>/gi,
    (_match, inner: string) => `\n${stripTags(inner.replace(/<br\s*\/?>/gi, "\n"))}\n`,
  );
  text = text.replace(/<table\b[^>]*>([\s\S]*?)<\/table>/gi, (_match, inner: string) => `\n${tableText(inner)}\n`);
  text = text.replace(/<h[1-6]\b[^>]*>([\s\S]*?)<\/h[1-6]>/gi, (_match, inner: string) => `\n${stripTags(inner)}\n`);
  text = text.replace(
    /<a\b[^>]*?href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi,
    (_match, href: string, inner: string) => `${stripTags(inner)} (${href})`,
  );
  text = text
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<li\b[^>]*>/gi, "- ")
    .replace(/<\/(p|div|li|ul|ol|details|summary|blockquote)>/gi, "\n")
    .replace(/<hr\s*\/?>/gi, "\n---\n");
  text = decodeEntities(stripTags(text));
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function tableText(inner: string): string {
  const rows: string[] = [];
  for (const [, row = ""] of inner.matchAll(/<tr\b[^>]*>([\s\S]*?)<\/tr>/gi)) {
    const cells = [...row.matchAll(/<(t[hd])\b[^>]*>([\s\S]*?)<\/t[hd]>/gi)];
    if (cells.length === 0 || cells.every(([, tag]) => tag?.toLowerCase() === "th")) continue;
    const texts = cells.map(([, , cell = ""]) => stripTags(cell).replace(/\s+/g, " ").trim());
    const [first = "", ...rest] = texts;
    rows.push(rest.length === 0 ? first : `${first}: ${rest.join(" | ")}`);
  }
  return rows.join("\n");
}

function stripTags(html: string): string {
  return html.replace(/<[^>]*>/g, "");
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (match, entity: string) => {
    if (entity[0] === "#") {
      const code =
        entity[1] === "x" || entity[1] === "X" ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
      return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
    }
    return ENTITIES[entity.toLowerCase()] ?? match;
  });
}
