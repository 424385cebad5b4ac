import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gitCommit, machineInfo, median } from "./mod.ts";

describe("benchmarks helpers", () => {
  it("median of odd and even samples", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(/empty sample/);
  });
  it("machine info reports this machine's cores", () => {
    expect(machineInfo().cores).toBeGreaterThan(0);
  });
  it("records the commit measured, marked dirty when a tracked file changed, unknown outside git", () => {
    const dir = mkdtempSync(join(tmpdir(), "mempo-commit-"));
    try {
      expect(gitCommit(dir)).toBe("unknown");
      const git = (...a: string[]) =>
        spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...a], { cwd: dir, encoding: "utf8" });
      git("init", "-q");
      writeFileSync(join(dir, "a.txt"), "1");
      git("add", "a.txt");
      git("commit", "-qm", "one");
      const sha = git("rev-parse", "HEAD").stdout.trim();
      expect(sha).toMatch(/^[0-9a-f]{40}$/);
      expect(gitCommit(dir)).toBe(sha);
      writeFileSync(join(dir, "b.txt"), "untracked files do not count");
      expect(gitCommit(dir)).toBe(sha);
      writeFileSync(join(dir, "a.txt"), "2");
      expect(gitCommit(dir)).toBe(`${sha}+dirty`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(machineInfo().commit).toMatch(/^([0-9a-f]{40}(\+dirty)?|unknown)$/);
  });
});
