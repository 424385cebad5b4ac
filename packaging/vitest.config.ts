// The shared settings, plus: pack once before the test files (global_setup.ts), run the files one
// after another (each starts Node, Deno or Chromium processes; the machine may have 2 cores).
import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../vitest.shared.ts";

export default mergeConfig(
  shared,
  defineConfig({ test: { globalSetup: ["./global_setup.ts"], fileParallelism: false } }),
);
