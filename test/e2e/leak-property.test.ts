/**
 * No leak, whatever the secret: a property over random secret strings (any Unicode code point a
 * field allows, with the characters that break escaping over-represented) in random valid patches
 * (a random credential kind, a random subset of its fields, random HTTP headers and URL parameters
 * with names that mark a credential and names that do not), each run through the bundle with step
 * debug logging: accepted, refused by Datadog with an answer that quotes the secrets, or a dry run;
 * the secrets written in the patch, or read from the step's environment with `!env NAME`.
 * fast-check prints the seed and the shrunk case of a failure.
 *
 * Every one of the RUNS cases is run, however slow the machine: no time limit may cut the property
 * short and let it pass on a few cases. A run is one action (~0.2 s alone, a few times that on a
 * loaded CI machine); the vitest timeout is what bounds the test.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { isCredentialName, type TextCheck } from "../../src/patch/integrations.ts";
import { exampleValues, KINDS, type Kind } from "../fixtures.ts";
import { findLeaks, stackTraces } from "../harness/leaks.ts";
import { runAction } from "../harness/runner.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "../simulator/server.ts";

const NASTY = [..."%\"'\\:# \u00a0\u2028\u202e\u200béß€😀<>&*!{}[],-?|@`~$=+/"];
// biome-ignore lint/suspicious/noControlCharactersInRegex: what a one-line field refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** One character of a secret a field with this check accepts. */
function secretChar(check: TextCheck): fc.Arbitrary<string> {
  const anyCodePoint = fc.string({ unit: "binary", minLength: 1, maxLength: 1 });
  const allowed: Record<string, (char: string) => boolean> = {
    line: (char) => !CONTROL.test(char),
    "header-value": (char) => char === "\t" || !CONTROL.test(char),
    multiline: (char) => ["\t", "\n", "\r"].includes(char) || !CONTROL.test(char),
  };
  const accepts = allowed[check] ?? allowed.line ?? (() => true);
  const breaks = check === "multiline" ? ["\n", "\r\n", "\t"] : check === "header-value" ? ["\t"] : [];
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...NASTY, ...breaks) },
    { weight: 3, arbitrary: anyCodePoint.filter(accepts) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }).filter(accepts) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  );
}

/** A secret: 10 to 40 characters, not mostly blank and not one character repeated. */
function secret(check: TextCheck): fc.Arbitrary<string> {
  return fc
    .array(secretChar(check), { minLength: 10, maxLength: 40 })
    .map((chars) => chars.join(""))
    .filter((text) => new Set(text.replace(/\s/g, "")).size >= 5);
}

const CREDENTIAL_NAMES = ["Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "X-Auth-Token", "X-Session"];
const PLAIN_HEADERS = ["X-Api-Version", "Accept", "X-Trace"];
const CREDENTIAL_PARAMETERS = ["api_key", "token", "signature", "client_secret"];
const PLAIN_PARAMETERS = ["region", "page", "format"];

interface Generated {
  readonly kind: Kind;
  readonly patch: Record<string, unknown>;
  readonly secrets: string[];
}

/** A named entry: a secret value when the name marks a credential, a plain one otherwise. */
function entries(credentialNames: string[], plainNames: string[], check: TextCheck) {
  return fc.uniqueArray(
    fc.oneof(
      fc.record({ name: fc.constantFrom(...credentialNames), value: secret(check) }),
      fc.record({ name: fc.constantFrom(...plainNames), value: fc.constantFrom("eu", "v1", "2024-06-01") }),
    ),
    { maxLength: 3, selector: (entry) => entry.name },
  );
}

/** A random valid patch for a random credential kind, and the secrets it holds. */
const patches: fc.Arbitrary<Generated> = fc
  .constantFrom(...KINDS)
  .chain((kind) => {
    const fields = Object.entries(kind.kind.fields).filter(([, field]) => field.direction !== "response");
    const examples = exampleValues(kind.kind.fields, "update");
    const values = Object.fromEntries(
      fields.map(([name, field]) => {
        if (field.kind === "text" && field.secret === true) return [name, fc.option(secret(field.check))];
        if (name === "tokens") {
          return [name, fc.option(fc.array(secret("line"), { minLength: 1, maxLength: 2 }))];
        }
        if (name === "headers") return [name, fc.option(entries(CREDENTIAL_NAMES, PLAIN_HEADERS, "header-value"))];
        if (name === "url_parameters") {
          return [name, fc.option(entries(CREDENTIAL_PARAMETERS, PLAIN_PARAMETERS, "line"))];
        }
        return [name, fc.option(fc.constant(examples[name]))];
      }),
    );
    return fc.record({
      kind: fc.constant(kind),
      name: fc.option(
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }).filter((text) => !CONTROL.test(text)),
      ),
      values: fc.record(values as Record<string, fc.Arbitrary<unknown>>),
    });
  })
  .map(({ kind, name, values }) => {
    const credentials: Record<string, unknown> = { type: kind.kind.type };
    const secrets: string[] = [];
    for (const [field, value] of Object.entries(values)) {
      if (value === null || value === undefined) continue;
      const spec = kind.kind.fields[field];
      if (field === "tokens") {
        const tokens = (value as string[]).map((token, index) => ({ name: `t${index}`, type: "SECRET", value: token }));
        credentials.tokens = tokens;
        secrets.push(...tokens.map((token) => token.value));
      } else if (field === "headers" || field === "url_parameters") {
        const list = value as { name: string; value: string }[];
        credentials[field] = list;
        secrets.push(...list.filter((entry) => isCredentialName(entry.name)).map((entry) => entry.value));
      } else {
        credentials[field] = value;
        if (spec?.kind === "text" && spec.secret === true) secrets.push(value as string);
      }
    }
    const integration = {
      type: kind.integration.type,
      ...exampleValues(kind.integration.fields, "update"),
      credentials,
    };
    // A patch must change something: a name, when the credentials hold nothing but their type.
    const patch: Record<string, unknown> = { name: name ?? `Rotated ${kind.kind.type}`, integration };
    return { kind, patch, secrets };
  });

