/**
 * What the release workflow (.github/workflows/release.yml) checks, run here on good and bad inputs
 * since the workflow itself runs only on GitHub; the repository's slug kept in step everywhere; and
 * the README's pins following what Dependabot bumps, shown on a copy of the repository.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { generatedFiles, REPOSITORY, ROOT } from "../scripts/generate.ts";
import { checkRelease, type ReleaseInputs } from "../scripts/release-check.ts";
import { parseRepository } from "../scripts/repository.ts";

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const WORKFLOWS = readdirSync(join(ROOT, ".github/workflows")).filter((name) => /\.ya?ml$/.test(name));

const CHANGELOG = `# Changelog

## [Unreleased]

## [1.2.3] - 2026-12-01

### Fixed

- A fix.

## [1.2.2] - 2026-11-01

- Older.
`;

const GOOD: ReleaseInputs = {
  tag: "v1.2.3",
  packageJson: JSON.stringify({ version: "1.2.3", repository: { url: "git+https://github.com/acme/dd-action.git" } }),
  changelog: CHANGELOG,
  versionTs: 'export const ACTION_VERSION = "1.2.3";\n',
  githubRepository: "acme/dd-action",
};

describe("the release check (scripts/release-check.ts)", () => {
  it("passes when tag, package.json, src/version.ts and the top CHANGELOG entry agree, with that entry as notes", () => {
    expect(checkRelease(GOOD)).toEqual({ problems: [], notes: "### Fixed\n\n- A fix." });
  });

  const bad: [string, Partial<ReleaseInputs>, RegExp][] = [
    [
      "the placeholder owner",
      { packageJson: JSON.stringify({ version: "1.2.3", repository: "github:OWNER/dd-action" }) },
      /still names the placeholder owner \(OWNER\/dd-action\): set its url to git\+https:\/\/github.com\/<your account or organization>\/dd-action.git/,
    ],
    [
      "another repository",
      { githubRepository: "fork/dd-action" },
      /names acme\/dd-action, but this runs in fork\/dd-action/,
    ],
    ["a tag that is not vX.Y.Z", { tag: "1.2.3" }, /tag "1.2.3" is not vX.Y.Z/],
    ["a tag for another version", { tag: "v1.2.4" }, /tag v1.2.4 does not match package.json version "1.2.3"/],
    [
      "a User-Agent version behind",
      { versionTs: 'export const ACTION_VERSION = "1.2.2";' },
      /src\/version.ts sends version "1.2.2"/,
    ],
    [
      "no entry for the version",
      { changelog: CHANGELOG.replace("## [1.2.3] - 2026-12-01", "### Notes") },
      /top entry is 1.2.2, not 1.2.3/,
    ],
    ["an undated entry", { changelog: CHANGELOG.replace("2026-12-01", "unreleased") }, /entry for 1.2.3 has no date/],
    [
      "two Unreleased headings",
      { changelog: CHANGELOG.replace("## [1.2.2]", "## [Unreleased]\n\n## [1.2.2]") },
      /has 2 "## \[Unreleased\]" headings/,
    ],
    ["no Unreleased heading", { changelog: CHANGELOG.replace("## [Unreleased]\n", "") }, /has 0 "## \[Unreleased\]"/],
    [
      "an empty entry",
      { changelog: CHANGELOG.replace("### Fixed\n\n- A fix.\n", "") },
      /entry for 1.2.3 is empty: list the changes/,
    ],
  ];
  it.each(bad)("refuses %s, saying what to change", (_what, change, message) => {
    const result = checkRelease({ ...GOOD, ...change });
    expect(result.problems).toEqual([expect.stringMatching(message)]);
    expect(result.notes).toBe("");
  });

  it("says of this repository, as it stands, what checkRelease says, as error annotations on GitHub", () => {
    const version = (JSON.parse(read("package.json")) as { version: string }).version;
    const run = spawnSync(process.execPath, ["scripts/release-check.ts", "--tag", `v${version}`], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, GITHUB_ACTIONS: "true", GITHUB_REPOSITORY: "" },
      timeout: 20_000,
    });
    const expected = checkRelease({
      tag: `v${version}`,
      packageJson: read("package.json"),
      changelog: read("CHANGELOG.md"),
      versionTs: read("src/version.ts"),
    }).problems;
    expect(run.status).toBe(expected.length ? 1 : 0);
    if (expected.length) {
      expect(run.stdout).toBe(expected.map((problem) => `::error title=Release check::${problem}\n`).join(""));
    }
    // until package.json names the real repository, no release can run
    if (REPOSITORY.owner === "OWNER")
      expect(run.stdout).toContain('package.json "repository" still names the placeholder');
  });

  it("writes the notes and passes on a copy made ready for release", () => {
    const dir = mkdtempSync(join(tmpdir(), "release-"));
    try {
      for (const path of ["scripts/release-check.ts", "scripts/repository.ts"]) {
        cpSync(join(ROOT, path), join(dir, path), { recursive: true });
      }
      writeFileSync(join(dir, "package.json"), GOOD.packageJson);
      writeFileSync(join(dir, "CHANGELOG.md"), GOOD.changelog);
      cpSync(join(ROOT, "src/version.ts"), join(dir, "src/version.ts"));
      writeFileSync(join(dir, "src/version.ts"), GOOD.versionTs);
      const notes = join(dir, "notes.md");
      const out = execFileSync(process.execPath, ["scripts/release-check.ts", "--tag", "v1.2.3", "--notes", notes], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, GITHUB_REPOSITORY: "acme/dd-action" },
        timeout: 20_000,
      });
      expect(out).toBe("release v1.2.3: tag, package.json, src/version.ts and CHANGELOG.md agree\n");
      expect(readFileSync(notes, "utf8")).toBe("### Fixed\n\n- A fix.\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the repository's slug", () => {
  it("is read from package.json's repository in every form npm accepts", () => {
    for (const url of [
      "git+https://github.com/acme/dd-action.git",
      "https://github.com/acme/dd-action",
      "github:acme/dd-action",
      "acme/dd-action",
    ]) {
      expect(parseRepository({ url }).slug).toBe("acme/dd-action");
    }
    expect(() => parseRepository("https://gitlab.com/acme/dd-action")).toThrow(/not a GitHub repository URL/);
  });

  it("is the only one the README, CHANGELOG, SECURITY.md, examples and schemas name", () => {
    for (const path of ["README.md", "CHANGELOG.md", "SECURITY.md", "schema/patch.schema.json"]) {
      const named = [...read(path).matchAll(new RegExp(`[\\w.-]+/${REPOSITORY.name}(?![\\w-])`, "g"))].map(([m]) => m);
      for (const slug of named) expect(slug, path).toBe(REPOSITORY.slug);
    }
    expect(JSON.parse(read("schema/patch.schema.json")).$id).toContain(`/${REPOSITORY.slug}/`);
  });

  it("follows package.json into the README, the schema and CHANGELOG links when it changes", () => {
    const dir = copyOfRepository();
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    manifest.repository = { type: "git", url: `git+https://github.com/acme/${REPOSITORY.name}.git` };
    writeFileSync(join(dir, "package.json"), JSON.stringify(manifest));
    const files = generatedFiles(dir);
    const readme = files.get("README.md") ?? "";
    expect(readme).toContain(`uses: acme/${REPOSITORY.name}@`);
    expect(readme).toContain(
      `$schema=https://raw.githubusercontent.com/acme/${REPOSITORY.name}/v1/schema/patch.schema.json`,
    );
    expect(readme).not.toContain(`${REPOSITORY.slug}@`);
    expect(JSON.parse(files.get("schema/patch.schema.json") ?? "{}").$id).toBe(
      `https://raw.githubusercontent.com/acme/${REPOSITORY.name}/v1/schema/patch.schema.json`,
    );
    expect(files.get("CHANGELOG.md")).toContain(`[Unreleased]: https://github.com/acme/${REPOSITORY.name}/`);
  });
});

const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** The files npm run generate reads and writes, in a temporary directory. */
function copyOfRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), "repo-copy-"));
  copies.push(dir);
  for (const path of ["package.json", "README.md", "CHANGELOG.md", "action.yml", ".github"]) {
    cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  }
  return dir;
}

