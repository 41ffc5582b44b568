/**
 * What the documentation and the repository's GitHub files promise, checked against the code: the
 * generated README tables and JSON Schema are fresh; the schema is valid draft-07 and accepts and refuses
 * what the action does (checked with Ajv); the examples and the README's workflows are valid; every action is
 * pinned; the troubleshooting messages are the action's own; and the bundle behaves as the README
 * says (annotations at file, line and column; a summary that links to the run).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  generatedFiles,
  patchJsonSchema,
  pinSources,
  REPOSITORY,
  ROOT,
  readActionMetadata,
  SCHEMA_PATH,
  SCHEMA_URL,
} from "../scripts/generate.ts";
import { describeAnswer, describeGiveUp } from "../src/datadog/explain.ts";
import { parseSources, toJobs } from "../src/jobs.ts";
import { type Fields, INTEGRATIONS, SECRET_FIELD_NAMES } from "../src/patch/integrations.ts";
import { literalSecrets } from "../src/patch/literal-secrets.ts";
import { parsePatch } from "../src/patch/parse.ts";
import { validatePatch } from "../src/patch/validate.ts";
import { formatPath } from "../src/paths.ts";
import { findSecrets } from "../src/secrets.ts";
import { ACTION_NAME, ACTION_VERSION } from "../src/version.ts";
import { integrationPatch, KINDS } from "./fixtures.ts";
import { runAction, summaryText } from "./harness/runner.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "./simulator/server.ts";

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const README = read("README.md");
const ACTION_TEXT = read("action.yml");
const ACTION = readActionMetadata(ACTION_TEXT);
const SCHEMA_LINE = "# yaml-language-server: $schema=../schema/patch.schema.json";
/** What users write for this action; pinned by SHA once a release is recorded in .github/readme-pins/. */
const OWN_ACTION = `${REPOSITORY.slug}@`;
const CONNECTION_ID = "11111111-2222-3333-4444-555555555555";

type Json = Record<string, unknown>;

/** YAML as an editor reads it; `!env NAME` is then the text NAME (no warning printed for the tag). */
const parse = (text: string): unknown => parseYaml(text, { logLevel: "error" });

