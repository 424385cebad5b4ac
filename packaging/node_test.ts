/**
 * The published packages in plain Node: `npm pack` of every package's dist/, what the tarballs hold,
 * a fresh project with them installed, the README's Node example and fixtures/smoke.mjs run there with
 * plain `node` (no TypeScript loader), their results compared with the `ts` reference computed here from
 * the sources, and a consumer's `tsc` (NodeNext) type-checking against the shipped .d.ts.
 *
 * Run: `npx vitest run node_test.ts` in packaging/ (builds the packages first through turbo, cached).
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { matmul, randn, setBackend } from "@mempo/kernels";
import { Model, preset, score } from "@mempo/model";
import { grpoAdvantages } from "@mempo/rl";
import { Tokenizer } from "@mempo/tokenizer";
import { beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, makeProject, packedTarballs, readmeExample, ROOT, run, tarballFiles } from "./project.ts";

let tarballs: Map<string, string>;
let project: string;

beforeAll(() => {
  tarballs = packedTarballs();
  project = makeProject("node", tarballs, {
    "example.mjs": readmeExample("node"),
    "smoke.mjs": readFileSync(join(ROOT, "packaging", "fixtures", "smoke.mjs"), "utf8"),
    "consumer.ts": readFileSync(join(ROOT, "packaging", "fixtures", "consumer.ts"), "utf8"),
    "tsconfig.json": JSON.stringify({
      compilerOptions: {
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2023",
        lib: ["es2023", "dom"],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ["node"],
      },
      files: ["consumer.ts"],
    }),
  });
});

describe("tarballs", () => {
  it("hold built JS, types, the .wasm and the README; no sources, tests or private flag", () => {
    expect([...tarballs.keys()].sort()).toEqual(
      [
        "@mempo/env",
        "@mempo/kernels",
        "@mempo/model",
        "@mempo/rl",
        "@mempo/rollout",
        "@mempo/tokenizer",
      ].sort(),
    );
    for (const [name, tgz] of tarballs) {
      const files = tarballFiles(tgz);
      expect(files, name).toContain("README.md");
      expect(files, name).toContain("mod.js");
      expect(files, name).toContain("mod.d.ts");
      expect(
        files.filter((f) => /_test\.|\.test\.|(^|\/)testing_worker/.test(f)),
        name,
      ).toEqual([]);
      expect(
        files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")),
        name,
      ).toEqual([]);
      const manifest = JSON.parse(readFileSync(join(project, "node_modules", name, "package.json"), "utf8"));
      expect(manifest.private, name).toBeUndefined();
      expect(manifest.version, name).toBe("0.1.0");
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
        if (dep.startsWith("@mempo/")) expect(range, `${name} → ${dep}`).toBe("^0.1.0");
      }
      for (const [sub, target] of Object.entries(manifest.exports) as [
        string,
        { types: string; default: string },
      ][]) {
        expect(files, `${name} ${sub}`).toContain(target.default.slice(2));
        expect(files, `${name} ${sub}`).toContain(target.types.slice(2));
      }
    }
    const kernels = tarballFiles(tarballs.get("@mempo/kernels")!);
    expect(kernels).toEqual(expect.arrayContaining(["build/kernels.wasm", "build/kernels-relaxed.wasm"]));
  });
});

describe("plain node in a fresh project", () => {
  it("runs the README's Node example", () => {
    const out = run(process.execPath, ["example.mjs"], { cwd: project, env: cleanEnv() });
    const [product, advantages] = out.trim().split("\n");
    expect(product).toBe("Float32Array(4) [ 19, 22, 43, 50 ]");
    const want = Array.from(grpoAdvantages([1, 0, 1, 1], [0, 0, 1, 1]).advantages);
    expect(advantages).toBe(`Float64Array(4) [ ${want.join(", ")} ]`);
    expect(want[0]).toBeCloseTo(Math.SQRT1_2, 5);
  });

  it("tokenizes, multiplies on wasm, runs a model and computes advantages like the ts reference", async () => {
    const out = JSON.parse(run(process.execPath, ["smoke.mjs"], { cwd: project, env: cleanEnv() }));
    // The same computations from the sources, on the ts reference backend.
    const tok = Tokenizer.train(["the cat sat on the mat", "a dog ran to the cat"], { vocabSize: 300 });
    const ids = tok.encode("<mem>the cat sat</mem> on a mat");
    expect(out.ids).toEqual(Array.from(ids));
    expect(out.reloaded).toEqual(Array.from(ids));
    expect(out.text).toBe("<mem>the cat sat</mem> on a mat");
    expect(out.backend).toBe("wasm");
    expect(out.threads).toBe(availableParallelism());
    setBackend("ts");
    const product = matmul(randn([33, 17], { seed: 1 }), randn([17, 9], { seed: 2 })).readSync();
    expect(out.matmul).toHaveLength(product.length);
    for (let i = 0; i < product.length; i++) expect(out.matmul[i]).toBeCloseTo(product[i]!, 4);
    const [logp] = await score(Model.init(preset("tiny-llama"), { seed: 3 }), [[1, 2, 3, 4, 5]], [[6, 7, 8]]);
    expect(out.logp).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(out.logp[i]).toBeCloseTo(logp![i]!, 4);
    expect(out.advantages).toEqual(Array.from(grpoAdvantages([1, 0, 0.5, 1], [0, 0, 1, 1]).advantages));
  });

  it("type-checks a TypeScript consumer (NodeNext) against the shipped .d.ts", () => {
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    expect(run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project })).toBe("");
  });
});
