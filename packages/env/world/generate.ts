/**
 * Seeded generator of a fictional encyclopedia: entities (people, cities, countries, companies,
 * rivers, bands) with attributes and relations, several passages per entity written from varied
 * templates, near-duplicate "twin" entities and list passages that repeat the same attribute for
 * other entities (distractors), then single- and two-hop questions (questions.ts).
 *
 * Same config (seed included) → the same world on every machine: only the seeded Rng is used, and each
 * stage draws from its own fork. Tested in world_test.ts; sizes and speed in benchmarks/env/main.ts.
 */
import { type Document, makeContents, type QARecord } from "../corpus_io.ts";
import { Rng } from "@mempo/kernels/random";
import { normalizeAnswer } from "../scoring.ts";
import * as N from "./names.ts";
import { generateQuestions } from "./questions.ts";
import { ATTRIBUTES, attributesOf, type EntityType, FILLERS, INTRO } from "./schema.ts";

export interface WorldConfig {
  /** Seed of everything (default 1). */
  seed: number | string;
  /** Number of entities (default 600; ≈ 2.8 passages each with the defaults). */
  entities: number;
  /** Share of each entity type (default person .35, city .16, country .03, company .16, river .1, band .2). */
  typeMix: Record<EntityType, number>;
  /** Passages per entity, inclusive range (default [2, 3]). */
  passagesPerEntity: [number, number];
  /** Filler sentences (no facts) per passage, inclusive range (default [1, 2]). */
  fillerSentences: [number, number];
  /** Probability that a new entity is a near-name twin of an earlier one of its type (default 0.15). */
  similarNameRate: number;
  /** Probability that a group of entities sharing a value gets a list passage (default 0.5). */
  listPassageRate: number;
  /** Most entities named in one list passage (default 6). */
  listSize: number;
  /** Number of questions (default 400). */
  questions: number;
  /** Share of two-hop questions (default 0.4). */
  twoHopFraction: number;
}

export const DEFAULT_WORLD_CONFIG: Readonly<WorldConfig> = Object.freeze<WorldConfig>({
  seed: 1,
  entities: 600,
  typeMix: { person: 0.35, city: 0.16, country: 0.03, company: 0.16, river: 0.1, band: 0.2 },
  passagesPerEntity: [2, 3],
  fillerSentences: [1, 2],
  similarNameRate: 0.15,
  listPassageRate: 0.5,
  listSize: 6,
  questions: 400,
  twoHopFraction: 0.4,
});

/** A stated value: how passages write it and the accepted answer aliases (first = canonical). */
export interface Fact {
  display: string;
  aliases: string[];
  /** Entity id when the attribute is a relation. */
  ref?: string;
}

export interface Entity {
  id: string;
  type: EntityType;
  /** Canonical name ("Alma R. Vetterling", "Sarn River"). */
  name: string;
  /** How text refers to it ("the Sarn River"). */
  mention: string;
  /** Accepted answer forms when the entity is an answer (first = name). */
  aliases: string[];
  facts: Record<string, Fact>;
  /** Id of the entity whose name this one imitates (distractor twin). */
  twinOf?: string;
}

export interface World {
  config: WorldConfig;
  entities: Entity[];
  byId: Map<string, Entity>;
  documents: Document[];
  /** `${entityId}.${attribute}` → ids of the entity's own passages stating it. */
  factPassages: Map<string, string[]>;
  /** `${entityId}.${attribute}` → ids of list passages that also state it. */
  listPassages: Map<string, string[]>;
  questions: QARecord[];
}

export function resolveWorldConfig(c: Partial<WorldConfig> = {}): WorldConfig {
  const cfg: WorldConfig = {
    ...DEFAULT_WORLD_CONFIG,
    ...c,
    typeMix: { ...DEFAULT_WORLD_CONFIG.typeMix, ...c.typeMix },
  };
  if (!Number.isInteger(cfg.entities) || cfg.entities < 12)
    throw new Error(`world config: entities must be an integer ≥ 12, got ${cfg.entities}`);
  const [p0, p1] = cfg.passagesPerEntity;
  if (!(p0 >= 1 && p1 >= p0))
    throw new Error(`world config: passagesPerEntity must be [min ≥ 1, max ≥ min], got [${p0}, ${p1}]`);
  if (!(cfg.twoHopFraction >= 0 && cfg.twoHopFraction <= 1))
    throw new Error("world config: twoHopFraction must be in [0, 1]");
  return cfg;
}

