/**
 * Builds dist/ (or the folder given): dist/index.js, the action, one minified CommonJS bundle;
 * dist/proxy.mjs, npm undici for the proxy route, loaded only when a proxy applies; dist/github.mjs,
 * Octokit for the pull-request comment, loaded only to comment; dist/shared-*.mjs, what those two
 * share (undici); and dist/licenses.txt.
 *
 * CommonJS because Node starts a CommonJS entry without its ES module loader: about 5 ms of a
 * ~150 ms run (README, "Performance"). The proxy bundle is a module so that its exports have names.
 *
 *   node scripts/build.ts            → dist/
 *   node scripts/build.ts build/x    → build/x/ (the freshness test compares it with dist/)
 *
 * Why esbuild and not ncc: @actions/core imports its OIDC client (with @actions/http-client and all
 * of undici) and @actions/exec at load time, though this action calls neither; their packages do not
 * say they are free of side effects, so ncc (webpack) must keep and run them: 835 KB and ~80 ms before
 * the first line of ours (README, "Performance"). esbuild lets the build state what is true: those
 * modules only define classes and functions. They are then left out when nothing uses them, and a
 * module that is used is never left out whatever this list says.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, process.argv[2] ?? "dist");

/** Modules with no side effects at load: they define classes and functions only. */
const SIDE_EFFECT_FREE = [
  /[\\/]@actions[\\/]core[\\/]lib[\\/](oidc-utils|platform)\.js$/,
  /[\\/]@actions[\\/](http-client|exec|io)[\\/]/,
  /[\\/]@actions[\\/]github[\\/]lib[\\/](utils|internal[\\/]utils)\.js$/,
  /[\\/]@octokit[\\/]/,
];

const sideEffectFree: Plugin = {
  name: "side-effect-free",
  setup(context) {
    context.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === "resolving" || args.kind === "entry-point") return undefined;
      const resolved = await context.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: "resolving",
      });
      if (resolved.errors.length > 0 || !SIDE_EFFECT_FREE.some((pattern) => pattern.test(resolved.path))) {
        return undefined;
      }
      return { ...resolved, sideEffects: false };
    });
  },
};

/** Modules bundled apart (source → file name in dist/), loaded by the action only when it needs them. */
const APART: Readonly<Record<string, string>> = {
  "src/datadog/proxy-undici.ts": "proxy",
  "src/github-api.ts": "github",
  "src/fleet/glob.ts": "glob",
};

/** The main bundle imports the bundles built apart by their file names, not their sources. */
const apart: Plugin = {
  name: "apart",
  setup(context) {
    context.onResolve({ filter: /\.ts$/ }, (args) => {
      const source = Object.keys(APART).find((path) => path.endsWith(`/${basename(args.path)}`));
      return source ? { path: `./${APART[source]}.mjs`, external: true } : undefined;
    });
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node24",
  minify: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
} as const;

// Built beside the target, then swapped in: tests running the bundle never see a half-written dist/.
const staging = `${out}.building-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
const action = await build({
  ...common,
  entryPoints: ["src/index.ts"],
  outfile: join(staging, "index.js"),
  format: "cjs",
  plugins: [sideEffectFree, apart],
});
// One build for both, split: they share undici (the comment's Octokit fetches through it) as one chunk.
const proxy = await build({
  ...common,
  entryPoints: Object.entries(APART).map(([path, name]) => ({ in: path, out: name })),
  outdir: staging,
  outExtension: { ".js": ".mjs" },
  splitting: true,
  chunkNames: "shared-[hash]",
  format: "esm",
  plugins: [sideEffectFree],
  // Bundled CommonJS (undici) requires Node's own modules; a module has no `require` of its own.
  banner: {
    js: 'import{createRequire as __createRequire}from"node:module";const require=__createRequire(import.meta.url);',
  },
});

// CommonJS even though the repository's package.json says "module".
writeFileSync(join(staging, "package.json"), '{\n  "type": "commonjs"\n}\n');
const inputs = [action, proxy].flatMap((result) => Object.keys(result.metafile.inputs));
writeFileSync(join(staging, "licenses.txt"), licenses(inputs));
rmSync(out, { recursive: true, force: true });
renameSync(staging, out);

/** The license text of every package that has code in the bundle, as ncc's --license wrote it. */
function licenses(inputs: string[]): string {
  const packages = new Map<string, string>();
  for (const input of inputs) {
    const match = /^(.*node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(input);
    if (match?.[1]) packages.set(match[1], match[1]);
  }
  return [...packages.keys()]
    .sort()
    .map((folder) => {
      const manifest = JSON.parse(readFileSync(join(root, folder, "package.json"), "utf8"));
      const text = licenseText(join(root, folder));
      return `${manifest.name}@${manifest.version}\n${manifest.license ?? "UNKNOWN"}\n${text}`.trimEnd();
    })
    .join("\n\n");
}

function licenseText(folder: string): string {
  for (const name of ["LICENSE", "LICENSE.md", "LICENSE.txt", "license", "LICENCE"]) {
    try {
      return readFileSync(join(folder, name), "utf8");
    } catch {
      // try the next name
    }
  }
  return "";
}
