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
  #head = 0;
  #count = 0;

  constructor(readonly window: number) {
    this.#slots = new Array<ToolExecutionMetrics | undefined>(window + 1);
  }

  get size(): number {
    return this.#count;
  }

  /** Adds a call in order; returns the earliest call when the buffer holds more than `window`, else `undefined`. */
  push(call: ToolExecutionMetrics): ToolExecutionMetrics | undefined {
    const capacity = this.#slots.length;
    let i = this.#count;
    while (i > 0) {
      const before = this.#slots[(this.#head + i - 1) % capacity]!;
      if (callOrder(before, call) <= 0) break;
      this.#slots[(this.#head + i) % capacity] = before;
      i--;
    }
    this.#slots[(this.#head + i) % capacity] = call;
    this.#count++;
    return this.#count > this.window ? this.#popOldest() : undefined;
  }

  /** Releases every held call, oldest first. */
  drain(each: (call: ToolExecutionMetrics) => void): void {
    while (this.#count > 0) each(this.#popOldest());
  }

  #popOldest(): ToolExecutionMetrics {
    const call = this.#slots[this.#head]!;
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#slots.length;
    this.#count--;
    return call;
  }
}
