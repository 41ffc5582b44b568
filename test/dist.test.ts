import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
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
    const out = "build/check-dist";
    execFileSync(process.execPath, ["scripts/build.ts", out], { cwd: root, stdio: "pipe" });
    const built = files(`${root}${out}`);
    expect(files(`${root}dist`)).toEqual(built);
    for (const file of built) {
      const fresh = readFileSync(`${root}${out}/${file}`, "utf8");
      const committed = readFileSync(`${root}dist/${file}`, "utf8");
      expect(committed === fresh, `dist/${file} is stale: run npm run build`).toBe(true);
    }
  }, 120_000);
});
