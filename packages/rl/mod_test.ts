import { describe, expect, it } from "vitest";
import { PACKAGE } from "./mod.ts";

describe("@mempo/rl", () => {
  it("exports its name", () => {
    expect(PACKAGE).toBe("@mempo/rl");
  });
});
