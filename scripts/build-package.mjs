#!/usr/bin/env node
// Builds the publishable form of one workspace package into its `dist/` folder (run from the package
// folder: `node ../../scripts/build-package.mjs`; turbo runs it as part of each package's `build`).
//
// The workspace's package.json is the development view: its exports point at the `.ts` sources, which
// tsx, vitest and tsc use directly, and it stays `"private": true` so it is never published by mistake.
// dist/ is the published view, a complete package folder (`npm pack packages/<name>/dist`):
// - JS + .d.ts for every entry point in `exports` and every target in `imports`, compiled by tsc
//   (rewriteRelativeImportExtensions turns `./x.ts` into `./x.js`), tests never reachable from them;
// - plain `.mjs` helpers the compiled code references (with their `.d.mts`), the built `.wasm`
//   (build/*.wasm) and README.md;
// - package.json: the same name, version and dependencies, exports as {types, default} pairs,
//   `imports` pointing at the JS, `files`, the root's `engines`, public access (a scoped name is
//   restricted by default), and no `private`.
// Internal dependencies (`@mempo/*`) must use a range the sibling's version satisfies after
// publishing (`^0.1.0`); the script fails otherwise. While compiling, those dependencies resolve to
// the siblings' dist/*.d.ts (turbo builds them first), so each package's output holds only its own files.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";

const pkgDir = process.cwd();
const root = resolve(import.meta.dirname, "..");
const dist = join(pkgDir, "dist");
const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** Every leaf string of an exports/imports value (condition objects included). */
function leaves(value) {
  if (typeof value === "string") return [value];
  return Object.values(value ?? {}).flatMap(leaves);
}

/** Workspace packages by name: {dir, manifest}. */
function workspaces() {
  const out = new Map();
  for (const pattern of rootManifest.workspaces) {
    const dirs = pattern.endsWith("/*")
      ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(root, pattern.slice(0, -2), d.name))
      : [join(root, pattern)];
    for (const dir of dirs) {
      const p = join(dir, "package.json");
      if (!existsSync(p)) continue;
      const m = JSON.parse(readFileSync(p, "utf8"));
      out.set(m.name, { dir, manifest: m });
    }
  }
  return out;
}

const toJs = (p) => p.replace(/\.ts$/, ".js");
const toDts = (p) => p.replace(/\.ts$/, ".d.ts");
const where = `${manifest.name} (${relative(root, pkgDir)}/package.json)`;

// 1. Internal dependencies: ranges that resolve after publishing, and their built types for tsc.
const siblings = workspaces();
const paths = {};
for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
  const sib = siblings.get(name);
  if (!sib) continue;
  const v = sib.manifest.version;
  if (range !== v && range !== `^${v}`) {
    throw new Error(
      `${where}: dependency ${name} is "${range}", which does not name a published version. ` +
        `Fix: use "^${v}" (the version in ${relative(root, sib.dir)}/package.json).`,
    );
  }
  for (const [sub, target] of Object.entries(sib.manifest.exports ?? {})) {
    const spec = sub === "." ? name : `${name}/${sub.slice(2)}`;
    paths[spec] = [relative(pkgDir, join(sib.dir, "dist", toDts(target)))];
  }
}

// 2. Compile the entry points with tsc into dist/.
const entries = [
  ...new Set([...leaves(manifest.exports), ...leaves(manifest.imports)].filter((f) => f.endsWith(".ts"))),
];
if (entries.length === 0) throw new Error(`${where}: no .ts entry points in "exports".`);
rmSync(dist, { recursive: true, force: true });
const tsconfig = {
  extends: "./tsconfig.json",
  compilerOptions: {
    noEmit: false,
    outDir: "./dist",
    rootDir: ".",
    declaration: true,
    rewriteRelativeImportExtensions: true,
    noEmitOnError: true,
    incremental: false,
    paths,
  },
  include: [],
  files: entries,
};
const configFile = join(pkgDir, "tsconfig.build.json");
writeFileSync(configFile, `${JSON.stringify(tsconfig, null, 2)}\n`);
const tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
const r = spawnSync(process.execPath, [tsc, "-p", configFile], { cwd: pkgDir, stdio: "inherit" });
if (r.status !== 0) throw new Error(`${where}: tsc failed (status ${r.status}); see the messages above.`);

