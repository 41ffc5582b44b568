/**
 * The leak suite: for every credential kind (25), a patch whose every secret holds what breaks
 * naive escaping (`%`, quotes, backslashes, `:`, `#`, HTML, non-ASCII, white space that a message
 * collapses, a multi-line PEM key), run through the bundle as a runner runs it, with step debug
 * logging, through success, Datadog's refusals (with answers that quote the secrets back), exhausted
 * retries, a dry run and each kind of refusal of the patch. After each run no form of any secret may
 * be readable in the log, the debug lines, an annotation's properties, the summary, the outputs or
 * stderr (which must be empty).
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { Fields } from "../../src/patch/integrations.ts";
import { integrationPatch, KINDS, type Kind } from "../fixtures.ts";
import { findLeaks, goEscaped, readableForms, stackTraces } from "../harness/leaks.ts";
import { type ActionRun, emulateLog, runAction } from "../harness/runner.ts";
import { isSecretField } from "../secret-oracle.ts";
import { type Scripted, SIM_API_KEY, SIM_APP_KEY, Simulator } from "../simulator/server.ts";

/** Twelve characters unique to one secret: its pieces must not show either. */
function core(label: string): string {
  return BigInt(`0x${createHash("sha256").update(label).digest("hex").slice(0, 24)}`)
    .toString(36)
    .padStart(12, "x")
    .slice(0, 12);
}

/** What each secret carries besides its unique cores, one of these per secret in turn. */
const NASTY = [
  ` %25%0A%"q" 'a' \\ \\n : #h  é€😀`,
  `<b>&amp;</b> ::add-mask:: *a &b !c [d] {e}, f: g`,
  `\u00a0nbsp\u2028ls\u202eRTL \${{ x }} - ? | > `,
];

interface Secret {
  readonly value: string;
  /** Pieces of it that a shortened message could show. */
  readonly cores: readonly string[];
}

function lineSecret(label: string, variant: number): Secret {
  const [a, b] = [core(`${label}/a`), core(`${label}/b`)];
  return { value: `${a}${NASTY[variant % NASTY.length]}${b}`, cores: [a, b] };
}

/** A PEM key: unique base64 lines, LF line ends, a final line break. */
function pemSecret(label: string): Secret {
  const lines = Array.from({ length: 6 }, (_, index) =>
    createHash("sha512")
      .update(`${label}/${index}`)
      .digest("base64")
      .slice(0, index === 5 ? 40 : 64),
  );
  return {
    value: `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}==\n-----END PRIVATE KEY-----\n`,
    cores: lines.map((line) => line.slice(0, 16)),
  };
}

/** Every 8-character piece of each core. */
function fragmentsOf(secrets: readonly Secret[]): string[] {
  return secrets.flatMap((secret) =>
    secret.cores.flatMap((piece) => Array.from({ length: piece.length - 7 }, (_, at) => piece.slice(at, at + 8))),
  );
}

interface NastyPatch {
  readonly patch: Record<string, unknown>;
  readonly secrets: Secret[];
  /** The credentials' first field that holds a secret on one line, if any. */
  readonly lineField: string | undefined;
}

