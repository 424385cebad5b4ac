/**
 * Helpers of the packaging checks: build and `npm pack` every package, lay the tarballs out in a
 * fresh project as `npm install` does, and read the README's examples.
 *
 * The project lives under packaging/.work/ (ignored by git), inside the repository, so that the
 * packages' third-party dependencies (zod, @huggingface/jinja, …) resolve from the repository's own
 * install by Node's upward search, and the check needs no registry; the @mempo/* packages themselves
 * come only from the tarballs, unpacked into the project's node_modules.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const WORK = join(ROOT, "packaging", ".work");
/** The published packages, by folder under packages/. */
export const PACKAGES = ["kernels", "tokenizer", "model", "rl", "env", "rollout"] as const;

/** Runs a command; throws with its output when it fails. */
export function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: "utf8",
    maxBuffer: 64 << 20,
    timeout: 300_000,
  });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} (in ${opts.cwd}) exited with ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`,
    );
  }
  return r.stdout;
}

/** The environment without MEMPO_* settings, so a check sees the defaults a user gets. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("MEMPO_") || k === "NODE_OPTIONS") delete env[k];
  return { ...env, ...extra };
}

/**
 * Builds every package (turbo: a cache hit when nothing changed) and packs each one's dist/ into
 * `dir`. @returns tarball path by package name
 */
export function packAll(dir: string): Map<string, string> {
  run(
    "npx",
    ["turbo", "run", "build", "--output-logs=errors-only", ...PACKAGES.map((p) => `--filter=@mempo/${p}`)],
    {
      cwd: ROOT,
      env: cleanEnv({ TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" }),
    },
  );
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const out = new Map<string, string>();
  for (const p of PACKAGES) {
    const json = run(
      "npm",
      ["pack", join(ROOT, "packages", p, "dist"), "--json", "--pack-destination", dir],
      {
        cwd: dir,
      },
    );
    const [info] = JSON.parse(json) as { name: string; filename: string }[];
    out.set(info!.name, join(dir, info!.filename));
  }
  return out;
}

/** The tarballs global_setup.ts packed, by package name. */
export function packedTarballs(): Map<string, string> {
  const index = join(WORK, "tarballs", "index.json");
  if (!existsSync(index))
    throw new Error(`${index} is missing: run the packaging tests through vitest (global_setup.ts packs)`);
  return new Map(Object.entries(JSON.parse(readFileSync(index, "utf8")) as Record<string, string>));
}

/** The file list of a tarball (paths without npm's `package/` prefix). */
export function tarballFiles(tgz: string): string[] {
  return run("tar", ["-tzf", tgz], { cwd: dirname(tgz) })
    .split("\n")
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ""));
}

/**
 * A fresh project at packaging/.work/<name>: package.json depending on every package, each tarball
 * unpacked into node_modules/<name>/ (what `npm install <tarball>` puts there), plus `files`.
 */
export function makeProject(
  name: string,
  tarballs: Map<string, string>,
  files: Record<string, string>,
): string {
  const dir = join(WORK, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const dependencies = Object.fromEntries([...tarballs.keys()].map((n) => [n, "^0.1.0"]));
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: `mempo-${name}-check`, private: true, type: "module", dependencies }, null, 2)}\n`,
  );
  for (const [pkg, tgz] of tarballs) {
    const into = join(dir, "node_modules", pkg);
    mkdirSync(into, { recursive: true });
    run("tar", ["-xzf", tgz, "-C", into, "--strip-components=1"], { cwd: dir });
  }
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

/** The code block that follows `<!-- example: NAME -->` in the root README.md. */
export function readmeExample(name: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const at = readme.indexOf(`<!-- example: ${name} -->`);
  if (at < 0) throw new Error(`README.md has no "<!-- example: ${name} -->" marker`);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!m) throw new Error(`README.md: no code block after the "${name}" example marker`);
  return m[1]!;
}

/** Chromium for the browser check: MEMPO_CHROMIUM, else Debian's /usr/bin/chromium; null if absent. */
export function chromiumPath(): string | null {
  const p = process.env.MEMPO_CHROMIUM ?? "/usr/bin/chromium";
  return existsSync(p) ? p : null;
}
