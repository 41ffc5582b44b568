/**
 * A newcomer's first commands: on a Node older than 24, npm test and npm run demo stop at once with
 * one line saying what is needed, rather than ERR_UNKNOWN_FILE_EXTENSION ".ts"; npm ci prints no
 * advisory about install scripts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../scripts/generate.ts";

const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  allowScripts?: Record<string, unknown>;
};
const GUARD = "node scripts/need-node-24.cjs && ";

/** The machine's own Node (Debian's), older than 24 on this kind of machine; undefined elsewhere. */
function olderNode(): string | undefined {
  for (const path of ["/usr/bin/node", "/usr/local/bin/node"]) {
    if (!existsSync(path)) continue;
    const version = spawnSync(path, ["-p", "process.versions.node"], { encoding: "utf8", timeout: 10_000 }).stdout;
    if (Number(version.split(".")[0]) < 24) return path;
  }
  return undefined;
}
const OLD_NODE = olderNode();

describe("on Node older than 24", () => {
  it("every npm script that runs a .ts file or the test tools checks the Node version first", () => {
    for (const [name, command] of Object.entries(manifest.scripts)) {
      if (/\.ts\b/.test(command) || name === "test") expect(command.startsWith(GUARD), name).toBe(true);
    }
  });

  it.skipIf(OLD_NODE === undefined).each(["test", "demo"])(
    "npm %s stops at once with one line saying Node 24 is needed and how to get it",
    (script) => {
      const node = OLD_NODE ?? "";
      const command = (manifest.scripts[script] ?? "").slice(0, GUARD.length - 4).split(" ");
      const run = spawnSync(node, command.slice(1), {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, npm_lifecycle_event: script },
        timeout: 10_000,
      });
      const version = spawnSync(node, ["-p", "process.versions.node"], { encoding: "utf8" }).stdout.trim();
      const name = script === "test" ? "npm test" : `npm run ${script}`;
      expect(run.status).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(
        `${name} needs Node 24 (this is Node ${version}): install it (nvm install 24, or nodejs.org), ` +
          "or run bash .ci/run, which installs it into .ci/cache/ and runs npm ci and npm test.\n",
      );
    },
  );

  it("on Node 24 the check says nothing and lets the script run", () => {
    const run = spawnSync(process.execPath, ["scripts/need-node-24.cjs"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 10_000,
    });
    expect([run.status, run.stdout, run.stderr]).toEqual([0, "", ""]);
  });
});

describe("npm ci", () => {
  it("has no install script left unreviewed, so npm 11 prints no install-scripts advisory (esbuild's is allowed)", () => {
    expect(manifest.allowScripts).toEqual({ esbuild: true });
    // npm's own review of the installed tree, the list npm ci would print as an advisory (npm 11.16 on)
    const npmPath = join(dirname(process.execPath), "npm");
    const npm = existsSync(npmPath) ? npmPath : "npm";
    const [major = 0, minor = 0] = spawnSync(npm, ["--version"], { encoding: "utf8", timeout: 30_000 })
      .stdout.split(".")
      .map(Number);
    if (major < 11 || (major === 11 && minor < 16)) return; // no advisory to print before npm 11.16
    const run = spawnSync(npm, ["install-scripts", "ls"], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
    expect(run.stdout.trim()).toBe("No packages with unreviewed install scripts.");
  });
});

describe("npm run demo", () => {
  it("shows a dry run of a patch file refused by an annotation under the file's line, then a fleet's plan", () => {
    const run = spawnSync(process.execPath, ["scripts/demo.ts"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(0);
    const third = (run.stdout.split("Run 3: ")[1] ?? "").split("Run 4: ")[0] ?? "";
    expect(third).toContain("patch-file: .datadog/connections/openai.yml\n  dry-run: true");
    expect(third).toContain(
      [
        "    9 │     api_tokn: ***",
        "      │     ^ ✘ Invalid patch: patch-file: integration.credentials.api_tokn: unknown field; did you mean api_token? (line 9, column 5)",
      ].join("\n"),
    );
    expect(third).toContain("received: nothing");
    expect(third).toContain("✔ refused as it should be, nothing sent (exit code 1,");
    expect(run.stdout).not.toContain("sk-proj-demo");
    // Then a fleet's plan, as a pull request's plan step runs it: reads only.
    const fourth = run.stdout.split("Run 4: ")[1] ?? "";
    expect(fourth).toContain("  3 connections: 2 would-update, 1 unchanged");
    expect(fourth).toContain("✔ planned: read, nothing sent (exit code 0)");
    expect(run.stdout.trimEnd().endsWith("All 4 runs ended as they should.")).toBe(true);
  }, 60_000);
});
