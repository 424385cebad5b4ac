/**
 * The schema of the fictional encyclopedia: entity types, their attributes, and for each attribute
 * the question templates, the sentence templates that state it in passages, the search keywords the
 * scripted teacher uses, and (for relations) the noun phrase that names the related entity in a
 * two-hop question. `{X}` is the question's subject phrase, `{S}` a mention of the subject, `{V}` the
 * value. Data only; used by generate.ts and questions.ts.
 */

export type EntityType = "person" | "city" | "country" | "company" | "river" | "band";

export const ENTITY_TYPES: readonly EntityType[] = ["person", "city", "country", "company", "river", "band"];

export interface AttributeSpec {
  type: EntityType;
  key: string;
  /** Set when the value is another entity (a relation); its type. */
  target?: EntityType;
  questions: string[];
  sentences: string[];
  /** Words a searcher adds to the subject's name to find this attribute. */
  keywords: string;
  /** Memory label, e.g. "birth year of {S}". */
  label: string;
  /** For relations: a noun phrase naming the related entity, e.g. "the founder of {S}". */
  phrase?: string;
}

const A = (s: AttributeSpec) => s;

export const ATTRIBUTES: readonly AttributeSpec[] = [
  A({
    type: "person",
    key: "birthYear",
    questions: ["In what year was {X} born?", "When was {X} born?"],
    sentences: [
      "{S} was born in {V}.",
      "Born in {V}, {S} grew up far from the coast.",
      "{S} (born {V}) began working at an early age.",
    ],
    keywords: "born year",
    label: "birth year of {S}",
  }),
  A({
    type: "person",
    key: "birthplace",
    target: "city",
    questions: ["In which city was {X} born?", "What is the birthplace of {X}?"],
    sentences: [
      "{S} was born in the city of {V}.",
      "The birthplace of {S} is {V}.",
      "{S} is a native of the city of {V}.",
    ],
    keywords: "birthplace born city",
    label: "birthplace of {S}",
    phrase: "the birthplace of {S}",
  }),
  A({
    type: "person",
    key: "occupation",
    questions: ["What was the profession of {X}?", "What did {X} work as?"],
    sentences: [
      "{S} worked as a {V} for most of a long career.",
      "By profession, {S} was a {V}.",
      "{S} became known as a {V}.",
    ],
    keywords: "profession worked as",
    label: "profession of {S}",
  }),
  A({
    type: "city",
    key: "country",
    target: "country",
    questions: ["In which country is {X} located?", "Which country is {X} in?"],
    sentences: [
      "{S} is a city located in {V}.",
      "{S} lies in the north of {V}.",
      "The city of {S} belongs to {V}.",
    ],
    keywords: "city located country",
    label: "country of {S}",
    phrase: "the country where {S} is located",
  }),
  A({
    type: "city",
    key: "foundedYear",
    questions: ["In what year was {X} founded?", "When was {X} founded?"],
    sentences: [
      "{S} was founded in {V}.",
      "Settlers founded {S} in {V}.",
      "Since its founding in {V}, {S} has grown steadily.",
    ],
    keywords: "city founded year",
    label: "founding year of {S}",
  }),
  A({
    type: "city",
    key: "population",
    questions: ["What is the population of {X}?", "How many people live in {X}?"],
    sentences: [
      "{S} has a population of {V}.",
      "About {V} people live in {S}.",
      "The last census counted {V} inhabitants in {S}.",
    ],
    keywords: "population inhabitants",
    label: "population of {S}",
  }),
  A({
    type: "country",
    key: "capital",
    target: "city",
    questions: ["What is the capital of {X}?", "Which city is the capital of {X}?"],
    sentences: [
      "The capital of {S} is {V}.",
      "{V} serves as the capital of {S}.",
      "{S} is governed from its capital, {V}.",
    ],
    keywords: "capital city",
    label: "capital of {S}",
    phrase: "the capital of {S}",
  }),
  A({
    type: "country",
    key: "independenceYear",
    questions: ["In what year did {X} become independent?", "When did {X} gain independence?"],
    sentences: ["{S} declared independence in {V}.", "{S} has been independent since {V}."],
    keywords: "independence year",
    label: "independence year of {S}",
  }),
  A({
    type: "company",
    key: "founder",
    target: "person",
    questions: ["Who founded {X}?", "Who is the founder of {X}?"],
    sentences: [
      "{S} was founded by {V}.",
      "{V} started {S} as a small workshop.",
      "{V} is the founder of {S}.",
    ],
    keywords: "founded by founder",
    label: "founder of {S}",
    phrase: "the founder of {S}",
  }),
  A({
    type: "company",
    key: "foundedYear",
    questions: ["In what year was {X} established?", "When was {X} established?"],
    sentences: ["{S} was established in {V}.", "Since it was established in {V}, {S} has expanded abroad."],
    keywords: "established year",
    label: "founding year of {S}",
  }),
  A({
    type: "company",
    key: "headquarters",
    target: "city",
    questions: ["In which city is {X} headquartered?", "Where is {X} headquartered?"],
    sentences: [
      "{S} is headquartered in {V}.",
      "{S} has its head office in {V}.",
      "The headquarters of {S} are in {V}.",
    ],
    keywords: "headquartered headquarters",
    label: "headquarters of {S}",
    phrase: "the city where {S} is headquartered",
  }),
  A({
    type: "company",
    key: "industry",
    questions: ["In which industry does {X} operate?", "What industry is {X} in?"],
    sentences: ["{S} operates in the {V} industry.", "{S} is a {V} company."],
    keywords: "industry company",
    label: "industry of {S}",
  }),
  A({
    type: "river",
    key: "length",
    questions: ["How long is {X}?", "What is the length of {X}?"],
    sentences: ["{S} is {V} long.", "{S} runs for {V}.", "With a length of {V}, {S} is a major waterway."],
    keywords: "length long km",
    label: "length of {S}",
  }),
  A({
    type: "river",
    key: "country",
    target: "country",
    questions: ["Through which country does {X} flow?", "In which country does {X} flow?"],
    sentences: ["{S} flows through {V}.", "{S} crosses {V} from east to west."],
    keywords: "flows through country",
    label: "country of {S}",
    phrase: "the country through which {S} flows",
  }),
  A({
    type: "river",
    key: "mouthCity",
    target: "city",
    questions: ["At which city does {X} reach the sea?", "Which city lies at the mouth of {X}?"],
    sentences: ["{S} reaches the sea at {V}.", "The mouth of {S} lies at the city of {V}."],
    keywords: "mouth sea city",
    label: "mouth of {S}",
    phrase: "the city at the mouth of {S}",
  }),
  A({
    type: "band",
    key: "genre",
    questions: ["What genre of music does {X} play?", "Which musical genre is {X} known for?"],
    sentences: ["{S} plays {V}.", "{S} is a {V} band.", "Critics describe the sound of {S} as {V}."],
    keywords: "genre music",
    label: "genre of {S}",
  }),
  A({
    type: "band",
    key: "formedYear",
    questions: ["In what year was {X} formed?", "When was {X} formed?"],
    sentences: ["{S} formed in {V}.", "{S} was formed in {V}."],
    keywords: "band formed year",
    label: "formation year of {S}",
  }),
  A({
    type: "band",
    key: "origin",
    target: "city",
    questions: ["In which city was {X} formed?", "Which city does {X} come from?"],
    sentences: ["{S} was formed in the city of {V}.", "{S} comes from the city of {V}."],
    keywords: "formed city hometown",
    label: "hometown of {S}",
    phrase: "the hometown of {S}",
  }),
  A({
    type: "band",
    key: "leadSinger",
    target: "person",
    questions: ["Who is the lead singer of {X}?", "Who sings lead vocals in {X}?"],
    sentences: ["{V} is the lead singer of {S}.", "{S} is fronted by the singer {V}."],
    keywords: "lead singer vocals",
    label: "lead singer of {S}",
    phrase: "the lead singer of {S}",
  }),
];

