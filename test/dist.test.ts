import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("dist/", () => {
  it("is exactly what the build makes from src/ (run npm run build and commit dist/)", () => {
    const out = "build/check-dist";
    rmSync(`${root}${out}`, { recursive: true, force: true });
    execFileSync(process.execPath, ["scripts/build.ts", out], { cwd: root, stdio: "pipe" });
    const built = readdirSync(`${root}${out}`).sort();
    expect(readdirSync(`${root}dist`).sort()).toEqual(built);
    for (const file of built) {
      const fresh = readFileSync(`${root}${out}/${file}`, "utf8");
      const committed = readFileSync(`${root}dist/${file}`, "utf8");
      expect(committed === fresh, `dist/${file} is stale: run npm run build`).toBe(true);
    }
  }, 120_000);
});
