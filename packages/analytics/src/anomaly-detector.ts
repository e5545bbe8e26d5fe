import { isTimed, isUsableRecord, type MetricsSubscriber, type ToolExecutionMetrics } from '@perftrack/core';
import { checkOptionKeys } from '@perftrack/core/internal';
import { ingestPrepared } from './prepared-ingest';

/** A latency far above the tool's recent typical latency. */
export interface LatencyAnomaly {
  readonly kind: 'latency';
  readonly toolId: string;
  readonly sessionId: string;
  readonly recordId: string;
  /** Epoch ms (the call's end). */
  readonly at: number;
  /** The call's duration, ms. */
  readonly value: number;
  /** The tool's typical (median) latency when the call came, ms. */
  readonly expected: number;
  /** Robust z-score: distance from the median in MADs, on log latency. */
  readonly score: number;
}

/** Many more failures in a tool's last calls than its baseline error rate explains. */
export interface ErrorBurstAnomaly {
  readonly kind: 'error-burst';
  readonly toolId: string;
  readonly sessionId: string;
  readonly recordId: string;
  readonly at: number;
  /** Failures among the last `window` calls. */
  readonly failures: number;
  readonly window: number;
  /** The tool's long-run error rate before the burst. */
  readonly baselineRate: number;
  /** Chance of at least this many failures at the baseline rate (binomial tail). */
  readonly pValue: number;
}

/** A tool whose calls keep growing the heap. */
export interface MemoryGrowthAnomaly {
  readonly kind: 'memory-growth';
  readonly toolId: string;
  readonly sessionId: string;
  readonly recordId: string;
  readonly at: number;
  /** Calls looked at (the last `memoryWindow` with a heap delta). */
  readonly window: number;
  /** Share of them that grew the heap. */
  readonly growingShare: number;
  /** Sum of their heap deltas, bytes. */
  readonly totalBytes: number;
  /** Sign test: chance of this many growing calls if growth and shrinkage were equally likely. */
  readonly pValue: number;
}

/** Something unusual about a tool, with the numbers that show it. */
export type Anomaly = LatencyAnomaly | ErrorBurstAnomaly | MemoryGrowthAnomaly;

/** Options of an {@link AnomalyDetector}. */
export interface AnomalyDetectorOptions {
  /** Called for each anomaly, off nothing but the detector's own path (errors it throws are swallowed and counted). */
  onAnomaly?: (anomaly: Anomaly) => void;
  /** Robust z-score above which a latency is anomalous. Default `5`. */
  latencyThreshold?: number;
  /**
   * Smallest latency change (call duration minus the tool's typical latency), in ms, that can
   * be an anomaly, however unusual it is statistically: a microsecond tool that takes 2 µs
   * instead of 1 µs is noise to a user. Default `1`.
   */
  minLatencyChangeMs?: number;
  /**
   * Smallest latency change that can be an anomaly, as a share of the tool's typical (p50)
   * latency. A call is judged only when it exceeds the typical latency by at least
   * `max(minLatencyChangeMs, minLatencyChangeShare × p50)`. Default `0.5` (50% slower).
   */
  minLatencyChangeShare?: number;
  /** Timed calls of a tool before its latencies are judged (the evidence a baseline needs). Default `30`. */
  warmup?: number;
  /** Weight of each new window summary in the median/MAD baseline (EWMA). Default `0.2`. */
  smoothing?: number;
  /** Calls in the error-burst window. Default `20`. */
  burstWindow?: number;
  /** Fewest failures in the window to call a burst. Default `4`. */
  burstMinFailures?: number;
  /** Binomial tail probability below which the window's failures are a burst. Default `1e-4`. */
  burstPValue?: number;
  /** Calls with a heap delta looked at for growth. Default `64`. */
  memoryWindow?: number;
  /** Least growth (bytes, summed over the window) worth reporting. Default 1 MiB. */
  memoryMinBytes?: number;
  /** Tools followed (least recently seen forgotten first). Default `200`. */
  maxTools?: number;
  /** Anomalies kept for {@link AnomalyDetector.recent}. Default `100`. */
  maxRecent?: number;
}

