import { isTimed, isUsableRecord, weightOf, type MetricsSubscriber, type ToolExecutionMetrics } from '@perftrack/core';
import { checkInteger, checkOptionKeys, foldToolId } from '@perftrack/core/internal';
import { QuantileSketch } from './quantile-sketch';

/** Options of a {@link ToolTimeline}. */
export interface ToolTimelineOptions {
  /** Width of one time bucket, ms. Default `1000`. */
  bucketMs?: number;
  /** Buckets kept (the window is `bucketMs × maxBuckets`); older ones are recycled. Default `300`. */
  maxBuckets?: number;
  /** Distinct tools kept; later ones are counted under `"(other)"`. Default `50`. */
  maxTools?: number;
  /** Relative accuracy of each bucket's p95. Default `0.02`. */
  quantileRelativeError?: number;
}

/** One tool's series in a {@link TimelineSeries}, aligned with its `times`. */
export interface ToolSeries {
  readonly toolId: string;
  /** Estimated calls per second in each bucket (sample-weighted). */
  readonly callsPerSecond: readonly number[];
  /** p95 latency (ms) of the bucket's timed calls; `null` when there were none. */
  readonly p95: readonly (number | null)[];
  /** Estimated failed calls in each bucket. */
  readonly failures: readonly number[];
  /** Estimated calls over the whole window. */
  readonly totalCalls: number;
}

/** What {@link ToolTimeline.series} returns: plain data, safe to JSON-serialise. */
export interface TimelineSeries {
  readonly bucketMs: number;
  /** Start of each bucket, epoch ms, oldest first (every bucket of the window, empty ones too). */
  readonly times: readonly number[];
  /** Most called first. */
  readonly tools: readonly ToolSeries[];
  /** Records older than the window when they arrived (not counted). */
  readonly late: number;
}

class Cell {
  calls = 0;
  failures = 0;
  sketch: QuantileSketch | undefined;
}

class ToolRow {
  readonly cells: (Cell | undefined)[];
  constructor(n: number) {
    this.cells = new Array<Cell | undefined>(n);
  }
}

/**
 * Per-tool calls per second, p95 latency and failures over time, in fixed-width buckets of the
 * records' end times: the series a live chart draws. A subscriber; memory is bounded by
 * `maxTools × maxBuckets` cells, each with a small quantile sketch, and buckets are recycled as
 * time moves on. Records arriving out of order land in their own bucket while it is in the window.
 *
 * @example
 * const timeline = new ToolTimeline({ bucketMs: 1000, maxBuckets: 120 });
 * collector.subscribe(timeline);
 * const { times, tools } = timeline.series({ limit: 6 });
 */
export class ToolTimeline implements MetricsSubscriber {
  readonly bucketMs: number;
  readonly maxBuckets: number;
  readonly #maxTools: number;
  readonly #accuracy: number;
  readonly #rows = new Map<string, ToolRow>();
  /** Absolute bucket number (`floor(t / bucketMs)`) held by each slot. */
  readonly #slotBucket: Float64Array;
  /** Newest absolute bucket seen; -Infinity when empty. */
  #newest = -Infinity;
  #late = 0;

  constructor(options: ToolTimelineOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('ToolTimeline: options must be an object');
    checkOptionKeys(options, ['bucketMs', 'maxBuckets', 'maxTools', 'quantileRelativeError'], 'ToolTimeline');
    const int = (name: string, value: unknown, min: number, max: number): number => checkInteger('ToolTimeline', name, value, min, max);
    this.bucketMs = int('bucketMs', options.bucketMs ?? 1000, 1, 86_400_000);
    this.maxBuckets = int('maxBuckets', options.maxBuckets ?? 300, 1, 100_000);
    this.#maxTools = int('maxTools', options.maxTools ?? 50, 2, 10_000);
    const accuracy = options.quantileRelativeError ?? 0.02;
    if (typeof accuracy !== 'number' || !(accuracy > 0 && accuracy < 0.5))
      throw new TypeError(`ToolTimeline: quantileRelativeError must be a number in (0, 0.5), got ${String(accuracy)}`);
    this.#accuracy = accuracy;
    this.#slotBucket = new Float64Array(this.maxBuckets).fill(-1);
  }

