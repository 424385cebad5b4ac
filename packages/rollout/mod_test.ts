import { describe, expect, it } from "vitest";
import { PACKAGE } from "./mod.ts";

describe("@mempo/rollout", () => {
  it("exports its name", () => {
    expect(PACKAGE).toBe("@mempo/rollout");
  });
});
