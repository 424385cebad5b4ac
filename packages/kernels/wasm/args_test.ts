/**
 * The declared argument layouts (args.ts) against the generated AssemblyScript readers and the built
 * module: the readers are the text the table gives, every layout fits the argument block, and the
 * module exports exactly the kernels the table lists.
 * Run: `npx vitest run wasm/args_test.ts` in packages/kernels.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ARGS_WORDS, asArgsSource, KERNELS, wordsOf } from "./args.ts";
import { BUILD_DIR, VARIANTS } from "./build.mjs";
import { AS_ARGS_FILE, ensureKernelsBuilt, writeAsArgs } from "./dev_build.ts";
import { relaxedSimdSupported } from "./simd_detect.ts";

beforeAll(ensureKernelsBuilt, 60_000);

describe("argument layouts", () => {
  it("assembly/args.ts is the text generated from the table", () => {
    expect(readFileSync(AS_ARGS_FILE, "utf8")).toBe(asArgsSource());
    expect(writeAsArgs()).toBe(false);
  });

  it("a stale or missing copy is written again from the table", () => {
    const stale = join(mkdtempSync(join(tmpdir(), "mempo-args-")), "args.ts");
    writeFileSync(stale, asArgsSource().replace("load<i32>(args, 24)", "load<i32>(args, 28)"));
    for (const f of [stale, `${stale}.missing`]) {
      expect(writeAsArgs(f)).toBe(true);
      expect(readFileSync(f, "utf8")).toBe(asArgsSource());
      expect(writeAsArgs(f)).toBe(false);
    }
  });

  it("numbers the fields from word 1 (word 0 is the unit counter) and fits the block", () => {
    expect(wordsOf("matmul").slice(0, 3)).toEqual([
      ["a", 1, "ptr"],
      ["b", 2, "ptr"],
      ["out", 3, "ptr"],
    ]);
    for (const k of KERNELS) expect(wordsOf(k).length).toBeLessThan(ARGS_WORDS);
    // The generated reader of a field loads its word: matmul's M is word 6, byte 24.
    expect(asArgsSource()).toContain("export function M(args: usize): i32 { return load<i32>(args, 24); }");
    expect(asArgsSource()).toContain("export function eps(args: usize): f32 { return load<f32>(args, 40); }");
  });

  it("the built module exports exactly the kernels of the table", () => {
    const variants = relaxedSimdSupported() ? [VARIANTS.baseline, VARIANTS.relaxed] : [VARIANTS.baseline];
    for (const v of variants) {
      const mod = new WebAssembly.Module(readFileSync(join(BUILD_DIR, v.file)));
      const fns = WebAssembly.Module.exports(mod)
        .filter((e) => e.kind === "function" && e.name !== "setScratch")
        .map((e) => e.name);
      expect(fns.sort()).toEqual([...KERNELS].sort());
    }
  });
});