/** The kind's sample patch with every secret replaced by a nasty one. */
function nastyPatch(kind: Kind): NastyPatch {
  const label = kind.kind.type;
  const integration = integrationPatch(kind);
  const credentials = integration.credentials as Record<string, unknown>;
  const secrets: Secret[] = [];
  let lineField: string | undefined;
  const fields: Fields = kind.kind.fields;
  for (const [name, field] of Object.entries(fields)) {
    // What is secret by the API reference, not by the table under test.
    if (field.kind !== "text" || !isSecretField(label, name)) continue;
    const secret = field.check === "multiline" ? pemSecret(`${label}/${name}`) : lineSecret(`${label}/${name}`, 0);
    if (field.check !== "multiline") lineField ??= name;
    credentials[name] = secret.value;
    secrets.push(secret);
  }
  if (kind.integration.type === "HTTP") {
    const token = lineSecret(`${label}/token`, 1);
    const authorization = lineSecret(`${label}/authorization`, 2);
    const parameter = lineSecret(`${label}/parameter`, 0);
    // A header value may hold a tab, which a message collapses to a space.
    const bearer = {
      value: `Bearer\t${authorization.value.replace(/[\u2028\u202e]/g, "")}`,
      cores: authorization.cores,
    };
    credentials.tokens = [{ name: "bearer", type: "SECRET", value: token.value }];
    credentials.headers = [
      { name: "Authorization", value: bearer.value },
      { name: "X-Api-Version", value: "2024-06-01" },
    ];
    credentials.url_parameters = [
      { name: "api_key", value: parameter.value },
      { name: "region", value: "eu" },
    ];
    secrets.push(token, bearer, parameter);
  }
  return { patch: { name: `Rotated ${label}`, integration }, secrets, lineField };
}

/**
 * The patch as YAML with one field a line (each value a JSON scalar or flow collection, which YAML
 * reads as written), so that one line can be broken on purpose.
 */