// tsc rewrites `./x.ts` in the JS but leaves it in the .d.ts files; point those at the .d.ts beside
// the JS too (`./x.js`), which every TypeScript module resolution accepts.
for (const f of readdirSync(dist, { recursive: true }).filter((f) => f.endsWith(".d.ts"))) {
  const file = join(dist, f);
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(/((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"'\s]+)\.ts(["'])/g, "$1$2.js$3");
  if (fixed !== text) writeFileSync(file, fixed);
}

// 3. Plain .mjs helpers the compiled code references, transitively, with their .d.mts types.
const queue = readdirSync(dist, { recursive: true })
  .filter((f) => f.endsWith(".js"))
  .map((f) => join(dist, f));
const copied = new Set();
while (queue.length > 0) {
  const file = queue.pop();
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(/["'](\.{1,2}\/[^"'\s]+\.mjs)["']/g)) {
    const target = resolve(dirname(file), m[1]);
    if (copied.has(target)) continue;
    copied.add(target);
    const src = join(pkgDir, relative(dist, target));
    if (!existsSync(src))
      throw new Error(`${where}: ${relative(dist, file)} refers to ${m[1]}, not found at ${src}`);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(src, target);
    const types = src.replace(/\.mjs$/, ".d.mts");
    if (existsSync(types)) copyFileSync(types, target.replace(/\.mjs$/, ".d.mts"));
    queue.push(target);
  }
}

// 4. Built WebAssembly and the README.
const wasmDir = join(pkgDir, "build");
const wasm = existsSync(wasmDir) ? readdirSync(wasmDir).filter((f) => f.endsWith(".wasm")) : [];
if (wasm.length > 0) mkdirSync(join(dist, "build"), { recursive: true });
for (const f of wasm) copyFileSync(join(wasmDir, f), join(dist, "build", f));
if (existsSync(join(pkgDir, "README.md"))) copyFileSync(join(pkgDir, "README.md"), join(dist, "README.md"));

// 5. The published manifest.
/** exports: "./x.ts" → {types, default}; imports: every .ts leaf → .js (conditions kept). */
const mapExport = (v) => (typeof v === "string" ? { types: toDts(v), default: toJs(v) } : mapImport(v));
const mapImport = (v) =>
  typeof v === "string" ? toJs(v) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapImport(x)]));
const published = {
  name: manifest.name,
  version: manifest.version,
  description: manifest.description,
  type: "module",
  license: manifest.license ?? rootManifest.license,
  engines: manifest.engines ?? rootManifest.engines,
  exports: Object.fromEntries(Object.entries(manifest.exports).map(([k, v]) => [k, mapExport(v)])),
  imports: manifest.imports
    ? Object.fromEntries(Object.entries(manifest.imports).map(([k, v]) => [k, mapImport(v)]))
    : undefined,
  files: ["**/*.js", "**/*.mjs", "**/*.d.ts", "**/*.d.mts", ...(wasm.length > 0 ? ["build/*.wasm"] : [])],
  bin: manifest.bin,
  publishConfig: { access: "public" },
  dependencies: manifest.dependencies,
  optionalDependencies: manifest.optionalDependencies,
  peerDependencies: manifest.peerDependencies,
  peerDependenciesMeta: manifest.peerDependenciesMeta,
};
writeFileSync(join(dist, "package.json"), `${JSON.stringify(published, null, 2)}\n`);
console.log(`${manifest.name}: built ${relative(root, dist)} (${entries.length} entry points)`);
