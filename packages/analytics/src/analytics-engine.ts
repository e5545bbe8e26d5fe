import { isTimed, isUsableRecord, weightOf, type MetricsSubscriber, type ToolExecutionMetrics } from '@perftrack/core';
import { AnomalyDetector, type AnomalyDetectorOptions } from './anomaly-detector';
import { addCost, compileCostModel, emptyCost, type CompiledCostModel, type CostBreakdown, type CostModel } from './cost';
import { ErrorTally, normalizeErrorMessage, wilsonLowerBound } from './evidence';
import { QuantileSketch } from './quantile-sketch';
import { UsagePatternTracker } from './usage-pattern-tracker';
import type { UsagePatternTrackerOptions } from './usage-pattern-types';
import type {
  AnalyticsData,
  AnalyticsSummary,
  Bottleneck,
  ErrorProneTool,
  Insights,
  OverallReport,
  Recommendation,
  SessionReport,
  SizeSummary,
  ToolAnalytics,
  TopTool,
} from './types';

/** Records queued at most in deferred mode before they are analysed on the spot. */
const MAX_DEFERRED = 8192;

/** Thresholds of {@link AnalyticsEngine.getInsights}. */
export interface InsightThresholds {
  /** A tool whose p95 exceeds this (ms) is a bottleneck. Default `1000`. */
  slowP95Ms?: number;
  /** A tool taking at least this share of all tool time is a bottleneck. Default `0.5`. */
  dominantTimeShare?: number;
  /** A tool is error-prone when the Wilson lower bound of its error rate exceeds this. Default `0.05`. */
  errorRate?: number;
  /** Fewest recorded calls before a tool can be called error-prone (with the Wilson bound on top). Default `10`. */
  minCalls?: number;
  /** Tools with fewer timed records than this, while sampled, get a low-sample-rate recommendation. Default `30`. */
  minTimedSamples?: number;
  /** Repeated inputs are recommended for caching above this share of calls. Default `0.1`. */
  repeatShare?: number;
  /** Size of `topTools`. Default `10`. */
  topTools?: number;
  /** At most this many recommendations. Default `20`. */
  maxRecommendations?: number;
}

/** Options of an {@link AnalyticsEngine}. */
export interface AnalyticsEngineOptions {
  /**
   * The sequence tracker fed by this engine: options for a new one (default), or an instance
   * (then do not also subscribe it to the collector: it would see every record twice, and
   * ignores the repeat), or `false` for no sequence analysis.
   */
  patterns?: UsagePatternTracker | UsagePatternTrackerOptions | false;
  /** Sessions with per-session figures; least recently active evicted first (counted). Default `1_000`. */
  maxSessions?: number;
  /** Distinct tools; further ones are counted under `"(other)"`. Default `1_000`. */
  maxTools?: number;
  /** Relative error of every quantile (p50/p95/p99). Default `0.01`. */
  quantileRelativeError?: number;
  /** Input hashes remembered per tool to detect repeated calls. Default `4_096`. */
  maxInputHashes?: number;
  /** Default thresholds of `getInsights`. */
  thresholds?: InsightThresholds;
  /** Epoch ms for report timestamps. Default `Date.now`. */
  now?: () => number;
  /**
   * Prices every call (per-tool fixed, runtime, I/O and token costs): reports then carry cost per
   * tool, per session and per task (`summary.cost`, `tools[].cost`). Default: none (cost `null`).
   */
  costModel?: CostModel;
  /**
   * Streaming anomaly detection (latency, error bursts, memory growth) fed by this engine:
   * `true` or options for a new {@link AnomalyDetector} (e.g. `{ onAnomaly }`), or an instance.
   * The latest appear in `getInsights().anomalies`. Default: off.
   */
  anomalies?: boolean | AnomalyDetectorOptions | AnomalyDetector;
  /**
   * Take records off the tool's call path: `onMetric` only queues them (a few ns), and they are
   * analysed on a later event-loop turn, when 8,192 are queued, or before any read (of the engine
   * or of its tracker), whichever comes first. Reads always see every record. Default false.
   */
  deferred?: boolean;
}

