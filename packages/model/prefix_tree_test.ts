/**
 * The radix tree over token sequences: every sequence is spelled by its root-to-leaf path, shared
 * prefixes are held once (the tree's token count equals the number of distinct non-empty prefixes),
 * identical sequences and sequences that are prefixes of others end at inner nodes.
 */
import { describe, expect, it } from "vitest";
import { buildPrefixTree, type PrefixTree, treeTokens } from "./prefix_tree.ts";
import { Rng } from "@mempo/kernels/random";

function spell(tree: PrefixTree, seqs: number[][], i: number): number[] {
  const parts: number[][] = [];
  for (let nd = tree.leafOf[i]!; nd > 0; nd = tree.nodes[nd]!.parent) {
    const n = tree.nodes[nd]!;
    parts.unshift(seqs[n.seq]!.slice(n.start, n.end));
    expect(n.end).toBeGreaterThan(n.start);
    expect(tree.nodes[n.parent]!.end).toBe(n.start);
  }
  return parts.flat();
}

describe("buildPrefixTree", () => {
  it("on a hand-checked example", () => {
    const seqs = [[1, 2, 3, 4], [1, 2, 5], [1, 2], [7], [1, 2, 3, 4], [1, 2, 3, 9, 9]];
    const tree = buildPrefixTree(seqs);
    // root → [1 2] → {[3] → {[4], [9 9]}, [5]}, root → [7]
    expect(tree.nodes.length).toBe(7);
    expect(treeTokens(tree)).toBe(2 + 1 + 1 + 2 + 1 + 1);
    for (const [i, s] of seqs.entries()) expect(spell(tree, seqs, i)).toEqual(s);
    expect(tree.leafOf[0]).toBe(tree.leafOf[4]);
    expect(tree.nodes[tree.leafOf[2]!]!.children.length).toBe(2); // [1 2] ends inside the tree
    expect(tree.nodes[0]!.children.length).toBe(2);
  });

  it("holds each distinct prefix once on random sequences", () => {
    const r = new Rng(5);
    const seqs: number[][] = [];
    for (let i = 0; i < 200; i++) {
      const base = seqs.length > 0 && r.next() < 0.8 ? seqs[Math.floor(r.next() * seqs.length)]! : [];
      const cut = Math.floor(r.next() * (base.length + 1));
      const tail = Array.from({ length: Math.floor(r.next() * 6) }, () => Math.floor(r.next() * 4));
      seqs.push([...base.slice(0, cut), ...tail]);
    }
    const tree = buildPrefixTree(seqs);
    for (const [i, s] of seqs.entries()) expect(spell(tree, seqs, i)).toEqual(s);
    const prefixes = new Set<string>();
    for (const s of seqs) for (let k = 1; k <= s.length; k++) prefixes.add(s.slice(0, k).join(","));
    expect(treeTokens(tree)).toBe(prefixes.size);
    // a node with one child is a sequence's end (otherwise it would have been merged)
    const ends = new Set(tree.leafOf);
    for (let nd = 1; nd < tree.nodes.length; nd++)
      if (tree.nodes[nd]!.children.length === 1) expect(ends.has(nd)).toBe(true);
  });
});
