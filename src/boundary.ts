/**
 * THE trust boundary. Text the action did not write itself (values of a patch, connection names and
 * details from Datadog, response headers, event payloads) passes one of these functions before it
 * reaches the runner's log, an annotation, the job summary or a pull-request comment. The log side
 * holds by construction: every line the action prints goes through log.ts, which applies forLog to
 * the whole message, the action's own words included.
 *
 * - forLog: the runner (actions/runner OutputManager → ActionCommandManager) reads each line of a
 *   step's output, split at \n, \r or \r\n, as a workflow command in two forms: `::name ...::data`
 *   once leading white space is trimmed (ActionCommand.TryParseV2), and `##[name ...]data` ANYWHERE
 *   in the line (TryParse: IndexOf("##[")). `##[set-output name=x;]v` sets an output and
 *   `##[stop-commands]t` silences every later command. Neither form may survive.
 *
 *   The runner compares with the current culture (String.IndexOf/StartsWith without StringComparison),
 *   where ICU skips "ignorable" characters such as U+200B: a zero-width space between `#` and `#` does
 *   not break `##[` for it. So the marks inserted here are visible ASCII: `##[` is written `##\[`, and a
 *   line whose first non-blank characters are `::` gets a `\` before them (`\::set-output::`), in the
 *   manner of the runner's own `##[\start-action`.
 *
 * - forMarkup: GitHub renders the summary and comments as Markdown with HTML; the text must render as
 *   literal text whatever it holds. Every ASCII punctuation character becomes a numeric character
 *   reference (no `<tag>`, `[link](…)`, `![image](…)`, `#`, `*`, `|` or `` ` `` survives as markup, in
 *   an HTML block or in a paragraph), a line break becomes `<br>` (a blank line would end the HTML
 *   block the summary's tables are, after which Markdown renders), and an `@` that could start a mention
 *   (`@team`, not `ops@example.com`) is followed by a zero-width space: GitHub finds mentions in the
 *   rendered text, entities decoded, and must link and notify no one.
 */

/** The line breaks of the runner's line reader (.NET StreamReader.ReadLine). */
const LINE_BREAK = /\r\n|\r|\n/;

/** Leading white space as .NET's String.TrimStart removes it (JavaScript's \s, plus U+0085). */
const COMMAND_START = /^([\s\u0085]*)::/;

/** `text` as it may stand in a log line or an annotation: no workflow command in any of its lines. */
export function forLog(text: string): string {
  return text
    .split(LINE_BREAK)
    .map((line) => line.replaceAll("##[", "##\\[").replace(COMMAND_START, "$1\\::"))
    .join("\n");
}

const PUNCTUATION = /[!-/:-@[-`{-~]/g;
/** GitHub reads `@name` as a mention only at the start or after a non-word character: not in `ops@example.com`. */
const WORD = /\w/;

/** `text` as literal text in GitHub Markdown/HTML (summary, comment): escaped, on one visual line per line. */
export function forMarkup(text: string): string {
  return text
    .split(LINE_BREAK)
    .map((line) =>
      line.replace(PUNCTUATION, (char, at: number) =>
        char === "@" && !WORD.test(line.charAt(at - 1))
          ? "&#64;&#8203;"
          : // `#12` links another issue: a zero-width space after every `#` keeps it text (as Renovate does).
            char === "#"
            ? "&#35;&#8203;"
            : `&#${char.charCodeAt(0)};`,
      ),
    )
    .join("<br>");
}
