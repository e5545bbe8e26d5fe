import type { CallHistory } from './call-history';
import { grownFloat64, grownInt32 } from './grown-array';

/** No node or entry. */
const NONE = -1;
/** The token of a freed node (never a real token: tokens are ≥ 0). */
const FREED = -2;
const ROOT = 0;
const INITIAL_CAPACITY = 64;
// An entry's integers side by side (`#entryStride` of them): its node, its tool, the next entry
// of the node, then the context(s) after it; a lookup touches one cache line, not four arrays.
const NODE = 0;
const TOOL = 1;
const NEXT = 2;
const AFTER = 3;

/** Extra per-entry figures kept beside a table's counts (the sequence trie's). @internal */
export interface EntryColumns {
  /** Makes room for entries `0 … capacity − 1`, keeping what is held. */
  grow(capacity: number): void;
  /** Zeroes a new entry's figures. */
  reset(entry: number): void;
  /** Lets go of what an evicted entry holds. */
  release(entry: number): void;
}

/**
 * Where one session's last call left the table: the entries it counted, one per context length.
 * The next call of the session reaches each of its own contexts through them in one step (see
 * {@link ContextTable.resolveContexts}). Valid until the table is pruned or cleared.
 * @internal
 */
export class ContextChain {
  readonly entries: Int32Array;
  epoch = -1;
  constructor(maxDepth: number) {
    this.entries = new Int32Array(maxDepth);
  }
  /** Forgets the chain (a session's state serves a new session). */
  reset(): void {
    this.epoch = -1;
  }
}

