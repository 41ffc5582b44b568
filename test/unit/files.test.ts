import { describe, expect, it } from "vitest";
import { decodeUtf8File, firstInvalidByte } from "../../src/files.ts";

const bytes = (...values: number[]) => Uint8Array.from(values);

describe("decodeUtf8File", () => {
  it("gives UTF-8 text exactly, a byte order mark dropped", () => {
    expect(decodeUtf8File(Buffer.from("a: \u00e4\u20ac\u{1f600}\n"), "p.yaml")).toEqual({
      ok: true,
      text: "a: \u00e4\u20ac\u{1f600}\n",
    });
    expect(decodeUtf8File(Buffer.from("\uFEFFa: b\n"), "p.yaml")).toEqual({ ok: true, text: "a: b\n" });
  });

  it("points at the first bad byte by line and column, counting characters before it", () => {
    const text = Buffer.concat([Buffer.from("a: 1\n\uFEFF\u00e9\u20ac x: "), bytes(0xe9, 0x74)]);
    expect(decodeUtf8File(text, "p.yaml")).toEqual({
      ok: false,
      message:
        "p.yaml is not UTF-8 text: byte 0xE9 at line 2, column 8 is not valid UTF-8 (Latin-1 or Windows-1252?); save the file as UTF-8",
      line: 2,
      column: 8,
    });
    // A byte order mark does not count as a column of line 1.
    expect(decodeUtf8File(Buffer.concat([Buffer.from("\uFEFFab"), bytes(0xff)]), "p.yaml")).toMatchObject({
      line: 1,
      column: 3,
    });
  });

  it("says a UTF-16 file is UTF-16, with or without its byte order mark", () => {
    for (const [data, order] of [
      [Buffer.from("\uFEFFa: b\n", "utf16le"), "little-endian"],
      [Buffer.from("\uFEFFa: b\n", "utf16le").swap16(), "big-endian"],
      [Buffer.from("a: b\n", "utf16le"), "little-endian"],
      [Buffer.from("a: b\n", "utf16le").swap16(), "big-endian"],
    ] as const) {
      expect(decodeUtf8File(data, "p.yaml")).toEqual({
        ok: false,
        message: `p.yaml is UTF-16 (${order}) text; save it as UTF-8`,
        line: 1,
        column: 1,
      });
    }
  });
});

describe("firstInvalidByte", () => {
  it.each([
    ["valid text", bytes(0x61, 0xc3, 0xa4, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80), -1],
    ["a Latin-1 byte", bytes(0x61, 0xe4, 0x73), 1],
    ["a lone continuation byte", bytes(0x61, 0x80), 1],
    ["an overlong form of /", bytes(0xc0, 0xaf), 0],
    ["an overlong three-byte form", bytes(0x61, 0xe0, 0x80, 0xaf), 1],
    ["a surrogate", bytes(0xed, 0xa0, 0x80), 0],
    ["above U+10FFFF", bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ["a sequence cut at the end", bytes(0x61, 0x62, 0xe2, 0x82), 2],
    ["a bad second continuation", bytes(0xe2, 0x82, 0x41), 0],
  ])("%s", (_name, data, expected) => {
    expect(firstInvalidByte(data)).toBe(expected);
    // The decoder of record agrees.
    const decodes = (() => {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(data);
        return true;
      } catch {
        return false;
      }
    })();
    expect(decodes).toBe(expected === -1);
  });
});
