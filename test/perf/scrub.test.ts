/**
 * The scrub of server text is linear in the text, whatever the number of secrets: 1 MiB against 1,000
 * secrets. Not a unit test: `npm run mutate` runs the unit tests on instrumented code, 100 times slower.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { REDACTED, SecretRegistry } from "../../src/secrets.ts";

const MiB = 1024 * 1024;

/** 1,000 secrets of 40 to 50 characters, some holding characters that escape differently in each form. */
const SECRETS = Array.from({ length: 1000 }, (_, i) => {
  const random = createHash("sha256").update(`secret ${i}`).digest("base64").slice(0, 36);
  return i % 3 === 0 ? `sk-${random}<&>"${i}` : `sk-${random}${i}`;
});

function timed(registry: SecretRegistry, text: string): { ms: number; scrubbed: string } {
  const started = performance.now();
  const scrubbed = registry.scrubMessage(text);
  return { ms: performance.now() - started, scrubbed };
}

describe("scrubMessage on 1 MiB against 1,000 secrets", () => {
  const registry = new SecretRegistry(() => undefined);
  registry.register(SECRETS);

  it("takes well under a second per MiB of prose, and leaves it whole", () => {
    const words = "Datadog said: the request is invalid; check each field and send it again. ";
    const text = words.repeat(Math.ceil(MiB / words.length)).slice(0, MiB);
    const { ms, scrubbed } = timed(registry, text);
    expect(scrubbed).toBe(text);
    // Measured 0.1 s on a shared 2-core machine; a scan per secret form takes minutes.
    expect(ms).toBeLessThan(3000);
  });

  it("finds every secret quoted in it, cut or whole, in the same time", () => {
    const quoted = SECRETS.map((secret, i) => (i % 2 === 0 ? secret : secret.slice(2, 14))).join(" | ");
    const filler = "x".repeat(MiB - quoted.length);
    const { ms, scrubbed } = timed(registry, `${filler}${quoted}`);
    expect(scrubbed).toBe(`${filler}${Array(SECRETS.length).fill(REDACTED).join(" | ")}`);
    expect(ms).toBeLessThan(3000);
  });
});
