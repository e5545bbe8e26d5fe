/**
 * The last calls of one session, newest last, in a fixed ring: tool index, outcome, whether
 * timed, duration and sample weight. Sequences ending with a new call are read from it, and so
 * is the session-aware part of prediction. Allocated once at its capacity.
 * @internal
 */
export class CallHistory {
  readonly tools: Int32Array;
  readonly succeeded: Uint8Array;
  readonly timed: Uint8Array;
  readonly durations: Float64Array;
  readonly weights: Float64Array;
  /** Calls held (at most the capacity). */
  length = 0;
  /** Slot the next call goes to. */
  #next = 0;

  constructor(readonly capacity: number) {
    this.tools = new Int32Array(capacity);
    this.succeeded = new Uint8Array(capacity);
    this.timed = new Uint8Array(capacity);
    this.durations = new Float64Array(capacity);
    this.weights = new Float64Array(capacity);
  }

  /** Forgets every call, keeping the arrays. */
  clear(): void {
    this.length = 0;
    this.#next = 0;
  }

  /** The slot of the call `back` calls before the newest (`back` = 1 is the newest; at most the capacity). */
  slot(back: number): number {
    // a comparison, not `%`: an integer division costs more, and this runs a dozen times a call
    const slot = this.#next - back;
    return slot < 0 ? slot + this.capacity : slot;
  }

  push(tool: number, succeeded: boolean, timed: boolean, duration: number, weight: number): void {
    const slot = this.#next;
    this.tools[slot] = tool;
    this.succeeded[slot] = succeeded ? 1 : 0;
    this.timed[slot] = timed ? 1 : 0;
    this.durations[slot] = duration;
    this.weights[slot] = weight;
    this.#next = slot + 1 === this.capacity ? 0 : slot + 1;
    if (this.length < this.capacity) this.length++;
  }
}

/**
 * The sequences that end with one new call, read back through the session's history once: for
 * a context of `k` earlier calls, the tool `k` calls back, the product of the sample weights,
 * the summed duration, and whether every call was timed and succeeded. Both the global trie and
 * the session's own table count from it. Scratch, reused for every call.
 * @internal
 */
export class SequenceWalk {
  depth = 0;
  readonly tools: Int32Array;
  readonly weights: Float64Array;
  readonly durations: Float64Array;
  readonly allTimed: Uint8Array;
  readonly allSucceeded: Uint8Array;

  constructor(maxDepth: number) {
    this.tools = new Int32Array(maxDepth);
    this.weights = new Float64Array(maxDepth);
    this.durations = new Float64Array(maxDepth);
    this.allTimed = new Uint8Array(maxDepth);
    this.allSucceeded = new Uint8Array(maxDepth);
  }

  /** Fills the walk for a call and the last `depth` calls of `history`. */
  prepare(
    history: CallHistory,
    depth: number,
    call: { readonly weight: number; readonly duration: number; readonly timed: boolean; readonly succeeded: boolean },
  ): void {
    let weight = call.weight;
    let duration = call.duration;
    let timed = call.timed;
    let succeeded = call.succeeded;
    for (let back = 1; back <= depth; back++) {
      const slot = history.slot(back);
      weight *= history.weights[slot]!;
      duration += history.durations[slot]!;
      timed &&= history.timed[slot] === 1;
      succeeded &&= history.succeeded[slot] === 1;
      const k = back - 1;
      this.tools[k] = history.tools[slot]!;
      this.weights[k] = weight;
      this.durations[k] = duration;
      this.allTimed[k] = timed ? 1 : 0;
      this.allSucceeded[k] = succeeded ? 1 : 0;
    }
    this.depth = depth;
  }
}
