import type { CallHistory } from './call-history';
import { type ContextChain, ContextTable } from './context-table';

/** What followed one context, as prediction reads it. @internal */
export interface NextTools {
  /** Visits each next tool in the order it was first seen after this context, with its weighted count. */
  forEach(visit: (count: number, tool: number) => void): void;
  /** Distinct next tools. */
  readonly size: number;
}

/** The contexts one call older than a context, by that call's token. @internal */
export interface OlderContexts {
  get(token: number): ContextNode | undefined;
}

/** One context of a {@link ContextTrie}: its next tools, their weighted total, its older contexts. @internal */
export interface ContextNode {
  readonly next: NextTools;
  readonly total: number;
  readonly children: OlderContexts | undefined;
}

/** A read cursor on one node of a {@link ContextTable} (made per read; the table holds no objects). */
class ContextNodeView implements ContextNode, NextTools, OlderContexts {
  constructor(
    readonly table: ContextTable,
    readonly node: number,
  ) {}
  get next(): NextTools {
    return this;
  }
  get total(): number {
    return this.table.totalOf(this.node);
  }
  get children(): OlderContexts | undefined {
    return this.table.hasChildren(this.node) ? this : undefined;
  }
  get size(): number {
    return this.table.entryCountOf(this.node);
  }
  get(token: number): ContextNode | undefined {
    const child = this.table.child(this.node, token);
    return child === -1 ? undefined : new ContextNodeView(this.table, child);
  }
  forEach(visit: (count: number, tool: number) => void): void {
    const table = this.table;
    for (let e = table.firstEntryOf(this.node); e !== -1; e = table.nextEntryOf(e)) visit(table.countOf(e), table.toolOf(e));
  }
}

/**
 * Counts of the next tool after each context of 1..`maxContext` earlier calls, for prediction.
 * A context step is a token: the tool index, or with `outcomeAware` `tool × 2 + failed`, so a
 * failed call is a different context from a successful one. Held in a {@link ContextTable}: its
 * own, or (outcome-free) the sequence trie's, whose weighted counts are the same numbers.
 * @internal
 */
export class ContextTrie {
  readonly root: ContextNode;

  constructor(readonly table: ContextTable) {
    this.root = new ContextNodeView(table, table.root);
  }

  /** A trie with its own table. */
  static create(maxEntries: number, outcomeAware: boolean, maxDepth: number): ContextTrie {
    return new ContextTrie(new ContextTable(maxEntries, outcomeAware, maxDepth));
  }

  get outcomeAware(): boolean {
    return this.table.outcomeAware;
  }
  /** (context, next tool) entries held. */
  get size(): number {
    return this.table.size;
  }
  get evicted(): number {
    return this.table.evicted;
  }

  /** The token of a call. */
  tokenOf(tool: number, succeeded: boolean): number {
    return this.table.tokenOf(tool, succeeded);
  }

  /** Counts `tool` (weight `weight`) after each context formed by the last 1..`depth` calls of `history`; leaves its entries in `chain`. */
  count(chain: ContextChain, history: CallHistory, depth: number, tool: number, weight: number): void {
    this.table.count(chain, history, depth, tool, weight);
  }

  clear(): void {
    this.table.clear();
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