function lineYaml(patch: Record<string, unknown>): string[] {
  const integration = patch.integration as Record<string, unknown>;
  const { credentials, ...rest } = integration;
  return [
    `name: ${JSON.stringify(patch.name)}`,
    "integration:",
    ...Object.entries(rest).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`),
    "  credentials:",
    ...Object.entries(credentials as Record<string, unknown>).map(
      ([key, value]) => `    ${key}: ${JSON.stringify(value)}`,
    ),
  ];
}

/** Ways to break the YAML on the line of a secret; each kind gets one, in turn. */
const YAML_BREAKS: readonly [string, (lines: string[], at: number, other: string) => string[]][] = [
  ["a syntax error after the secret", (lines, at) => lines.map((line, i) => (i === at ? `${line} ]` : line))],
  ["an unterminated quote", (lines, at) => lines.map((line, i) => (i === at ? line.slice(0, -1) : line))],
  ["a repeated key", (lines, at, other) => [...lines.slice(0, at + 1), other, ...lines.slice(at + 1)]],
  ["a tab as indentation", (lines, at) => lines.map((line, i) => (i === at ? `\t${line.trimStart()}` : line))],
  ["several documents", (lines, at) => [...lines, "---", lines[at]?.trim() ?? ""]],
  ["a !!binary tag", (lines, at) => lines.map((line, i) => (i === at ? line.replace(/: /, ": !!binary ") : line))],
];

function yamlBreak(index: number) {
  return YAML_BREAKS[index % YAML_BREAKS.length] ?? YAML_BREAKS[0] ?? ["none", (lines: string[]) => lines];
}

interface Scenario {
  readonly name: string;
  /** Run for some kinds only, in turn (see ROTATING). */
  readonly rotating?: boolean;
  readonly exitCode: 0 | 1;
  /** The simulator answers secrets un-blanked, as a misbehaving service would. */
  readonly leakyService?: boolean;
  /** Whether Datadog is asked to change the connection (else the simulator must receive no PATCH). */
  readonly sends: boolean;
  /** Whether the parser can still read each secret whole (and so must have masked it), for the kind at `index`. */
  readonly maskedWhole: boolean | ((index: number) => boolean);
  /** What the scenario does for the kind at `index`, when it varies. */
  readonly detail?: (index: number) => string;
  readonly build: (
    kind: Kind,
    nasty: NastyPatch,
    index: number,
  ) => {
    patch: string;
    inputs?: Record<string, string>;
    script?: Scripted[];
    /** Secrets the patch holds besides the kind's own. */
    extra?: Secret[];
    /** Secrets of the kind's own that this patch no longer holds. */
    dropped?: Secret[];
  };
}

/** Datadog's answer quoting every secret back (written as `quote` writes it), as a careless or hostile server might. */
function quotingBody(secrets: readonly Secret[], filler: number, quote = (value: string) => value): object {
  return {
    errors: [
      ...(filler > 0 ? [{ title: "Generic Error", detail: "x".repeat(filler) }] : []),
      ...secrets.map((secret) => ({ title: "Generic Error", detail: `invalid credential ${quote(secret.value)}` })),
    ],
  };
}

function credentialsOf(patch: Record<string, unknown>): Record<string, unknown> {
  return (patch.integration as { credentials: Record<string, unknown> }).credentials;
}

/** A second secret for the refusals: a misspelt secret field, or a repeated key. */
const extraSecret = (kind: Kind) => lineSecret(`${kind.kind.type}/extra`, 1);

/** The same patch with its credentials changed. */
function withCredentials(nasty: NastyPatch, change: (credentials: Record<string, unknown>) => void) {
  const patch = structuredClone(nasty.patch);
  change((patch.integration as { credentials: Record<string, unknown> }).credentials);
  return patch;
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: "success",
    exitCode: 0,
    sends: true,
    maskedWhole: true,
    build: (_kind, nasty) => ({ patch: stringify(nasty.patch) }),
  },
  {
    name: "success, Datadog answering the secrets un-blanked",
    exitCode: 0,
    leakyService: true,
    sends: true,
    maskedWhole: true,
    build: (_kind, nasty) => ({ patch: stringify(nasty.patch) }),
  },
  {
    name: "dry run (JSON)",
    exitCode: 0,
    sends: false,
    maskedWhole: true,
    build: (_kind, nasty) => ({ patch: JSON.stringify(nasty.patch, null, 2), inputs: { "dry-run": "true" } }),
  },
  {
    name: "400 whose detail quotes the secrets, cut short inside one",
    exitCode: 1,
    sends: true,
    maskedWhole: true,
    // "Generic Error: xxx...; Generic Error: invalid credential " puts the first secret at about 490.
    build: (_kind, nasty) => ({
      patch: stringify(nasty.patch),
      script: [{ kind: "answer", status: 400, body: quotingBody(nasty.secrets, 436) }],
    }),
  },
  {
    name: "400 whose detail quotes the secrets as Go's encoding/json escapes them",
    rotating: true,
    exitCode: 1,
    sends: true,
    maskedWhole: true,
    build: (_kind, nasty) => ({
      patch: stringify(nasty.patch),
      script: [{ kind: "answer", status: 400, body: quotingBody(nasty.secrets, 0, goEscaped) }],
    }),
  },
  {
    name: "403 whose list of errors quotes the secrets",
    rotating: true,
    exitCode: 1,
    sends: true,
    maskedWhole: true,
    build: (_kind, nasty) => ({
      patch: stringify(nasty.patch),
      script: [{ kind: "answer", status: 403, body: { errors: nasty.secrets.map((secret) => secret.value) } }],
    }),
  },
  {
    name: "404",
    rotating: true,
    exitCode: 1,
    sends: true,
    maskedWhole: true,
    build: (_kind, nasty) => ({
      patch: stringify(nasty.patch),
      script: [{ kind: "answer", status: 404, body: quotingBody(nasty.secrets, 0) }],
    }),
  },
  {
    name: "429 until the retries are spent",
    rotating: true,
    exitCode: 1,
    sends: true,
    maskedWhole: true,
    build: (_kind, nasty) => ({
      patch: stringify(nasty.patch),
      inputs: { "max-retries": "1" },
      script: [0, 1].map(
        (): Scripted => ({
          kind: "answer",
          status: 429,
          headers: { "x-ratelimit-reset": "0", "x-ratelimit-remaining": "0" },
          body: quotingBody(nasty.secrets, 0),
        }),
      ),
    }),
  },
  {
    name: "500 with no retry left",
    rotating: true,
    exitCode: 1,
    sends: true,
    maskedWhole: true,
    build: (_kind, nasty) => ({
      patch: stringify(nasty.patch),
      inputs: { "max-retries": "0" },
      script: [{ kind: "answer", status: 500, body: quotingBody(nasty.secrets, 0) }],
    }),
  },
  {
    name: "refused: a misspelt secret field next to the secrets",
    exitCode: 1,
    sends: false,
    maskedWhole: true,
    build: (kind, nasty) => {
      const extra = extraSecret(kind);
      const patch = withCredentials(nasty, (credentials) => {
        credentials.api_tokn = extra.value;
      });
      return { patch: stringify(patch), extra: [extra] };
    },
  },
  {
    name: "refused: a credential kind of another integration",
    exitCode: 1,
    sends: false,
    maskedWhole: true,
    build: (kind, nasty) => {
      const patch = withCredentials(nasty, (credentials) => {
        credentials.type = kind.integration.type === "AWS" ? "AnthropicAPIKey" : "AWSAssumeRole";
      });
      return { patch: stringify(patch) };
    },
  },
  {
    name: "refused: a site outside the list",
    exitCode: 1,
    sends: false,
    maskedWhole: true,
    build: (_kind, nasty) => ({ patch: stringify(nasty.patch), inputs: { site: "datadoghq.evil.example" } }),
  },
  {
    name: "refused: CR/LF in a one-line secret",
    exitCode: 1,
    sends: false,
    maskedWhole: true,
    build: (kind, nasty) => {
      const broken = {
        value: `${core(`${kind.kind.type}/crlf/a`)}\r\n${NASTY[0]}\r\n${core(`${kind.kind.type}/crlf/b`)}`,
        cores: [core(`${kind.kind.type}/crlf/a`), core(`${kind.kind.type}/crlf/b`)],
      };
      const field = nasty.lineField ?? "api_tokn";
      const dropped = nasty.secrets.filter((secret) => secret.value === credentialsOf(nasty.patch)[field]);
      const patch = withCredentials(nasty, (credentials) => {
        credentials[field] = broken.value;
        if (Array.isArray(credentials.headers)) {
          dropped.push(...nasty.secrets.filter((secret) => secret.value.startsWith("Bearer")));
          credentials.headers = [{ name: "Authorization", value: `Bearer ${broken.value}` }];
        }
      });
      return { patch: stringify(patch), extra: [broken], dropped };
    },
  },
  {
    name: "refused: broken YAML on the line of a secret",
    exitCode: 1,
    sends: false,
    // An unterminated quote runs the value on into the next lines: that whole text is masked instead.
    maskedWhole: (index) => yamlBreak(index)[0] !== "an unterminated quote",
    detail: (index) => yamlBreak(index)[0],
    build: (kind, nasty, index) => {
      const extra = extraSecret(kind);
      const patch = withCredentials(nasty, (credentials) => {
        credentials.api_tokn = extra.value;
      });
      const lines = lineYaml(patch);
      const at = lines.findIndex((line) =>
        nasty.secrets.some((secret) => line.includes(JSON.stringify(secret.value).slice(1, -1))),
      );
      const target = at >= 0 ? at : lines.findIndex((line) => line.trimStart().startsWith("api_tokn:"));
      const [, breakIt] = yamlBreak(index);
      const other = lines[target]?.replace(/: .*/, `: ${JSON.stringify(extraSecret(kind).value)}`) ?? "";
      return { patch: `${breakIt(lines, target, other).join("\n")}\n`, extra: [extra] };
    },
  },
];

const DD_KEYS = [SIM_API_KEY, SIM_APP_KEY];

interface Outcome {
  run: ActionRun;
  requests: number;
  body: unknown;
}

async function runScenario(
  scenario: Scenario,
  kind: Kind,
  index: number,
): Promise<{ outcome: Outcome; secrets: Secret[] }> {
  const nasty = nastyPatch(kind);
  const built = scenario.build(kind, nasty, index);
  const simulator = await Simulator.start({ answerSecrets: scenario.leakyService ?? false });
  try {
    if (built.script) simulator.script(...built.script);
    const run = await runAction({
      inputs: {
        "connection-id": kind.id,
        patch: built.patch,
        "api-url": simulator.url,
        "api-key": SIM_API_KEY,
        "app-key": SIM_APP_KEY,
        ...built.inputs,
      },
      env: { RUNNER_DEBUG: "1" },
    });
    return {
      // A dry run with keys reads the connection (GET) to plan: only what would change it counts.
      outcome: {
        run,
        requests: simulator.requests.filter((request) => request.method !== "GET").length,
        body: simulator.requests.find((request) => request.method !== "GET")?.json,
      },
      secrets: [...nasty.secrets.filter((secret) => !built.dropped?.includes(secret)), ...(built.extra ?? [])],
    };
  } finally {
    await simulator.close();
  }
}

/**
 * Datadog's other refusals and exhausted retries take the same path whatever the kind; each spawns
 * the bundle with its HTTP client (about 0.2 s of CPU). Every kind runs two of them in turn (each is
 * run for a dozen kinds), and the kinds whose secrets are unusual (a PEM key; HTTP headers and URL
 * parameters secret by name) run all of them.
 */
const ROTATING = SCENARIOS.filter((scenario) => scenario.rotating);
const ALWAYS_ALL = new Set(["GCPServiceAccount", "HTTPTokenAuth"]);

function scenariosFor(kind: Kind, index: number): Scenario[] {
  return SCENARIOS.filter((scenario) => {
    if (!scenario.rotating || ALWAYS_ALL.has(kind.kind.type)) return true;
    const position = ROTATING.indexOf(scenario);
    return position === index % ROTATING.length || position === (index + 1) % ROTATING.length;
  });
}

describe.concurrent.each(KINDS.map((kind, index) => [kind.kind.type, kind, index] as const))(
  "%s",
  (_type, kind, index) => {
    it.each(
      scenariosFor(kind, index).map(
        (scenario) =>
          [scenario.detail ? `${scenario.name}: ${scenario.detail(index)}` : scenario.name, scenario] as const,
      ),
    )("%s", async (_name, scenario) => {
      const { outcome, secrets } = await runScenario(scenario, kind, index);
      const { run } = outcome;
      expect(run.stderr).toBe("");
      expect(run.exitCode, run.maskedLog).toBe(scenario.exitCode);
      expect(stackTraces(run)).toEqual([]);
      expect(outcome.requests > 0).toBe(scenario.sends);

      // Nothing readable: the secrets, each line, their JSON-escaped and collapsed forms, any piece.
      const values = secrets.map((secret) => secret.value);
      expect(findLeaks(run, { secrets: [...values, ...DD_KEYS], fragments: fragmentsOf(secrets) })).toEqual([]);

      // Every secret (and both keys) was registered before the action printed anything else.
      const lines = run.stdout.split("\n").filter(Boolean);
      const firstOther = lines.findIndex((line) => !line.startsWith("::add-mask::"));
      expect(lines.slice(firstOther).filter((line) => line.startsWith("::add-mask::"))).toEqual([]);
      expect(run.masks).toEqual(expect.arrayContaining(DD_KEYS));
      const maskedWhole =
        typeof scenario.maskedWhole === "function" ? scenario.maskedWhole(index) : scenario.maskedWhole;
      if (maskedWhole) expect(run.masks).toEqual(expect.arrayContaining(values));
      if (scenario.name === "success") {
        // The secrets reached Datadog intact (so what was masked is what was sent).
        expect(outcome.body).toEqual({
          data: { type: "action_connection", attributes: nastyPatch(kind).patch },
        });
      }
    });
  },
);

describe("HTTP: a header or URL parameter is secret when its name marks a credential", () => {
  const http = KINDS.find((kind) => kind.kind.type === "HTTPTokenAuth") as Kind;

  it("masks the Authorization header and blanks it in the connection output; leaves region: eu alone", async () => {
    const { outcome } = await runScenario(SCENARIOS[0] as Scenario, http, 0);
    const { run } = outcome;
    expect(run.exitCode).toBe(0);
    const nasty = nastyPatch(http);
    const headers = (nasty.patch.integration as { credentials: { headers: { value: string }[] } }).credentials.headers;
    const authorization = headers[0]?.value ?? "";
    expect(run.masks).toContain(authorization);
    expect(run.masks).not.toContain("eu");
    expect(run.masks.filter((mask) => mask.includes("2024-06-01"))).toEqual([]);
    const connection = JSON.parse(run.outputs.connection ?? "null");
    const credentials = connection.attributes.integration.credentials;
    expect(credentials.headers).toEqual(
      expect.arrayContaining([
        { name: "Authorization", value: "" },
        { name: "X-Api-Version", value: "2024-06-01" },
      ]),
    );
    expect(credentials.url_parameters).toEqual(
      expect.arrayContaining([
        { name: "api_key", value: "" },
        { name: "region", value: "eu" },
      ]),
    );
    // Datadog no longer answers tokens: the output has none (and no warning for it).
    expect(credentials).not.toHaveProperty("tokens");
    expect(run.commands.filter((command) => command.command === "warning")).toEqual([]);
  });

  it("keeps a secret out of the summary and outputs when the patch repeats it in a field that is not secret", async () => {
    const nasty = nastyPatch(http);
    const token = nasty.secrets[0]?.value ?? "";
    const credentials = (nasty.patch.integration as { credentials: Record<string, unknown> }).credentials;
    // The same value as the token in a header whose name says nothing, and in the body.
    credentials.headers = [{ name: "X-Custom", value: token }];
    credentials.body = { content: `{"token":${JSON.stringify(token)}}`, content_type: "application/json" };
    for (const dryRun of ["false", "true"]) {
      const simulator = await Simulator.start();
      try {
        const run = await runAction({
          inputs: {
            "connection-id": http.id,
            patch: stringify(nasty.patch),
            "api-url": simulator.url,
            "api-key": SIM_API_KEY,
            "app-key": SIM_APP_KEY,
            "dry-run": dryRun,
          },
          env: { RUNNER_DEBUG: "1" },
        });
        expect(run.stderr).toBe("");
        expect(run.exitCode, run.maskedLog).toBe(0);
        expect(findLeaks(run, { secrets: nasty.secrets.map((secret) => secret.value) })).toEqual([]);
        if (dryRun === "false") {
          // Still valid JSON, the repeated value scrubbed.
          const connection = JSON.parse(run.outputs.connection ?? "null");
          expect(connection.attributes.integration.credentials.headers).toEqual(
            expect.arrayContaining([{ name: "X-Custom", value: "••••" }]),
          );
        }
      } finally {
        await simulator.close();
      }
    }
  });
});

describe("the leak check itself", () => {
  it("sees the forms a log can show", () => {
    const forms = readableForms('ab"c  d\ne\\f-long-line');
    expect(forms).toEqual(
      expect.arrayContaining([
        'ab"c  d\ne\\f-long-line',
        'ab\\"c  d\\ne\\\\f-long-line',
        'ab"c d e\\f-long-line',
        'ab"c  d',
      ]),
    );
  });

  it("finds a secret printed before its mask, in a debug line, a title, stderr, the summary and an output", () => {
    const secret = "s3cr3t<&>value";
    const stdout = [
      `before the mask: ${secret}`,
      `::add-mask::${secret}`,
      `after the mask: ${secret}`,
      "::debug::cut short: s3cr3t<&>v",
      `::error title=Failed for ${secret}::message`,
      "",
    ].join("\n");
    const log = emulateLog([
      { stream: "stdout", text: stdout },
      { stream: "stderr", text: `${secret}\n` },
    ]);
    const run = {
      stderr: `${secret}\n`,
      outputs: { name: `x ${secret}` },
      summary: "<p>s3cr3t&lt;&amp;&gt;value</p>",
      maskedLog: log.maskedLog,
      commands: log.commands,
    };
    const places = new Set(
      findLeaks(run, { secrets: [secret], fragments: ["s3cr3t<&>v"] }).map((leak) => leak.split(":")[0]),
    );
    expect([...places]).toEqual(["log", "stderr", "summary (text)", "output name", "debug line 1", "error title"]);
  });
});
