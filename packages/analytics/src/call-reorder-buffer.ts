import type { ToolExecutionMetrics } from '@perftrack/core';

/** Orders calls of one session by start time, then tool id, then record id: deterministic whatever the arrival order. */
export function callOrder(a: ToolExecutionMetrics, b: ToolExecutionMetrics): number {
  return a.startTime - b.startTime || (a.toolId < b.toolId ? -1 : a.toolId > b.toolId ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Holds up to `window` calls of one session, sorted by {@link callOrder}, so calls that ran
 * concurrently are counted in start order. A fixed ring: inserting shifts at most the calls
 * that started later, releasing the oldest is index arithmetic (no `shift()`).
 * @internal
 */
export class CallReorderBuffer {
  readonly #slots: (ToolExecutionMetrics | undefined)[];
  /** Each held call's normalised error text, when its sender prepared one. */
  readonly #texts: (string | undefined)[];
  #head = 0;
  /** The error text of the call {@link push} last released. */
  releasedText: string | undefined;
  #count = 0;

  constructor(readonly window: number) {
    this.#slots = new Array<ToolExecutionMetrics | undefined>(window + 1);
    this.#texts = new Array<string | undefined>(window + 1);
  }

  get size(): number {
    return this.#count;
  }

  /**
   * Adds a call (with its error text, if prepared) in order; returns the earliest call when the
   * buffer holds more than `window` (its text in {@link releasedText}), else `undefined`.
   */
  push(call: ToolExecutionMetrics, text?: string): ToolExecutionMetrics | undefined {
    let i = this.#count;
    while (i > 0) {
      const from = this.#wrap(this.#head + i - 1);
      const before = this.#slots[from]!;
      if (callOrder(before, call) <= 0) break;
      const to = this.#wrap(this.#head + i);
      this.#slots[to] = before;
      this.#texts[to] = this.#texts[from];
      i--;
    }
    const at = this.#wrap(this.#head + i);
    this.#slots[at] = call;
    this.#texts[at] = text;
    this.#count++;
    return this.#count > this.window ? this.#popOldest() : undefined;
  }

  /** Releases every held call, oldest first, with its error text. */
  drain(each: (call: ToolExecutionMetrics, text: string | undefined) => void): void {
    while (this.#count > 0) {
      const call = this.#popOldest();
      each(call, this.releasedText);
    }
  }

  /** `index % capacity` for an index below twice the capacity, without an integer division. */
  #wrap(index: number): number {
    const capacity = this.#slots.length;
    return index >= capacity ? index - capacity : index;
  }

  #popOldest(): ToolExecutionMetrics {
    const call = this.#slots[this.#head]!;
    this.releasedText = this.#texts[this.#head];
    this.#texts[this.#head] = undefined;
    this.#slots[this.#head] = undefined;
    this.#head = this.#wrap(this.#head + 1);
    this.#count--;
    return call;
  }
}
