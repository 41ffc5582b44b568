import { describe, expect, it } from "vitest";
import { describeUnexpected } from "../../src/failure.ts";

describe("describeUnexpected", () => {
  it("gives the kind, the code and the frames, never the message", () => {
    const error = Object.assign(new TypeError("value sk-live-0123456789 is not valid\n    at sk-live-0123456789"), {
      code: "ERR_X",
    });
    const text = describeUnexpected(error);
    expect(text).not.toContain("sk-live");
    expect(text.split("\n")[0]).toBe("Unexpected TypeError (ERR_X), thrown:");
    expect(
      text
        .split("\n")
        .slice(1)
        .every((line) => /^\s+at /.test(line)),
    ).toBe(true);
    expect(text.split("\n").length).toBeGreaterThan(1);
  });

  it("gives no frames when the stack does not start with the message (it could hold input)", () => {
    const error = new Error("secret");
    error.stack = "Error: something else\n    at secret-frame";
    expect(describeUnexpected(error)).toBe("Unexpected Error, thrown:");
  });

  it("names what was thrown when it is not an error", () => {
    expect(describeUnexpected("a string")).toBe("Unexpected string, thrown:");
  });
});
