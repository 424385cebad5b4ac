/**
 * Single- and two-hop questions over a generated world, as QA records whose `metadata.hops` tells a
 * scripted solver what to look up: each hop names its subject, attribute, search queries, answer
 * aliases and the passages that state it. A two-hop question asks an attribute of a related entity
 * ("In what year was the founder of Norvale Industries born?"): hop 1 finds the bridge entity, hop 2
 * its attribute. Tested in world_test.ts.
 */
import type { QARecord } from "../corpus_io.ts";
import type { Rng } from "@mempo/kernels/random";
import type { Entity, World } from "./generate.ts";
import { ATTRIBUTES, type AttributeSpec, attributesOf } from "./schema.ts";

/** One lookup step of a question (stored in QA metadata). */
export interface Hop {
  subjectId: string;
  /** The subject's canonical name (a bridge's name is only known after the previous hop). */
  subject: string;
  /** Accepted spellings of the subject (to recognise passages about it). */
  subjectAliases: string[];
  attribute: string;
  /** Memory label, e.g. "founder of Norvale Industries". */
  label: string;
  /** Keyword query and a fallback natural-language query. */
  query: string;
  altQuery: string;
  /** Accepted answers of this hop (first = canonical). */
  answers: string[];
  /** The subject's own passages stating the fact. */
  passageIds: string[];
  /** List passages that also state it. */
  listPassageIds: string[];
}

export interface QuestionMeta {
  kind: "single-hop" | "two-hop";
  hops: Hop[];
}

const fillX = (t: string, x: string) => {
  const s = t.replace("{X}", x);
  return s.charAt(0).toUpperCase() + s.slice(1);
};

function hop(world: World, e: Entity, a: AttributeSpec): Hop {
  const k = `${e.id}.${a.key}`;
  return {
    subjectId: e.id,
    subject: e.name,
    subjectAliases: e.aliases,
    attribute: a.key,
    label: a.label.replace("{S}", e.name),
    query: `${e.name} ${a.keywords}`,
    altQuery: fillX(a.questions[0]!, e.mention),
    answers: e.facts[a.key]!.aliases,
    passageIds: world.factPassages.get(k) ?? [],
    listPassageIds: world.listPassages.get(k) ?? [],
  };
}

/** Reads the hops stored in a QA record's metadata (undefined for records not made by the generator). */
export function questionMeta(r: QARecord): QuestionMeta | undefined {
  const m = r.metadata as Partial<QuestionMeta> | undefined;
  return m && Array.isArray(m.hops) && (m.kind === "single-hop" || m.kind === "two-hop")
    ? (m as QuestionMeta)
    : undefined;
}

/** `count` distinct questions; a share `twoHop` of them two-hop. */
export function generateQuestions(world: World, count: number, twoHop: number, rng: Rng): QARecord[] {
  const out: QARecord[] = [];
  const seen = new Set<string>();
  const relations = ATTRIBUTES.filter((a) => a.target !== undefined);
  for (let tries = 0; out.length < count && tries < count * 50; tries++) {
    const e = rng.pick(world.entities);
    let question: string;
    let hops: Hop[];
    let kind: QuestionMeta["kind"];
    if (rng.chance(twoHop)) {
      const rels = relations.filter((r) => r.type === e.type);
      if (rels.length === 0) continue;
      const r = rng.pick(rels);
      const bridge = world.byId.get(e.facts[r.key]!.ref!)!;
      const a = rng.pick(attributesOf(bridge.type));
      question = fillX(rng.pick(a.questions), r.phrase!.replace("{S}", e.mention));
      hops = [hop(world, e, r), hop(world, bridge, a)];
      kind = "two-hop";
    } else {
      const a = rng.pick(attributesOf(e.type));
      question = fillX(rng.pick(a.questions), e.mention);
      hops = [hop(world, e, a)];
      kind = "single-hop";
    }
    if (seen.has(question)) continue;
    seen.add(question);
    const meta: QuestionMeta = { kind, hops };
    out.push({
      id: `q${out.length}`,
      question,
      golden_answers: [...hops[hops.length - 1]!.answers],
      metadata: meta as unknown as Record<string, unknown>,
    });
  }
  return out;
}
