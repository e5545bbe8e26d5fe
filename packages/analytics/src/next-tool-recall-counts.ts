import type { CallHistory } from './call-history';
import { CountTable } from './count-table';
import { fastLog } from './fast-log';

/** Calls back a tool counts as "recently used" for {@link RecallCounts}. @internal */
export const RECALL_WINDOW = 16;
/** Calls back the `'followedLast'` rule looks for an earlier call of the last call's tool (a bound whatever `sessionHistory`). @internal */
export const FOLLOWED_WINDOW = 32;
/** Slots the table at most grows to (4 × 8 bytes each: 2 MiB at most). */
const MAX_SLOTS = 1 << 16;
/** The table's columns. */
const MARKED_CALLS = 0;
const MARKED_NEXT = 1;
const UNMARKED_NEXT = 2;

/**
 * Which tools a counted call's window marks: `'recent'`, those among the {@link RECALL_WINDOW}
 * calls before; `'followedLast'`, those that followed an earlier call of the same tool as the
 * last call, within the last {@link FOLLOWED_WINDOW} calls (so what came after this context last time). @internal
 */
export type RecallRule = 'recent' | 'followedLast';

/**
 * How a tool's recent use changes what follows a call: for each pair (last call `l`, tool `t`),
 * the weighted number of calls after `l` with `t` marked by the window (see {@link RecallRule};
 * by default among the {@link RECALL_WINDOW} calls before), of those how many were `t`, and how
 * many calls after `l` were `t` with `t` not marked. So a ranker feature can tell a tool agents
 * come back to (`sed` after `python` when `sed` was just used) from one they call once (`rm`
 * after `python`, `submit`), per context, which the session's own counts cannot (they do not
 * know the tool).
 *
 * Bounded: an open-addressing table of pairs that doubles from 1,024 slots up to 65,536 (2 MiB)
 * and then takes no new pair past 49,152 (3/4 full; counted in {@link dropped}); a pair it does
 * not hold reads as never seen. O(window) per counted call, O(1) per read.
 * @internal
 */
export class RecallCounts {
  /** Pair counts not kept because the table was full and the pair was new (a call makes up to one more than its window: 17 by `'recent'`, 33 by `'followedLast'`). */
  dropped = 0;
  /** Per pair: calls after `l` with `t` marked; of those, calls that were `t`; calls that were `t` with `t` not marked. */
  readonly #pairs = new CountTable(3, MAX_SLOTS);
  /** Weighted calls after each tool. */
  readonly #after: Float64Array;
  /** Marks of the tools seen in the window being counted. */
  readonly #mark: Uint32Array;
  #epoch = 0;

  constructor(
    readonly maxTools: number,
    readonly rule: RecallRule = 'recent',
  ) {
    this.#after = new Float64Array(maxTools);
    this.#mark = new Uint32Array(maxTools);
  }

  /** Counts `tool` (sample weight `weight`) as the call after the calls held in `history` (before it is pushed there). */
  count(history: CallHistory, tool: number, weight: number): void {
    const followed = this.rule === 'followedLast';
    const held = Math.min(history.length, followed ? FOLLOWED_WINDOW : RECALL_WINDOW);
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
    const pairs = this.#pairs;
    let marked = false;
    for (let back = 1; back <= held; back++) {
      const t = tools[slot]!;
      slot = slot === 0 ? capacity - 1 : slot - 1;
      // 'followedLast': t counts when the call before it was the same tool as the last call
      if (followed && (back === held || tools[slot] !== last)) continue;
      if (mark[t] === epoch) continue;
      mark[t] = epoch;
      if (t === tool) marked = true;
      const pair = pairs.slotFor(this.#keyOf(last, t));
      if (pair < 0) {
        this.dropped++;
        continue;
      }
      // columns after slotFor: growing replaces them
      pairs.column(MARKED_CALLS)[pair]! += weight;
      if (t === tool) pairs.column(MARKED_NEXT)[pair]! += weight;
    }
    if (!marked && !pairs.add(this.#keyOf(last, tool), UNMARKED_NEXT, weight)) this.dropped++;
  }

  /**
   * `log((n + 0.5) / (d + 1))`: of the `d` calls after `last` in the same state of `t` (marked by
   * the window or not, `recent`), `n` were `t`. `0` when `last` is unknown or nothing followed it.
   */
  logShare(last: number, t: number, recent: boolean): number {
    if (last < 0 || last >= this.maxTools) return 0;
    const after = this.#after[last]!;
    if (after <= 0) return 0;
    const pairs = this.#pairs;
    const slot = t < this.maxTools ? pairs.find(this.#keyOf(last, t)) : -1;
    const markedCalls = slot < 0 ? 0 : pairs.column(MARKED_CALLS)[slot]!;
    const next = slot < 0 ? 0 : pairs.column(recent ? MARKED_NEXT : UNMARKED_NEXT)[slot]!;
    const calls = recent ? markedCalls : after - markedCalls;
    return fastLog((next + 0.5) / (Math.max(0, calls) + 1));
  }

  clear(): void {
    this.#pairs.clear();
    this.#after.fill(0);
    this.dropped = 0;
  }

  #keyOf(last: number, t: number): number {
    return last * this.maxTools + t + 1;
  }
}
