import type { MetricsSubscriber, ToolExecutionMetrics } from '../api/types';

/**
 * A subscriber that keeps records in memory, for tests. Bounded: past `max` records (default
 * 100,000) the oldest are discarded and counted in {@link dropped}.
 */
export class InMemorySubscriber implements MetricsSubscriber {
  readonly #max: number;
  #records: ToolExecutionMetrics[] = [];
  #start = 0;
  /** Records discarded because more than `max` arrived. */
  dropped = 0;
  /** Times {@link flush} was called. */
  flushes = 0;
  /** Whether {@link shutdown} was called. */
  isShutdown = false;

  constructor(options: { max?: number } = {}) {
    const max = options.max ?? 100_000;
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`InMemorySubscriber: max must be a positive integer, got ${String(max)}`);
    this.#max = max;
  }

  onMetric(metric: ToolExecutionMetrics): void {
    this.#records.push(metric);
    if (this.#records.length - this.#start > this.#max) {
      this.#start++;
      this.dropped++;
      // compact occasionally instead of shift()ing on every record
      if (this.#start >= this.#max) {
        this.#records = this.#records.slice(this.#start);
        this.#start = 0;
      }
    }
  }

  /** Records received, oldest first. */
  get records(): readonly ToolExecutionMetrics[] {
    return this.#start === 0 ? this.#records : this.#records.slice(this.#start);
  }

  async flush(): Promise<void> {
    this.flushes++;
  }

  async shutdown(): Promise<void> {
    this.isShutdown = true;
  }

  /** Forgets every record. */
  clear(): void {
    this.#records = [];
    this.#start = 0;
    this.dropped = 0;
  }
}
