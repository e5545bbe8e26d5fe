import type { CallHistory } from './call-history';
import { fastLog } from './fast-log';

/** Calls back a tool counts as "recently used" for {@link RecallCounts}. @internal */
export const RECALL_WINDOW = 16;
/** Slots the table starts with and at most grows to (4 × 8 bytes each: 2 MiB at most). */
const INITIAL_SLOTS = 1 << 10;
const MAX_SLOTS = 1 << 16;

/**
 * A 16-bit slot index from a pair's key (below 2^53: up to 100,000 tools squared): multiplicative
 * hashing by a 16-bit odd constant, exact in doubles (no `Math.imul`: a runtime call under jest).
 */
const hashOf = (key: number): number => ((((key / 4294967296) ^ key) >>> 0) * 40503) >>> 16;

/**
 * How a tool's recent use changes what follows a call: for each pair (last call `l`, tool `t`),
 * the weighted number of calls after `l` with `t` among the {@link RECALL_WINDOW} calls before
 * (and how many of them were `t`), and how many calls after `l` were `t` with `t` not among them.
 * So a ranker feature can tell a tool agents come back to (`sed` after `python` when `sed` was
 * just used) from one they call once (`rm` after `python`, `submit`), per context, which the
 * session's own counts cannot (they do not know the tool).
 *
 * Bounded: an open-addressing table of pairs that doubles from 1,024 slots up to 65,536 (2 MiB)
 * and then takes no new pair past 49,152 (3/4 full; counted in {@link dropped}); a pair it does
 * not hold reads as never seen. O(window) per counted call, O(1) per read.
 * @internal
 */
export class RecallCounts {
  /** Pair counts not kept because the table was full and the pair was new (a call makes up to `RECALL_WINDOW + 1`). */
  dropped = 0;
  #keys = new Float64Array(INITIAL_SLOTS);
  /** Per slot: calls after `l` with `t` in the window; of those, calls that were `t`; calls that were `t` with `t` outside it. */
  #recentCalls = new Float64Array(INITIAL_SLOTS);
  #recentNext = new Float64Array(INITIAL_SLOTS);
  #otherNext = new Float64Array(INITIAL_SLOTS);
  #used = 0;
  /** Weighted calls after each tool. */
  readonly #after: Float64Array;
  /** Marks of the tools seen in the window being counted. */
  readonly #mark: Uint32Array;
  #epoch = 0;

  constructor(readonly maxTools: number) {
    this.#after = new Float64Array(maxTools);
    this.#mark = new Uint32Array(maxTools);
  }

  /** Counts `tool` (sample weight `weight`) as the call after the calls held in `history` (before it is pushed there). */
  count(history: CallHistory, tool: number, weight: number): void {
    const held = Math.min(history.length, RECALL_WINDOW);
    if (held === 0) return;
    const tools = history.tools;
    const capacity = history.capacity;
    let slot = history.slot(1);
    const last = tools[slot]!;
    this.#after[last]! += weight;
    const mark = this.#mark;
    if (++this.#epoch === 0xffffffff) {
      mark.fill(0);
      this.#epoch = 1;
    }
    const epoch = this.#epoch;
    let recent = false;
    for (let back = 1; back <= held; back++, slot = slot === 0 ? capacity - 1 : slot - 1) {
      const t = tools[slot]!;
      if (mark[t] === epoch) continue;
      mark[t] = epoch;
      const pair = this.#slotFor(last, t);
      if (pair < 0) {
        if (t === tool) recent = true;
        this.dropped++;
        continue;
      }
      this.#recentCalls[pair]! += weight;
      if (t === tool) {
        this.#recentNext[pair]! += weight;
        recent = true;
      }
    }
    if (recent) return;
    const pair = this.#slotFor(last, tool);
    if (pair < 0) this.dropped++;
    else this.#otherNext[pair]! += weight;
  }

  /**
   * `log((n + 0.5) / (d + 1))`: of the `d` calls after `last` in the same state of `t` (among the
   * last {@link RECALL_WINDOW} calls or not, `recent`), `n` were `t`. `0` when `last` is unknown
   * or nothing followed it.
   */
  logShare(last: number, t: number, recent: boolean): number {
    if (last < 0 || last >= this.maxTools) return 0;
    const after = this.#after[last]!;
    if (after <= 0) return 0;
    const slot = t < this.maxTools ? this.#find(last, t) : -1;
    let next = 0;
    let calls: number;
    if (recent) {
      calls = slot < 0 ? 0 : this.#recentCalls[slot]!;
      if (slot >= 0) next = this.#recentNext[slot]!;
    } else {
      calls = after - (slot < 0 ? 0 : this.#recentCalls[slot]!);
      if (slot >= 0) next = this.#otherNext[slot]!;
    }
    return fastLog((next + 0.5) / (Math.max(0, calls) + 1));
  }

  clear(): void {
    this.#keys = new Float64Array(INITIAL_SLOTS);
    this.#recentCalls = new Float64Array(INITIAL_SLOTS);
    this.#recentNext = new Float64Array(INITIAL_SLOTS);
    this.#otherNext = new Float64Array(INITIAL_SLOTS);
    this.#used = 0;
    this.#after.fill(0);
    this.dropped = 0;
  }

  /** The slot of the pair, or −1 when it is not held. */
  #find(last: number, t: number): number {
    const key = last * this.maxTools + t + 1;
    const keys = this.#keys;
    const m = keys.length - 1;
    for (let i = hashOf(key); ; i++) {
      const k = keys[i & m]!;
      if (k === key) return i & m;
      if (k === 0) return -1;
    }
  }

  /** The slot of the pair, inserted (growing the table) if needed; −1 when the table is full. */
  #slotFor(last: number, t: number): number {
    const key = last * this.maxTools + t + 1;
    let keys = this.#keys;
    let m = keys.length - 1;
    let i = hashOf(key);
    for (; ; i++) {
      const k = keys[i & m]!;
      if (k === key) return i & m;
      if (k === 0) break;
    }
    if (this.#used * 4 >= keys.length * 3) {
      if (keys.length >= MAX_SLOTS) return -1;
      this.#grow();
      keys = this.#keys;
      m = keys.length - 1;
      for (i = hashOf(key); keys[i & m] !== 0; i++);
    }
    keys[i & m] = key;
    this.#used++;
    return i & m;
  }

  #grow(): void {
    const keys = this.#keys;
    const recentCalls = this.#recentCalls;
    const recentNext = this.#recentNext;
    const otherNext = this.#otherNext;
    const size = keys.length * 2;
    this.#keys = new Float64Array(size);
    this.#recentCalls = new Float64Array(size);
    this.#recentNext = new Float64Array(size);
    this.#otherNext = new Float64Array(size);
    const m = size - 1;
    for (let s = 0; s < keys.length; s++) {
      const key = keys[s]!;
      if (key === 0) continue;
      let i = hashOf(key);
      while (this.#keys[i & m] !== 0) i++;
      this.#keys[i & m] = key;
      this.#recentCalls[i & m] = recentCalls[s]!;
      this.#recentNext[i & m] = recentNext[s]!;
      this.#otherNext[i & m] = otherNext[s]!;
    }
  }
}
