/**
 * docs/benchmarks.md is generated from the results files: numbers come from the JSON, a missing bench
 * says how to produce it, and the page checked in is the one the generator writes.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { benchmarksPage, loadText } from "./report.ts";

const results = join(import.meta.dirname, "results");
const docs = join(import.meta.dirname, "..", "docs");

describe("docs/benchmarks.md", () => {
  const tmp = mkdtempSync(join(tmpdir(), "bench-report-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("takes every number from the results files", () => {
    copyFileSync(join(results, "kernels.json"), join(tmp, "kernels.json"));
    const page = benchmarksPage(tmp, docs);
    const k = JSON.parse(readFileSync(join(results, "kernels.json"), "utf8"));
    const mm = k.cases.find((c: { id: string }) => c.id === "matmul 1024³");
    expect(page).toContain(`| matmul 1024³ | ${mm.ms.toFixed(3)} | ${mm.gflops.toFixed(1)} GFLOP/s |`);
    expect(page).toContain(`load average ${loadText(k)}`);
    expect(page).toContain(k.machine.flags.join(" "));
    // benches without a results file say how to produce one
    expect(page).toContain("No results yet: run `npx turbo run bench:tokenizer`");
  });

  it("reads the three shapes of recorded load averages", () => {
    expect(loadText({ loadAverage: 1.234 })).toBe("1.23");
    expect(loadText({ loadAverage: [0.5, 1] })).toBe("0.50 → 1.00");
    expect(loadText({ loadavg: { before: [0.1, 0, 0], after: [2, 0, 0] } })).toBe("0.10 → 2.00");
    expect(loadText({})).toBe("not recorded");
  });

  it("the committed page is the generated one (regenerate with npx tsx benchmarks/report.ts)", () => {
    expect(readFileSync(join(docs, "benchmarks.md"), "utf8")).toBe(benchmarksPage(results, docs));
  });
});
