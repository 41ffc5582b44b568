/**
 * How deep data from outside (the patch, Datadog's answer) may nest. No field of an action connection
 * is more than 8 levels down (data.attributes.integration.credentials.headers[0].value); the limit
 * leaves room for fields Datadog may add, and keeps every recursive walk of such data (secrets.ts,
 * report.ts, compare.ts, JSON.stringify) far from the stack's end. The check itself is a loop.
 */
export const MAX_DEPTH = 64;

interface Place {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: Place | undefined;
  readonly key: string | number;
}

/** The path of the first place where `value` nests deeper than MAX_DEPTH, if there is one. */
export function tooDeepAt(value: unknown): (string | number)[] | undefined {
  const stack: Place[] = [{ value, depth: 0, parent: undefined, key: "" }];
  for (let place = stack.pop(); place; place = stack.pop()) {
    if (place.value === null || typeof place.value !== "object") continue;
    if (place.depth >= MAX_DEPTH) return pathOf(place);
    const entries: [string | number, unknown][] = Array.isArray(place.value)
      ? place.value.map((child, index) => [index, child])
      : Object.entries(place.value);
    for (const [key, child] of entries) stack.push({ value: child, depth: place.depth + 1, parent: place, key });
  }
  return undefined;
}

function pathOf(place: Place): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Place | undefined = place; at?.parent; at = at.parent) path.unshift(at.key);
  return path;
}
