/**
 * A compressed trie (radix tree) over token sequences: sequences that share a prefix share the nodes
 * that hold it. Built from the lexicographically sorted sequences and the longest common prefix of
 * neighbours (a sequence shares the most with its sorted neighbours), in O(total length) after the
 * sort. The prefix-sharing scorer (score_shared.ts) runs each node's tokens once.
 *
 * Node n holds positions [start, end) of every sequence whose path passes through it; its tokens are
 * seqs[n.seq][start..end). The root (node 0) is empty. Identical sequences end at the same node.
 *
 * Test: `npx vitest run prefix_tree_test.ts`.
 */

/** One node: positions [start, end) of the sequences below it. */
export interface PrefixNode {
  start: number;
  end: number;
  /** Parent node index (−1 for the root). */
  parent: number;
  children: number[];
  /** A sequence that holds this node's tokens (−1 for the root). */
  seq: number;
}

export interface PrefixTree {
  /** nodes[0] is the root (start = end = 0). */
  nodes: PrefixNode[];
  /** The node each sequence ends at (its tokens are the path root → node) [n]. */
  leafOf: Int32Array;
}

function compare(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function lcp(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Builds the radix tree of `seqs`. */
export function buildPrefixTree(seqs: readonly ArrayLike<number>[]): PrefixTree {
  const nodes: PrefixNode[] = [{ start: 0, end: 0, parent: -1, children: [], seq: -1 }];
  const leafOf = new Int32Array(seqs.length);
  const order = Array.from(seqs.keys()).sort((a, b) => compare(seqs[a]!, seqs[b]!));
  const stack = [0]; // path of the previous sequence, root first
  let prev = -1;
  for (const i of order) {
    const s = seqs[i]!;
    const l = prev < 0 ? 0 : lcp(seqs[prev]!, s);
    while (stack.length > 1 && nodes[stack[stack.length - 1]!]!.start >= l) stack.pop();
    let top = stack[stack.length - 1]!;
    const t = nodes[top]!;
    if (t.end > l) {
      // split: `mid` takes [t.start, l), t keeps [l, t.end) under it
      const mid = nodes.length;
      nodes.push({ start: t.start, end: l, parent: t.parent, children: [top], seq: t.seq });
      const siblings = nodes[t.parent]!.children;
      siblings[siblings.indexOf(top)] = mid;
      t.parent = mid;
      t.start = l;
      stack[stack.length - 1] = mid;
      top = mid;
    }
    if (l === s.length)
      leafOf[i] = top; // equal to the previous sequence (or empty)
    else {
      const leaf = nodes.length;
      nodes.push({ start: l, end: s.length, parent: top, children: [], seq: i });
      nodes[top]!.children.push(leaf);
      stack.push(leaf);
      leafOf[i] = leaf;
    }
    prev = i;
  }
  return { nodes, leafOf };
}

/** Tokens held by the tree (each shared prefix counted once). */
export function treeTokens(tree: PrefixTree): number {
  let n = 0;
  for (const node of tree.nodes) n += node.end - node.start;
  return n;
}