describe("a Dependabot bump of an action's pin", () => {
  const CHECKOUT = /actions\/checkout@([0-9a-f]{40}) # (v[\d.]+)/;
  const BUMPED = "actions/checkout@0123456789abcdef0123456789abcdef01234567 # v9.9.9";

  it("makes the README stale until npm run generate rewrites its pins from the workflows", () => {
    const dir = copyOfRepository();
    // What Dependabot does: edits the workflows (every file that pins the action), not the README.
    for (const name of WORKFLOWS) {
      const path = join(dir, ".github/workflows", name);
      const text = readFileSync(path, "utf8");
      writeFileSync(path, text.replaceAll(new RegExp(CHECKOUT.source, "g"), BUMPED));
    }
    expect(readFileSync(join(dir, "README.md"), "utf8")).toMatch(CHECKOUT);
    // the docs test's check: the README is what generate writes; it fails on the bump
    const regenerated = generatedFiles(dir).get("README.md") ?? "";
    expect(regenerated).not.toBe(readFileSync(join(dir, "README.md"), "utf8"));
    expect(regenerated).toContain(`uses: ${BUMPED}`);
    expect(regenerated).not.toMatch(/actions\/checkout@(?!0123456789abcdef)/);
    // and passes once the regeneration (what dependabot-regenerate.yml runs) is written
    writeFileSync(join(dir, "README.md"), regenerated);
    expect(generatedFiles(dir).get("README.md")).toBe(readFileSync(join(dir, "README.md"), "utf8"));
  });

  it("of an action only the README uses is taken from .github/readme-pins/action.yml, which Dependabot watches", () => {
    const dependabot = parse(read(".github/dependabot.yml")) as {
      updates: { "package-ecosystem": string; directories?: string[] }[];
    };
    const actions = dependabot.updates.find((update) => update["package-ecosystem"] === "github-actions");
    expect(actions?.directories).toEqual(expect.arrayContaining(["/", "/.github/readme-pins"]));
    const dir = copyOfRepository();
    const pins = join(dir, ".github/readme-pins/action.yml");
    writeFileSync(
      pins,
      readFileSync(pins, "utf8").replace(
        /configure-aws-credentials@[0-9a-f]{40} # v[\d.]+/,
        "configure-aws-credentials@fedcba9876543210fedcba9876543210fedcba98 # v9.0.0",
      ),
    );
    expect(generatedFiles(dir).get("README.md")).toContain(
      "uses: aws-actions/configure-aws-credentials@fedcba9876543210fedcba9876543210fedcba98 # v9.0.0",
    );
  });

  it("of this action, once released, pins the README's examples by SHA", () => {
    const dir = copyOfRepository();
    const pins = join(dir, ".github/readme-pins/action.yml");
    writeFileSync(
      pins,
      `${readFileSync(pins, "utf8")}    - uses: ${REPOSITORY.slug}@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa # v1.0.0\n`,
    );
    const readme = generatedFiles(dir).get("README.md") ?? "";
    const own = [...readme.matchAll(new RegExp(`uses: ${REPOSITORY.slug}@(\\S+)(.*)`, "g"))];
    expect(own.length).toBeGreaterThanOrEqual(4);
    for (const [, ref, comment] of own) {
      if (ref?.startsWith("<")) continue;
      expect(`${ref}${comment}`).toBe("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa # v1.0.0");
    }
  });
});

