/**
 * Publishing results/out/ to the committed results/: a newer result replaces the committed one (with its
 * folder), an older one never does, identical and undated ones are left alone, a missing out/ changes nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { publish, stamp } from "./publish.ts";

const rec = (date: string, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ bench: "x", date, ...extra }, null, 1)}\n`;

describe("publish", () => {
  let root: string;
  let out: string;
  let results: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "bench-publish-"));
    out = join(root, "out");
    results = join(root, "results");
    mkdirSync(out);
    mkdirSync(results);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const read = (dir: string, f: string) => readFileSync(join(dir, f), "utf8");

  it("a newer result replaces the committed one; a new bench's is added", () => {
    writeFileSync(join(results, "kernels.json"), rec("2026-11-24T15:00:00.000Z"));
    writeFileSync(join(out, "kernels.json"), rec("2026-12-03T10:00:00.000Z"));
    writeFileSync(join(out, "env.json"), rec("2026-12-03T11:00:00.000Z"));
    expect(publish(out, results)).toEqual([
      { name: "env", action: "published" },
      { name: "kernels", action: "published" },
    ]);
    expect(read(results, "kernels.json")).toBe(read(out, "kernels.json"));
    expect(read(results, "env.json")).toBe(read(out, "env.json"));
  });

  it("an older local result never replaces a newer committed one (e.g. after a git pull)", () => {
    const committed = rec("2026-12-03T10:00:00.000Z", { ms: 1 });
    writeFileSync(join(results, "kernels.json"), committed);
    writeFileSync(join(out, "kernels.json"), rec("2026-12-01T10:00:00.000Z", { ms: 2 }));
    // the same date with other numbers: the committed one stays too
    writeFileSync(join(results, "env.json"), rec("2026-12-02T10:00:00.000Z", { ms: 1 }));
    writeFileSync(join(out, "env.json"), rec("2026-12-02T10:00:00.000Z", { ms: 2 }));
    expect(publish(out, results)).toEqual([
      { name: "env", action: "kept" },
      { name: "kernels", action: "kept" },
    ]);
    expect(read(results, "kernels.json")).toBe(committed);
    expect(JSON.parse(read(results, "env.json")).ms).toBe(1);
  });

  it("leaves identical and undated results alone", () => {
    writeFileSync(join(results, "model.json"), rec("2026-12-02T10:00:00.000Z"));
    writeFileSync(join(out, "model.json"), rec("2026-12-02T10:00:00.000Z"));
    writeFileSync(join(out, "webgpu.json"), `${JSON.stringify({ bench: "webgpu" })}\n`);
    writeFileSync(join(out, "broken.json"), "{");
    expect(publish(out, results)).toEqual([
      { name: "broken", action: "skipped" },
      { name: "model", action: "same" },
      { name: "webgpu", action: "skipped" },
    ]);
    expect(existsSync(join(results, "webgpu.json"))).toBe(false);
    expect(existsSync(join(results, "broken.json"))).toBe(false);
  });

  it("a missing out/ leaves results/ untouched", () => {
    const committed = rec("2026-12-02T10:00:00.000Z");
    writeFileSync(join(results, "kernels.json"), committed);
    rmSync(out, { recursive: true });
    expect(publish(out, results)).toEqual([]);
    expect(read(results, "kernels.json")).toBe(committed);
  });

  it("a newer result's folder (plots, report, samples) replaces the committed folder", () => {
    writeFileSync(join(results, "mempo-medium.json"), rec("2026-12-02T06:31:24.709Z"));
    mkdirSync(join(results, "mempo-medium"));
    writeFileSync(join(results, "mempo-medium", "old_plot.svg"), "<svg/>");
    writeFileSync(join(results, "mempo-medium", "report.md"), "old");
    writeFileSync(join(out, "mempo-medium.json"), rec("2026-12-03T06:00:00.000Z"));
    mkdirSync(join(out, "mempo-medium", "samples"), { recursive: true });
    writeFileSync(join(out, "mempo-medium", "report.md"), "new");
    writeFileSync(join(out, "mempo-medium", "samples", "mempo.md"), "episode");
    expect(publish(out, results)).toEqual([{ name: "mempo-medium", action: "published" }]);
    expect(read(results, "mempo-medium/report.md")).toBe("new");
    expect(read(results, "mempo-medium/samples/mempo.md")).toBe("episode");
    expect(existsSync(join(results, "mempo-medium", "old_plot.svg"))).toBe(false);
  });

  it("an older result's folder does not replace the committed folder", () => {
    writeFileSync(join(results, "mempo.json"), rec("2026-12-03T00:00:00.000Z"));
    mkdirSync(join(results, "mempo"));
    writeFileSync(join(results, "mempo", "report.md"), "committed");
    writeFileSync(join(out, "mempo.json"), rec("2026-12-01T00:00:00.000Z"));
    mkdirSync(join(out, "mempo"));
    writeFileSync(join(out, "mempo", "report.md"), "local");
    expect(publish(out, results)).toEqual([{ name: "mempo", action: "kept" }]);
    expect(read(results, "mempo/report.md")).toBe("committed");
  });

  it("a re-aggregated experiment (--report-only) is newer by when it was reported, not its run's date", () => {
    expect(stamp({ date: "2026-12-02T00:00:00.000Z", reported: "2026-12-04T00:00:00.000Z" })).toBe(
      Date.parse("2026-12-04T00:00:00.000Z"),
    );
    expect(stamp({ date: "2026-12-02T00:00:00.000Z" })).toBe(Date.parse("2026-12-02T00:00:00.000Z"));
    expect(stamp({})).toBeNaN();
    writeFileSync(join(results, "mempo.json"), rec("2026-12-02T00:00:00.000Z", { table: 1 }));
    writeFileSync(
      join(out, "mempo.json"),
      rec("2026-12-02T00:00:00.000Z", { table: 2, reported: "2026-12-04T00:00:00.000Z" }),
    );
    expect(publish(out, results)).toEqual([{ name: "mempo", action: "published" }]);
    expect(JSON.parse(read(results, "mempo.json")).table).toBe(2);
  });
});