/** Counters of an engine. */
export interface AnalyticsEngineStats {
  readonly records: number;
  readonly liveSessions: number;
  readonly evictedSessions: number;
  readonly tools: number;
  readonly otherToolRecords: number;
  readonly invalid: number;
}

const OTHER_TOOL = '(other)';
const THRESHOLD_DEFAULTS: Required<InsightThresholds> = {
  slowP95Ms: 1000,
  dominantTimeShare: 0.5,
  errorRate: 0.05,
  minCalls: 10,
  minTimedSamples: 30,
  repeatShare: 0.1,
  topTools: 10,
  maxRecommendations: 20,
};

/** Sizes (bytes) of one direction of a tool's I/O. */
class SizeAccumulator {
  n = 0;
  sum = 0;
  weighted = 0;
  max = 0;

  add(size: number | undefined, w: number): void {
    if (typeof size !== 'number' || !Number.isFinite(size)) return;
    this.n++;
    this.sum += size;
    this.weighted += w * size;
    if (size > this.max) this.max = size;
  }

  summary(): SizeSummary | null {
    return this.n > 0 ? { samples: this.n, mean: this.sum / this.n, max: this.max, total: this.weighted } : null;
  }
}

/** Running figures of one tool in one scope. O(1) per record. */
class ToolAccumulator {
  count = 0;
  weighted = 0;
  failures = 0;
  failW = 0;
  timedN = 0;
  timedW = 0;
  totalMs = 0;
  sampled = 0;
  memN = 0;
  memSum = 0;
  memPeak = -Infinity;
  readonly input = new SizeAccumulator();
  readonly output = new SizeAccumulator();
  repeatW = 0;
  repeatMs = 0;
  hashes: Map<string, true> | undefined;
  readonly errors = new ErrorTally(5);
  readonly sketch: QuantileSketch;
  cost: CostBreakdown | undefined;

  constructor(relativeAccuracy: number) {
    this.sketch = new QuantileSketch({ relativeAccuracy });
  }

  add(m: ToolExecutionMetrics, w: number, timed: boolean, maxHashes: number, errorText: string, cost: CostBreakdown | undefined): void {
    this.count++;
    this.weighted += w;
    if (w > 1) this.sampled++;
    if (cost !== undefined) addCost((this.cost ??= emptyCost()), cost);
    if (timed) {
      this.timedN++;
      this.timedW += w;
      this.totalMs += w * m.duration;
      this.sketch.add(m.duration, w);
    }
    if (m.success !== true) {
      this.failures++;
      this.failW += w;
      this.errors.add(m.errorType, errorText, 1);
    }
    const mem = m.memoryUsed;
    if (typeof mem === 'number' && Number.isFinite(mem)) {
      this.memN++;
      this.memSum += mem;
      if (mem > this.memPeak) this.memPeak = mem;
    }
    this.input.add(m.inputSize, w);
    this.output.add(m.outputSize, w);
    const hash = m.inputHash;
    if (typeof hash === 'string' && maxHashes > 0) {
      const seen = (this.hashes ??= new Map());
      if (seen.has(hash)) {
        this.repeatW += w;
        if (timed) this.repeatMs += w * m.duration;
      } else {
        seen.set(hash, true);
        // forget the oldest hash past the bound (Map keeps insertion order)
        if (seen.size > maxHashes) seen.delete(seen.keys().next().value as string);
      }
    }
  }

  summary(toolId: string): ToolAnalytics {
    const s = this.sketch;
    const timed = this.timedW > 0;
    return {
      toolId,
      count: this.count,
      estimatedCount: this.weighted,
      failures: this.failures,
      successRate: this.weighted > 0 ? 1 - this.failW / this.weighted : 0,
      errorRate: this.weighted > 0 ? this.failW / this.weighted : 0,
      totalDuration: this.totalMs,
      meanDuration: timed ? this.totalMs / this.timedW : null,
      p50: timed ? s.quantile(0.5) : null,
      p95: timed ? s.quantile(0.95) : null,
      p99: timed ? s.quantile(0.99) : null,
      minDuration: timed ? s.min : null,
      maxDuration: timed ? s.max : null,
      timedCount: this.timedN,
      sampledCount: this.sampled,
      effectiveSampleRate: timed ? this.timedN / this.timedW : 1,
      memory: this.memN > 0 ? { samples: this.memN, mean: this.memSum / this.memN, peak: this.memPeak } : null,
      input: this.input.summary(),
      output: this.output.summary(),
      repeatedInputs: this.repeatW,
      commonErrors: this.errors.top(3),
      cost: this.cost === undefined ? null : { ...this.cost, perCall: this.weighted > 0 ? this.cost.total / this.weighted : 0 },
    };
  }
}

