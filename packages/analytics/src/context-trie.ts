import type { CallHistory } from './call-history';
import { pruneLightest, type PrunableNode } from './tree-pruning';

/** What followed one context: weighted counts by next tool, and their total. @internal */
export class ContextNode implements PrunableNode<number> {
  readonly next = new Map<number, number>();
  total = 0;
  children: Map<number, ContextNode> | undefined;
}

/**
 * Counts of the next tool after each context of 1..`maxContext` earlier calls, for prediction.
 * A context step is a token: the tool index, or with `outcomeAware` `tool × 2 + failed`, so a
 * failed call is a different context from a successful one. Bounded like the sequence trie.
 * @internal
 */
export class ContextTrie {
  root = new ContextNode();
  /** (context, next tool) entries held. */
  size = 0;
  evicted = 0;

  constructor(
    readonly maxEntries: number,
    readonly outcomeAware: boolean,
  ) {}

  /** The token of a call. */
  tokenOf(tool: number, succeeded: boolean): number {
    return this.outcomeAware ? tool * 2 + (succeeded ? 0 : 1) : tool;
  }

  /** Counts `tool` (weight `weight`) after each context formed by the last 1..`depth` calls of `history`. */
  count(history: CallHistory, depth: number, tool: number, weight: number): void {
    let node = this.root;
    let contextWeight = weight;
    for (let back = 1; back <= depth; back++) {
      const slot = history.slot(back);
      const token = this.tokenOf(history.tools[slot]!, history.succeeded[slot] === 1);
      let children = node.children;
      if (children === undefined) children = node.children = new Map();
      let child = children.get(token);
      if (child === undefined) {
        child = new ContextNode();
        children.set(token, child);
      }
      node = child;
      contextWeight *= history.weights[slot]!;
      const before = node.next.get(tool);
      if (before === undefined) this.size++;
      node.next.set(tool, (before ?? 0) + contextWeight);
      node.total += contextWeight;
    }
    if (this.size > this.maxEntries) this.#prune();
  }

  clear(): void {
    this.root = new ContextNode();
    this.size = 0;
    this.evicted = 0;
  }

  #prune(): void {
    const remove = this.size - (this.maxEntries >> 1);
    const removed = pruneLightest<number>(
      this.root,
      this.size,
      remove,
      (w) => w,
      (node, w) => {
        (node as ContextNode).total -= w;
      },
    );
    this.size -= removed;
    this.evicted += removed;
  }
}

/**
 * Overall (weighted) frequency of each tool, with the tools kept sorted by it, so the most
 * frequent tools a prediction has not otherwise seen are read off the front. Keeping the order
 * costs a bubble step per call (O(1) amortised: counts only grow).
 * @internal
 */
export class ToolFrequency {
  readonly counts: Float64Array;
  total = 0;
  /** Tool indices by descending count. */
  readonly order: number[] = [];
  readonly #rank: Int32Array;

  constructor(maxTools: number) {
    this.counts = new Float64Array(maxTools);
    this.#rank = new Int32Array(maxTools);
  }

  /** Registers a new tool index (count 0, last in the order). */
  addTool(tool: number): void {
    this.#rank[tool] = this.order.length;
    this.order.push(tool);
  }

  add(tool: number, weight: number): void {
    const counts = this.counts;
    counts[tool]! += weight;
    this.total += weight;
    const order = this.order;
    let i = this.#rank[tool]!;
    while (i > 0 && counts[order[i - 1]!]! < counts[tool]!) {
      const other = order[i - 1]!;
      order[i] = other;
      this.#rank[other] = i;
      i--;
    }
    order[i] = tool;
    this.#rank[tool] = i;
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
    this.order.length = 0;
  }
}
