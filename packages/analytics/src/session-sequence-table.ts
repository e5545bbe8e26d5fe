import type { SequenceWalk } from './call-history';
import type { EndingCall } from './sequence-trie';

/** One sequence of a session's table, as read back. @internal */
export interface SessionSequence {
  /** Tool indices, oldest first. */
  readonly tools: readonly number[];
  readonly weightedCount: number;
  readonly occurrences: number;
  readonly weightedDurationSum: number;
  readonly timedWeight: number;
  readonly allSucceededWeight: number;
}

const EMPTY = -1;

/**
 * A session's own sequences (for per-session views and exact per-sequence session counts), in a
 * fixed open-addressing table: keys are tool-index sequences (newest call first) in one
 * `Int32Array` slab, figures in typed arrays, so counting a call allocates nothing. Holds at
 * most `capacity` sequences; past it the lightest quarter is evicted and the table rebuilt
 * (O(capacity) every capacity/4 new sequences: O(1) amortised).
 * @internal
 */
export class SessionSequenceTable {
  readonly #capacity: number;
  readonly #maxLength: number;
  readonly #keys: Int32Array;
  readonly #lengths: Uint8Array;
  readonly #hashes: Int32Array;
  readonly #weightedCount: Float64Array;
  readonly #occurrences: Int32Array;
  readonly #durationSum: Float64Array;
  readonly #timedWeight: Float64Array;
  readonly #okWeight: Float64Array;
  /** Slot → entry index, or EMPTY. */
  #slots: Int32Array;
  #mask: number;
  size = 0;

  constructor(capacity: number, maxLength: number) {
    this.#capacity = capacity;
    this.#maxLength = maxLength;
    this.#keys = new Int32Array(capacity * maxLength);
    this.#lengths = new Uint8Array(capacity);
    this.#hashes = new Int32Array(capacity);
    this.#weightedCount = new Float64Array(capacity);
    this.#occurrences = new Int32Array(capacity);
    this.#durationSum = new Float64Array(capacity);
    this.#timedWeight = new Float64Array(capacity);
    this.#okWeight = new Float64Array(capacity);
    let tableSize = 4;
    while (tableSize < capacity * 2) tableSize <<= 1;
    this.#slots = new Int32Array(tableSize).fill(EMPTY);
    this.#mask = tableSize - 1;
  }

  /** Forgets every sequence, keeping the allocated arrays (an evicted session's table serves the next new session). */
  clear(): void {
    this.#slots.fill(EMPTY);
    this.size = 0;
  }

  /**
   * Counts the sequences of `walk` (the call and 1..depth calls before it); returns a bit mask of the context lengths whose sequence is new to this session (bit `k − 1`).
   */
  countEndingWith(walk: SequenceWalk, call: EndingCall): number {
    let created = 0;
    let hash = Math.imul(call.tool + 1, 0x9e3779b1);
    for (let k = 0; k < walk.depth; k++) {
      hash = Math.imul(hash ^ (walk.tools[k]! + 1), 0x85ebca6b) ^ (hash >>> 13);
      let entry = this.#find(hash, walk, k + 1, call.tool);
      if (entry === EMPTY) {
        if (this.size >= this.#capacity) this.#evictLightest();
        entry = this.#insert(hash, walk, k + 1, call.tool);
        created |= 1 << k;
      }
      const weight = walk.weights[k]!;
      this.#weightedCount[entry]! += weight;
      this.#occurrences[entry]!++;
      if (walk.allTimed[k] === 1) {
        this.#durationSum[entry]! += weight * walk.durations[k]!;
        this.#timedWeight[entry]! += weight;
      }
      if (walk.allSucceeded[k] === 1) this.#okWeight[entry]! += weight;
    }
    return created;
  }

  /** Every sequence held, in no particular order. */
  entries(): SessionSequence[] {
    const out: SessionSequence[] = [];
    for (let e = 0; e < this.size; e++) {
      const length = this.#lengths[e]!;
      const tools: number[] = [];
      for (let i = length - 1; i >= 0; i--) tools.push(this.#keys[e * this.#maxLength + i]!);
      out.push({
        tools,
        weightedCount: this.#weightedCount[e]!,
        occurrences: this.#occurrences[e]!,
        weightedDurationSum: this.#durationSum[e]!,
        timedWeight: this.#timedWeight[e]!,
        allSucceededWeight: this.#okWeight[e]!,
      });
    }
    return out;
  }

  /** The entry of the sequence (`call.tool` preceded by `length − 1` history calls), or EMPTY. */
  #find(hash: number, walk: SequenceWalk, context: number, last: number): number {
    const length = context + 1;
    for (let slot = hash & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const entry = this.#slots[slot]!;
      if (entry === EMPTY) return EMPTY;
      if (this.#hashes[entry] !== hash || this.#lengths[entry] !== length) continue;
      const base = entry * this.#maxLength;
      if (this.#keys[base] !== last) continue;
      let same = true;
      for (let back = 1; back <= context && same; back++) same = this.#keys[base + back] === walk.tools[back - 1];
      if (same) return entry;
    }
  }

  #insert(hash: number, walk: SequenceWalk, context: number, last: number): number {
    const entry = this.size++;
    const base = entry * this.#maxLength;
    this.#keys[base] = last;
    for (let back = 1; back <= context; back++) this.#keys[base + back] = walk.tools[back - 1]!;
    this.#lengths[entry] = context + 1;
    this.#hashes[entry] = hash;
    this.#weightedCount[entry] = 0;
    this.#occurrences[entry] = 0;
    this.#durationSum[entry] = 0;
    this.#timedWeight[entry] = 0;
    this.#okWeight[entry] = 0;
    this.#place(entry);
    return entry;
  }

  #place(entry: number): void {
    let slot = this.#hashes[entry]! & this.#mask;
    while (this.#slots[slot] !== EMPTY) slot = (slot + 1) & this.#mask;
    this.#slots[slot] = entry;
  }

  /** Keeps the heaviest three quarters, compacted to the front, and rebuilds the slots. */
  #evictLightest(): void {
    // the heaviest, ties to the earlier entry: those above the weight of the last kept, then
    // entries at exactly that weight in entry order until the quota is full
    const size = this.size;
    const quota = Math.floor((this.#capacity * 3) / 4);
    const weights = this.#weightedCount;
    if (quota <= 0) {
      this.size = 0;
      this.#slots.fill(EMPTY);
      return;
    }
    const sorted = weights.slice(0, size).sort();
    const cut = sorted[size - quota]!;
    let atCut = 0;
    for (let e = size - quota; e < size; e++) if (sorted[e] === cut) atCut++;
    const m = this.#maxLength;
    let to = 0;
    for (let from = 0; from < size; from++) {
      const w = weights[from]!;
      if (w < cut || (w === cut && atCut-- <= 0)) continue;
      const at = to++;
      if (from === at) continue;
      this.#keys.copyWithin(at * m, from * m, from * m + m);
      this.#lengths[at] = this.#lengths[from]!;
      this.#hashes[at] = this.#hashes[from]!;
      this.#weightedCount[at] = this.#weightedCount[from]!;
      this.#occurrences[at] = this.#occurrences[from]!;
      this.#durationSum[at] = this.#durationSum[from]!;
      this.#timedWeight[at] = this.#timedWeight[from]!;
      this.#okWeight[at] = this.#okWeight[from]!;
    }
    this.size = to;
    this.#slots.fill(EMPTY);
    for (let e = 0; e < this.size; e++) this.#place(e);
  }
}
