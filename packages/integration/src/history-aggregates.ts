import { QuantileSketch } from '@perftrack/analytics';
import type { ToolExecutionMetrics } from '@perftrack/core';
import type { SessionAggregate, ToolAggregate, TransitionAggregate } from '@perftrack/storage';

/** Timed durations per tool kept exactly (nearest-rank percentiles); beyond, a 0.5% sketch. */
export const DEFAULT_MAX_EXACT_DURATIONS = 10_000;
/** Distinct error types counted per tool; beyond, further types are not ranked. */
const MAX_ERROR_TYPES = 1024;
const TOP_ERRORS = 5;

/** Options of {@link HistoryAggregator}. */
export interface HistoryAggregatorOptions {
  /** Sessions kept in the answer (most recently active first). Default: all. */
  readonly sessionsLimit?: number;
  /** Transitions kept in the answer (most frequent first). Default: all. */
  readonly transitionsLimit?: number;
  /**
   * Timed records per tool whose durations are kept to give exact nearest-rank percentiles;
   * past this a tool's percentiles come from a sketch with 0.5% relative accuracy, so memory
   * stays bounded. Default 10,000.
   */
  readonly maxExactDurations?: number;
}

/** The four answers of the storage query seam, computed in one pass. */
export interface HistoryAggregates {
  readonly tools: ToolAggregate[];
  readonly sessions: SessionAggregate[];
  readonly transitions: TransitionAggregate[];
  readonly records: number;
}

class ToolTally {
  records = 0;
  calls = 0;
  failures = 0;
  timedRecords = 0;
  timedWeight = 0;
  totalDurationMs = 0;
  firstTime = Infinity;
  lastTime = -Infinity;
  durations: Float64Array | undefined = new Float64Array(16);
  sketch: QuantileSketch | undefined;
  readonly errors = new Map<string, number>();

  constructor(
    readonly toolId: string,
    readonly index: number,
  ) {}

  addDuration(ms: number, maxExact: number): void {
    const n = this.timedRecords; // already counted this record
    let d = this.durations;
    if (d !== undefined && n > maxExact) {
      // too many to keep: from here on a bounded sketch, fed what was kept
      const sketch = new QuantileSketch({ relativeAccuracy: 0.005 });
      for (let i = 0; i < n - 1; i++) sketch.add(d[i]!);
      this.sketch = sketch;
      this.durations = d = undefined;
    }
    if (d === undefined) {
      this.sketch!.add(ms);
      return;
    }
    if (n > d.length) {
      const grown = new Float64Array(Math.min(Math.max(d.length * 2, 16), maxExact + 1));
      grown.set(d);
      this.durations = d = grown;
    }
    d[n - 1] = ms;
  }

  percentiles(): { p50Ms?: number; p95Ms?: number; p99Ms?: number } {
    const n = this.timedRecords;
    if (n === 0) return {};
    if (this.sketch !== undefined)
      return { p50Ms: this.sketch.quantile(0.5), p95Ms: this.sketch.quantile(0.95), p99Ms: this.sketch.quantile(0.99) };
    const sorted = this.durations!.subarray(0, n).slice().sort();
    // nearest rank, as SQL's percentile_disc: the smallest value with at least p·n values at or below it
    const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * n) - 1)]!;
    return { p50Ms: rank(0.5), p95Ms: rank(0.95), p99Ms: rank(0.99) };
  }

  toAggregate(): ToolAggregate {
    const topErrors = [...this.errors]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, TOP_ERRORS)
      .map(([errorType, count]) => ({ errorType, count }));
    return {
      toolId: this.toolId,
      records: this.records,
      calls: this.calls,
      failures: this.failures,
      errorRate: this.calls > 0 ? this.failures / this.calls : 0,
      timedRecords: this.timedRecords,
      totalDurationMs: this.totalDurationMs,
      meanDurationMs: this.timedWeight > 0 ? this.totalDurationMs / this.timedWeight : 0,
      ...this.percentiles(),
      firstTime: this.firstTime,
      lastTime: this.lastTime,
      topErrors,
    };
  }
}

const bySessionRecency = (a: SessionAggregate, b: SessionAggregate) =>
  b.lastTime - a.lastTime || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0);

/**
 * Computes what the storage query seam (`HistoryQuery`) answers, from records streamed one
 * session at a time (as a replay gives them), in one pass: per-tool figures, per-session
 * figures, tool-to-tool transitions and the record count, with exactly the seam's definitions
 * (weighted calls and failures, untimed records out of durations, nearest-rank percentiles,
 * transitions in `startTime` order).
 *
 * Memory: one entry per tool and per tool pair, the answer's sessions (bounded by
 * `sessionsLimit`), and the session being read (three numbers per record); never the whole history.
 */
export class HistoryAggregator {
  readonly #tools = new Map<string, ToolTally>();
  readonly #byIndex: ToolTally[] = [];
  readonly #transitions = new Map<number, Map<number, { count: number; failures: number }>>();
  #sessions: SessionAggregate[] = [];
  readonly #sessionsLimit: number;
  readonly #transitionsLimit: number;
  readonly #maxExact: number;
  #records = 0;
  // the session being read: tool index, start time and outcome of each record, in stored order
  #session: string | undefined;
  #tool = new Int32Array(64);
  #start = new Float64Array(64);
  #failed = new Uint8Array(64);
  #length = 0;
  #calls = 0;
  #failures = 0;
  #first = Infinity;
  #last = -Infinity;

