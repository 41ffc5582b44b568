import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Every file below `folder`, as paths relative to it. */
function files(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => `${entry.parentPath}/${entry.name}`.slice(folder.length + 1))
    .sort();
}

describe("dist/", () => {
  it("is exactly what the build makes from src/ (run npm run build and commit dist/)", () => {
    // A folder of this run's own under build/ (git-ignored): two test runs at once must not build
    // into, swap or delete each other's. The build stages beside it (`<out>.building-<pid>`), then
    // renames the staging folder to it; both are removed whatever happens.
    const name = `check-dist-${process.pid}-${Date.now()}`;
    const out = `build/${name}`;
    try {
      execFileSync(process.execPath, ["scripts/build.ts", out], { cwd: root, stdio: "pipe" });
      const built = files(`${root}${out}`);
      expect(files(`${root}dist`)).toEqual(built);
      for (const file of built) {
        const fresh = readFileSync(`${root}${out}/${file}`, "utf8");
        const committed = readFileSync(`${root}dist/${file}`, "utf8");
        expect(committed === fresh, `dist/${file} is stale: run npm run build`).toBe(true);
      }
    } finally {
      rmSync(`${root}${out}`, { recursive: true, force: true });
      for (const entry of existsSync(`${root}build`) ? readdirSync(`${root}build`) : []) {
        if (entry.startsWith(`${name}.building-`)) rmSync(`${root}build/${entry}`, { recursive: true, force: true });
      }
    }
  }, 120_000);
});
