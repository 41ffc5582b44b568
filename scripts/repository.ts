/**
 * The repository's slug (`owner/name`) and what is derived from it. Its one source is package.json's
 * `repository`; the README, the schema's `$id`, CHANGELOG links and examples are written from it by
 * `npm run generate`, and the release refuses to run while it holds the placeholder owner.
 *
 * No dependencies: the release workflow runs this before `npm ci`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The owner package.json holds until the project has a home on GitHub. */
export const PLACEHOLDER_OWNER = "OWNER";

export interface Repository {
  readonly owner: string;
  readonly name: string;
  /** `owner/name`, as `uses:` and `gh --repo` take it. */
  readonly slug: string;
}

/** `git+https://github.com/owner/name.git`, `https://github.com/owner/name`, `github:owner/name`, `owner/name`. */
export function parseRepository(field: unknown): Repository {
  const url = typeof field === "string" ? field : (field as { url?: unknown } | null)?.url;
  if (typeof url !== "string") {
    throw new Error(
      'package.json has no "repository": set it to {"type": "git", "url": "git+https://github.com/OWNER/NAME.git"}',
    );
  }
  const match =
    /^(?:git\+)?https:\/\/github\.com\/([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url) ??
    /^(?:github:)?([\w.-]+)\/([\w.-]+)$/.exec(url);
  if (!match?.[1] || !match[2]) {
    throw new Error(
      `package.json "repository" is not a GitHub repository URL: set it to git+https://github.com/OWNER/NAME.git`,
    );
  }
  return { owner: match[1], name: match[2], slug: `${match[1]}/${match[2]}` };
}

export function readRepository(root: string): Repository {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { repository?: unknown };
  return parseRepository(manifest.repository);
}

/** Why a release cannot name this repository yet, or undefined when it can. */
export function placeholderProblem(repository: Repository): string | undefined {
  if (repository.owner !== PLACEHOLDER_OWNER) return undefined;
  return (
    `package.json "repository" still names the placeholder owner (${repository.slug}): set its url to ` +
    `git+https://github.com/<your account or organization>/${repository.name}.git, run npm run generate ` +
    "(it writes the README, the schemas and CHANGELOG links from it) and commit"
  );
}

/** Where editors fetch a schema from, at the moving major tag. */
export function schemaUrl(repository: Repository, file: string, major = "v1"): string {
  return `https://raw.githubusercontent.com/${repository.slug}/${major}/schema/${file}`;
}