/** Every variable a text reads with `!env`, each set to a stand-in: what a step's `env:` would give. */
function standInEnv(text: string): Record<string, string> {
  const code = text.replace(/^\s*#.*$/gm, "");
  return Object.fromEntries([...code.matchAll(/!env ([A-Za-z_]\w*)/g)].map(([, name]) => [name, `stand-in-${name}`]));
}

/** The action's own check: parse as the action parses (each `!env` variable set), then validate. */
function actionAccepts(text: string, env = standInEnv(text)): { ok: boolean; messages: string[] } {
  const parsed = parsePatch(text, { env });
  if (parsed.envProblems.length > 0)
    return { ok: false, messages: parsed.envProblems.map((problem) => problem.message) };
  if (parsed.problems.length > 0) return { ok: false, messages: parsed.problems.map((problem) => problem.message) };
  const result = validatePatch(parsed.value);
  return result.ok ? { ok: true, messages: [] } : { ok: false, messages: result.problems.map((p) => p.message) };
}

/** Fenced code blocks of a Markdown text, with their language. */
function codeBlocks(markdown: string): { lang: string; text: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map(([, lang = "", text = ""]) => ({ lang, text }));
}

/**
 * What the README quotes, each whole: the lines of its `text` blocks, and its inline code spans. A
 * message is checked to be one of them exactly, so that a quote longer or shorter than the message
 * the action prints (a sentence the code dropped) is found.
 */
const README_TEXT_LINES: readonly string[] = codeBlocks(README)
  .filter((block) => block.lang === "text")
  .flatMap((block) => block.text.split("\n"))
  .filter((line) => line.trim() !== "");
const README_CODE_SPANS: readonly string[] = [
  ...README.replace(/^```[\s\S]*?^```$/gm, "").matchAll(/`([^`\n]+)`/g),
].map(([, span = ""]) => span);

const README_YAML = codeBlocks(README)
  .filter((block) => block.lang === "yaml")
  .map((block) => block.text);
const README_WORKFLOWS = README_YAML.map((text) => ({ text, doc: parse(text) as Json })).filter(
  ({ doc }) => doc !== null && typeof doc === "object" && "jobs" in doc,
);
const README_PATCH_FILES = README_YAML.filter(
  (text) => text.startsWith("# yaml-language-server: $schema=") && text.split("\n").length > 2,
);
const WORKFLOW_FILES = readdirSync(join(ROOT, ".github/workflows"))
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => `.github/workflows/${name}`);
const EXAMPLES = readdirSync(join(ROOT, "examples"))
  .filter((name) => name.endsWith(".yml"))
  .map((name) => `examples/${name}`);

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, unknown>>;
  readonly "continue-on-error"?: boolean;
}

function steps(workflow: Json): Step[] {
  return Object.values((workflow.jobs ?? {}) as Record<string, { steps?: Step[] }>).flatMap((job) => job.steps ?? []);
}

/** Stands in for `${{ ... }}` in a patch: what the runner would put there. */
function substituteExpressions(text: string): string {
  return text
    .replace(/\$\{\{\s*toJSON\([^)]*\)\s*\}\}/g, '"sk-placeholder-0123456789"')
    .replace(/\$\{\{[^}]*\}\}/g, "placeholder-0123456789");
}

describe("generated files", () => {
  it("README.md and schema/patch.schema.json are what scripts/generate.ts writes (run npm run generate)", () => {
    for (const [path, content] of generatedFiles()) {
      expect(read(path) === content, `${path} is stale: run npm run generate`).toBe(true);
    }
  });

  it("the README's inputs and outputs tables list action.yml's, in order, with their defaults", () => {
    const rows = (section: string) => {
      const text = README.split(`<!-- generated:${section}:start -->`)[1]?.split(
        `<!-- generated:${section}:end -->`,
      )[0];
      return (text ?? "")
        .split("\n")
        .filter((line) => /^\| `/.test(line))
        .map((line) => line.split(" | ").map((cell) => cell.replace(/^\| |`| \|$/g, "")));
    };
    expect(rows("inputs").map(([name]) => name)).toEqual(Object.keys(ACTION.inputs));
    expect(rows("outputs").map(([name]) => name)).toEqual(Object.keys(ACTION.outputs));
    for (const [name, required, defaultValue] of rows("inputs")) {
      const input = ACTION.inputs[name ?? ""];
      expect(required, name).toBe(input?.required ? "yes" : "no");
      expect(defaultValue, name).toBe(input?.default ?? "");
    }
  });

  it("the README's table has a row for every credential kind, with every secret field marked", () => {
    for (const { integration, kind } of KINDS) {
      const row = README.split("\n").find((line) =>
        line.startsWith(`| \`${integration.type}\` | ${integration.title} | \`${kind.type}\` |`),
      );
      expect(row, kind.type).toBeDefined();
      for (const [name, field] of Object.entries(kind.fields)) {
        if (field.direction === "response") continue;
        expect(row, `${kind.type}.${name}`).toMatch(new RegExp(`\`${name}(\`|: |\\[\\])`));
        if (field.kind === "text" && field.secret === true) expect(row).toContain(`\`${name}\` 🔒`);
      }
    }
  });
});

describe("action.yml", () => {
  it("keeps the contract's inputs, outputs, defaults and runs", () => {
    expect(Object.keys(ACTION.inputs)).toEqual([
      "connection-id",
      "patch",
      "patch-file",
      "connections",
      "max-parallel",
      "site",
      "api-key",
      "app-key",
      "api-url",
      "dry-run",
      "timeout-seconds",
      "max-retries",
      "comment",
      "github-token",
    ]);
    expect(Object.keys(ACTION.outputs)).toEqual([
      "connection-id",
      "external-id",
      "name",
      "integration-type",
      "connection",
      "results",
    ]);
    const defaults = Object.fromEntries(
      Object.entries(ACTION.inputs).flatMap(([name, input]) =>
        input.default === undefined ? [] : [[name, input.default]],
      ),
    );
    expect(defaults).toEqual({
      "max-parallel": "4",
      "dry-run": "false",
      "timeout-seconds": "60",
      "max-retries": "3",
      comment: "false",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
      "github-token": "${{ github.token }}",
    });
    // Either connection-id or connections: neither is required on its own.
    expect(Object.values(ACTION.inputs).some((input) => input.required)).toBe(false);
    expect((parse(ACTION_TEXT) as Json).runs).toEqual({ using: "node24", main: "dist/index.js" });
  });

  it("holds no expression but github-token's default: the runner evaluates them even in descriptions", () => {
    const expressions = ACTION_TEXT.split("\n").filter((line) => line.includes("${{"));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
    expect(expressions).toEqual(["    default: ${{ github.token }}"]);
    expect(ACTION.inputs["github-token"]?.description).not.toContain("${{");
  });

  it("names the version package.json has, as the User-Agent sends it", () => {
    const pkg = JSON.parse(read("package.json")) as { name: string; version: string };
    expect({ name: ACTION_NAME, version: ACTION_VERSION }).toEqual({ name: pkg.name, version: pkg.version });
  });
});

