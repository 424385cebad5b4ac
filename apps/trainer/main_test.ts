import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "./main.ts";

describe("mempo CLI errors", () => {
  it("bad flags exit 2 with the message on stderr", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await main(["train", "--rl.algo", "ppo"])).toBe(2);
    expect(String(err.mock.calls[0]?.[0])).toContain("--rl.algo");
    expect(await main(["trian"])).toBe(2);
    expect(String(err.mock.calls[1]?.[0])).toContain("'trian'");
    expect(await main(["eval"])).toBe(2);
    expect(String(err.mock.calls[2]?.[0])).toContain("--run DIR");
    expect(await main(["sft", "--run", "/nonexistent/mempo-run"])).toBe(2);
    expect(String(err.mock.calls[3]?.[0])).toContain("is not a run directory");
    err.mockRestore();
  });

  it("a backend that cannot start exits 2 naming the cause and leaves no run directory behind", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const saved = process.env.MEMPO_TFJS_BACKEND;
    process.env.MEMPO_TFJS_BACKEND = "node-gpu"; // not installed here (its install downloads libtensorflow)
    const out = join(tmpdir(), `mempo-tfjs-setup-${process.pid}`);
    try {
      expect(await main(["train", "--profile", "smoke", "--backend", "tfjs", "--out", out])).toBe(2);
      expect(String(err.mock.calls[0]?.[0])).toMatch(
        /^mempo: --backend tfjs: tfjs backend: @tensorflow\/tfjs-node-gpu is not installed\. Fix: npm install @tensorflow\/tfjs-node-gpu\. Alternatives: MEMPO_TFJS_BACKEND=wasm/,
      );
      expect(existsSync(out)).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.MEMPO_TFJS_BACKEND;
      else process.env.MEMPO_TFJS_BACKEND = saved;
      err.mockRestore();
    }
  });

  it("help lists the commands and every flag with its default", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    expect(await main(["help"])).toBe(0);
    const out = String(log.mock.calls[0]?.[0]);
    for (const s of ["train", "eval", "--rl.algo", "--profile", "--sft.lr"]) expect(out).toContain(s);
    log.mockRestore();
  });
});
