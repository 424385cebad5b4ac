/**
 * Name and number vocabulary of the fictional encyclopedia: syllable-built names that look plausible
 * but match nothing real, near-duplicate names for distractors, and numbers written in words.
 * Tested in world_test.ts.
 */
import type { Rng } from "@mempo/kernels/random";

const SYL = (
  "al ma to ren vi sa ka lo mi ra ne dor bel cas fen gar hal is jor kel lin mor nor os pel quin ros sel tam ul ven wyn " +
  "yar zel bra cor dan el fa gil hen ith lun mar nim or per rho sil tor ur val wen xan yev zor ash bri cal dru em fio"
).split(" ");
const SURNAME_END = "ing son berg ell ard ov ani ez ton field er ski ley wick more ham".split(" ");
const CITY_END = " ford ville burg haven port mouth stad grad wick dale by holm".split(" ");
const COUNTRY_END = "ia land stan ora esh ovia ania".split(" ");
const COMPANY_END =
  "Industries Systems Labs Holdings Works Foods Motors Textiles Robotics Shipping Pharma Media".split(" ");
const BAND_ADJ = (
  "Velvet Glass Iron Silent Crimson Hollow Electric Paper Golden Northern Wandering Broken Neon Quiet Wild Amber Lunar " +
  "Copper Midnight Static Violet Rusty Frozen Burning Lost Tidal Cosmic Pale Restless Marble"
).split(" ");
const BAND_NOUN = (
  "Lanterns Orchards Foxes Engines Harbors Ravens Pilots Gardens Mirrors Wolves Sparrows Tides Comets Bridges Rivers " +
  "Dreamers Echoes Machines Saints Giants Shadows Wires Horses Kites Lions Monks Anchors Ghosts"
).split(" ");

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A coined word of `n` syllables. */
export function word(rng: Rng, n: number): string {
  let w = "";
  for (let i = 0; i < n; i++) w += rng.pick(SYL);
  return cap(w);
}

export function personName(rng: Rng): { first: string; middle: string | null; last: string } {
  const first = word(rng, 2);
  const last = word(rng, rng.int(1, 2)) + rng.pick(SURNAME_END);
  const middle = rng.chance(0.5) ? String.fromCharCode(65 + rng.int(0, 25)) : null;
  return { first, middle, last };
}

export const cityName = (rng: Rng) => word(rng, rng.int(2, 3)) + rng.pick(CITY_END);
export const countryName = (rng: Rng) => word(rng, rng.int(2, 3)) + rng.pick(COUNTRY_END);
export const companyName = (rng: Rng) => `${word(rng, 2)} ${rng.pick(COMPANY_END)}`;
export const riverName = (rng: Rng) => `${word(rng, rng.int(2, 3))} River`;
export const bandName = (rng: Rng) =>
  rng.chance(0.6)
    ? `The ${rng.pick(BAND_ADJ)} ${rng.pick(BAND_NOUN)}`
    : `${word(rng, 2)} ${rng.pick(BAND_NOUN)}`;

/** A near-duplicate of a word: one letter changed (distractor names). */
export function perturb(rng: Rng, w: string): string {
  const vowels = "aeiou";
  const i = rng.int(1, Math.max(1, w.length - 1));
  const c = w.charAt(i);
  const repl = vowels.includes(c)
    ? rng.pick([...vowels].filter((v) => v !== c))
    : rng.pick(["n", "r", "l", "s", "t"]);
  return w.slice(0, i) + (repl === c ? "e" : repl) + w.slice(i + 1);
}

const ONES =
  "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split(
    " ",
  );
const TENS = "  twenty thirty forty fifty sixty seventy eighty ninety".split(" ");

/** English words for 0 ≤ n < 10^9, e.g. 412 → "four hundred twelve". */
export function numberWords(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n >= 1e9) throw new Error(`numberWords: unsupported ${n}`);
  if (n < 20) return ONES[n]!;
  if (n < 100) return TENS[Math.floor(n / 10)]! + (n % 10 ? `-${ONES[n % 10]}` : "");
  if (n < 1000) return `${ONES[Math.floor(n / 100)]} hundred${n % 100 ? ` ${numberWords(n % 100)}` : ""}`;
  if (n < 1e6)
    return `${numberWords(Math.floor(n / 1000))} thousand${n % 1000 ? ` ${numberWords(n % 1000)}` : ""}`;
  return `${numberWords(Math.floor(n / 1e6))} million${n % 1e6 ? ` ${numberWords(n % 1e6)}` : ""}`;
}

/** A year as spoken: 1947 → "nineteen forty-seven", 2005 → "two thousand five". */
export function yearWords(y: number): string {
  if (y >= 2000 && y < 2010) return numberWords(y);
  const hi = Math.floor(y / 100);
  const lo = y % 100;
  return `${numberWords(hi)} ${lo === 0 ? "hundred" : lo < 10 ? `oh ${numberWords(lo)}` : numberWords(lo)}`;
}

/** 48200 → "48,200". */
export const withCommas = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

export const OCCUPATIONS = (
  "sculptor cartographer composer chemist novelist architect botanist astronomer violinist engineer " +
  "photographer historian economist painter linguist surgeon playwright mathematician geologist poet"
).split(" ");
export const INDUSTRIES =
  "shipbuilding textiles software pharmaceuticals mining aviation publishing agriculture robotics banking".split(
    " ",
  );
export const GENRES: readonly string[][] = [
  ["synth-pop", "synthpop", "synth pop"],
  ["folk rock"],
  ["jazz fusion"],
  ["post-punk", "post punk"],
  ["bluegrass"],
  ["shoegaze"],
  ["hip hop", "hip-hop"],
  ["baroque pop"],
  ["heavy metal", "metal"],
  ["dream pop"],
  ["ska"],
  ["trip hop", "trip-hop"],
];
