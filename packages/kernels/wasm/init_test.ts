/**
 * initWasm(): the asynchronous start a browser needs, exercised on Node over HTTP (fetch, compile,
 * engine with the given configuration) and its errors for a folder that does not serve the kernels.
 * Run: `npx vitest run wasm/init_test.ts` in packages/kernels.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../backends/all.ts";
import { matmul } from "../ops/matmul.ts";
import { randn } from "../create.ts";
import { setBackend } from "../registry.ts";
import { ensureKernelsBuilt } from "./dev_build.ts";
import { getEngine, WASM_FILES } from "./engine.ts";
import { initWasm } from "./init.ts";

let server: Server;
let base: string;

beforeAll(async () => {
  await ensureKernelsBuilt();
  // Serves the two builds under /kernels/, 404 for anything else.
  const files = new Map(
    Object.values(WASM_FILES).map((u) => [
      `/kernels/${u.pathname.split("/").pop()}`,
      readFileSync(fileURLToPath(u)),
    ]),
  );
  server = createServer((req, res) => {
    const body = files.get(req.url ?? "");
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { "content-type": "application/wasm" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await getEngine().dispose();
  server.close();
});

describe("initWasm", () => {
  it("names the URL and the fix when the folder does not serve the kernels", async () => {
    await expect(initWasm({ baseUrl: `${base}/elsewhere/`, simd: "baseline" })).rejects.toThrow(
      `initWasm: fetching ${base}/elsewhere/kernels.wasm failed (HTTP 404). Fix: serve the build/ files`,
    );
    await expect(initWasm({ baseUrl: "http://127.0.0.1:1/", simd: "baseline" })).rejects.toThrow(
      /^initWasm: fetching http:\/\/127\.0\.0\.1:1\/kernels\.wasm failed \(.+\)\. Fix: serve the build\/ files/,
    );
  });

  it("fetches the kernels, starts the engine with the given configuration, and matches ts", async () => {
    const info = await initWasm({ baseUrl: `${base}/kernels/`, threads: 2, simd: "baseline" });
    expect(info).toMatchObject({ threads: 2, simd: "baseline" });
    expect(getEngine().threads).toBe(2);
    // A second call describes the running engine, or refuses a configuration it cannot apply.
    expect(await initWasm({ threads: 2 })).toMatchObject({ threads: 2 });
    await expect(initWasm({ threads: 1 })).rejects.toThrow(
      "initWasm: the wasm engine already runs (threads=2), so threads=1 cannot apply. Fix: call initWasm once",
    );
    const a = randn([40, 70], { seed: 1, backend: "ts" });
    const b = randn([70, 30], { seed: 2, backend: "ts" });
    const want = matmul(a, b).readSync();
    setBackend("wasm");
    const got = matmul(randn([40, 70], { seed: 1 }), randn([70, 30], { seed: 2 })).readSync();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 4);
  });
});
