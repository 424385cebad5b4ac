import { describe, expect, it, vi } from "vitest";
import { main } from "./main.ts";
import { STAGES } from "./plan.ts";

describe("mempo CLI", () => {
  it("train prints every stage of the plan and says honestly that it did not train", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    expect(main(["train"])).toBe(0);
    const out = log.mock.calls.map((c) => String(c[0])).join("\n");
    for (const s of STAGES) expect(out).toContain(s);
    expect(out).toContain("no training was run");
    log.mockRestore();
  });

  it("an unknown command exits 2 and names the command", () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(main(["trian"])).toBe(2);
    expect(String(err.mock.calls[0]?.[0])).toContain("'trian'");
    err.mockRestore();
  });
});
