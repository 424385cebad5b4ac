/**
 * The published packages in a browser: esbuild bundles (platform browser) the README's browser example
 * and fixtures/browser_check.mjs from a fresh project holding the tarballs, a local server serves them
 * with the kernels' .wasm, and headless Chromium (Debian's `chromium`, installed by
 * scripts/setup-system.sh; driven by playwright-core) opens them twice: cross-origin isolated
 * (COOP/COEP headers: the wasm backend runs on Web Workers) and not (one thread). The page compares
 * kernels on wasm with the ts reference itself; the model's log-probs and the tokenizer's ids are
 * compared here with the sources on the ts backend, and so is a BM25 search of @mempo/env. Chromium runs
 * with WebGPU on its SwiftShader adapter, so the page also checks the webgpu backend (navigator.gpu).
 *
 * Run: `npx vitest run browser_test.ts` in packaging/ (MEMPO_CHROMIUM=/path overrides the browser).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { BM25Index } from "@mempo/env";
import { setBackend } from "@mempo/kernels";
import { Model, preset, score } from "@mempo/model";
import { grpoAdvantages } from "@mempo/rl";
import { Tokenizer } from "@mempo/tokenizer";
import { build } from "esbuild";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, makeProject, packedTarballs, readmeExample, ROOT } from "./project.ts";

const executable = chromiumPath();
if (executable === null && process.env.CI) {
  throw new Error(
    "browser check: /usr/bin/chromium is missing. Fix: bash scripts/setup-system.sh (apt chromium).",
  );
}

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
};

/** A static server over `dir`; `isolated` adds the headers that make pages cross-origin isolated. */
async function serve(dir: string, isolated: boolean): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    const type = TYPES[extname(path)];
    let body: Buffer;
    try {
      if (type === undefined || path.includes("..")) throw new Error("not served");
      body = readFileSync(join(dir, path));
    } catch {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { "content-type": type };
    if (isolated) {
      headers["cross-origin-opener-policy"] = "same-origin";
      headers["cross-origin-embedder-policy"] = "require-corp";
    }
    res.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface Report {
  isolated: boolean;
  hardwareConcurrency: number;
  wasm?: { threads: number; simd: string };
  specs?: Record<string, { size: number; relErr: number }>;
  backend?: string;
  logp?: number[];
  ids?: number[];
  text?: string;
  advantages?: number[];
  search?: string[];
  webgpu?: {
    adapter?: string;
    specs?: Record<string, { size: number; relErr: number }>;
    logp?: number[];
    error?: string;
  };
  error?: string;
}

describe.skipIf(executable === null)("browser bundle in headless Chromium", () => {
  let www: string;
  let browser: Browser;
  const servers: Server[] = [];

  beforeAll(async () => {
    const project = makeProject("browser", packedTarballs(), {
      "example.js": readmeExample("browser"),
      "check.mjs": readFileSync(join(ROOT, "packaging", "fixtures", "browser_check.mjs"), "utf8"),
    });
    www = join(project, "www");
    const result = await build({
      absWorkingDir: project,
      entryPoints: ["example.js", "check.mjs"],
      bundle: true,
      platform: "browser",
      format: "esm",
      target: "es2022",
      outdir: join(www, "js"),
      outExtension: { ".js": ".js" },
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    if (inputs.some((f) => f.includes("host_node") || f.startsWith("node:"))) {
      throw new Error(
        `the browser bundle reached Node-only modules: ${inputs.filter((f) => /node/.test(f))}`,
      );
    }
    mkdirSync(join(www, "mempo-wasm"), { recursive: true });
    const wasmDir = join(project, "node_modules", "@mempo", "kernels", "build");
    for (const f of readdirSync(wasmDir)) copyFileSync(join(wasmDir, f), join(www, "mempo-wasm", f));
    for (const page of ["example", "check"]) {
      writeFileSync(
        join(www, `${page}.html`),
        `<!doctype html><script type="module" src="/js/${page}.js"></script>`,
      );
    }
    // WebGPU on SwiftShader (a CPU implementation shipped with Chromium), so navigator.gpu has an adapter.
    const webgpu = ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader"];
    browser = await chromium.launch({ executablePath: executable!, args: ["--no-sandbox", ...webgpu] });
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) s.close();
  });

  /** Opens `page` on a server (isolated or not) and returns what the page left in `expression`. */
  async function open<T>(page: string, isolated: boolean, expression: string): Promise<T> {
    const { server, url } = await serve(www, isolated);
    servers.push(server);
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(e.message));
    try {
      await tab.goto(`${url}/${page}.html`);
      const handle = await tab.waitForFunction(expression, undefined, { timeout: 60_000 });
      return (await handle.jsonValue()) as T;
    } catch (e) {
      throw new Error(`${page}.html: ${(e as Error).message}\npage errors: ${errors.join("\n")}`);
    } finally {
      await tab.close();
    }
  }

  it("runs the README's browser example", async () => {
    const text = await open<string>("example", false, "document.body && document.body.textContent");
    expect(text).toBe("19 22 43 50");
  });

  for (const isolated of [true, false]) {
    it(`runs kernels (wasm, webgpu), a model and the tokenizer ${isolated ? "on Web Workers (cross-origin isolated)" : "on one thread (not isolated)"}`, async () => {
      const r = await open<Report>("check", isolated, "globalThis.__mempo");
      expect(r.error).toBeUndefined();
      expect(r.isolated).toBe(isolated);
      expect(r.wasm!.threads).toBe(isolated ? r.hardwareConcurrency : 1);
      expect(Object.keys(r.specs!)).toHaveLength(4);
      for (const [name, s] of Object.entries(r.specs!)) {
        expect(s.size, name).toBeGreaterThan(0);
        expect(s.relErr, name).toBeLessThan(1e-5);
      }
      expect(r.backend).toBe("wasm");
      setBackend("ts");
      const [logp] = await score(
        Model.init(preset("tiny-llama"), { seed: 3 }),
        [[1, 2, 3, 4, 5]],
        [[6, 7, 8]],
      );
      for (let i = 0; i < 3; i++) expect(r.logp![i]).toBeCloseTo(logp![i]!, 4);
      const tok = Tokenizer.train(["the cat sat on the mat", "a dog ran to the cat"], { vocabSize: 300 });
      expect(r.ids).toEqual(Array.from(tok.encode("<mem>the cat sat</mem> on a mat")));
      expect(r.text).toBe("<mem>the cat sat</mem> on a mat");
      expect(r.advantages).toEqual(Array.from(grpoAdvantages([1, 0, 0.5, 1], [0, 0, 1, 1]).advantages));
      const docs = [
        { id: "1", contents: '"Ada Quill"\nAda Quill was born in Vellmoor and wrote about rivers.' },
        { id: "2", contents: '"Vellmoor"\nVellmoor is a harbour town known for its lighthouse.' },
        { id: "3", contents: '"Bram Oak"\nBram Oak painted ships in the north.' },
      ];
      const hits = await BM25Index.build(docs).search(["Where was Ada Quill born?"], 2);
      expect(r.search).toEqual(hits[0]!.map((h) => h.document.id));
      expect(r.search![0]).toBe("1");
      // webgpu through navigator.gpu: the same kernels and model against the ts reference.
      expect(r.webgpu?.error).toBeUndefined();
      expect(Object.keys(r.webgpu!.specs!)).toHaveLength(4);
      for (const [name, s] of Object.entries(r.webgpu!.specs!))
        expect(s.relErr, `webgpu ${name}`).toBeLessThan(1e-4);
      for (let i = 0; i < 3; i++) expect(r.webgpu!.logp![i]).toBeCloseTo(logp![i]!, 3);
    });
  }
});