  constructor(options: HistoryAggregatorOptions = {}) {
    const limit = (name: string, v: number | undefined, fallback: number): number => {
      if (v === undefined) return fallback;
      if (!Number.isInteger(v) || v < 0) throw new TypeError(`HistoryAggregator: ${name} must be an integer >= 0, got ${String(v)}`);
      return v;
    };
    this.#sessionsLimit = limit('sessionsLimit', options.sessionsLimit, Infinity);
    this.#transitionsLimit = limit('transitionsLimit', options.transitionsLimit, Infinity);
    this.#maxExact = limit('maxExactDurations', options.maxExactDurations, DEFAULT_MAX_EXACT_DURATIONS);
  }

  /** One record; records of a session must arrive together. */
  add(m: ToolExecutionMetrics): void {
    if (m.sessionId !== this.#session) this.#closeSession();
    this.#session = m.sessionId;
    this.#records++;
    let tally = this.#tools.get(m.toolId);
    if (tally === undefined) {
      tally = new ToolTally(m.toolId, this.#byIndex.length);
      this.#tools.set(m.toolId, tally);
      this.#byIndex.push(tally);
    }
    const weight = m.sampleWeight;
    const failed = m.success !== true;
    tally.records++;
    tally.calls += weight;
    if (m.startTime < tally.firstTime) tally.firstTime = m.startTime;
    if (m.endTime > tally.lastTime) tally.lastTime = m.endTime;
    if (failed) {
      tally.failures += weight;
      const type = typeof m.errorType === 'string' && m.errorType !== '' ? m.errorType : 'Error';
      const seen = tally.errors.get(type);
      if (seen !== undefined) tally.errors.set(type, seen + 1);
      else if (tally.errors.size < MAX_ERROR_TYPES) tally.errors.set(type, 1);
    }
    if (m.untimed !== true) {
      tally.timedRecords++;
      tally.timedWeight += weight;
      tally.totalDurationMs += m.duration * weight;
      tally.addDuration(m.duration, this.#maxExact);
    }
    this.#pushSessionRecord(tally.index, m.startTime, failed);
    this.#calls += weight;
    if (failed) this.#failures += weight;
    if (m.startTime < this.#first) this.#first = m.startTime;
    if (m.endTime > this.#last) this.#last = m.endTime;
  }

  #pushSessionRecord(tool: number, start: number, failed: boolean): void {
    if (this.#length === this.#tool.length) {
      const size = this.#length * 2;
      const tools = new Int32Array(size);
      tools.set(this.#tool);
      const starts = new Float64Array(size);
      starts.set(this.#start);
      const fails = new Uint8Array(size);
      fails.set(this.#failed);
      this.#tool = tools;
      this.#start = starts;
      this.#failed = fails;
    }
    this.#tool[this.#length] = tool;
    this.#start[this.#length] = start;
    this.#failed[this.#length] = failed ? 1 : 0;
    this.#length++;
  }

  #closeSession(): void {
    const sessionId = this.#session;
    if (sessionId === undefined) return;
    const n = this.#length;
    const start = this.#start;
    let order: number[] | undefined;
    for (let i = 1; i < n; i++) {
      if (start[i]! < start[i - 1]!) {
        // stored out of start order (calls that overlapped): a stable sort, ties in stored order
        order = Array.from({ length: n }, (_, k) => k).sort((a, b) => start[a]! - start[b]! || a - b);
        break;
      }
    }
    const at = (k: number) => (order === undefined ? k : order[k]!);
    const tools = new Set<number>();
    for (let k = 0; k < n; k++) {
      const i = at(k);
      tools.add(this.#tool[i]!);
      if (k === 0) continue;
      const from = this.#tool[at(k - 1)]!;
      let row = this.#transitions.get(from);
      if (row === undefined) this.#transitions.set(from, (row = new Map()));
      const to = this.#tool[i]!;
      const cell = row.get(to) ?? { count: 0, failures: 0 };
      cell.count++;
      cell.failures += this.#failed[i]!;
      row.set(to, cell);
    }
    this.#sessions.push({
      sessionId,
      records: n,
      calls: this.#calls,
      failures: this.#failures,
      tools: tools.size,
      firstTime: this.#first,
      lastTime: this.#last,
    });
    if (this.#sessions.length > 2 * this.#sessionsLimit + 64)
      this.#sessions = this.#sessions.sort(bySessionRecency).slice(0, this.#sessionsLimit);
    this.#session = undefined;
    this.#length = 0;
    this.#calls = this.#failures = 0;
    this.#first = Infinity;
    this.#last = -Infinity;
    if (this.#tool.length > 1 << 16) {
      // a huge session is over: do not keep its buffers for the next one
      this.#tool = new Int32Array(64);
      this.#start = new Float64Array(64);
      this.#failed = new Uint8Array(64);
    }
  }

  /** The answers for every record added. */
  result(): HistoryAggregates {
    this.#closeSession();
    const names = this.#byIndex;
    const transitions: TransitionAggregate[] = [];
    for (const [from, row] of this.#transitions)
      for (const [to, cell] of row)
        transitions.push({ from: names[from]!.toolId, to: names[to]!.toolId, count: cell.count, failures: cell.failures });
    transitions.sort((a, b) => b.count - a.count || (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
    return {
      tools: this.#byIndex
        .map((t) => t.toAggregate())
        .sort((a, b) => b.calls - a.calls || (a.toolId < b.toolId ? -1 : a.toolId > b.toolId ? 1 : 0)),
      sessions: this.#sessions.sort(bySessionRecency).slice(0, this.#sessionsLimit),
      transitions: transitions.slice(0, this.#transitionsLimit),
      records: this.#records,
    };
  }
}