describe("the JSON Schema for editors", () => {
  let validate: ValidateFunction;
  const schema = JSON.parse(read(SCHEMA_PATH)) as Json;
  const accepts = (document: unknown) => validate(document) === true;

  beforeAll(() => {
    // Strict mode: an unknown keyword or a malformed pattern is an error, as a careful editor would find it.
    validate = new Ajv({ strict: true, allErrors: false }).compile(schema);
  });

  it("says what it is, in draft-07, which VS Code's YAML extension supports fully", () => {
    expect(schema).toMatchObject({
      $schema: "http://json-schema.org/draft-07/schema#",
      $id: SCHEMA_URL,
      title: expect.any(String),
      description: expect.any(String),
    });
    expect(patchJsonSchema()).toEqual(schema);
  });

  it.each(KINDS.map((kind) => [kind.kind.type, kind] as const))(
    "accepts a patch setting every field of %s, as attributes and as a request document",
    (_type, kind) => {
      const attributes = { name: "Production", tags: ["team:platform"], integration: integrationPatch(kind) };
      expect(accepts(attributes), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
      expect(accepts({ data: { type: "action_connection", attributes } })).toBe(true);
    },
  );

  const bad: [string, unknown][] = [
    ["an unknown field", { integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey", api_tokn: "x" } } }],
    [
      "an 11-digit account id",
      { integration: { type: "AWS", credentials: { type: "AWSAssumeRole", account_id: "12345678901" } } },
    ],
    ["another integration's credential kind", { integration: { type: "AWS", credentials: { type: "OpenAIAPIKey" } } }],
    ["an unknown integration", { integration: { type: "Jenkins" } }],
    ["a number for a token", { integration: { type: "Gitlab", credentials: { type: "GitlabAPIKey", api_token: 42 } } }],
    [
      "a header value with a line break",
      {
        integration: {
          type: "HTTP",
          credentials: { type: "HTTPTokenAuth", headers: [{ name: "X-Api-Version", value: "1\r\nX-Evil: 1" }] },
        },
      },
    ],
    [
      "a header entry without a name",
      { integration: { type: "HTTP", credentials: { type: "HTTPTokenAuth", headers: [{}] } } },
    ],
    ["a tag that is not key:value", { tags: ["production"] }],
    ["an unknown attribute", { nme: "typo" }],
    ["a request document of another type", { data: { type: "connection", attributes: { name: "x" } } }],
  ];
  it.each(bad)("refuses %s, as the action does", (_what, document) => {
    expect(accepts(document)).toBe(false);
    expect(validatePatch(document).ok).toBe(false);
  });

  it("describes every field an editor completes, and gives examples only of values that are not secret", () => {
    const attributes = (schema.definitions as { attributes: { properties: { integration: { oneOf: Json[] } } } })
      .attributes;
    const options = attributes.properties.integration.oneOf;
    expect(options.map((option) => ((option.properties as Json).type as Json).const)).toEqual(
      INTEGRATIONS.map((integration) => integration.type),
    );
    const check = (properties: Json, fields: Fields, where: string) => {
      for (const [name, field] of Object.entries(fields)) {
        if (field.direction === "response") continue;
        const property = properties[name] as Json | undefined;
        if (field.kind === "text" && field.secret !== false) {
          // secret: says to write `!env NAME` instead of the value; always-secret ones are writeOnly
          expect(property?.description, `${where}.${name}`).toMatch(
            new RegExp(
              `^${field.doc.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\. Secret.*: write !env NAME, with NAME set in the step's env: from the secrets context`,
            ),
          );
          expect(property?.writeOnly, `${where}.${name}`).toBe(field.secret === true ? true : undefined);
          expect(property?.examples, `${where}.${name}`).toBeUndefined();
        } else {
          expect(property?.description, `${where}.${name}`).toBe(field.doc);
        }
        if (field.kind === "text" && field.secret === false) expect(property?.examples).toEqual([field.example]);
      }
    };
    for (const integration of INTEGRATIONS) {
      const option = options.find(
        (candidate) => ((candidate.properties as Json).type as Json).const === integration.type,
      );
      const properties = option?.properties as Json;
      check(properties, integration.fields, integration.type);
      const kinds = (properties.credentials as { oneOf: Json[] }).oneOf;
      for (const kind of integration.credentials) {
        const entry = kinds.find((candidate) => ((candidate.properties as Json).type as Json).const === kind.type);
        check(entry?.properties as Json, kind.fields, kind.type);
      }
    }
    expect(JSON.stringify(schema)).not.toMatch(/sk-proj|glpat-|BEGIN PRIVATE KEY/);
  });

  it("accepts every example and every patch file of the README, read as an editor reads YAML", () => {
    for (const path of EXAMPLES) expect(accepts(parse(read(path))), path).toBe(true);
    for (const text of README_PATCH_FILES.filter((block) => !block.includes("/connection.schema.json"))) {
      expect(accepts(parse(text)), text).toBe(true);
    }
  });

  it("accepts the README's connection files with the connection files' schema", () => {
    const connection = new Ajv({ strict: true, allErrors: false }).compile(
      JSON.parse(read("schema/connection.schema.json")),
    );
    const files = README_PATCH_FILES.filter((block) => block.includes("/connection.schema.json"));
    expect(files.length).toBeGreaterThan(0);
    for (const text of files) expect(connection(parse(text)), text).toBe(true);
  });
});

describe("examples/", () => {
  it("has patch files for several integrations, in both forms", () => {
    const typeOf = (document: Json) => {
      const attributes = (document.data as Json | undefined)?.attributes as Json | undefined;
      return ((attributes ?? document).integration as Json | undefined)?.type;
    };
    const types = new Set(EXAMPLES.map((path) => typeOf(parse(read(path)) as Json)));
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(5);
    expect(types.size).toBeGreaterThanOrEqual(5);
    expect(EXAMPLES.some((path) => "data" in (parse(read(path)) as Json))).toBe(true);
  });

  it.each(EXAMPLES)("%s points editors at the schema, is accepted by the action and holds no secret", (path) => {
    const text = read(path);
    expect(text.split("\n")[0]).toBe(SCHEMA_LINE);
    expect(actionAccepts(text)).toEqual({ ok: true, messages: [] });
    // Secrets only through !env: what the action would warn of as held in clear, none.
    const parsed = parsePatch(text, { env: standInEnv(text) });
    expect(literalSecrets(parsed)).toEqual([]);
    expect(parsed.envProblems).toEqual([]);
    expect(new Set(findSecrets(parsed.value))).toEqual(new Set(Object.values(standInEnv(text))));
  });

  it("show a secret read with !env in several of them", () => {
    expect(EXAMPLES.filter((path) => Object.keys(standInEnv(read(path))).length > 0).length).toBeGreaterThanOrEqual(2);
  });

  it.each(EXAMPLES)("%s runs through the bundle as a patch-file in a dry run", async (path) => {
    const run = await runAction({
      inputs: { "connection-id": CONNECTION_ID, "patch-file": path, "dry-run": "true" },
      env: standInEnv(read(path)),
      workspaceFiles: { [path]: read(path) },
    });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(run.commands.filter((command) => command.command === "warning")).toEqual([]);
    // Only results: a dry run sets none of the one-connection outputs.
    expect(Object.keys(run.outputs)).toEqual(["results"]);
    expect(JSON.parse(run.outputs.results ?? "[]")[0].status).toBe("would-update");
    expect(summaryText(run.summary)).toContain("dry run, nothing sent");
  });
});

describe("the README's workflows", () => {
  it("cover the three uses", () => {
    const texts = README_WORKFLOWS.map(({ text }) => text);
    expect(texts.some((text) => /schedule:/.test(text) && /api_token: !env OPENAI_API_KEY\n/.test(text))).toBe(true);
    expect(
      texts.some(
        (text) =>
          text.includes("generate_new_external_id: true") &&
          text.includes("steps.rotate.outputs.external-id") &&
          text.includes("fromJSON(steps.rotate.outputs.connection).attributes.integration.credentials.principal_id") &&
          text.includes("aws iam update-assume-role-policy"),
      ),
    ).toBe(true);
    expect(
      texts.some(
        (text) =>
          text.includes("pull_request:") &&
          text.includes("release:") &&
          text.includes("connections:") &&
          text.includes("dry-run: true") &&
          text.includes("comment: true"),
      ),
    ).toBe(true);
  });

  it("set minimal permissions and give the action only inputs it has, with a valid patch", () => {
    for (const { text, doc } of README_WORKFLOWS) {
      expect(doc.permissions, text).toBeDefined();
      expect(JSON.stringify(doc.permissions)).not.toMatch(/write-all|"contents":"write"/);
      for (const step of steps(doc).filter((candidate) => candidate.uses?.startsWith(OWN_ACTION))) {
        const given = Object.keys(step.with ?? {});
        expect(given.filter((name) => !(name in ACTION.inputs))).toEqual([]);
        // One mode a step: a fleet of connection files, or one connection and its patch.
        if (given.includes("connections")) {
          expect(given.filter((name) => ["connection-id", "patch", "patch-file"].includes(name))).toEqual([]);
        } else {
          expect(given).toContain("connection-id");
          expect(given.filter((name) => name === "patch" || name === "patch-file")).toHaveLength(1);
        }
        const patch = step.with?.patch;
        const env = Object.fromEntries(
          Object.entries(step.env ?? {}).map(([name, value]) => [name, substituteExpressions(String(value))]),
        );
        if (typeof patch === "string")
          expect(actionAccepts(substituteExpressions(patch), env), patch).toMatchObject({ ok: true });
        // A key in a workflow file must come from secrets.
        for (const name of ["api-key", "app-key"]) {
          if (step.with?.[name] !== undefined) expect(String(step.with[name])).toMatch(/^\$\{\{ secrets\.\w+ \}\}$/);
        }
      }
    }
  });

  it("take each secret of a patch from the step's env: with !env, set there from the secrets context", () => {
    const patches = README_WORKFLOWS.flatMap(({ doc }) =>
      steps(doc).filter((step) => step.uses?.startsWith(OWN_ACTION) && typeof step.with?.patch === "string"),
    );
    const names = patches.flatMap((step) => Object.keys(standInEnv(String(step.with?.patch))));
    expect(names.length).toBeGreaterThan(0);
    for (const step of patches) {
      // No secret pasted into an input: the runner prints inputs in the step's header.
      expect(String(step.with?.patch)).not.toMatch(/secrets\./);
      for (const name of Object.keys(standInEnv(String(step.with?.patch)))) {
        expect(String(step.env?.[name]), name).toMatch(/^\$\{\{ secrets\.\w+ \}\}$/);
      }
    }
    // A release applying files that read !env sets each variable from a secret.
    const applying = README_WORKFLOWS.flatMap(({ doc }) =>
      steps(doc).filter(
        (step) =>
          step.uses?.startsWith(OWN_ACTION) &&
          (step.with?.["patch-file"] || step.with?.connections) &&
          !step.with?.["dry-run"],
      ),
    );
    const fileNames = README_PATCH_FILES.flatMap((text) => Object.keys(standInEnv(text)));
    expect(fileNames.length).toBeGreaterThan(0);
    for (const step of applying) {
      for (const name of fileNames) expect(String(step.env?.[name]), name).toMatch(/^\$\{\{ secrets\.\w+ \}\}$/);
    }
  });

  it("read only outputs the action sets", () => {
    const names = [...README.matchAll(/steps\.[\w-]+\.outputs\.([\w-]+)/g)].map(([, name]) => name);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(Object.keys(ACTION.outputs)).toContain(name);
  });

  it("hold patch files that the action accepts", () => {
    expect(README_PATCH_FILES.length).toBeGreaterThan(0);
    for (const text of README_PATCH_FILES) {
      if (text.includes("/connection.schema.json")) {
        // A connection file: read as fleet mode reads it, each document an id and its attributes.
        const documents = parseSources([{ input: "connections", file: "c.yml", text }], { env: standInEnv(text) });
        expect(toJobs(documents, undefined).length, text).toBeGreaterThan(0);
      } else {
        expect(actionAccepts(text), text).toEqual({ ok: true, messages: [] });
      }
    }
  });

  it("point editors at the schema as the repository publishes it", () => {
    expect(README).toContain(`# yaml-language-server: $schema=${SCHEMA_URL}`);
  });
});

describe("uses: in workflows and the README", () => {
  const uses = [
    ...WORKFLOW_FILES.map((path) => ({ where: path, text: read(path) })),
    ...README_YAML.map((text) => ({ where: "README.md", text })),
  ].flatMap(({ where, text }) =>
    [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)].map(([, target = "", rest = ""]) => ({
      where,
      target,
      comment: rest.trim(),
    })),
  );

  it("pin every action by a full commit SHA with its version in a comment, or use ./", () => {
    expect(uses.length).toBeGreaterThan(5);
    for (const { where, target, comment } of uses) {
      if (target === "./" || target.startsWith("./")) continue;
      // Before the first release there is no commit to pin: `@v1`, until .github/readme-pins/ has one.
      if (where === "README.md" && target === `${OWN_ACTION}v1` && !pinSources().has(REPOSITORY.slug)) continue;
      if (where === "README.md" && target.startsWith(`${OWN_ACTION}<`)) continue; // a form to fill in
      expect(target, `${where}: ${target}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      expect(comment, `${where}: ${target}`).toMatch(/^# v\d+\.\d+\.\d+$/);
    }
  });

  it("pin each action to one SHA everywhere", () => {
    const pins = new Map<string, Set<string>>();
    for (const { target } of uses) {
      const [action = "", ref = ""] = target.split("@");
      if (/^[0-9a-f]{40}$/.test(ref)) pins.set(action, (pins.get(action) ?? new Set()).add(ref));
    }
    for (const [action, refs] of pins) expect([...refs], action).toHaveLength(1);
  });
});

describe("the repository's workflows", () => {
  const workflow = (name: string) => parse(read(`.github/workflows/${name}`)) as Json;

  it("CI runs npm test on Node 24", () => {
    const all = steps(workflow("ci.yml"));
    expect(all.find((step) => step.uses?.startsWith("actions/setup-node@"))?.with?.["node-version"]).toBe(24);
    expect(all.map((step) => step.run)).toEqual(expect.arrayContaining(["npm ci", "npm test"]));
  });

  it("check-dist rebuilds dist/ and fails on a difference", () => {
    const all = steps(workflow("check-dist.yml"));
    expect(all.map((step) => step.run)).toEqual(expect.arrayContaining(["npm ci", "npm run build"]));
    expect(all.some((step) => step.run?.includes("git diff --exit-code -- dist/"))).toBe(true);
  });

  it("self-test runs uses: ./ in a dry run, and checks that a bad patch fails", () => {
    const all = steps(workflow("self-test.yml"));
    const own = all.filter((step) => step.uses === "./");
    expect(own.length).toBeGreaterThanOrEqual(2);
    for (const step of own) expect(step.with?.["dry-run"]).toBe(true);
    const bad = own.find((step) => step["continue-on-error"] === true);
    expect(bad?.id).toBeDefined();
    expect(
      all.some((step) => step.if === `steps.${bad?.id}.outcome != 'failure'` && /exit 1/.test(step.run ?? "")),
    ).toBe(true);
  });

  it("self-test's steps do in the bundle what the workflow expects", async () => {
    for (const step of steps(workflow("self-test.yml")).filter((candidate) => candidate.uses === "./")) {
      const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([name, value]) => [name, String(value)]));
      const file = inputs["patch-file"];
      const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([name, value]) => [name, String(value)]));
      const run = await runAction({ inputs, env, ...(file ? { workspaceFiles: { [file]: read(file) } } : {}) });
      expect(run.exitCode, `${step.name}: ${run.maskedLog}`).toBe(step["continue-on-error"] ? 1 : 0);
      expect(Object.keys(run.outputs)).toEqual(step["continue-on-error"] ? [] : ["results"]);
    }
  });

  it("Dependabot updates npm packages and actions", () => {
    const config = parse(read(".github/dependabot.yml")) as { updates: { "package-ecosystem": string }[] };
    expect(config.updates.map((update) => update["package-ecosystem"]).sort()).toEqual(["github-actions", "npm"]);
  });
});

describe("the README's troubleshooting quotes the action's messages", () => {
  const where = { label: "datadoghq.eu", input: "site" };
  const json = { "content-type": "application/vnd.api+json" };
  const rateLimit = { kind: "answer", status: 429, headers: { "x-ratelimit-name": "action_connections" } } as const;
  const messages: [string, string][] = [
    [
      "403",
      describeAnswer(
        { status: 403, statusText: "Forbidden", headers: json, text: '{"errors":["Forbidden"]}' },
        CONNECTION_ID,
        where,
      ).message,
    ],
    [
      "404",
      describeAnswer(
        {
          status: 404,
          statusText: "Not Found",
          headers: json,
          text: '{"errors":[{"title":"Generic Error","detail":"connection not found"}]}',
        },
        CONNECTION_ID,
        where,
      ).message,
    ],
    [
      "429, retries spent",
      describeGiveUp(rateLimit, { action: "give-up", why: "exhausted" }, 4, where, 60_000).message,
    ],
    [
      "429, past the deadline",
      describeGiveUp(rateLimit, { action: "give-up", why: "deadline", delayMs: 42_000 }, 1, where, 60_000).message,
    ],
    [
      "5xx",
      describeGiveUp(
        { kind: "answer", status: 503, headers: {} },
        { action: "give-up", why: "exhausted" },
        4,
        where,
        60_000,
      ).message,
    ],
    [
      "network",
      describeGiveUp(
        { kind: "network", reason: "DNS lookup failed", retryable: true, mayHaveApplied: false },
        { action: "give-up", why: "exhausted" },
        4,
        where,
        60_000,
      ).message,
    ],
    [
      "no answer",
      describeGiveUp(
        { kind: "network", reason: "connection reset", retryable: true, mayHaveApplied: true },
        { action: "give-up", why: "exhausted" },
        4,
        where,
        60_000,
      ).message,
    ],
  ];
  it.each(messages)("%s", (_case, message) => {
    expect(README_TEXT_LINES, `the README quotes an outdated message; the action now says:\n${message}`).toContain(
      message,
    );
  });

  it("a variable read with !env that is not set", async () => {
    const patch =
      "integration:\n  type: OpenAI\n  credentials:\n    type: OpenAIAPIKey\n    api_token: !env OPENAI_API_KEY\n";
    // Not a dry run: a dry run takes the value as unknown, and only warns.
    const inputs = { "connection-id": CONNECTION_ID, patch, "api-key": "k".repeat(32), "app-key": "a".repeat(40) };
    const run = await runAction({ inputs: { ...inputs, "api-url": "http://127.0.0.1:9" } });
    const [error] = run.commands.filter((command) => command.command === "error");
    expect(error?.message).toMatch(/^patch: integration\.credentials\.api_token: !env OPENAI_API_KEY: /);
    expect(README).toContain(`\`\`\`text\n${error?.message}\n\`\`\``);
  });

  it("input errors", async () => {
    const run = await runAction({ inputs: { "connection-id": "not-a-uuid", patch: "name: x\n", "dry-run": "true" } });
    const [error] = run.commands.filter((command) => command.command === "error");
    expect(README_CODE_SPANS).toContain(error?.message);
    const keys = await runAction({ inputs: { "connection-id": CONNECTION_ID, patch: "name: x\n" } });
    const [missing] = keys.commands.filter((command) => command.command === "error");
    expect(README_CODE_SPANS).toContain(missing?.message);
  });
});

describe("the bundle does what the README says", () => {
  const awsFile = [
    "name: Production AWS",
    "integration:",
    "  type: AWS",
    "  credentials:",
    "    type: AWSAssumeRole",
    '    account_id: "12345678901"',
    "",
  ].join("\n");

  it("annotates a patch-file error at its file, line and column, as the README shows it", async () => {
    const run = await runAction({
      inputs: { "connection-id": CONNECTION_ID, "patch-file": "connections/aws.yml", "dry-run": "true" },
      workspaceFiles: { "connections/aws.yml": awsFile },
    });
    expect(run.exitCode).toBe(1);
    const errors = run.commands.filter((command) => command.command === "error");
    expect(errors).toEqual([
      {
        command: "error",
        properties: { title: "Invalid patch", file: "connections/aws.yml", line: "6", col: "5" },
        message:
          "patch-file: integration.credentials.account_id: must be 12 digits (an AWS account id) (line 6, column 5)",
      },
    ]);
    expect(README_TEXT_LINES).toContain(`Error: ${errors[0]?.message}`);
  });

  it("writes a job summary with the site, the integration, secrets as ••••, and a link to the run", async () => {
    const run = await runAction({
      inputs: {
        "connection-id": CONNECTION_ID,
        site: "app.datadoghq.eu",
        "dry-run": "true",
        patch:
          "integration:\n  type: OpenAI\n  credentials:\n    type: OpenAIAPIKey\n    api_token: sk-proj-summary-0123456789\n",
      },
    });
    expect(run.exitCode).toBe(0);
    const summary = summaryText(run.summary);
    expect(summary).toContain("Site: datadoghq.eu");
    expect(summary).toContain("Integration: OpenAI");
    expect(summary).toContain("integration.credentials.api_token: •••• updated");
    expect(summary).toContain("Workflow run (https://github.com/acme/platform/actions/runs/42)");
    expect(run.summary).not.toContain("sk-proj-summary");
  });

  describe("against the simulator", () => {
    let simulator: Simulator;
    beforeAll(async () => {
      simulator = await Simulator.start();
      return () => simulator.close();
    });

    const okta = KINDS.find((kind) => kind.kind.type === "OktaAPIToken");
    const answerWithOtherDomain = () => ({
      kind: "answer" as const,
      status: 200,
      body: {
        data: {
          id: okta?.id,
          type: "action_connection",
          attributes: {
            name: "Okta (acme)",
            integration: {
              type: "Okta",
              credentials: { type: "OktaAPIToken", domain: "other.okta.com", api_token: "" },
            },
          },
        },
      },
    });
    const update = (file: string) =>
      runAction({
        inputs: {
          "connection-id": okta?.id ?? "",
          "patch-file": "okta.yml",
          "api-url": simulator.url,
          "api-key": SIM_API_KEY,
          "app-key": SIM_APP_KEY,
        },
        workspaceFiles: { "okta.yml": file },
      });
    const warnings = (run: Awaited<ReturnType<typeof update>>) =>
      run.commands.filter((command) => command.command === "warning");

    it("warns, at the file's line, where Datadog's answer differs from a request document", async () => {
      simulator.reset();
      simulator.script(answerWithOtherDomain());
      const run = await update(
        "data:\n  type: action_connection\n  attributes:\n    name: Okta (acme)\n    integration:\n      type: Okta\n" +
          "      credentials:\n        type: OktaAPIToken\n        domain: acme.okta.com\n",
      );
      expect(run.exitCode).toBe(0);
      expect(warnings(run)).toEqual([
        {
          command: "warning",
          properties: { title: "Answer differs from the patch", file: "okta.yml", line: "9", col: "9" },
          message:
            "Datadog's answer differs from the patch at data.attributes.integration.credentials.domain; check the connection in Datadog.",
        },
      ]);
    });

    it("warns, at the file's line, where Datadog's answer differs from an attributes patch", async () => {
      simulator.reset();
      simulator.script(answerWithOtherDomain());
      const run = await update(
        "name: Okta (acme)\nintegration:\n  type: Okta\n  credentials:\n    type: OktaAPIToken\n    domain: acme.okta.com\n",
      );
      expect(run.exitCode).toBe(0);
      expect(warnings(run)).toEqual([
        {
          command: "warning",
          properties: { title: "Answer differs from the patch", file: "okta.yml", line: "6", col: "5" },
          message:
            "Datadog's answer differs from the patch at integration.credentials.domain; check the connection in Datadog.",
        },
      ]);
    });
  });
});

describe("the README", () => {
  it("lists each secret field the table knows in its Security section", () => {
    const security = README.split("## Security")[1]?.split("\n## ")[0] ?? "";
    for (const name of SECRET_FIELD_NAMES) expect(security).toContain(`\`${name}\``);
  });

  it("gives the commands that work on a fresh machine", () => {
    expect(README).toContain("```sh\nnpm ci && npm run demo\n```");
    expect(README).toContain("```sh\nnpm test\n```");
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    for (const [, name] of README.matchAll(/`npm run (\w+)`/g)) expect(Object.keys(scripts)).toContain(name);
    expect(scripts.test).toContain("tsc --noEmit");
    expect(scripts.test).toContain("biome check");
  });

  it("quotes the action's own refusals of a patch", () => {
    const refusal = (text: string) => {
      const result = validatePatch(parsePatch(text).value);
      return result.ok
        ? []
        : result.problems.map((problem) => `patch: ${formatPath(problem.path)}: ${problem.message}`);
    };
    const credentials = (type: string, lines: string) =>
      `integration:\n  type: ${type}\n  credentials:\n${lines.replace(/^/gm, "    ")}\n`;
    for (const message of [
      ...refusal(credentials("OpenAI", "type: OpenAIAPIKey\napi_tokn: sk-0123")),
      ...refusal(credentials("AWS", "type: OpenAIAPIKey")),
    ]) {
      expect(README_CODE_SPANS).toContain(message);
    }
  });

  it("counts the integrations as the table does", () => {
    expect(README).toContain(`all ${INTEGRATIONS.length} integrations`);
    // AWS, OpenAI, GitLab, Okta, an HTTP API and the others.
    expect(README).toContain(`[${INTEGRATIONS.length - 5} other services]`);
  });

  it("names the nine sites the action accepts", async () => {
    const { SITES } = await import("../src/datadog/sites.ts");
    for (const site of SITES) expect(README).toContain(`\`${site.name}\``);
  });
});
