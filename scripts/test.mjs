#!/usr/bin/env node
// `npm test`: runs every workspace's tests through turbo (cached when nothing
// changed), then sums the per-package vitest JSON reports into one closing line
// `N passed, N failed` and exits non-zero on any failure, including a package
// whose test run crashed before writing its report.
//
// Extra arguments are passed to turbo, e.g. `npm test -- --filter=@mempo/rl`.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** Expands a workspace pattern (`dir` or `dir/*`) to folders. */
function expand(pattern) {
  if (!pattern.endsWith("/*")) return [pattern];
  const base = pattern.slice(0, -2);
  return readdirSync(join(root, base))
    .filter((d) => statSync(join(root, base, d)).isDirectory())
    .map((d) => `${base}/${d}`);
}

/** Every workspace folder that declares a `test` script. */
function testedWorkspaces() {
  const out = [];
  for (const dir of rootPkg.workspaces.flatMap(expand)) {
    const pkgPath = join(root, dir, "package.json");
    if (!existsSync(pkgPath)) continue;
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
    if (pkg.scripts?.test) out.push({ dir, name: pkg.name });
  }
  return out;
}

const workspaces = testedWorkspaces();
const filtered = process.argv.slice(2);
for (const w of workspaces) rmSync(join(root, w.dir, ".vitest"), { recursive: true, force: true });

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" };
const turbo = spawnSync("npx", ["turbo", "run", "test", "--continue", "--concurrency=1", ...filtered], {
  cwd: root,
  stdio: "inherit",
  env,
});

let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];
// With a `--filter=NAME` argument only the named packages report.
const filters = filtered.filter((a) => a.startsWith("--filter=")).map((a) => a.slice(9));
const ran = filters.length > 0 ? workspaces.filter((w) => filters.includes(w.name)) : workspaces;
for (const w of ran) {
  const report = join(root, w.dir, ".vitest", "result.json");
  if (!existsSync(report)) {
    failed += 1;
    problems.push(`${w.name}: no test report at ${report} (the test run crashed or was skipped)`);
    continue;
  }
  const r = JSON.parse(readFileSync(report, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  // A suite that fails to load (import error) counts no test; count it as a failure.
  for (const s of r.testResults ?? []) {
    if (s.status === "failed" && (s.assertionResults?.length ?? 0) === 0) {
      failed += 1;
      problems.push(`${w.name}: ${s.name} failed to load: ${String(s.message).split("\n")[0]}`);
    }
  }
}
for (const p of problems) console.error(p);
if (turbo.status !== 0 && failed === 0) {
  failed += 1;
  console.error(`turbo exited with status ${turbo.status}`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed === 0 && turbo.status === 0 ? 0 : 1);
