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

  /** The slot of the call `back` calls before the newest (`back` = 1 is the newest). */
  slot(back: number): number {
    return (this.#next - back + this.capacity) % this.capacity;
  }

  push(tool: number, succeeded: boolean, timed: boolean, duration: number, weight: number): void {
    const slot = this.#next;
    this.tools[slot] = tool;
    this.succeeded[slot] = succeeded ? 1 : 0;
    this.timed[slot] = timed ? 1 : 0;
    this.durations[slot] = duration;
    this.weights[slot] = weight;
    this.#next = (slot + 1) % this.capacity;
    if (this.length < this.capacity) this.length++;
  }
}
