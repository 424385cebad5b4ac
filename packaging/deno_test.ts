/**
 * The published packages in Deno 2 (the `deno` npm package's binary): a fresh project whose
 * package.json lists the tarballs installed in node_modules, where `deno run` runs the README's Deno
 * example and fixtures/smoke.mjs (the wasm backend on node:worker_threads there), compared with the
 * `ts` reference computed here from the sources.
 *
 * Run: `npx vitest run deno_test.ts` in packaging/.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { matmul, randn, setBackend } from "@mempo/kernels";
import { Model, preset, score } from "@mempo/model";
import { Tokenizer } from "@mempo/tokenizer";
import { beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, makeProject, packedTarballs, readmeExample, ROOT, run, WORK } from "./project.ts";

const DENO = join(ROOT, "node_modules", ".bin", "deno");
let project: string;
const denoEnv = () =>
  cleanEnv({ DENO_DIR: join(WORK, "deno-cache"), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" });

beforeAll(() => {
  project = makeProject("deno", packedTarballs(), {
    "example.ts": readmeExample("deno"),
    "smoke.mjs": readFileSync(join(ROOT, "packaging", "fixtures", "smoke.mjs"), "utf8"),
  });
});

describe("deno run in a fresh project", () => {
  it("is Deno 2", () => {
    expect(run(DENO, ["--version"], { cwd: project, env: denoEnv() })).toMatch(/^deno 2\./);
  });

  it("runs the README's Deno example", () => {
    const out = run(DENO, ["run", "--allow-read", "example.ts"], { cwd: project, env: denoEnv() });
    const tok = Tokenizer.train(["the cat sat on the mat", "a dog ran to the cat"], { vocabSize: 300 });
    const ids = tok.encode("<mem>the cat sat</mem>");
    expect(out).toBe(`${ids.length} <mem>the cat sat</mem>\n${tok.id("<mem>")} true\n`);
  });

  it("tokenizes, multiplies on wasm and runs a model like the ts reference", async () => {
    const args = ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", "smoke.mjs"];
    const out = JSON.parse(run(DENO, args, { cwd: project, env: denoEnv() }));
    const tok = Tokenizer.train(["the cat sat on the mat", "a dog ran to the cat"], { vocabSize: 300 });
    expect(out.ids).toEqual(Array.from(tok.encode("<mem>the cat sat</mem> on a mat")));
    expect(out.reloaded).toEqual(out.ids);
    expect(out.backend).toBe("wasm");
    expect(out.threads).toBe(availableParallelism());
    setBackend("ts");
    const product = matmul(randn([33, 17], { seed: 1 }), randn([17, 9], { seed: 2 })).readSync();
    for (let i = 0; i < product.length; i++) expect(out.matmul[i]).toBeCloseTo(product[i]!, 4);
    const [logp] = await score(Model.init(preset("tiny-llama"), { seed: 3 }), [[1, 2, 3, 4, 5]], [[6, 7, 8]]);
    for (let i = 0; i < 3; i++) expect(out.logp[i]).toBeCloseTo(logp![i]!, 4);
  });
});