  /** Counts one record (subscriber entry point); malformed records are ignored. */
  onMetric(m: ToolExecutionMetrics): void {
    if (!isUsableRecord(m)) return;
    const bucket = Math.floor(m.endTime / this.bucketMs);
    if (!Number.isFinite(bucket)) return;
    if (bucket > this.#newest) this.#newest = bucket;
    else if (bucket <= this.#newest - this.maxBuckets) {
      this.#late++;
      return;
    }
    const slot = bucket % this.maxBuckets;
    if (this.#slotBucket[slot] !== bucket) this.#recycle(slot, bucket);
    let row = this.#rows.get(m.toolId);
    if (row === undefined) {
      const key = foldToolId(this.#rows, m.toolId, this.#maxTools);
      row = this.#rows.get(key);
      if (row === undefined) {
        row = new ToolRow(this.maxBuckets);
        this.#rows.set(key, row);
      }
    }
    const cell = (row.cells[slot] ??= new Cell());
    const w = weightOf(m);
    cell.calls += w;
    if (m.success !== true) cell.failures += w;
    if (isTimed(m)) (cell.sketch ??= new QuantileSketch({ relativeAccuracy: this.#accuracy, maxBins: 256 })).add(m.duration, w);
  }

  #recycle(slot: number, bucket: number): void {
    this.#slotBucket[slot] = bucket;
    for (const row of this.#rows.values()) {
      const cell = row.cells[slot];
      if (cell === undefined) continue;
      cell.calls = 0;
      cell.failures = 0;
      cell.sketch?.reset();
    }
  }

  /**
   * The window's series, ending at the newest bucket seen (or at `until`, epoch ms, so a chart
   * keeps moving while no call arrives). `limit` keeps the most called tools (default all);
   * `tools` picks tools by id.
   */
  series(options: { limit?: number; tools?: readonly string[]; until?: number } = {}): TimelineSeries {
    let newest = this.#newest;
    if (options.until !== undefined) newest = Math.max(newest, Math.floor(options.until / this.bucketMs));
    if (!Number.isFinite(newest)) return { bucketMs: this.bucketMs, times: [], tools: [], late: this.#late };
    const n = this.maxBuckets;
    const first = newest - n + 1;
    const times: number[] = [];
    for (let b = first; b <= newest; b++) times.push(b * this.bucketMs);
    const perSecond = 1000 / this.bucketMs;
    const tools: ToolSeries[] = [];
    for (const [toolId, row] of this.#rows) {
      if (options.tools && !options.tools.includes(toolId)) continue;
      const callsPerSecond: number[] = [];
      const p95: (number | null)[] = [];
      const failures: number[] = [];
      let totalCalls = 0;
      for (let b = first; b <= newest; b++) {
        const slot = ((b % n) + n) % n;
        const cell = this.#slotBucket[slot] === b ? row.cells[slot] : undefined;
        const calls = cell?.calls ?? 0;
        totalCalls += calls;
        callsPerSecond.push(calls * perSecond);
        failures.push(cell?.failures ?? 0);
        p95.push(cell?.sketch && cell.sketch.count > 0 ? cell.sketch.quantile(0.95) : null);
      }
      if (totalCalls > 0) tools.push({ toolId, callsPerSecond, p95, failures, totalCalls });
    }
    tools.sort((a, b) => b.totalCalls - a.totalCalls || (a.toolId < b.toolId ? -1 : 1));
    const limit = options.limit ?? tools.length;
    return { bucketMs: this.bucketMs, times, tools: tools.slice(0, limit), late: this.#late };
  }

  /** Forgets everything. */
  reset(): void {
    this.#rows.clear();
    this.#slotBucket.fill(-1);
    this.#newest = -Infinity;
    this.#late = 0;
  }
}
