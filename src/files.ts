/**
 * Text files the user wrote (a patch file; in fleet mode, connection files): their bytes decoded
 * exactly, or refused. A credential in Latin-1 (`pässwörd`) decoded leniently would reach Datadog as
 * `p\uFFFDssw\uFFFDrd` and the step would pass with a corrupted secret; a UTF-16 file would be read
 * as noise and refused for a reason that does not help.
 */

/** The text, or why the bytes are not UTF-8 text and where the first bad byte stands (1-based). */
export type DecodedFile =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly message: string; readonly line: number; readonly column: number };

/**
 * `bytes` as strict UTF-8 (a UTF-8 byte order mark allowed and dropped). `name` is how the message
 * names the file; the message says what to do and never quotes the file's content.
 */
export function decodeUtf8File(bytes: Uint8Array, name: string): DecodedFile {
  const utf16 = utf16Order(bytes);
  if (utf16) {
    return { ok: false, message: `${name} is UTF-16 (${utf16}) text; save it as UTF-8`, line: 1, column: 1 };
  }
  try {
    // ignoreBOM: false drops a leading UTF-8 byte order mark.
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    const at = firstInvalidByte(bytes);
    const { line, column } = positionOf(bytes, at);
    const byte = (bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, "0");
    return {
      ok: false,
      message:
        `${name} is not UTF-8 text: byte 0x${byte} at line ${line}, column ${column} is not valid UTF-8 ` +
        "(Latin-1 or Windows-1252?); save the file as UTF-8",
      line,
      column,
    };
  }
}

/**
 * "little-endian" or "big-endian" when the bytes are UTF-16: a byte order mark, or without one, the
 * pattern ASCII text makes in UTF-16 (every other byte NUL) in most of the first 256 characters.
 */
function utf16Order(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "little-endian";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "big-endian";
  const pairs = Math.min(Math.floor(bytes.length / 2), 256);
  let little = 0;
  let big = 0;
  for (let pair = 0; pair < pairs; pair++) {
    const [first, second] = [bytes[2 * pair], bytes[2 * pair + 1]];
    if (first !== 0 && second === 0) little++;
    if (first === 0 && second !== 0) big++;
  }
  if (pairs > 0 && little * 2 > pairs) return "little-endian";
  if (pairs > 0 && big * 2 > pairs) return "big-endian";
  return undefined;
}

/**
 * The offset of the first byte that does not start a well-formed UTF-8 sequence (the table of the
 * WHATWG Encoding standard: no overlong forms, no surrogates, nothing above U+10FFFF), or -1.
 */
export function firstInvalidByte(bytes: Uint8Array): number {
  let at = 0;
  while (at < bytes.length) {
    const lead = bytes[at] ?? 0;
    if (lead < 0x80) {
      at++;
      continue;
    }
    const sequence = SEQUENCES.find((entry) => lead >= entry.from && lead <= entry.to);
    if (!sequence) return at;
    for (let next = 1; next <= sequence.continuations; next++) {
      const byte = bytes[at + next];
      const [low, high] = next === 1 ? [sequence.low, sequence.high] : [0x80, 0xbf];
      if (byte === undefined || byte < low || byte > high) return at;
    }
    at += sequence.continuations + 1;
  }
  return -1;
}

/** Lead bytes, how many continuation bytes follow, and the range allowed for the first of them. */
const SEQUENCES = [
  { from: 0xc2, to: 0xdf, continuations: 1, low: 0x80, high: 0xbf },
  { from: 0xe0, to: 0xe0, continuations: 2, low: 0xa0, high: 0xbf },
  { from: 0xe1, to: 0xec, continuations: 2, low: 0x80, high: 0xbf },
  { from: 0xed, to: 0xed, continuations: 2, low: 0x80, high: 0x9f },
  { from: 0xee, to: 0xef, continuations: 2, low: 0x80, high: 0xbf },
  { from: 0xf0, to: 0xf0, continuations: 3, low: 0x90, high: 0xbf },
  { from: 0xf1, to: 0xf3, continuations: 3, low: 0x80, high: 0xbf },
  { from: 0xf4, to: 0xf4, continuations: 3, low: 0x80, high: 0x8f },
] as const;

/** Line and column (in characters, as the YAML parser counts them) of the byte at `at`, 1-based. */
function positionOf(bytes: Uint8Array, at: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let offset = 0; offset < at; offset++) {
    if (bytes[offset] === 0x0a) {
      line++;
      start = offset + 1;
    }
  }
  // Everything before `at` is valid UTF-8. A byte order mark is kept here, and dropped below only
  // where the file starts with it.
  const before = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes.subarray(start, at));
  return { line, column: (line === 1 ? before.replace(/^\uFEFF/, "") : before).length + 1 };
}
