/**
 * Publishing: benches write their results to the git-ignored results/out/ (their turbo outputs, so never
 * hashed as their inputs); the `bench` task (report.ts) first copies each results/out/<name>.json over
 * the committed results/<name>.json when it is newer, with the folder of the same name beside it where
 * there is one (the MemPO experiment's plots, report and samples), then generates docs/benchmarks.md.
 *
 * Newer means a later recorded `reported ?? date` (`reported`: when a `--report-only` run re-aggregated
 * an experiment whose `date` it keeps). A committed result that is as new or newer, e.g. one that came
 * with a `git pull`, is never replaced by an older local one; identical files are left alone.
 * Test: publish_test.ts.
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

/** When a results record was made (ms since the epoch), or NaN where it records no date. */
export function stamp(r: unknown): number {
  const o = (r ?? {}) as { reported?: unknown; date?: unknown };
  const s = o.reported ?? o.date;
  return typeof s === "string" ? Date.parse(s) : Number.NaN;
}

export interface Publication {
  /** The results file's stem: `kernels`, `mempo-medium`, … */
  name: string;
  /** published: copied over (or to) results/; same: identical already; kept: the committed one is as new or newer; skipped: no readable date. */
  action: "published" | "same" | "kept" | "skipped";
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/** Publishes every `<out>/*.json` that is newer than `<results>/` has (rule above); a missing `out` publishes nothing. */
export function publish(out: string, results: string): Publication[] {
  if (!existsSync(out)) return [];
  const done: Publication[] = [];
  for (const file of readdirSync(out)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const name = file.slice(0, -".json".length);
    const src = join(out, file);
    const dst = join(results, file);
    const fresh = stamp(readJson(src));
    if (Number.isNaN(fresh)) {
      done.push({ name, action: "skipped" });
      continue;
    }
    if (existsSync(dst)) {
      if (readFileSync(src).equals(readFileSync(dst))) {
        done.push({ name, action: "same" });
        continue;
      }
      // an unreadable or undated committed file is replaced by a dated one
      const committed = stamp(readJson(dst));
      if (!Number.isNaN(committed) && fresh <= committed) {
        done.push({ name, action: "kept" });
        continue;
      }
    }
    cpSync(src, dst);
    const dir = join(out, name);
    if (existsSync(dir) && statSync(dir).isDirectory()) {
      rmSync(join(results, name), { recursive: true, force: true });
      cpSync(dir, join(results, name), { recursive: true });
    }
    done.push({ name, action: "published" });
  }
  return done;
}