function slotHash(a: number, b: number): number {
  let h = (Math.imul(a, 0x9e3779b1) + b) | 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * A trie of contexts (earlier calls, newest first) in typed arrays: node = context, entry =
 * (context, next tool) with its weighted count; each node keeps the total of its entries, and its
 * children and entries in linked lists in insertion order (what the `Map`s this replaces iterated
 * in). Children and entries are found through two open-addressing hash tables keyed by
 * (parent, token) and (node, tool). An entry also links to the context its sequence forms for the
 * call after it (`[tool] + context`), so a session's next call finds each of its contexts with one
 * lookup instead of a walk from the root. Bounded by `maxEntries`: past it the lightest entries
 * are evicted (deepest first at equal weight) until half the bound is left, then the hash tables
 * are rebuilt (O(entries) every `maxEntries / 2` new entries: O(1) amortised).
 * @internal
 */
export class ContextTable {
  /** (context, next tool) entries held. */
  size = 0;
  evicted = 0;
  /** Bumped whenever node or entry ids may have changed meaning: chains of an older epoch are stale. */
  epoch = 0;

  // nodes
  #nodeParent = new Int32Array(0);
  #nodeToken = new Int32Array(0);
  #nodeTotal = new Float64Array(0);
  #nodeEntryCount = new Int32Array(0);
  #firstEntry = new Int32Array(0);
  #lastEntry = new Int32Array(0);
  #firstChild = new Int32Array(0);
  #lastChild = new Int32Array(0);
  /** Next sibling; for a freed node, the next free node. */
  #nextSibling = new Int32Array(0);
  #nodeHigh = 0;
  #freeNode = NONE;
  #nodeSlots = new Int32Array(0);
  #nodeMask = 0;

  // entries: node, tool, next entry of the node (for a freed entry, the next free one; its node
  // is −1), then the context `[tool] + context` (two with outcome-aware tokens: by the call's outcome)
  #entryInts = new Int32Array(0);
  readonly #entryStride: number;
  #entryCapacity = 0;
  #entryCount = new Float64Array(0);
  #entryHigh = 0;
  #freeEntry = NONE;
  #entrySlots = new Int32Array(0);
  #entryMask = 0;

  /** Scratch: the nodes of the contexts of the call being counted, by length − 1. */
  readonly path: Int32Array;
  readonly #linksPerEntry: number;

  constructor(
    readonly maxEntries: number,
    /** Whether context tokens carry the call's outcome (`tool × 2 + failed`). */
    readonly outcomeAware: boolean,
    maxDepth: number,
    readonly columns?: EntryColumns,
  ) {
    this.path = new Int32Array(maxDepth);
    this.#linksPerEntry = outcomeAware ? 2 : 1;
    this.#entryStride = AFTER + this.#linksPerEntry;
    this.#growNodes(INITIAL_CAPACITY);
    this.#growEntries(INITIAL_CAPACITY);
    this.clear();
  }

  /** The token of a call. */
  tokenOf(tool: number, succeeded: boolean): number {
    return this.outcomeAware ? tool * 2 + (succeeded ? 0 : 1) : tool;
  }

  // ---- reading ----

  get root(): number {
    return ROOT;
  }
  /** The child of `node` by `token`, or −1. */
  child(node: number, token: number): number {
    const parents = this.#nodeParent;
    const tokens = this.#nodeToken;
    const slots = this.#nodeSlots;
    const mask = this.#nodeMask;
    for (let s = slotHash(node, token) & mask; ; s = (s + 1) & mask) {
      const n = slots[s]!;
      if (n === NONE || (parents[n] === node && tokens[n] === token)) return n;
    }
  }
  /** The entry of `tool` after `node`, or −1. */
  entry(node: number, tool: number): number {
    const ints = this.#entryInts;
    const stride = this.#entryStride;
    const slots = this.#entrySlots;
    const mask = this.#entryMask;
    for (let s = slotHash(node, tool) & mask; ; s = (s + 1) & mask) {
      const e = slots[s]!;
      if (e === NONE || (ints[e * stride + NODE] === node && ints[e * stride + TOOL] === tool)) return e;
    }
  }
  parentOf(node: number): number {
    return this.#nodeParent[node]!;
  }
  tokenAt(node: number): number {
    return this.#nodeToken[node]!;
  }
  totalOf(node: number): number {
    return this.#nodeTotal[node]!;
  }
  /** How many entries (next tools) `node` has. */
  entryCountOf(node: number): number {
    return this.#nodeEntryCount[node]!;
  }
  hasChildren(node: number): boolean {
    return this.#firstChild[node] !== NONE;
  }
  /** The first child of `node` in insertion order, then {@link nextSiblingOf}; −1 past the last. */
  firstChildOf(node: number): number {
    return this.#firstChild[node]!;
  }
  nextSiblingOf(node: number): number {
    return this.#nextSibling[node]!;
  }
  /** The first entry of `node` in insertion order, then {@link nextEntryOf}; −1 past the last. */
  firstEntryOf(node: number): number {
    return this.#firstEntry[node]!;
  }
  nextEntryOf(entry: number): number {
    return this.#entryInts[entry * this.#entryStride + NEXT]!;
  }
  toolOf(entry: number): number {
    return this.#entryInts[entry * this.#entryStride + TOOL]!;
  }
  countOf(entry: number): number {
    return this.#entryCount[entry]!;
  }

  // ---- counting ----

  /**
   * Fills {@link path} with the nodes of the contexts of the last 1..`depth` calls of `history`
   * (creating them), for the call about to be counted. Each context past the first is the one the
   * previous call's entry one shorter leads to, when `chain` is current; else it is walked from
   * the root (and the link set).
   */
  resolveContexts(chain: ContextChain, history: CallHistory, depth: number): void {
    const path = this.path;
    let slot = history.slot(1);
    const newestFailed = history.succeeded[slot] === 1 ? 0 : 1;
    let node = this.#childOrCreate(ROOT, this.outcomeAware ? history.tools[slot]! * 2 + newestFailed : history.tools[slot]!);
    path[0] = node;
    const linked = chain.epoch === this.epoch;
    const entries = chain.entries;
    const ints = this.#entryInts;
    const stride = this.#entryStride;
    const afterOffset = AFTER + (this.#linksPerEntry === 2 ? newestFailed : 0);
    for (let k = 2; k <= depth; k++) {
      const link = linked ? entries[k - 2]! * stride + afterOffset : NONE;
      let next = link >= 0 ? ints[link]! : NONE;
      if (next === NONE) {
        slot = history.slot(k);
        next = this.#childOrCreate(node, this.tokenOf(history.tools[slot]!, history.succeeded[slot] === 1));
        if (link >= 0) ints[link] = next;
      }
      node = next;
      path[k - 1] = node;
    }
  }

  /** The entry of `tool` after `node`, created (count 0, last in the node's entries) when new. */
  entryOrCreate(node: number, tool: number): number {
    let ints = this.#entryInts;
    const stride = this.#entryStride;
    let slots = this.#entrySlots;
    let mask = this.#entryMask;
    let s = slotHash(node, tool) & mask;
    for (; ; s = (s + 1) & mask) {
      const e = slots[s]!;
      if (e === NONE) break;
      if (ints[e * stride + NODE] === node && ints[e * stride + TOOL] === tool) return e;
    }
    let e = this.#freeEntry;
    if (e !== NONE) this.#freeEntry = ints[e * stride + NEXT]!;
    else {
      if (this.#entryHigh === this.#entryCapacity) {
        this.#growEntries(this.#entryHigh * 2);
        ints = this.#entryInts;
        slots = this.#entrySlots;
        mask = this.#entryMask;
        for (s = slotHash(node, tool) & mask; slots[s] !== NONE; s = (s + 1) & mask);
      }
      e = this.#entryHigh++;
    }
    slots[s] = e;
    const at = e * stride;
    ints[at + NODE] = node;
    ints[at + TOOL] = tool;
    ints[at + NEXT] = NONE;
    for (let i = AFTER; i < stride; i++) ints[at + i] = NONE;
    this.#entryCount[e] = 0;
    const last = this.#lastEntry[node]!;
    if (last === NONE) this.#firstEntry[node] = e;
    else ints[last * stride + NEXT] = e;
    this.#lastEntry[node] = e;
    this.#nodeEntryCount[node]!++;
    this.size++;
    this.columns?.reset(e);
    return e;
  }

  /** Adds `weight` to an entry and to its node's total. */
  add(node: number, entry: number, weight: number): void {
    this.#entryCount[entry]! += weight;
    this.#nodeTotal[node]! += weight;
  }

  /**
   * Counts `tool` (weight `weight`) after each context of the last 1..`depth` calls of `history`,
   * each weighing the product of its calls' weights and the call's; leaves the entries in `chain`.
   */
  count(chain: ContextChain, history: CallHistory, depth: number, tool: number, weight: number): void {
    if (depth <= 0) return;
    this.resolveContexts(chain, history, depth);
    const path = this.path;
    let contextWeight = weight;
    for (let k = 0; k < depth; k++) {
      contextWeight *= history.weights[history.slot(k + 1)]!;
      const node = path[k]!;
      const entry = this.entryOrCreate(node, tool);
      this.add(node, entry, contextWeight);
      chain.entries[k] = entry;
    }
    chain.epoch = this.epoch;
    this.pruneIfFull();
  }

  /** Evicts the lightest entries when past the bound. */
  pruneIfFull(): void {
    if (this.size > this.maxEntries) this.#prune(this.size - (this.maxEntries >> 1));
  }

  clear(): void {
    this.#nodeHigh = 0;
    this.#freeNode = NONE;
    this.#entryHigh = 0;
    this.#freeEntry = NONE;
    this.#nodeSlots.fill(NONE);
    this.#entrySlots.fill(NONE);
    this.size = 0;
    this.evicted = 0;
    this.epoch++;
    this.#newNode(NONE, NONE);
  }

  // ---- internals ----

  #childOrCreate(parent: number, token: number): number {
    const parents = this.#nodeParent;
    const tokens = this.#nodeToken;
    let slots = this.#nodeSlots;
    let mask = this.#nodeMask;
    let s = slotHash(parent, token) & mask;
    for (; ; s = (s + 1) & mask) {
      const n = slots[s]!;
      if (n === NONE) break;
      if (parents[n] === parent && tokens[n] === token) return n;
    }
    if (this.#freeNode === NONE && this.#nodeHigh === this.#nodeParent.length) {
      this.#growNodes(this.#nodeHigh * 2);
      slots = this.#nodeSlots;
      mask = this.#nodeMask;
      for (s = slotHash(parent, token) & mask; slots[s] !== NONE; s = (s + 1) & mask);
    }
    const node = this.#newNode(parent, token);
    slots[s] = node;
    const last = this.#lastChild[parent]!;
    if (last === NONE) this.#firstChild[parent] = node;
    else this.#nextSibling[last] = node;
    this.#lastChild[parent] = node;
    return node;
  }

  /** A fresh node (not linked to its parent, not in the hash table). */
  #newNode(parent: number, token: number): number {
    let node = this.#freeNode;
    if (node !== NONE) this.#freeNode = this.#nextSibling[node]!;
    else node = this.#nodeHigh++;
    this.#nodeParent[node] = parent;
    this.#nodeToken[node] = token;
    this.#nodeTotal[node] = 0;
    this.#nodeEntryCount[node] = 0;
    this.#firstEntry[node] = NONE;
    this.#lastEntry[node] = NONE;
    this.#firstChild[node] = NONE;
    this.#lastChild[node] = NONE;
    this.#nextSibling[node] = NONE;
    return node;
  }

  #growNodes(capacity: number): void {
    this.#nodeParent = grownInt32(this.#nodeParent, capacity);
    this.#nodeToken = grownInt32(this.#nodeToken, capacity);
    this.#nodeTotal = grownFloat64(this.#nodeTotal, capacity);
    this.#nodeEntryCount = grownInt32(this.#nodeEntryCount, capacity);
    this.#firstEntry = grownInt32(this.#firstEntry, capacity);
    this.#lastEntry = grownInt32(this.#lastEntry, capacity);
    this.#firstChild = grownInt32(this.#firstChild, capacity);
    this.#lastChild = grownInt32(this.#lastChild, capacity);
    this.#nextSibling = grownInt32(this.#nextSibling, capacity);
    this.#nodeSlots = new Int32Array(capacity * 2);
    this.#nodeMask = capacity * 2 - 1;
    this.#rehashNodes();
  }

  #growEntries(capacity: number): void {
    this.#entryInts = grownInt32(this.#entryInts, capacity * this.#entryStride);
    this.#entryCapacity = capacity;
    this.#entryCount = grownFloat64(this.#entryCount, capacity);
    this.columns?.grow(capacity);
    this.#entrySlots = new Int32Array(capacity * 2);
    this.#entryMask = capacity * 2 - 1;
    this.#rehashEntries();
  }

  #rehashNodes(): void {
    const slots = this.#nodeSlots.fill(NONE);
    const mask = this.#nodeMask;
    for (let n = 1; n < this.#nodeHigh; n++) {
      if (this.#nodeToken[n] === FREED) continue;
      let s = slotHash(this.#nodeParent[n]!, this.#nodeToken[n]!) & mask;
      while (slots[s] !== NONE) s = (s + 1) & mask;
      slots[s] = n;
    }
  }

  #rehashEntries(): void {
    const slots = this.#entrySlots.fill(NONE);
    const mask = this.#entryMask;
    const ints = this.#entryInts;
    const stride = this.#entryStride;
    for (let e = 0; e < this.#entryHigh; e++) {
      if (ints[e * stride + NODE] === NONE) continue;
      let s = slotHash(ints[e * stride + NODE]!, ints[e * stride + TOOL]!) & mask;
      while (slots[s] !== NONE) s = (s + 1) & mask;
      slots[s] = e;
    }
  }

  /**
   * Evicts the `remove` lightest entries, visiting children before their parent's own entries
   * (so deeper entries go first at equal weight), in insertion order, and drops nodes left with
   * neither entries nor children: the order the `Map` tries this replaces pruned in.
   */
  #prune(remove: number): void {
    const weights = new Float64Array(this.size);
    let collected = 0;
    const ints = this.#entryInts;
    const stride = this.#entryStride;
    for (let e = 0; e < this.#entryHigh; e++)
      if (ints[e * stride + NODE] !== NONE && collected < weights.length) weights[collected++] = this.#entryCount[e]!;
    if (collected === 0) return;
    const threshold = weights.subarray(0, collected).sort()[Math.min(remove, collected) - 1]!;
    const removed = this.#pruneUnder(ROOT, true, threshold, remove, 0);
    this.size -= removed;
    this.evicted += removed;
    for (let e = 0; e < this.#entryHigh; e++) for (let i = AFTER; i < stride; i++) ints[e * stride + i] = NONE;
    this.#rehashNodes();
    this.#rehashEntries();
    this.epoch++;
  }

  #pruneUnder(node: number, isRoot: boolean, threshold: number, remove: number, removedBefore: number): number {
    let removed = removedBefore;
    let previous = NONE;
    for (let child = this.#firstChild[node]!; child !== NONE; ) {
      const following = this.#nextSibling[child]!;
      if (removed < remove) removed = this.#pruneUnder(child, false, threshold, remove, removed);
      if (this.#firstEntry[child] === NONE && this.#firstChild[child] === NONE) {
        if (previous === NONE) this.#firstChild[node] = following;
        else this.#nextSibling[previous] = following;
        if (this.#lastChild[node] === child) this.#lastChild[node] = previous;
        this.#nodeToken[child] = FREED;
        this.#nextSibling[child] = this.#freeNode;
        this.#freeNode = child;
      } else previous = child;
      child = following;
    }
    if (isRoot || removed >= remove) return removed;
    previous = NONE;
    const ints = this.#entryInts;
    const stride = this.#entryStride;
    for (let e = this.#firstEntry[node]!; e !== NONE; ) {
      if (removed >= remove) break;
      const following = ints[e * stride + NEXT]!;
      const weight = this.#entryCount[e]!;
      if (weight <= threshold) {
        if (previous === NONE) this.#firstEntry[node] = following;
        else ints[previous * stride + NEXT] = following;
        if (this.#lastEntry[node] === e) this.#lastEntry[node] = previous;
        this.#nodeEntryCount[node]!--;
        this.#nodeTotal[node]! -= weight;
        this.columns?.release(e);
        ints[e * stride + NODE] = NONE;
        ints[e * stride + NEXT] = this.#freeEntry;
        this.#freeEntry = e;
        removed++;
      } else previous = e;
      e = following;
    }
    return removed;
  }
}