/** Generates the whole world. */
export function generateWorld(config: Partial<WorldConfig> = {}): World {
  const cfg = resolveWorldConfig(config);
  const root = new Rng(cfg.seed);
  const entities = makeEntities(cfg, root.fork("entities"));
  const byId = new Map(entities.map((e) => [e.id, e]));
  const { documents, factPassages, listPassages } = writePassages(cfg, entities, byId, root.fork("passages"));
  const world: World = { config: cfg, entities, byId, documents, factPassages, listPassages, questions: [] };
  world.questions = generateQuestions(world, cfg.questions, cfg.twoHopFraction, root.fork("questions"));
  return world;
}

function makeEntities(cfg: WorldConfig, rng: Rng): Entity[] {
  const total = Object.values(cfg.typeMix).reduce((s, x) => s + x, 0);
  const count = (t: EntityType, min: number) =>
    Math.max(min, Math.round((cfg.entities * cfg.typeMix[t]) / total));
  const used = new Set<string>();
  const entities: Entity[] = [];
  const ofType: Record<EntityType, Entity[]> = {
    person: [],
    city: [],
    country: [],
    company: [],
    river: [],
    band: [],
  };
  const add = (
    type: EntityType,
    fresh: () => { name: string; aliases: string[] },
    twin: (e: Entity) => { name: string; aliases: string[] },
  ) => {
    for (let attempt = 0; ; attempt++) {
      const prev = ofType[type];
      const base = prev.length > 0 && rng.chance(cfg.similarNameRate) ? rng.pick(prev) : null;
      const cand = base && attempt < 8 ? twin(base) : fresh();
      // Canonical names are unique; a shared short alias is dropped later.
      const keys = [normalizeAnswer(cand.name)];
      if (used.has(keys[0]!)) {
        if (attempt < 500) continue;
        throw new Error(`world config: the name space for ${type} entities is exhausted; lower 'entities'`);
      }
      used.add(keys[0]!);
      const e: Entity = {
        id: `e${entities.length}`,
        type,
        name: cand.name,
        mention: type === "river" ? `the ${cand.name}` : cand.name,
        aliases: cand.aliases,
        facts: {},
      };
      if (base && attempt < 8) e.twinOf = base.id;
      entities.push(e);
      prev.push(e);
      return e;
    }
  };
  const person = (first: string, middle: string | null, last: string) => {
    const full = middle ? `${first} ${middle}. ${last}` : `${first} ${last}`;
    return { name: full, aliases: middle ? [full, `${first} ${last}`] : [full] };
  };
  const plain = (name: string) => ({ name, aliases: [name] });
  const suffixed = (name: string) => {
    const short = name.split(" ")[0]!;
    return { name, aliases: short === name || short === "The" ? [name] : [name, short] };
  };
  const twinWord = (e: Entity, re: RegExp) => plain(e.name.replace(re, (w) => N.perturb(rng, w)));

  for (let i = 0; i < count("country", 3); i++)
    add(
      "country",
      () => plain(N.countryName(rng)),
      (e) => twinWord(e, /^\w+/),
    );
  for (let i = 0; i < count("city", 6); i++)
    add(
      "city",
      () => plain(N.cityName(rng)),
      (e) => twinWord(e, /^\w+/),
    );
  for (let i = 0; i < count("person", 6); i++) {
    add(
      "person",
      () => {
        const p = N.personName(rng);
        return person(p.first, p.middle, p.last);
      },
      (e) => {
        const parts = e.aliases[e.aliases.length - 1]!.split(" ");
        const middle = rng.chance(0.5) ? String.fromCharCode(65 + rng.int(0, 25)) : null;
        return rng.chance(0.5)
          ? person(parts[0]!, middle, N.perturb(rng, parts[1]!))
          : person(N.word(rng, 2), middle, parts[1]!);
      },
    );
  }
  for (let i = 0; i < count("company", 2); i++)
    add(
      "company",
      () => suffixed(N.companyName(rng)),
      (e) => suffixed(`${e.name.split(" ")[0]} ${N.companyName(rng).split(" ")[1]}`),
    );
  for (let i = 0; i < count("river", 2); i++)
    add(
      "river",
      () => suffixed(N.riverName(rng)),
      (e) => suffixed(`${N.perturb(rng, e.name.split(" ")[0]!)} River`),
    );
  for (let i = 0; i < count("band", 2); i++)
    add(
      "band",
      () => plain(N.bandName(rng)),
      (e) => plain(e.name.replace(/\w+$/, () => N.bandName(rng).split(" ").pop()!)),
    );

  const rel = (e: Entity): Fact => ({ display: e.mention, aliases: e.aliases, ref: e.id });
  const year = (y: number): Fact => ({ display: String(y), aliases: [String(y), N.yearWords(y)] });
  const citiesOf = new Map<string, Entity[]>();
  ofType.city.forEach((c, i) => {
    const k = i < ofType.country.length ? ofType.country[i]! : rng.pick(ofType.country);
    c.facts.country = rel(k);
    c.facts.foundedYear = year(rng.int(800, 1900));
    const pop = rng.int(20, 30000) * 100;
    c.facts.population = {
      display: N.withCommas(pop),
      aliases: [N.withCommas(pop), String(pop), N.numberWords(pop)],
    };
    citiesOf.set(k.id, [...(citiesOf.get(k.id) ?? []), c]);
  });
  for (const k of ofType.country) {
    k.facts.capital = rel(rng.pick(citiesOf.get(k.id)!));
    k.facts.independenceYear = year(rng.int(1700, 1990));
  }
  const birth = new Map<string, number>();
  for (const p of ofType.person) {
    const y = rng.int(1900, 1995);
    birth.set(p.id, y);
    p.facts.birthYear = year(y);
    p.facts.birthplace = rel(rng.pick(ofType.city));
    const occ = rng.pick(N.OCCUPATIONS);
    p.facts.occupation = { display: occ, aliases: [occ] };
  }
  for (const c of ofType.company) {
    const f = rng.pick(ofType.person);
    c.facts.founder = rel(f);
    c.facts.foundedYear = year(Math.min(2023, birth.get(f.id)! + rng.int(20, 50)));
    c.facts.headquarters = rel(rng.pick(ofType.city));
    const ind = rng.pick(N.INDUSTRIES);
    c.facts.industry = { display: ind, aliases: [ind] };
  }
  for (const r of ofType.river) {
    const len = rng.int(40, 3000);
    r.facts.length = {
      display: rng.chance(0.5) ? `${len} km` : `${len} kilometres`,
      aliases: [
        `${len} km`,
        `${len} kilometres`,
        `${len} kilometers`,
        String(len),
        `${N.numberWords(len)} kilometres`,
      ],
    };
    const k = rng.pick(ofType.country);
    r.facts.country = rel(k);
    r.facts.mouthCity = rel(rng.pick(citiesOf.get(k.id)!));
  }
  for (const b of ofType.band) {
    const g = rng.pick(N.GENRES);
    b.facts.genre = { display: g[0]!, aliases: [...g] };
    const s = rng.pick(ofType.person);
    b.facts.leadSinger = rel(s);
    b.facts.formedYear = year(Math.min(2023, birth.get(s.id)! + rng.int(16, 35)));
    b.facts.origin = rel(rng.pick(ofType.city));
  }
  // An alias shared by two entities (e.g. "Norvale" of two companies) would make answers ambiguous.
  const aliasCount = new Map<string, number>();
  for (const e of entities)
    for (const a of e.aliases)
      aliasCount.set(normalizeAnswer(a), (aliasCount.get(normalizeAnswer(a)) ?? 0) + 1);
  for (const e of entities)
    e.aliases = e.aliases.filter((a, i) => i === 0 || aliasCount.get(normalizeAnswer(a)) === 1);
  for (const e of entities)
    for (const f of Object.values(e.facts)) if (f.ref) f.aliases = byIdAliases(entities, f.ref);
  return entities;
}