const WINDOW = 32;
/** Summaries are folded into the baseline every this many accepted values. */
const STEP = 8;
const MAD_TO_SIGMA = 1.4826;

class ToolState {
  // latency: log-durations of the last WINDOW calls (anomalous ones winsorised)
  readonly logs = new Float64Array(WINDOW);
  logCount = 0;
  sinceFold = 0;
  center = 0;
  spread = 0;
  timed = 0;
  // errors: outcomes of the last burstWindow calls (1 = failure), as a ring
  readonly outcomes: Uint8Array;
  outcomeCount = 0;
  windowFailures = 0;
  calls = 0;
  failures = 0;
  /** Calls left before another burst may be reported. */
  burstCooldown = 0;
  // memory: the last memoryWindow heap deltas
  readonly mem: Float64Array;
  memCount = 0;
  memCooldown = 0;

  constructor(burstWindow: number, memoryWindow: number) {
    this.outcomes = new Uint8Array(burstWindow);
    this.mem = new Float64Array(memoryWindow);
  }
}

function median(xs: Float64Array, n: number, scratch: Float64Array): number {
  for (let i = 0; i < n; i++) scratch[i] = xs[i]!;
  const view = scratch.subarray(0, n).sort();
  return n % 2 === 1 ? view[(n - 1) >> 1]! : (view[n / 2 - 1]! + view[n / 2]!) / 2;
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialTail(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  // sum the pmf from k up, starting from pmf(k) computed in logs
  let logC = 0;
  for (let i = 1; i <= k; i++) logC += Math.log((n - k + i) / i);
  let term = Math.exp(logC + k * Math.log(p) + (n - k) * Math.log(1 - p));
  let sum = 0;
  for (let x = k; x <= n; x++) {
    sum += term;
    term *= ((n - x) / (x + 1)) * (p / (1 - p));
  }
  return Math.min(1, sum);
}

/**
 * Streaming, per-tool anomaly detection (a core subscriber):
 * - **latency**: each timed call is scored against a robust baseline of the tool's log latency,
 *   an EWMA of the median and MAD of its recent calls (not mean/stddev, which one outlier
 *   drags). Above `latencyThreshold` robust z, and slower than typical by at least
 *   `max(minLatencyChangeMs, minLatencyChangeShare × p50)`, it is an anomaly (after `warmup` calls). Anomalous values enter the
 *   window clipped to the threshold, so a lasting shift is learnt while spikes barely move it.
 * - **error bursts**: the failures among a tool's last `burstWindow` calls are tested against its
 *   long-run error rate (binomial tail); one report per burst.
 * - **memory growth**: the heap deltas of a tool's last `memoryWindow` calls; a sign test that
 *   they grow the heap far more often than not, and at least `memoryMinBytes` in all.
 *
 * State is bounded: `maxTools` tools × fixed windows, and `maxRecent` anomalies.
 *
 * @example
 * const detector = new AnomalyDetector({ onAnomaly: (a) => console.warn(a.kind, a.toolId) });
 * collector.subscribe(detector);
 */
export class AnomalyDetector implements MetricsSubscriber {
  readonly #o: Required<Omit<AnomalyDetectorOptions, 'onAnomaly'>>;
  readonly #onAnomaly: ((a: Anomaly) => void) | undefined;
  readonly #tools = new Map<string, ToolState>();
  readonly #scratch = new Float64Array(WINDOW);
  readonly #dev = new Float64Array(WINDOW);
  #recent: Anomaly[] = [];
  #counts = { latency: 0, 'error-burst': 0, 'memory-growth': 0 };
  #callbackErrors = 0;
  #records = 0;

  constructor(options: AnomalyDetectorOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('AnomalyDetector: options must be an object');
    checkOptionKeys(
      options,
      [
        'onAnomaly',
        'latencyThreshold',
        'minLatencyChangeMs',
        'minLatencyChangeShare',
        'warmup',
        'smoothing',
        'burstWindow',
        'burstMinFailures',
        'burstPValue',
        'memoryWindow',
        'memoryMinBytes',
        'maxTools',
        'maxRecent',
      ],
      'AnomalyDetector',
    );
    if (options.onAnomaly !== undefined && typeof options.onAnomaly !== 'function')
      throw new TypeError('AnomalyDetector: onAnomaly must be a function');
    const num = (name: keyof AnomalyDetectorOptions, fallback: number, min: number, max: number, integer: boolean): number => {
      const v = options[name] ?? fallback;
      if (typeof v !== 'number' || !(v >= min && v <= max) || (integer && !Number.isInteger(v))) {
        throw new TypeError(
          `AnomalyDetector: ${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${String(v)}`,
        );
      }
      return v;
    };
    this.#onAnomaly = options.onAnomaly;
    this.#o = {
      latencyThreshold: num('latencyThreshold', 5, 1, 1000, false),
      minLatencyChangeMs: num('minLatencyChangeMs', 1, 0, Number.MAX_SAFE_INTEGER, false),
      minLatencyChangeShare: num('minLatencyChangeShare', 0.5, 0, 1000, false),
      warmup: num('warmup', 30, WINDOW / 2, 100_000, true),
      smoothing: num('smoothing', 0.2, 0.001, 1, false),
      burstWindow: num('burstWindow', 20, 5, 10_000, true),
      burstMinFailures: num('burstMinFailures', 4, 1, 10_000, true),
      burstPValue: num('burstPValue', 1e-4, 1e-12, 0.5, false),
      memoryWindow: num('memoryWindow', 64, 8, 100_000, true),
      memoryMinBytes: num('memoryMinBytes', 1_048_576, 0, Number.MAX_SAFE_INTEGER, false),
      maxTools: num('maxTools', 200, 1, 1_000_000, true),
      maxRecent: num('maxRecent', 100, 1, 1_000_000, true),
    };
  }

  /** Looks at one record (subscriber entry point); malformed records are ignored. */
  onMetric(m: ToolExecutionMetrics): void {
    if (!isUsableRecord(m)) return;
    this[ingestPrepared](m);
  }

  /** @internal A record its engine already checked as usable. */
  [ingestPrepared](m: ToolExecutionMetrics): void {
    this.#records++;
    let s = this.#tools.get(m.toolId);
    if (s === undefined) {
      s = new ToolState(this.#o.burstWindow, this.#o.memoryWindow);
      if (this.#tools.size >= this.#o.maxTools) this.#tools.delete(this.#tools.keys().next().value as string);
    } else this.#tools.delete(m.toolId);
    this.#tools.set(m.toolId, s); // most recently seen last
    if (isTimed(m)) this.#latency(s, m);
    this.#errors(s, m);
    if (typeof m.memoryUsed === 'number' && Number.isFinite(m.memoryUsed)) this.#memory(s, m);
  }

  #latency(s: ToolState, m: ToolExecutionMetrics): void {
    const x = Math.log(Math.max(m.duration, 1e-3));
    s.timed++;
    let value = x;
    if (s.timed > this.#o.warmup && s.spread > 0) {
      const sigma = MAD_TO_SIGMA * s.spread;
      const z = (x - s.center) / sigma;
      if (z > this.#o.latencyThreshold) {
        const expected = Math.exp(s.center);
        // an absolute floor: statistically rare is not enough, the change must matter to a user
        const floor = Math.max(this.#o.minLatencyChangeMs, this.#o.minLatencyChangeShare * expected);
        if (m.duration - expected >= floor) {
          this.#emit({
            kind: 'latency',
            toolId: m.toolId,
            sessionId: m.sessionId,
            recordId: m.id,
            at: m.endTime,
            value: m.duration,
            expected,
            score: z,
          });
        }
      }
      // winsorise: a spike barely moves the baseline, a lasting shift still does
      const limit = this.#o.latencyThreshold * sigma;
      value = Math.min(Math.max(x, s.center - limit), s.center + limit);
    }
    s.logs[s.logCount % WINDOW] = value;
    s.logCount++;
    s.sinceFold++;
    const n = Math.min(s.logCount, WINDOW);
    if (s.sinceFold >= STEP && n >= WINDOW / 2) {
      s.sinceFold = 0;
      const med = median(s.logs, n, this.#scratch);
      const dev = this.#dev;
      for (let i = 0; i < n; i++) dev[i] = Math.abs(s.logs[i]! - med);
      // the MAD of a window of near-identical values is 0: floor it at 1% of a log unit
      const mad = Math.max(median(dev, n, this.#scratch), 0.01);
      if (s.spread === 0) {
        s.center = med;
        s.spread = mad;
      } else {
        const a = this.#o.smoothing;
        s.center += a * (med - s.center);
        s.spread += a * (mad - s.spread);
      }
    }
  }

  #errors(s: ToolState, m: ToolExecutionMetrics): void {
    const w = this.#o.burstWindow;
    const failed = m.success !== true ? 1 : 0;
    const slot = s.outcomeCount % w;
    if (s.outcomeCount >= w) s.windowFailures -= s.outcomes[slot]!;
    s.outcomes[slot] = failed;
    s.windowFailures += failed;
    s.outcomeCount++;
    if (s.burstCooldown > 0) s.burstCooldown--;
    // the baseline is the rate before this window, so a burst does not explain itself
    const before = s.calls - Math.min(s.outcomeCount - 1, w - 1);
    const failedBefore = s.failures - (s.windowFailures - failed);
    s.calls++;
    s.failures += failed;
    if (!failed || s.burstCooldown > 0 || s.windowFailures < this.#o.burstMinFailures) return;
    // a prior of one failure in 50 calls keeps a short clean history from making every failure a burst
    const baseline = (failedBefore + 1) / (before + 50);
    const n = Math.min(s.outcomeCount, w);
    const p = binomialTail(n, s.windowFailures, baseline);
    if (p < this.#o.burstPValue) {
      s.burstCooldown = w;
      this.#emit({
        kind: 'error-burst',
        toolId: m.toolId,
        sessionId: m.sessionId,
        recordId: m.id,
        at: m.endTime,
        failures: s.windowFailures,
        window: n,
        baselineRate: baseline,
        pValue: p,
      });
    }
  }

  #memory(s: ToolState, m: ToolExecutionMetrics): void {
    const w = this.#o.memoryWindow;
    s.mem[s.memCount % w] = m.memoryUsed!;
    s.memCount++;
    if (s.memCooldown > 0) {
      s.memCooldown--;
      return;
    }
    if (s.memCount < w) return;
    let growing = 0;
    let total = 0;
    for (let i = 0; i < w; i++) {
      const d = s.mem[i]!;
      if (d > 0) growing++;
      total += d;
    }
    if (total < this.#o.memoryMinBytes) return;
    const p = binomialTail(w, growing, 0.5);
    if (p < 1e-4) {
      s.memCooldown = w;
      this.#emit({
        kind: 'memory-growth',
        toolId: m.toolId,
        sessionId: m.sessionId,
        recordId: m.id,
        at: m.endTime,
        window: w,
        growingShare: growing / w,
        totalBytes: total,
        pValue: p,
      });
    }
  }

  #emit(a: Anomaly): void {
    this.#counts[a.kind]++;
    this.#recent.push(a);
    if (this.#recent.length > 2 * this.#o.maxRecent) this.#recent = this.#recent.slice(-this.#o.maxRecent);
    if (this.#onAnomaly) {
      try {
        this.#onAnomaly(a);
      } catch {
        this.#callbackErrors++;
      }
    }
  }

  /** The latest anomalies, newest first. */
  recent(limit = this.#o.maxRecent): Anomaly[] {
    return this.#recent.slice(-Math.min(limit, this.#o.maxRecent)).reverse();
  }

  /** Counters. */
  stats(): {
    records: number;
    tools: number;
    anomalies: { latency: number; 'error-burst': number; 'memory-growth': number };
    callbackErrors: number;
  } {
    return { records: this.#records, tools: this.#tools.size, anomalies: { ...this.#counts }, callbackErrors: this.#callbackErrors };
  }

  /** Forgets everything. */
  reset(): void {
    this.#tools.clear();
    this.#recent = [];
    this.#counts = { latency: 0, 'error-burst': 0, 'memory-growth': 0 };
    this.#callbackErrors = 0;
    this.#records = 0;
  }
}
