import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { normalizeAnswer } from "./scoring.ts";
import { generateWorld } from "./world/generate.ts";
import { numberWords, yearWords } from "./world/names.ts";
import { questionMeta } from "./world/questions.ts";

const digest = (x: unknown) => createHash("sha256").update(JSON.stringify(x)).digest("hex").slice(0, 16);

describe("world generator", () => {
  const w = generateWorld({ seed: 5, entities: 300, questions: 200 });

  it("same seed → same world; another seed → another world", () => {
    const again = generateWorld({ seed: 5, entities: 300, questions: 200 });
    expect(digest(again.documents)).toBe(digest(w.documents));
    expect(digest(again.questions)).toBe(digest(w.questions));
    expect(digest(generateWorld({ seed: 6, entities: 300, questions: 200 }).documents)).not.toBe(
      digest(w.documents),
    );
    // Pinned so a change of the generator (or of the PRNG on another platform) is visible.
    expect(digest(w.documents)).toMatchInlineSnapshot(`"c9e8a1447b137a4f"`);
  });

  it("writes the corpus in the FlashRAG format with unique ids", () => {
    expect(new Set(w.documents.map((d) => d.id)).size).toBe(w.documents.length);
    for (const d of w.documents) expect(d.contents).toMatch(/^"[^"\n]+"\n\S/);
  });

  it("entity names are unique and aliases unambiguous", () => {
    const names = w.entities.map((e) => normalizeAnswer(e.name));
    expect(new Set(names).size).toBe(names.length);
    const owner = new Map<string, string>();
    for (const e of w.entities) {
      for (const a of e.aliases.slice(1)) {
        expect(owner.has(normalizeAnswer(a))).toBe(false);
        owner.set(normalizeAnswer(a), e.id);
      }
    }
    expect(w.entities.some((e) => e.twinOf !== undefined)).toBe(true);
  });

  it("relations are consistent (capital in its country, river mouth in its country)", () => {
    for (const e of w.entities) {
      if (e.type === "country") expect(w.byId.get(e.facts.capital!.ref!)!.facts.country!.ref).toBe(e.id);
      if (e.type === "river")
        expect(w.byId.get(e.facts.mouthCity!.ref!)!.facts.country!.ref).toBe(e.facts.country!.ref);
    }
  });

  it("every question's gold passage states its answer about its subject", () => {
    const byId = new Map(w.documents.map((d) => [d.id, d]));
    expect(w.questions).toHaveLength(200);
    const kinds = new Set<string>();
    for (const q of w.questions) {
      const m = questionMeta(q)!;
      kinds.add(m.kind);
      expect(q.golden_answers).toEqual(m.hops[m.hops.length - 1]!.answers);
      for (const h of m.hops) {
        expect(h.passageIds.length).toBeGreaterThan(0);
        const text = ` ${normalizeAnswer(h.passageIds.map((id) => byId.get(id)!.contents).join(" "))} `;
        expect(h.answers.some((a) => text.includes(` ${normalizeAnswer(a)} `))).toBe(true);
        expect(text).toContain(normalizeAnswer(h.subject));
      }
      if (m.kind === "two-hop") expect(m.hops[1]!.subject).toBe(m.hops[0]!.answers[0]);
    }
    expect(kinds).toEqual(new Set(["single-hop", "two-hop"]));
  });

  it("gives numbers as digits and words and names with and without middle initial", () => {
    const all = w.questions.flatMap((q) => q.golden_answers);
    expect(all.some((a) => /^\d{4}$/.test(a))).toBe(true);
    const person = w.entities.find(
      (e) => e.type === "person" && /\b[A-Z]\. /.test(e.name) && e.aliases.length === 2,
    )!;
    expect(person.aliases[1]).toBe(person.name.replace(/ [A-Z]\. /, " "));
    expect(numberWords(412)).toBe("four hundred twelve");
    expect(numberWords(2201600)).toBe("two million two hundred one thousand six hundred");
    expect(yearWords(1947)).toBe("nineteen forty-seven");
    expect(yearWords(1905)).toBe("nineteen oh five");
    expect(yearWords(2003)).toBe("two thousand three");
    expect(yearWords(1800)).toBe("eighteen hundred");
  });

  it("rejects bad configs with a clear message", () => {
    expect(() => generateWorld({ entities: 3 })).toThrow(/entities must be an integer ≥ 12/);
    expect(() => generateWorld({ passagesPerEntity: [3, 1] })).toThrow(/passagesPerEntity/);
  });
});