function byIdAliases(entities: Entity[], id: string): string[] {
  return entities[Number(id.slice(1))]!.aliases;
}

const fill = (t: string, s: string, v = "") => {
  const out = t.replaceAll("{S}", s).replaceAll("{V}", v);
  return out.charAt(0).toUpperCase() + out.slice(1);
};

function writePassages(cfg: WorldConfig, entities: Entity[], byId: Map<string, Entity>, rng: Rng) {
  const documents: Document[] = [];
  const factPassages = new Map<string, string[]>();
  const listPassages = new Map<string, string[]>();
  const push = (title: string, text: string) => {
    const id = String(documents.length);
    documents.push({ id, contents: makeContents(title, text) });
    return id;
  };
  for (const e of entities) {
    const attrs = rng.shuffle(attributesOf(e.type).map((a) => a.key));
    const np = Math.min(attrs.length, rng.int(cfg.passagesPerEntity[0], cfg.passagesPerEntity[1]));
    const groups: string[][] = Array.from({ length: np }, () => []);
    attrs.forEach((k, i) => {
      groups[i % np]!.push(k);
    });
    const short = e.type === "person" ? e.name.split(" ").pop()! : e.mention;
    groups.forEach((keys, pi) => {
      const sentences: string[] = [];
      if (pi === 0) sentences.push(fill(INTRO[e.type], e.mention));
      keys.forEach((k, ki) => {
        const spec = ATTRIBUTES.find((a) => a.type === e.type && a.key === k)!;
        sentences.push(
          fill(
            rng.pick(spec.sentences),
            ki === 0 ? e.mention : rng.chance(0.5) ? short : e.mention,
            e.facts[k]!.display,
          ),
        );
      });
      const fillers = rng
        .shuffle([...FILLERS[e.type]])
        .slice(0, rng.int(cfg.fillerSentences[0], cfg.fillerSentences[1]));
      for (const f of fillers)
        sentences.splice(rng.int(1, sentences.length), 0, fill(f, rng.chance(0.5) ? short : e.mention));
      const id = push(e.name, sentences.join(" "));
      for (const k of keys)
        factPassages.set(`${e.id}.${k}`, [...(factPassages.get(`${e.id}.${k}`) ?? []), id]);
    });
  }
  // List passages: other entities with the same value of the same attribute, stated together.
  const LIST: Record<string, (v: string) => [string, string]> = {
    "person.birthYear": (v) => [`Births in ${v}`, `People born in ${v} include`],
    "person.birthplace": (v) => [`People from ${v}`, `People born in ${v} include`],
    "company.headquarters": (v) => [`Companies based in ${v}`, `Companies headquartered in ${v} include`],
    "band.formedYear": (v) => [`Bands formed in ${v}`, `Bands formed in ${v} include`],
    "city.country": (v) => [`Cities of ${v}`, `Cities located in ${v} include`],
    "company.industry": (v) => [`Companies in ${v}`, `Companies operating in the ${v} industry include`],
  };
  for (const [key, make] of Object.entries(LIST)) {
    const [type, attr] = key.split(".") as [EntityType, string];
    const groups = new Map<string, Entity[]>();
    for (const e of entities)
      if (e.type === type)
        groups.set(e.facts[attr]!.display, [...(groups.get(e.facts[attr]!.display) ?? []), e]);
    for (const [value, members] of groups) {
      if (members.length < 2 || !rng.chance(cfg.listPassageRate)) continue;
      const shown = rng.shuffle([...members]).slice(0, cfg.listSize);
      const ref = members[0]!.facts[attr]!.ref;
      const [title, lead] = make(ref ? byId.get(ref)!.name : value);
      const names = shown.map((m) => m.mention);
      const id = push(title, `${lead} ${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}.`);
      for (const m of shown)
        listPassages.set(`${m.id}.${attr}`, [...(listPassages.get(`${m.id}.${attr}`) ?? []), id]);
    }
  }
  return { documents, factPassages, listPassages };
}
