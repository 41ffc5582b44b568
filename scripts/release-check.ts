/**
 * `node scripts/release-check.ts --tag vX.Y.Z [--notes FILE]`: what the release workflow checks before
 * it publishes anything, kept here so that npm test runs it on good and bad inputs (test/release.test.ts)
 * rather than trusting shell in a workflow that only runs on GitHub:
 *
 *   - package.json names the real repository (not the placeholder) and, on GitHub, this one;
 *   - the tag is vX.Y.Z and equals package.json's version, which src/version.ts sends as the User-Agent;
 *   - CHANGELOG.md has exactly one "Unreleased" heading, and its top release entry is this version,
 *     dated, with notes; those notes become the GitHub release's (--notes FILE writes them).
 *
 * That dist/ is what the build makes is checked by the workflow's build step and test/dist.test.ts.
 * No dependencies: it runs before npm ci.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseRepository, placeholderProblem } from "./repository.ts";

export interface ReleaseInputs {
  readonly tag: string;
  readonly packageJson: string;
  readonly changelog: string;
  readonly versionTs: string;
  /** GITHUB_REPOSITORY when run by a workflow. */
  readonly githubRepository?: string | undefined;
}

export interface ReleaseCheck {
  readonly problems: readonly string[];
  /** The top CHANGELOG entry's body, for the release notes (empty when there are problems). */
  readonly notes: string;
}

interface Entry {
  readonly heading: string;
  readonly version: string;
  readonly date: string | undefined;
  readonly body: string;
}

/** The `## [...]` entries of a Keep a Changelog file, in order. */
export function changelogEntries(text: string): Entry[] {
  const lines = text.split("\n");
  const entries: { heading: string; version: string; date: string | undefined; body: string[] }[] = [];
  for (const line of lines) {
    const heading = /^## \[([^\]]+)\](?:\s+-\s+(.*))?\s*$/.exec(line);
    if (heading) {
      entries.push({ heading: line, version: heading[1] ?? "", date: heading[2]?.trim(), body: [] });
    } else if (/^\[[^\]]+\]:\s/.test(line)) {
      // link definitions at the end belong to no entry
    } else {
      entries.at(-1)?.body.push(line);
    }
  }
  return entries.map((entry) => ({ ...entry, body: entry.body.join("\n").trim() }));
}

export function checkRelease(inputs: ReleaseInputs): ReleaseCheck {
  const problems: string[] = [];
  const manifest = JSON.parse(inputs.packageJson) as { version?: unknown; repository?: unknown };
  try {
    const repository = parseRepository(manifest.repository);
    const placeholder = placeholderProblem(repository);
    if (placeholder) problems.push(placeholder);
    else if (inputs.githubRepository && inputs.githubRepository.toLowerCase() !== repository.slug.toLowerCase()) {
      problems.push(
        `package.json "repository" names ${repository.slug}, but this runs in ${inputs.githubRepository}: ` +
          "set it to this repository and run npm run generate",
      );
    }
  } catch (error) {
    problems.push((error as Error).message);
  }

  const version = typeof manifest.version === "string" ? manifest.version : "";
  const tagVersion = /^v(\d+\.\d+\.\d+)$/.exec(inputs.tag)?.[1];
  if (!tagVersion) {
    problems.push(`tag "${inputs.tag}" is not vX.Y.Z: release from a tag such as v1.2.3`);
  } else if (tagVersion !== version) {
    problems.push(
      `tag ${inputs.tag} does not match package.json version "${version}": set "version" to "${tagVersion}" ` +
        "(and ACTION_VERSION in src/version.ts), or tag v" +
        version,
    );
  }
  const sent = /ACTION_VERSION\s*=\s*"([^"]*)"/.exec(inputs.versionTs)?.[1];
  if (sent !== version) {
    problems.push(`src/version.ts sends version "${sent ?? "?"}" but package.json has "${version}": make them equal`);
  }

  const entries = changelogEntries(inputs.changelog);
  const unreleased = entries.filter((entry) => entry.version.toLowerCase() === "unreleased");
  if (unreleased.length !== 1) {
    problems.push(
      `CHANGELOG.md has ${unreleased.length} "## [Unreleased]" headings: keep exactly one, above the releases`,
    );
  }
  const top = entries.find((entry) => entry.version.toLowerCase() !== "unreleased");
  let notes = "";
  if (!top) {
    problems.push(
      `CHANGELOG.md has no entry for ${version}: move the changes under "## [Unreleased]" into ` +
        `"## [${version}] - YYYY-MM-DD" below it`,
    );
  } else if (top.version !== version) {
    problems.push(
      `CHANGELOG.md's top entry is ${top.version}, not ${version}: add "## [${version}] - YYYY-MM-DD" ` +
        `with this release's changes under "## [Unreleased]"`,
    );
  } else if (!top.date || !/^\d{4}-\d{2}-\d{2}$/.test(top.date)) {
    problems.push(`CHANGELOG.md's entry for ${version} has no date: write "## [${version}] - YYYY-MM-DD"`);
  } else if (top.body === "") {
    problems.push(`CHANGELOG.md's entry for ${version} is empty: list the changes; they become the release notes`);
  } else {
    notes = top.body;
  }
  if (unreleased[0] && entries.indexOf(unreleased[0]) > 0) {
    problems.push('CHANGELOG.md: "## [Unreleased]" must come before the releases');
  }
  return { problems, notes: problems.length ? "" : notes };
}

function argument(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

if (import.meta.main) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const args = process.argv.slice(2);
  const tag = argument(args, "--tag") ?? process.env.RELEASE_TAG ?? "";
  const read = (path: string) => readFileSync(join(root, path), "utf8");
  const result = checkRelease({
    tag,
    packageJson: read("package.json"),
    changelog: read("CHANGELOG.md"),
    versionTs: read("src/version.ts"),
    githubRepository: process.env.GITHUB_REPOSITORY,
  });
  const annotate = process.env.GITHUB_ACTIONS === "true";
  for (const problem of result.problems) console.log(annotate ? `::error title=Release check::${problem}` : problem);
  if (result.problems.length) process.exit(1);
  const notesFile = argument(args, "--notes");
  if (notesFile) writeFileSync(notesFile, `${result.notes}\n`);
  console.log(`release ${tag}: tag, package.json, src/version.ts and CHANGELOG.md agree`);
}
