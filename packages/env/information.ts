/**
 * The `<information>` block the environment returns after a search:
 *
 *   \n<information>Doc 1 (Title: t) text\nDoc 2 (Title: t) text</information>\nYou have 3 turns left.\n
 *
 * Titles come from the first line of `contents` (quotes stripped); newlines inside a passage become
 * spaces so each document is one line. The documents are a data piece (allowSpecial false) so a
 * passage containing `<answer>` cannot inject a control token. Tested in protocol_test.ts.
 */
import type { TextPiece } from "./codec.ts";
import { splitContents } from "./corpus_io.ts";
import { turnsLeftHint } from "./prompt.ts";
import type { Hit } from "./retriever.ts";

/** The documents as `Doc i (Title: t) text` lines. */
export function formatDocuments(hits: readonly Hit[]): string {
  if (hits.length === 0) return "No documents found.";
  return hits
    .map((h, i) => {
      const { title, text } = splitContents(h.document.contents);
      return `Doc ${i + 1} (Title: ${title}) ${text.replace(/\s*\n\s*/g, " ").trim()}`;
    })
    .join("\n");
}

/** The observation after a search: the information block and the turns-left hint for the next turn. */
export function informationPieces(hits: readonly Hit[], turnsLeft: number): TextPiece[] {
  return [
    { text: "\n<information>", special: true },
    { text: formatDocuments(hits), special: false },
    { text: `</information>\n${turnsLeftHint(turnsLeft)}\n`, special: true },
  ];
}

/** A parsed `Doc i (Title: t) text` line. */
export interface ShownDocument {
  title: string;
  text: string;
}

/** Reads the documents of the last `<information>` block in a context (for scripted agents). */
export function lastInformation(context: string): ShownDocument[] {
  const end = context.lastIndexOf("</information>");
  if (end < 0) return [];
  const start = context.lastIndexOf("<information>", end);
  if (start < 0) return [];
  const out: ShownDocument[] = [];
  for (const line of context.slice(start + "<information>".length, end).split("\n")) {
    const m = /^Doc \d+ \(Title: (.*?)\) (.*)$/.exec(line);
    if (m) out.push({ title: m[1]!, text: m[2]! });
  }
  return out;
}