interface WorkflowStep {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, unknown>>;
}
interface WorkflowJob {
  readonly needs?: string;
  readonly permissions?: Readonly<Record<string, string>>;
  readonly steps: readonly WorkflowStep[];
}
interface Workflow {
  readonly on: Readonly<Record<string, unknown>>;
  readonly permissions?: unknown;
  readonly jobs: Readonly<Record<string, WorkflowJob>>;
}
const workflow = (name: string) => parse(read(`.github/workflows/${name}`)) as Workflow;

describe("the release workflow", () => {
  const release = workflow("release.yml");

  it("runs on a vX.Y.Z tag or a dispatch naming one, with no permission but what each job is given", () => {
    expect(release.on.push).toEqual({ tags: ["v[0-9]+.[0-9]+.[0-9]+"] });
    expect(Object.keys((release.on.workflow_dispatch as { inputs: object }).inputs)).toEqual(["tag"]);
    expect(release.permissions).toEqual({});
    expect(
      Object.fromEntries(Object.entries(release.jobs).map(([name, job]) => [name, [job.needs, job.permissions]])),
    ).toEqual({
      check: [undefined, { contents: "read" }],
      release: ["check", { contents: "write", "id-token": "write", attestations: "write" }],
      "move-major-tags": ["release", { contents: "write" }],
    });
  });

  it("checks tag, versions and CHANGELOG before installing anything, then dist/ and the tests", () => {
    const runs = (release.jobs.check?.steps ?? []).flatMap((step) =>
      step.run ? [step.run.trim().split("\n")[0]] : [],
    );
    expect(runs).toEqual([
      'node scripts/release-check.ts --tag "$TAG"',
      "npm ci",
      "npm run build",
      'if [ -n "$(git status --porcelain -- dist/)" ]; then',
      "npm test",
    ]);
  });

  it("attests every file of dist/ a runner executes and publishes the CHANGELOG entry as the notes", () => {
    const steps = release.jobs.release?.steps ?? [];
    const attest = steps.find((step) => step.uses?.startsWith("actions/attest-build-provenance@"));
    expect(attest?.uses).toBe("actions/attest-build-provenance@a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32");
    expect(String(attest?.with?.["subject-path"]).trim().split("\n")).toEqual(["dist/index.js", "dist/*.mjs"]);
    // The glob covers every module the entry loads apart.
    const parts = readdirSync(join(ROOT, "dist")).filter((name) => name.endsWith(".mjs"));
    expect(parts).toEqual(expect.arrayContaining(["proxy.mjs", "github.mjs", "glob.mjs"]));
    const runs = steps.map((step) => step.run ?? "").join("\n");
    expect(runs).toContain('node scripts/release-check.ts --tag "$TAG" --notes "$RUNNER_TEMP/notes.md"');
    expect(runs).toContain('gh release create "$TAG" --verify-tag --title "$TAG" --notes-file "$RUNNER_TEMP/notes.md"');
  });

  it("moves vX and vX.Y to the release's commit: its script, run here with a stand-in for gh", () => {
    const script = release.jobs["move-major-tags"]?.steps[0]?.run ?? "";
    const bin = mkdtempSync(join(tmpdir(), "fake-gh-"));
    copies.push(bin);
    const calls = join(bin, "calls");
    // v1 exists (moved with PATCH), v1.2 does not yet (created with POST)
    writeFileSync(
      join(bin, "gh"),
      [
        "#!/bin/sh",
        `echo "$*" >> ${calls}`,
        'case "$*" in',
        '  "api repos/acme/dd-action/commits/v1.2.3 --jq .sha") echo 0123456789abcdef0123456789abcdef01234567 ;;',
        '  "api repos/acme/dd-action/git/ref/tags/v1.2 --silent") exit 1 ;;',
        "esac",
      ].join("\n"),
      { mode: 0o755 },
    );
    const summary = join(bin, "summary");
    const out = execFileSync("bash", ["-e", "-c", script], {
      encoding: "utf8",
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        TAG: "v1.2.3",
        REPOSITORY: "acme/dd-action",
        GH_TOKEN: "x",
        GITHUB_STEP_SUMMARY: summary,
      },
      timeout: 10_000,
    });
    const commit = "0123456789abcdef0123456789abcdef01234567";
    expect(readFileSync(calls, "utf8").trim().split("\n")).toEqual([
      "api repos/acme/dd-action/commits/v1.2.3 --jq .sha",
      "api repos/acme/dd-action/git/ref/tags/v1 --silent",
      `api -X PATCH repos/acme/dd-action/git/refs/tags/v1 -f sha=${commit} -F force=true --silent`,
      "api repos/acme/dd-action/git/ref/tags/v1.2 --silent",
      `api -X POST repos/acme/dd-action/git/refs -f ref=refs/tags/v1.2 -f sha=${commit} --silent`,
    ]);
    expect(out).toBe(`v1 → v1.2.3 (${commit})\nv1.2 → v1.2.3 (${commit})\n`);
    expect(readFileSync(summary, "utf8")).toContain(`\`- uses: acme/dd-action@${commit} # v1.2.3\``);
  });
});

describe("every workflow", () => {
  it.each(WORKFLOWS)(
    "%s: sets permissions, keeps no credentials in checkouts, and puts no expression inside run:",
    (name) => {
      const text = workflow(name);
      expect(text.permissions, "top-level permissions").toBeDefined();
      for (const job of Object.values(text.jobs)) {
        for (const step of job.steps) {
          if (step.uses?.startsWith("actions/checkout@")) expect(step.with?.["persist-credentials"]).toBe(false);
          // zizmor's template-injection: expressions reach a script through env:, never inside it
          expect(step.run ?? "", `${name}: ${step.name ?? step.run}`).not.toContain("${{");
        }
      }
    },
  );
});

describe(".gitattributes", () => {
  it("marks the built dist/ as generated, so that GitHub collapses its diffs in review", () => {
    const attributes = execFileSync(
      "git",
      ["check-attr", "linguist-generated", "dist/index.js", "dist/proxy.mjs", "src/main.ts"],
      {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 10_000,
      },
    );
    expect(attributes).toBe(
      [
        "dist/index.js: linguist-generated: true",
        "dist/proxy.mjs: linguist-generated: true",
        "src/main.ts: linguist-generated: unspecified",
        "",
      ].join("\n"),
    );
  });
});