const scenarios = fc.constantFrom("accepted", "refused with the secrets quoted", "dry run");

/**
 * The patch's text with each secret replaced by `!env SECRET_<n>`, and the environment that sets them:
 * each secret stands in the text as a placeholder, which becomes the tag (JSON with a tag is YAML flow).
 */
function readFromEnv(patch: Record<string, unknown>, secrets: string[], write: (value: unknown) => string) {
  const names = new Map([...new Set(secrets)].map((value, index) => [value, `__ENV_${index}__`]));
  const replace = (value: unknown): unknown => {
    if (typeof value === "string") return names.get(value) ?? value;
    if (Array.isArray(value)) return value.map(replace);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replace(item)]));
  };
  const text = write(replace(patch)).replace(/"?__ENV_(\d+)__"?/g, "!env SECRET_$1");
  const env = Object.fromEntries([...names.keys()].map((value, index) => [`SECRET_${index}`, value]));
  return { text, env };
}

/** Cases per run of the suite: about 10 s alone. */
const RUNS = 50;

let simulator: Simulator;
beforeAll(async () => {
  simulator = await Simulator.start();
});
afterAll(() => simulator.close());

describe("no secret leaks, whatever it holds", () => {
  it("in random valid patches, through acceptance, refusal and a dry run", { timeout: 180_000 }, async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(patches, scenarios, fc.boolean(), fc.boolean(), async (generated, scenario, asJson, fromEnv) => {
        const { kind, patch, secrets } = generated;
        runs++;
        const write = (value: unknown) => (asJson ? JSON.stringify(value) : stringify(value));
        const given = fromEnv ? readFromEnv(patch, secrets, write) : { text: write(patch), env: {} };
        if (fromEnv && secrets.length > 0) expect(given.text).toMatch(/!env SECRET_0\b/);
        simulator.reset();
        if (scenario === "refused with the secrets quoted") {
          const errors = secrets.map((value) => ({ title: "Generic Error", detail: `invalid value ${value}` }));
          simulator.script({ kind: "answer", status: 400, body: { errors } });
        }
        const run = await runAction({
          inputs: {
            "connection-id": kind.id,
            patch: given.text,
            "api-url": simulator.url,
            "api-key": SIM_API_KEY,
            "app-key": SIM_APP_KEY,
            "dry-run": String(scenario === "dry run"),
          },
          env: { RUNNER_DEBUG: "1", ...given.env },
        });
        expect(run.stderr).toBe("");
        expect(stackTraces(run)).toEqual([]);
        expect(run.exitCode, run.maskedLog).toBe(scenario === "refused with the secrets quoted" ? 1 : 0);
        if (scenario !== "dry run") {
          // What was sent is what was generated: the secrets were read whole, and so masked whole.
          expect(simulator.requests[0]?.json).toEqual({ data: { type: "action_connection", attributes: patch } });
        }
        expect(run.masks).toEqual(expect.arrayContaining(secrets));
        expect(findLeaks(run, { secrets: [...secrets, SIM_API_KEY, SIM_APP_KEY] })).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    // Passed on every case asked for (and fast-check was not told to stop early).
    expect(runs).toBe(RUNS);
  });
});
