/**
 * Builds dist/ (or the folder given): TypeScript → build/ with tsc, then one minified ESM bundle with
 * ncc. ncc gets JavaScript, not TypeScript, because TypeScript 7 has no JavaScript API for it to call.
 * Module ids in the bundle follow file paths, so the intermediate folder is always build/.
 *
 *   node scripts/build.ts            → dist/
 *   node scripts/build.ts build/x    → build/x/ (the freshness test compares it with dist/)
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = process.argv[2] ?? "dist";
const bin = (name: string) => `${root}node_modules/.bin/${name}`;

execFileSync(bin("tsc"), ["-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
execFileSync(
  bin("ncc"),
  [
    "build",
    "build/index.js",
    "--out",
    out,
    "--minify",
    "--no-source-map-register",
    "--license",
    "licenses.txt",
    "--quiet",
  ],
  { cwd: root, stdio: "inherit" },
);
