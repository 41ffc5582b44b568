/** Small text helpers shared by messages. */

/**
 * The candidate nearest to `word` (case-insensitive optimal string alignment distance), if it is
 * near enough to be a typo: at most 1 edit for short words, 2 for longer ones.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = word.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  // Rows of the dynamic-programming table; only the last three are needed.
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, (before[j - 2] ?? 0) + 1);
      }
      current.push(distance);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Each run of white space and control characters as one space, trimmed: one line, safe in the log.
 * Messages that quote Datadog use it, and so do the mask forms of a secret (secrets.ts), so that a
 * secret quoted in a message is masked in the form the message shows it.
 */
export function collapseSpace(text: string): string {
  return text.replace(/[\p{Cc}\s]+/gu, " ").trim();
}
