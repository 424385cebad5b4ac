/**
 * The default preset memorizes a small batch of protocol-shaped trajectories (`<mem>…</mem>
 * <think>…</think><search>…</search>` with a masked `<information>` block and an answer): the SFT loss
 * goes to ≈ 0 and greedy generation replays a memorized turn up to its stop token. Runs on the wasm
 * backend when it is registered (≈ 6 s), else on ts with a smaller batch.
 */
import { listBackends } from "@mempo/kernels";
import { describe, it } from "vitest";
import { expectOverfits } from "./testing.ts";

describe("overfit", () => {
  it("the default preset memorizes protocol-like trajectories", async () => {
    const wasm = listBackends().includes("wasm");
    await expectOverfits(wasm ? "wasm" : "ts", wasm ? 4 : 2);
  });
});
