/** Small text helpers shared by messages. */

/**
 * The candidate nearest to `word` (case-insensitive optimal string alignment distance), if it is
 * near enough to be a typo: at most 1 edit for short words, 2 for longer ones.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = word.length <= 4 ? 1 : 2;
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    // Each edit changes the length by at most one: most candidates need no table (20,000 unknown keys
    // are each compared with every secret field's name).
    if (Math.abs(candidate.length - word.length) > limit) continue;
    const distance = editDistance(lower, candidate.toLowerCase(), limit);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. With `limit`, any
 * distance above it comes back as limit + 1, found as soon as a whole row of the table exceeds it.
 */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  // Rows of the dynamic-programming table; only the last three are needed, reused in turn.
  let before = new Int32Array(b.length + 1);
  let previous = new Int32Array(b.length + 1).map((_, j) => j);
  let current = new Int32Array(b.length + 1);
  let previousLowest = 0;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let lowest = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, (before[j - 2] as number) + 1);
      }
      current[j] = distance;
      if (distance < lowest) lowest = distance;
    }
    // A swap reaches back two rows: stop only when this row and the one before both exceed the limit.
    if (lowest > limit && previousLowest > limit) return limit + 1;
    previousLowest = lowest;
    [before, previous, current] = [previous, current, before];
  }
  return Math.min(previous[b.length] as number, limit + 1);
}

/**
 * Each run of white space and control characters as one space, trimmed: one line, safe in the log.
 * Messages that quote Datadog use it, and so do the mask forms of a secret (secrets.ts), so that a
 * secret quoted in a message is masked in the form the message shows it.
 */
export function collapseSpace(text: string): string {
  return text.replace(/[\p{Cc}\s]+/gu, " ").trim();
}