/** Running figures of one scope (a session, or everything). */
class ScopeAccumulator {
  readonly tools = new Map<string, ToolAccumulator>();
  count = 0;
  weighted = 0;
  failures = 0;
  failW = 0;
  busyMs = 0;
  firstStart = Infinity;
  lastEnd = -Infinity;
  memPeak = -Infinity;
  /** Tasks begun: a session's first call, and each change of its message id. */
  tasks = 0;
  /** The message id of this session's latest call (session scopes only). */
  lastMessage: string | undefined | null = null;
  cost: CostBreakdown | undefined;

  add(m: ToolExecutionMetrics, toolId: string, w: number, timed: boolean, accuracy: number, maxHashes: number, errorText: string, cost: CostBreakdown | undefined): void {
    this.count++;
    if (cost !== undefined) addCost((this.cost ??= emptyCost()), cost);
    this.weighted += w;
    if (m.success !== true) {
      this.failures++;
      this.failW += w;
    }
    if (timed) this.busyMs += w * m.duration;
    if (Number.isFinite(m.startTime) && m.startTime < this.firstStart) this.firstStart = m.startTime;
    if (Number.isFinite(m.endTime) && m.endTime > this.lastEnd) this.lastEnd = m.endTime;
    if (typeof m.memoryUsed === 'number' && m.memoryUsed > this.memPeak) this.memPeak = m.memoryUsed;
    let tool = this.tools.get(toolId);
    if (tool === undefined) this.tools.set(toolId, (tool = new ToolAccumulator(accuracy)));
    tool.add(m, w, timed, maxHashes, errorText, cost);
  }

  summary(sessions: number, currency: string | undefined): AnalyticsSummary {
    const empty = this.count === 0;
    const wall = empty || this.lastEnd < this.firstStart ? 0 : this.lastEnd - this.firstStart;
    return {
      totalOperations: this.count,
      estimatedOperations: this.weighted,
      failures: this.failures,
      errorRate: this.weighted > 0 ? this.failW / this.weighted : 0,
      firstStart: empty || !Number.isFinite(this.firstStart) ? null : this.firstStart,
      lastEnd: empty || !Number.isFinite(this.lastEnd) ? null : this.lastEnd,
      wallDuration: wall,
      busyDuration: this.busyMs,
      throughput: wall > 0 ? (this.weighted * 1000) / wall : 0,
      peakMemory: Number.isFinite(this.memPeak) ? this.memPeak : null,
      sessions,
      tasks: this.tasks,
      cost:
        currency === undefined
          ? null
          : { currency, ...(this.cost ?? emptyCost()), perCall: this.weighted > 0 ? (this.cost?.total ?? 0) / this.weighted : 0, perTask: this.tasks > 0 ? (this.cost?.total ?? 0) / this.tasks : 0 },
    };
  }

  toolSummaries(): ToolAnalytics[] {
    const out: ToolAnalytics[] = [];
    for (const [toolId, acc] of this.tools) out.push(acc.summary(toolId));
    return out.sort((a, b) => b.estimatedCount - a.estimatedCount || (a.toolId < b.toolId ? -1 : 1));
  }
}

