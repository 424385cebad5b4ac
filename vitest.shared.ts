// Shared vitest settings: every package's vitest.config.ts re-exports this.
// Tests are colocated `*_test.ts` files (Deno style). Each run also writes
// `.vitest/result.json`, which `scripts/test.mjs` sums into the closing
// `N passed, N failed` line (and which turbo caches with the task).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*_test.ts"],
    exclude: ["**/node_modules/**", "**/build/**", "**/dist/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ["default", "json"],
    outputFile: { json: ".vitest/result.json" },
    passWithNoTests: false,
  },
});
