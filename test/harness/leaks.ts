/**
 * Where a secret could be read after a run, and whether it can: the log as the runner shows it
 * (debug lines included, masks applied from the point each is registered), annotation properties
 * (the runner does not mask a title), the job summary (not masked at all), GITHUB_OUTPUT, and stderr
 * (raw: the runner reads it on its own thread, so a mask sent on stdout may come too late).
 */
import { type ActionRun, masked, summaryText } from "./runner.ts";

/** Shorter lines of a multi-line secret are not checked: two letters can stand anywhere in a log. */
const MIN_FORM_LENGTH = 6;

/**
 * What must not be readable of a secret: the value, trimmed, each line (trimmed), and of each its
 * JSON-escaped form (as JavaScript and as Go write it) and its form with every run of white space made
 * one space (how a message that quotes Datadog's answer shows it).
 */
export function readableForms(secret: string): string[] {
  const bases = new Set([secret, secret.trim(), ...secret.split(/\r\n|\r|\n/).map((line) => line.trim())]);
  const forms = new Set<string>();
  for (const base of bases) {
    forms.add(base);
    forms.add(JSON.stringify(base).slice(1, -1));
    forms.add(goEscaped(base));
    forms.add(base.replace(/[\p{Cc}\s]+/gu, " ").trim());
  }
  return [...forms].filter((form) => form.length >= MIN_FORM_LENGTH || form === secret.trim());
}

/** JSON string content as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 as \u escapes. */
export function goEscaped(text: string): string {
  return JSON.stringify(text)
    .slice(1, -1)
    .replace(/[<>&\u2028\u2029]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** What of a run a person or a following step can read. */
export type Readable = Pick<ActionRun, "maskedLog" | "stderr" | "summary" | "outputs" | "commands">;

export interface LeakCheck {
  /** Secret values: none of their readable forms may show. */
  readonly secrets: readonly string[];
  /** Pieces that must not show either (e.g. parts of a secret that a shortened message would cut). */
  readonly fragments?: readonly string[];
}

/** The places a person (or a following step) reads after the run, each as text. */
export function readablePlaces(run: Readable): [string, string][] {
  const places: [string, string][] = [
    ["log", run.maskedLog],
    ["stderr", run.stderr],
    ["summary (HTML)", run.summary],
    ["summary (text)", summaryText(run.summary)],
  ];
  for (const [name, value] of Object.entries(run.outputs)) places.push([`output ${name}`, value]);
  // Debug lines (RUNNER_DEBUG=1) and annotation properties, masks applied as the runner would.
  const masks: string[] = [];
  for (const [index, command] of run.commands.entries()) {
    if (command.command === "add-mask") {
      masks.push(command.message);
      continue;
    }
    if (command.command === "debug") places.push([`debug line ${index}`, masked(command.message, masks)]);
    for (const [property, value] of Object.entries(command.properties)) {
      // Titles are not masked by the runner; the file, line and column neither.
      places.push([`${command.command} ${property}`, value]);
    }
  }
  return places;
}

/** Every readable form of a secret that shows somewhere, as `place: form`; empty when nothing leaks. */
export function findLeaks(run: Readable, check: LeakCheck): string[] {
  const wanted = [...new Set([...check.secrets.flatMap(readableForms), ...(check.fragments ?? [])])].filter(
    (form) => form.trim() !== "",
  );
  const found: string[] = [];
  for (const [place, text] of readablePlaces(run)) {
    for (const form of wanted) if (text.includes(form)) found.push(`${place}: ${JSON.stringify(form)}`);
  }
  return found;
}

/** Signs that a stack trace or a raw library error reached the log. */
export function stackTraces(run: Pick<ActionRun, "stdout" | "stderr">): string[] {
  const text = `${run.stdout}\n${run.stderr}`;
  return text.split("\n").filter((line) => /^\s+at .+[:(]/.test(line) || /^(\w*Error|Error):? /.test(line));
}