function checkThresholds(t: InsightThresholds, where: string): Required<InsightThresholds> {
  if (t === null || typeof t !== 'object') throw new TypeError(`${where}: thresholds must be an object`);
  const out = { ...THRESHOLD_DEFAULTS };
  for (const [key, value] of Object.entries(t)) {
    if (!(key in THRESHOLD_DEFAULTS)) throw new TypeError(`${where}: unknown threshold "${key}"`);
    if (value === undefined) continue;
    const integer = key === 'topTools' || key === 'maxRecommendations' || key === 'minTimedSamples' || key === 'minCalls';
    const unit = key === 'dominantTimeShare' || key === 'errorRate' || key === 'repeatShare';
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (integer && !Number.isInteger(value)) || (unit && value > 1)) {
      throw new TypeError(`${where}: threshold ${key} must be ${integer ? 'a non-negative integer' : unit ? 'a number in [0, 1]' : 'a non-negative number'}, got ${String(value)}`);
    }
    (out as Record<string, number>)[key] = value;
  }
  return out;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;

/**
 * Per-tool, per-session and overall figures, kept up to date record by record (a core
 * subscriber: `collector.subscribe(engine)`): counts and sample-weighted estimates, total and
 * mean time, p50/p95/p99 from a streaming quantile sketch (1% relative error by default),
 * success and error rates, memory and I/O sizes. `getInsights()` turns them into top tools,
 * bottlenecks, error-prone tools and recommendations that carry their evidence.
 *
 * Each record costs O(1); queries cost O(tools + sequences kept), never a re-scan of history.
 * Memory is bounded by `maxSessions`, `maxTools` and the tracker's bounds.
 *
 * @example
 * const engine = new AnalyticsEngine();
 * collector.subscribe(engine);
 * // … the agent runs …
 * const { bottlenecks, recommendations } = engine.getInsights();
 */
export class AnalyticsEngine implements MetricsSubscriber {
  /** The sequence tracker this engine feeds, or `undefined` when `patterns: false`. */
  readonly patterns: UsagePatternTracker | undefined;
  /** The anomaly detector this engine feeds (`anomalies` option), or `undefined`. */
  readonly anomalies: AnomalyDetector | undefined;
  readonly #all = new ScopeAccumulator();
  readonly #sessions = new Map<string, ScopeAccumulator>();
  readonly #maxSessions: number;
  readonly #maxTools: number;
  readonly #accuracy: number;
  readonly #maxHashes: number;
  readonly #thresholds: Required<InsightThresholds>;
  readonly #now: () => number;
  #lastSessionId: string | undefined;
  #lastSession: ScopeAccumulator | undefined;
  /** Records not yet analysed, in deferred mode; `undefined` otherwise. */
  #queue: ToolExecutionMetrics[] | undefined;
  #draining = false;
  #evictedSessions = 0;
  readonly #cost: CompiledCostModel | undefined;
  /** Reused for each record's cost (no allocation per record). */
  readonly #oneCost: CostBreakdown = emptyCost();
  #otherRecords = 0;
  #invalid = 0;

  constructor(options: AnalyticsEngineOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('AnalyticsEngine: options must be an object');
    const known = ['patterns', 'maxSessions', 'maxTools', 'quantileRelativeError', 'maxInputHashes', 'thresholds', 'now', 'deferred', 'costModel', 'anomalies'];
    for (const key of Object.keys(options)) if (!known.includes(key)) throw new TypeError(`AnalyticsEngine: unknown option "${key}"`);
    const int = (name: string, value: unknown, min: number): number => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new TypeError(`AnalyticsEngine: ${name} must be an integer >= ${min}, got ${String(value)}`);
      return value;
    };
    this.#maxSessions = int('maxSessions', options.maxSessions ?? 1_000, 1);
    this.#maxTools = int('maxTools', options.maxTools ?? 1_000, 2);
    this.#maxHashes = int('maxInputHashes', options.maxInputHashes ?? 4_096, 0);
    const accuracy = options.quantileRelativeError ?? 0.01;
    if (typeof accuracy !== 'number' || !(accuracy > 0 && accuracy < 0.5)) throw new TypeError(`AnalyticsEngine: quantileRelativeError must be a number in (0, 0.5), got ${String(accuracy)}`);
    this.#accuracy = accuracy;
    this.#thresholds = checkThresholds(options.thresholds ?? {}, 'AnalyticsEngine');
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('AnalyticsEngine: now must be a function');
    this.#now = options.now ?? Date.now;
    this.#cost = options.costModel === undefined ? undefined : compileCostModel(options.costModel);
    const an = options.anomalies;
    this.anomalies = an === undefined || an === false ? undefined : an instanceof AnomalyDetector ? an : new AnomalyDetector(an === true ? {} : an);
    const p = options.patterns;
    this.patterns = p === false ? undefined : p instanceof UsagePatternTracker ? p : new UsagePatternTracker(p ?? {});
    if (options.deferred !== undefined && typeof options.deferred !== 'boolean') throw new TypeError('AnalyticsEngine: deferred must be a boolean');
    if (options.deferred === true) {
      this.#queue = [];
      this.patterns?._onBeforeRead(() => this.#catchUp());
    }
  }

