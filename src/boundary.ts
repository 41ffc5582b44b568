/**
 * THE trust boundary. Text the action did not write itself (values of a patch, connection names and
 * details from Datadog, response headers, event payloads) passes one of these functions before it
 * reaches the runner's log, an annotation, the job summary or a pull-request comment.
 *
 * - forLog: the runner reads `::name::` at the start of a line and `##[name]` ANYWHERE in a line as a
 *   workflow command; neither may survive.
 * - forMarkup: GitHub renders the summary and comments as Markdown with HTML; the text must render as
 *   literal text whatever it holds (line breaks, `<`, `[`, `!`, `@mentions`).
 *
 * (Skeleton; issue 9 owns the implementation.)
 */

/** `text` as it may stand in a log line or an annotation: no workflow command in any of its lines. */
export function forLog(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.replaceAll("##[", "#\u200b#[").replace(/^(\s*)::/, "$1\u200b::"))
    .join("\n");
}

/**
 * `text` as literal text in GitHub Markdown/HTML (summary, comment): escaped, on one visual line.
 * GitHub finds mentions (`@team`) and issue references (`#12`) in the rendered text, after entities
 * are decoded: a zero-width space after each `@` and `#` keeps them from notifying anyone or linking
 * another issue (as Renovate does in release notes).
 */
export function forMarkup(text: string): string {
  return text
    .replace(/[&<>"'\\`*_[\]()!#|~@{}+\-.:=]/g, (char) => `&#${char.charCodeAt(0)};${MENTIONS.has(char) ? ZWSP : ""}`)
    .replace(/\r\n|\r|\n/g, "<br>");
}

const MENTIONS: ReadonlySet<string> = new Set(["@", "#"]);
const ZWSP = "&#8203;";
