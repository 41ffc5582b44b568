/**
 * A job summary or comment as GitHub renders it: Markdown (CommonMark, whose HTML-block rules GitHub's
 * cmark-gfm shares) with raw HTML kept. What a hostile text could make of the page shows here as
 * elements: an <img>, an <a>, a heading that the action did not write.
 */
import { HtmlRenderer, Parser } from "commonmark";

export function renderMarkdown(text: string): string {
  return new HtmlRenderer({ safe: false }).render(new Parser().parse(text));
}

/** The opening tags of the rendered page, by name, in order: `["h2", "table", "tr", ...]`. */
export function elements(html: string): string[] {
  return [...html.matchAll(/<([a-z][a-z0-9]*)\b/gi)].map(([, name = ""]) => name.toLowerCase());
}