  /** Counts one record (subscriber entry point); a malformed record is counted in `stats().invalid`. */
  onMetric(metric: ToolExecutionMetrics): void {
    const queue = this.#queue;
    if (queue === undefined) {
      this.#add(metric);
      return;
    }
    queue.push(metric);
    if (queue.length === 1) setImmediate(this.#catchUpLater).unref();
    else if (queue.length >= MAX_DEFERRED) this.#catchUp();
  }

  readonly #catchUpLater = (): void => this.#catchUp();

  /** Analyses every queued record (deferred mode). */
  #catchUp(): void {
    const queue = this.#queue;
    if (queue === undefined || queue.length === 0 || this.#draining) return;
    this.#draining = true;
    try {
      // records queued by a subscriber running inside this loop are picked up by it too
      for (let i = 0; i < queue.length; i++) this.#add(queue[i]!);
    } finally {
      queue.length = 0;
      this.#draining = false;
    }
  }

  #add(metric: ToolExecutionMetrics): void {
    if (!isUsableRecord(metric)) {
      this.#invalid++;
      return;
    }
    const w = weightOf(metric);
    // a kept failure of a sampled-out call has no duration: it never enters latency figures
    const timed = isTimed(metric);
    let toolId = metric.toolId;
    if (!this.#all.tools.has(toolId) && this.#all.tools.size >= this.#maxTools - 1) {
      toolId = OTHER_TOOL;
      this.#otherRecords++;
    }
    const errorText = metric.success !== true && metric.error ? normalizeErrorMessage(metric.error) : '';
    let cost: CostBreakdown | undefined;
    if (this.#cost !== undefined) {
      cost = this.#oneCost;
      this.#cost.price(metric, cost);
    }
    const session = this.#session(metric.sessionId);
    // a task begins with a session's first call and with each change of its message id
    const message = typeof metric.messageId === 'string' ? metric.messageId : undefined;
    if (session.lastMessage === null || session.lastMessage !== message) {
      session.lastMessage = message;
      session.tasks++;
      this.#all.tasks++;
    }
    this.#all.add(metric, toolId, w, timed, this.#accuracy, this.#maxHashes, errorText, cost);
    session.add(metric, toolId, w, timed, this.#accuracy, this.#maxHashes, errorText, cost);
    this.patterns?.onMetric(metric);
    this.anomalies?.onMetric(metric);
  }

  /** Feeds many records (e.g. a session loaded from storage). */
  ingest(records: Iterable<ToolExecutionMetrics>): void {
    for (const record of records) this.onMetric(record);
  }

  #session(sessionId: string): ScopeAccumulator {
    if (sessionId === this.#lastSessionId) return this.#lastSession!;
    let scope = this.#sessions.get(sessionId);
    if (scope === undefined) {
      scope = new ScopeAccumulator();
      this.#sessions.set(sessionId, scope);
      if (this.#sessions.size > this.#maxSessions) {
        const oldest = this.#sessions.keys().next().value as string;
        this.#sessions.delete(oldest);
        this.#evictedSessions++;
      }
    } else {
      this.#sessions.delete(sessionId);
      this.#sessions.set(sessionId, scope);
    }
    this.#lastSessionId = sessionId;
    this.#lastSession = scope;
    return scope;
  }

  /** Sessions with live figures, least recently active first. */
  sessions(): string[] {
    this.#catchUp();
    return [...this.#sessions.keys()];
  }

  /** Whether the engine holds figures for `sessionId`. */
  hasSession(sessionId: string): boolean {
    this.#catchUp();
    return this.#sessions.has(sessionId);
  }

  /**
   * Figures for one session, or for everything when `sessionId` is omitted. An unknown
   * session gives empty figures (`summary.totalOperations === 0`); see {@link hasSession}.
   */
  analyze(sessionId?: string): AnalyticsData {
    this.#catchUp();
    const scope = sessionId === undefined ? this.#all : this.#sessions.get(sessionId);
    const generatedAt = new Date(this.#now()).toISOString();
    const base = { generatedAt, quantileRelativeError: this.#accuracy };
    if (sessionId === undefined) {
      return {
        scope: 'all',
        ...base,
        summary: this.#all.summary(this.#sessions.size + this.#evictedSessions, this.#cost?.currency),
        tools: this.#all.toolSummaries(),
        sequences: this.patterns?.getMostCommonPatterns(10) ?? [],
        errorPatterns: this.patterns?.getErrorPronePatterns({ limit: 10 }) ?? [],
      };
    }
    const summary = (scope ?? new ScopeAccumulator()).summary(scope === undefined ? 0 : 1, this.#cost?.currency);
    return {
      scope: 'session',
      sessionId,
      ...base,
      summary,
      tools: scope?.toolSummaries() ?? [],
      sequences: scope === undefined ? [] : (this.patterns?.getMostCommonPatterns(10, { sessionId }) ?? []),
      errorPatterns: scope === undefined ? [] : (this.patterns?.getErrorPronePatterns({ limit: 10 }).filter((p) => scope.tools.has(p.sequence[p.sequence.length - 1]!)) ?? []),
    };
  }

  /**
   * Top tools, bottlenecks, error-prone tools and recommendations, for everything or for one
   * session. Thresholds default to the engine's; each recommendation carries the numbers
   * that triggered it and an impact estimate.
   */
  getInsights(options: { sessionId?: string; thresholds?: InsightThresholds } = {}): Insights {
    this.#catchUp();
    const t = options.thresholds === undefined ? this.#thresholds : checkThresholds({ ...this.#thresholds, ...options.thresholds }, 'getInsights');
    const sessionId = options.sessionId;
    const scope = sessionId === undefined ? this.#all : (this.#sessions.get(sessionId) ?? new ScopeAccumulator());
    const tools = scope.toolSummaries();
    const accs = scope.tools;
    const totalCalls = scope.weighted;
    const totalTime = tools.reduce((sum, tool) => sum + tool.totalDuration, 0);

    const topTools: TopTool[] = tools.slice(0, t.topTools).map((tool) => ({
      toolId: tool.toolId,
      count: tool.count,
      estimatedCount: tool.estimatedCount,
      share: totalCalls > 0 ? tool.estimatedCount / totalCalls : 0,
      meanDuration: tool.meanDuration,
      p95: tool.p95,
      errorRate: tool.errorRate,
    }));

    const bottlenecks: Bottleneck[] = [];
    const errorProne: ErrorProneTool[] = [];
    const recommendations: Recommendation[] = [];
    for (const tool of tools) {
      const acc = accs.get(tool.toolId)!;
      const timeShare = totalTime > 0 ? tool.totalDuration / totalTime : 0;
      const slow = tool.p95 !== null && tool.p95 > t.slowP95Ms;
      const dominant = tools.length > 1 && timeShare >= t.dominantTimeShare && tool.totalDuration > 0;
      if (slow || dominant) {
        bottlenecks.push({
          toolId: tool.toolId,
          reasons: [...(slow ? (['slow-p95'] as const) : []), ...(dominant ? (['time-share'] as const) : [])],
          p95: tool.p95,
          meanDuration: tool.meanDuration,
          totalDuration: tool.totalDuration,
          timeShare,
          count: tool.count,
        });
      }
      if (slow) {
        const p50 = tool.p50!;
        const saved = acc.sketch.excessAbove(0.95, p50);
        recommendations.push({
          kind: 'slow-tool',
          toolId: tool.toolId,
          message: `${tool.toolId}: p95 ${fmt(tool.p95!)} ms exceeds ${fmt(t.slowP95Ms)} ms over ${fmt(tool.timedCount)} timed calls (p50 ${fmt(p50, 1)} ms); cache its results, add a timeout, or split the slow cases`,
          evidence: { p50, p95: tool.p95!, thresholdMs: t.slowP95Ms, timedCalls: tool.timedCount },
          impact: { unit: 'ms', value: saved, basis: 'time above p50 spent by calls slower than p95, if they ran at p50' },
        });
      }
      if (dominant) {
        const p50 = tool.p50!;
        recommendations.push({
          kind: 'dominant-tool',
          toolId: tool.toolId,
          message: `${tool.toolId} takes ${pct(timeShare)} of all tool time (${fmt(tool.totalDuration)} ms); it is where optimisation pays most`,
          evidence: { timeShare, totalDuration: tool.totalDuration, p50, meanDuration: tool.meanDuration! },
          impact: { unit: 'ms', value: acc.sketch.excessAbove(0.5, p50), basis: 'time above p50 spent by calls slower than p50, if they ran at p50' },
        });
      }
      if (tool.repeatedInputs > 0 && tool.estimatedCount > 0 && tool.repeatedInputs / tool.estimatedCount >= t.repeatShare && acc.count >= 5) {
        const share = tool.repeatedInputs / tool.estimatedCount;
        recommendations.push({
          kind: 'repeated-input',
          toolId: tool.toolId,
          message: `${tool.toolId} was called ${fmt(tool.repeatedInputs)} times with an input it had already seen (${pct(share)} of calls); cache or memoise it`,
          evidence: { repeatedCalls: tool.repeatedInputs, calls: tool.estimatedCount, repeatShare: share, meanDuration: tool.meanDuration },
          impact: { unit: 'ms', value: acc.repeatMs, basis: 'time spent in calls repeating an earlier input' },
        });
      }
      const lower = wilsonLowerBound(tool.errorRate, tool.count);
      if (lower > t.errorRate && tool.count >= t.minCalls) {
        errorProne.push({ toolId: tool.toolId, errorRate: tool.errorRate, wilsonLowerBound: lower, failures: tool.failures, count: tool.count, commonErrors: tool.commonErrors });
        const excess = Math.max(0, tool.failures - t.errorRate * tool.estimatedCount);
        recommendations.push({
          kind: 'error-prone-tool',
          toolId: tool.toolId,
          message: `${tool.toolId} fails ${pct(tool.errorRate)} of calls (${fmt(tool.failures)} of ${fmt(tool.estimatedCount)}; at least ${pct(lower)} with 95% confidence)${tool.commonErrors[0] ? `, mostly ${tool.commonErrors[0].errorType}: ${tool.commonErrors[0].message}` : ''}`,
          evidence: { errorRate: tool.errorRate, wilsonLowerBound: lower, failures: tool.failures, calls: tool.estimatedCount, topError: tool.commonErrors[0] ?? null },
          impact: { unit: 'failures', value: excess, basis: `failures above a ${pct(t.errorRate)} error rate` },
        });
      }
      if (tool.sampledCount > 0 && tool.timedCount < t.minTimedSamples) {
        recommendations.push({
          kind: 'low-sample-rate',
          toolId: tool.toolId,
          message: `${tool.toolId} is sampled at ${pct(tool.effectiveSampleRate)}: only ${fmt(tool.timedCount)} timed calls stand for ${fmt(tool.estimatedCount)}, so its latency figures are unreliable; raise its sampleRate`,
          evidence: { effectiveSampleRate: tool.effectiveSampleRate, timedSamples: tool.timedCount, estimatedCalls: tool.estimatedCount, minSamples: t.minTimedSamples },
          impact: { unit: 'samples', value: t.minTimedSamples - tool.timedCount, basis: 'timed calls missing for reliable quantiles' },
        });
      }
    }
    errorProne.sort((a, b) => b.wilsonLowerBound - a.wilsonLowerBound || (a.toolId < b.toolId ? -1 : 1));
    bottlenecks.sort((a, b) => b.totalDuration - a.totalDuration || (a.toolId < b.toolId ? -1 : 1));

    if (this.patterns !== undefined && sessionId === undefined) {
      for (const p of this.patterns.getErrorPronePatterns({ limit: 10 })) {
        if (p.wilsonLowerBound <= p.baseRate) continue; // not clearly worse than the tool's usual rate
        const occurrences = p.count;
        const excess = p.failures - occurrences * p.baseRate;
        const top = p.commonErrors[0] ?? null;
        recommendations.push({
          kind: 'failing-sequence',
          sequence: p.sequence,
          message: `${p.sequence.join(' → ')}: the last call fails ${pct(p.errorRate)} of the time (${fmt(p.failures)} of ${fmt(occurrences)}) against ${pct(p.baseRate)} for ${p.sequence[p.sequence.length - 1]} overall${top ? `, mostly ${top.errorType}: ${top.message}` : ''}`,
          evidence: { errorRate: p.errorRate, baseRate: p.baseRate, wilsonLowerBound: p.wilsonLowerBound, occurrences, failures: p.failures, topError: top },
          impact: { unit: 'failures', value: Math.max(0, excess), basis: "failures above the tool's base rate after this sequence" },
        });
      }
    }
    const unitOrder = { ms: 0, failures: 1, samples: 2 } as const;
    recommendations.sort((a, b) => unitOrder[a.impact.unit] - unitOrder[b.impact.unit] || b.impact.value - a.impact.value || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));

    return {
      scope: sessionId === undefined ? 'all' : 'session',
      ...(sessionId === undefined ? {} : { sessionId }),
      generatedAt: new Date(this.#now()).toISOString(),
      topTools,
      bottlenecks,
      errorProne,
      recommendations: recommendations.slice(0, t.maxRecommendations),
      anomalies: this.anomalies ? this.anomalies.recent(20).filter((a) => sessionId === undefined || a.sessionId === sessionId) : [],
    };
  }

  /** Everything about one session, as plain data to print ({@link formatSessionReport}) or store. */
  sessionReport(sessionId: string): SessionReport {
    if (typeof sessionId !== 'string') throw new TypeError(`sessionReport: sessionId must be a string, got ${typeof sessionId}`);
    const analytics = this.analyze(sessionId);
    return {
      schema: 'perftrack.session-report/1',
      sessionId,
      generatedAt: analytics.generatedAt,
      analytics,
      insights: this.getInsights({ sessionId }),
      predictions: this.patterns?.hasSession(sessionId) ? this.patterns.predictNextForSession(sessionId, 3) : [],
    };
  }

  /** Figures and insights over everything seen, as plain data to print ({@link formatSessionReport}) or store. */
  overallReport(): OverallReport {
    const analytics = this.analyze();
    return { schema: 'perftrack.report/1', scope: 'all', generatedAt: analytics.generatedAt, analytics, insights: this.getInsights() };
  }

  /** Counters: records, sessions kept and evicted, tools. */
  stats(): AnalyticsEngineStats {
    this.#catchUp();
    return {
      records: this.#all.count,
      liveSessions: this.#sessions.size,
      evictedSessions: this.#evictedSessions,
      tools: this.#all.tools.size,
      otherToolRecords: this.#otherRecords,
      invalid: this.#invalid,
    };
  }

  /** Analyses queued records (deferred mode) and settles the tracker's pending calls. */
  async flush(): Promise<void> {
    this.#catchUp();
    await this.patterns?.flush();
  }

  /** Same as {@link flush}; the engine keeps answering queries afterwards. */
  async shutdown(): Promise<void> {
    await this.patterns?.shutdown();
  }

  /** Forgets every figure (and the tracker's state). */
  reset(): void {
    if (this.#queue !== undefined) this.#queue.length = 0;
    this.#all.tools.clear();
    Object.assign(this.#all, { count: 0, weighted: 0, failures: 0, failW: 0, busyMs: 0, firstStart: Infinity, lastEnd: -Infinity, memPeak: -Infinity, tasks: 0, cost: undefined });
    this.#sessions.clear();
    this.#lastSessionId = undefined;
    this.#lastSession = undefined;
    this.#evictedSessions = this.#otherRecords = this.#invalid = 0;
    this.patterns?.reset();
    this.anomalies?.reset();
  }
}
