import { describe, expect, it } from "vitest";
import { MAX_DEPTH, tooDeepAt } from "../../src/depth.ts";

/** Objects and lists in turn, `levels` of them, around a string. */
function nest(levels: number): unknown {
  let value: unknown = "leaf";
  for (let level = levels; level > 0; level--) value = level % 2 ? { k: value } : [value];
  return value;
}

describe("tooDeepAt", () => {
  it("takes MAX_DEPTH levels of mappings and lists, and gives the path of the first level past them", () => {
    expect(tooDeepAt(nest(MAX_DEPTH))).toBeUndefined();
    const path = tooDeepAt(nest(MAX_DEPTH + 1));
    expect(path).toHaveLength(MAX_DEPTH);
    expect(path?.slice(0, 4)).toEqual(["k", 0, "k", 0]);
  });

  it("walks a million levels without recursion", () => {
    expect(tooDeepAt(nest(1_000_000))).toHaveLength(MAX_DEPTH);
  });

  it("finds the deep branch among shallow ones; scalars and null are no level", () => {
    const path = tooDeepAt({ a: null, b: [1, "x", true], c: { d: nest(MAX_DEPTH) } });
    expect(path?.slice(0, 4)).toEqual(["c", "d", "k", 0]);
    expect(path).toHaveLength(MAX_DEPTH);
    expect(tooDeepAt({ a: null, b: [1, "x", true], c: { d: nest(MAX_DEPTH - 2) } })).toBeUndefined();
    expect(tooDeepAt("text")).toBeUndefined();
  });
});