export const attributesOf = (t: EntityType) => ATTRIBUTES.filter((a) => a.type === t);

/** Sentences that state no fact (filler), per type; `{S}` is the subject. */
export const FILLERS: Readonly<Record<EntityType, readonly string[]>> = {
  person: [
    "{S} was known for a meticulous working style.",
    "Several biographies of {S} have been published.",
    "{S} gave many public lectures over the years.",
    "Colleagues remembered {S} as generous and stubborn.",
  ],
  city: [
    "{S} is known for its old market square.",
    "{S} hosts an annual lantern festival.",
    "The old town of {S} has narrow cobbled streets.",
    "A railway line connects {S} with the surrounding villages.",
  ],
  country: [
    "{S} has a varied landscape of hills and plains.",
    "The economy of {S} relies on trade and farming.",
    "{S} is divided into several provinces.",
  ],
  company: [
    "{S} employs several thousand people.",
    "{S} has been listed on the regional stock exchange for decades.",
    "{S} is known for its distinctive logo.",
  ],
  river: [
    "{S} is popular with anglers.",
    "Several bridges span {S}.",
    "The valley of {S} is a protected area.",
  ],
  band: [
    "{S} has released several studio albums.",
    "{S} toured widely in its early years.",
    "The music of {S} has been used in films.",
  ],
};

/** Lead sentence that introduces an entity of each type. */
export const INTRO: Readonly<Record<EntityType, string>> = {
  person: "{S} is a notable person.",
  city: "{S} is a city.",
  country: "{S} is a country.",
  company: "{S} is a company.",
  river: "{S} is a river.",
  band: "{S} is a musical group.",
};
