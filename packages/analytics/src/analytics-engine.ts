import {
  isTimed,
  isUsableRecord,
  weightOf,
  type BatchSink,
  type MetricsSubscriber,
  type RecordBatch,
  type ToolExecutionMetrics,
} from '@perftrack/core';
import { checkInteger, foldToolId, SessionLru } from '@perftrack/core/internal';
import { ingestPrepared } from './prepared-ingest';
import { AnomalyDetector, type AnomalyDetectorOptions } from './anomaly-detector';
import { compileCostModel, emptyCost, type CompiledCostModel, type CostBreakdown, type CostModel } from './cost';
import { ErrorTextMemo, wilsonLowerBound } from './evidence';
import { ScopeAccumulator } from './figure-accumulators';
import { DEFAULT_FAILURE_COST_MS, failingSequence, rankRecommendations, type Recommendation } from './recommendations';
import { isDominant, isErrorProne, isSlow, toolFindings, type ToolExtras } from './tool-findings';
import { UsagePatternTracker } from './usage-pattern-tracker';
import type { UsagePatternTrackerOptions } from './usage-pattern-types';
import type { AnalyticsData, Bottleneck, ErrorProneTool, Insights, OverallReport, SessionReport, TopTool } from './types';

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
  /** Tools with fewer timed records than this, while sampled, get a raise-sample-rate recommendation. Default `30`. */
  minTimedSamples?: number;
  /** Repeated inputs are recommended for caching above this share of calls. Default `0.1`. */
  repeatShare?: number;
  /** Size of `topTools`. Default `10`. */
  topTools?: number;
  /** At most this many recommendations. Default `20`. */
  maxRecommendations?: number;
  /** What one failed call costs the agent, in ms, to rank failures against time. Default `5000`. */
  failureCostMs?: number;
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
  /** Tool ids remembered per session, newest last ({@link SessionFigures.recentTools}). Default `10`; `0` for none. */
  sessionRecentTools?: number;
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
  /**
   * Runs at the start of every read (of the engine or of its tracker), so a queue upstream can
   * hand over what it holds first: with a `RecordPipeline` feeding {@link AnalyticsEngine.onBatch},
   * `beforeRead: () => pipeline.deliver()` makes every read see every call made so far.
   */
  beforeRead?: () => void;
}

/**
 * The live figures of one session as an engine keeps them (read-only; what `SessionPerformance`'s
 * trackers show): counts and sample-weighted estimates, time, the latest failure and tool ids.
 */
export interface SessionFigures {
  /** Records counted. */
  readonly count: number;
  /** Estimated calls (sum of sample weights). */
  readonly weighted: number;
  /** Failed records. */
  readonly failures: number;
  /** Estimated failed calls. */
  readonly failW: number;
  /** Estimated ms in tools (timed records, weighted). */
  readonly busyMs: number;
  /** Weight of the timed records. */
  readonly timedW: number;
  /** Epoch ms of the first start (`Infinity` before any record). */
  readonly firstStart: number;
  /** Epoch ms of the latest end (`-Infinity` before any record). */
  readonly lastEnd: number;
  /** The latest failed record. */
  readonly lastFailed: ToolExecutionMetrics | undefined;
  /** Per tool (first seen first; tools past the engine's `maxTools` under `"(other)"`). */
  readonly tools: ReadonlyMap<
    string,
    { readonly count: number; readonly weighted: number; readonly failures: number; readonly totalMs: number }
  >;
  /** The latest tool ids, oldest first (at most `sessionRecentTools`). */
  recentTools(): string[];
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

const THRESHOLD_DEFAULTS: Required<InsightThresholds> = {
  slowP95Ms: 1000,
  dominantTimeShare: 0.5,
  errorRate: 0.05,
  minCalls: 10,
  minTimedSamples: 30,
  repeatShare: 0.1,
  topTools: 10,
  maxRecommendations: 20,
  failureCostMs: DEFAULT_FAILURE_COST_MS,
};

function checkThresholds(t: InsightThresholds, where: string): Required<InsightThresholds> {
  if (t === null || typeof t !== 'object') throw new TypeError(`${where}: thresholds must be an object`);
  const out = { ...THRESHOLD_DEFAULTS };
  for (const [key, value] of Object.entries(t)) {
    if (!(key in THRESHOLD_DEFAULTS)) throw new TypeError(`${where}: unknown threshold "${key}"`);
    if (value === undefined) continue;
    const integer = key === 'topTools' || key === 'maxRecommendations' || key === 'minTimedSamples' || key === 'minCalls';
    const unit = key === 'dominantTimeShare' || key === 'errorRate' || key === 'repeatShare';
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (integer && !Number.isInteger(value)) || (unit && value > 1)) {
      throw new TypeError(
        `${where}: threshold ${key} must be ${integer ? 'a non-negative integer' : unit ? 'a number in [0, 1]' : 'a non-negative number'}, got ${String(value)}`,
      );
    }
    (out as Record<string, number>)[key] = value;
  }
  return out;
}

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
export class AnalyticsEngine implements MetricsSubscriber, BatchSink {
  /** The sequence tracker this engine feeds, or `undefined` when `patterns: false`. */
  readonly patterns: UsagePatternTracker | undefined;
  /** The anomaly detector this engine feeds (`anomalies` option), or `undefined`. */
  readonly anomalies: AnomalyDetector | undefined;
  readonly #all = new ScopeAccumulator();
  readonly #sessions: SessionLru<ScopeAccumulator>;
  readonly #maxTools: number;
  readonly #recentTools: number;
  readonly #accuracy: number;
  readonly #maxHashes: number;
  readonly #thresholds: Required<InsightThresholds>;
  readonly #now: () => number;
  #lastSessionId: string | undefined;
  #lastSession: ScopeAccumulator | undefined;
  /** Records not yet analysed, in deferred mode; `undefined` otherwise. */
  #queue: ToolExecutionMetrics[] | undefined;
  #draining = false;
  readonly #cost: CompiledCostModel | undefined;
  /** Reused for each record's cost (no allocation per record). */
  readonly #oneCost: CostBreakdown = emptyCost();
  readonly #errorTexts = new ErrorTextMemo();
  #otherRecords = 0;
  #invalid = 0;
  readonly #beforeRead: (() => void) | undefined;
  #reading = false;

  constructor(options: AnalyticsEngineOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('AnalyticsEngine: options must be an object');
    const known = [
      'patterns',
      'maxSessions',
      'maxTools',
      'sessionRecentTools',
      'quantileRelativeError',
      'maxInputHashes',
      'thresholds',
      'now',
      'deferred',
      'costModel',
      'anomalies',
      'beforeRead',
    ];
    for (const key of Object.keys(options)) if (!known.includes(key)) throw new TypeError(`AnalyticsEngine: unknown option "${key}"`);
    const int = (name: string, value: unknown, min: number): number => checkInteger('AnalyticsEngine', name, value, min);
    this.#sessions = new SessionLru<ScopeAccumulator>('AnalyticsEngine', options.maxSessions ?? 1_000, (scope) => {
      if (scope === this.#lastSession) this.#lastSessionId = this.#lastSession = undefined;
    });
    this.#maxTools = int('maxTools', options.maxTools ?? 1_000, 2);
    this.#recentTools = int('sessionRecentTools', options.sessionRecentTools ?? 10, 0);
    this.#maxHashes = int('maxInputHashes', options.maxInputHashes ?? 4_096, 0);
    const accuracy = options.quantileRelativeError ?? 0.01;
    if (typeof accuracy !== 'number' || !(accuracy > 0 && accuracy < 0.5))
      throw new TypeError(`AnalyticsEngine: quantileRelativeError must be a number in (0, 0.5), got ${String(accuracy)}`);
    this.#accuracy = accuracy;
    this.#thresholds = checkThresholds(options.thresholds ?? {}, 'AnalyticsEngine');
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('AnalyticsEngine: now must be a function');
    this.#now = options.now ?? Date.now;
    this.#cost = options.costModel === undefined ? undefined : compileCostModel(options.costModel);
    const an = options.anomalies;
    this.anomalies =
      an === undefined || an === false ? undefined : an instanceof AnomalyDetector ? an : new AnomalyDetector(an === true ? {} : an);
    const p = options.patterns;
    this.patterns = p === false ? undefined : p instanceof UsagePatternTracker ? p : new UsagePatternTracker(p ?? {});
    if (options.deferred !== undefined && typeof options.deferred !== 'boolean')
      throw new TypeError('AnalyticsEngine: deferred must be a boolean');
    if (options.beforeRead !== undefined && typeof options.beforeRead !== 'function')
      throw new TypeError('AnalyticsEngine: beforeRead must be a function');
    this.#beforeRead = options.beforeRead;
    if (options.deferred === true) this.#queue = [];
    if (options.deferred === true || options.beforeRead !== undefined) this.patterns?._onBeforeRead(() => this.#catchUp());
  }

  /**
   * Counts a batch prepared by a `RecordPipeline` (sink entry point): the batch's usable flags,
   * weights, timed flags and normalised error texts are used as they are, never recomputed.
   */
  onBatch(batch: RecordBatch): void {
    const { records, weights, timed, errorTexts } = batch;
    const queue = this.#queue;
    if (queue !== undefined && queue.length > 0 && !this.#draining) {
      // records fed one by one are still queued: these come after them
      for (let i = 0; i < batch.length; i++) this.onMetric(records[i]!);
      return;
    }
    for (let i = 0; i < batch.length; i++) this.#addPrepared(records[i]!, weights[i]!, timed[i] === 1, errorTexts[i]!);
  }

  /** Counts one record (subscriber entry point); a malformed record is counted in `stats().invalid`. */
  onMetric(metric: ToolExecutionMetrics): void {
    const queue = this.#queue;
    if (queue === undefined) {
      this.#add(metric);
      return;
    }
    // what the upstream queue holds arrived before this record: hand it over first
    if (this.#beforeRead !== undefined) this.#deliverUpstream();
    queue.push(metric);
    if (queue.length === 1) setImmediate(this.#catchUpLater).unref();
    else if (queue.length >= MAX_DEFERRED) this.#catchUp();
  }

  readonly #catchUpLater = (): void => this.#catchUp();

  #deliverUpstream(): void {
    if (this.#reading) return;
    this.#reading = true;
    try {
      this.#beforeRead!();
    } finally {
      this.#reading = false;
    }
  }

  /** Lets the upstream queue deliver (`beforeRead`), then analyses every queued record (deferred mode). */
  #catchUp(): void {
    if (this.#beforeRead !== undefined) this.#deliverUpstream();
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
    // a kept failure of a sampled-out call has no duration: it never enters latency figures
    this.#addPrepared(
      metric,
      weightOf(metric),
      isTimed(metric),
      metric.success !== true && metric.error ? this.#errorTexts.normalize(metric.error) : '',
    );
  }

  /** Counts a usable record whose weight, timed flag and normalised error text are known. */
  #addPrepared(metric: ToolExecutionMetrics, w: number, timed: boolean, errorText: string): void {
    const toolId = foldToolId(this.#all.tools, metric.toolId, this.#maxTools);
    if (toolId !== metric.toolId) this.#otherRecords++;
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
    session.remember(metric, this.#recentTools);
    const patterns = this.patterns;
    if (patterns !== undefined) {
      if (errorText !== '') patterns[ingestPrepared](metric, errorText);
      patterns.onMetric(metric);
    }
    this.anomalies?.[ingestPrepared](metric);
  }

  /** Feeds many records (e.g. a session loaded from storage). */
  ingest(records: Iterable<ToolExecutionMetrics>): void {
    for (const record of records) this.onMetric(record);
  }

  #session(sessionId: string): ScopeAccumulator {
    if (sessionId === this.#lastSessionId) return this.#lastSession!;
    const scope = this.#sessions.getOrCreate(sessionId, () => new ScopeAccumulator());
    this.#lastSessionId = sessionId;
    this.#lastSession = scope;
    return scope;
  }

  /** Sessions with live figures, least recently active first. */
  sessions(): string[] {
    this.#catchUp();
    return this.#sessions.keys();
  }

  /**
   * The live figures of one session (the object keeps updating as records come), or `undefined`
   * when the engine holds none for it. Reading does not make the session more recently active.
   */
  sessionFigures(sessionId: string): SessionFigures | undefined {
    this.#catchUp();
    return this.#sessions.peek(sessionId);
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
    const scope = sessionId === undefined ? this.#all : this.#sessions.peek(sessionId);
    const generatedAt = new Date(this.#now()).toISOString();
    const base = { generatedAt, quantileRelativeError: this.#accuracy };
    if (sessionId === undefined) {
      return {
        scope: 'all',
        ...base,
        summary: this.#all.summary(this.#sessions.size + this.#sessions.evicted, this.#cost?.currency),
        tools: this.#all.toolSummaries(),
        sequences: this.patterns?.getMostCommonPatterns(10, { maximalOnly: true }) ?? [],
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
      sequences: scope === undefined ? [] : (this.patterns?.getMostCommonPatterns(10, { sessionId, maximalOnly: true }) ?? []),
      errorPatterns:
        scope === undefined
          ? []
          : (this.patterns?.getErrorPronePatterns({ limit: 10 }).filter((p) => scope.tools.has(p.sequence[p.sequence.length - 1]!)) ?? []),
    };
  }

  /**
   * Top tools, bottlenecks, error-prone tools and recommendations, for everything or for one
   * session. Thresholds default to the engine's; each recommendation carries the numbers
   * that triggered it and an impact estimate.
   */
  getInsights(options: { sessionId?: string; thresholds?: InsightThresholds } = {}): Insights {
    this.#catchUp();
    const t =
      options.thresholds === undefined ? this.#thresholds : checkThresholds({ ...this.#thresholds, ...options.thresholds }, 'getInsights');
    const sessionId = options.sessionId;
    const scope = sessionId === undefined ? this.#all : (this.#sessions.peek(sessionId) ?? new ScopeAccumulator());
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
    const findings = { ...t };
    for (const tool of tools) {
      const acc = accs.get(tool.toolId)!;
      const timeShare = totalTime > 0 ? tool.totalDuration / totalTime : 0;
      const extras: ToolExtras = {
        excessAboveP95: tool.p50 === null ? 0 : acc.sketch.excessAbove(0.95, tool.p50),
        excessAboveP50: tool.p50 === null ? 0 : acc.sketch.excessAbove(0.5, tool.p50),
        repeatMs: acc.repeatMs,
        timeShare,
        toolsInScope: tools.length,
        errorLowerBound: wilsonLowerBound(tool.errorRate, tool.count),
      };
      const slow = isSlow(tool, findings);
      const dominant = isDominant(tool, extras, findings);
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
      if (isErrorProne(tool, extras, findings)) {
        errorProne.push({
          toolId: tool.toolId,
          errorRate: tool.errorRate,
          wilsonLowerBound: extras.errorLowerBound,
          failures: tool.failures,
          count: tool.count,
          commonErrors: tool.commonErrors,
        });
      }
      recommendations.push(...toolFindings(tool, extras, findings));
    }
    errorProne.sort((a, b) => b.wilsonLowerBound - a.wilsonLowerBound || (a.toolId < b.toolId ? -1 : 1));
    bottlenecks.sort((a, b) => b.totalDuration - a.totalDuration || (a.toolId < b.toolId ? -1 : 1));

    if (this.patterns !== undefined && sessionId === undefined) {
      // sequences after which a tool fails clearly more than it usually does
      for (const p of this.patterns.getErrorPronePatterns({ kind: 'lift', limit: 10 }))
        recommendations.push(failingSequence(p, t.failureCostMs));
    }

    return {
      scope: sessionId === undefined ? 'all' : 'session',
      ...(sessionId === undefined ? {} : { sessionId }),
      generatedAt: new Date(this.#now()).toISOString(),
      topTools,
      bottlenecks,
      errorProne,
      recommendations: rankRecommendations([recommendations], t.maxRecommendations),
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
      evictedSessions: this.#sessions.evicted,
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
    Object.assign(this.#all, {
      count: 0,
      weighted: 0,
      failures: 0,
      failW: 0,
      busyMs: 0,
      firstStart: Infinity,
      lastEnd: -Infinity,
      memPeak: -Infinity,
      tasks: 0,
      cost: undefined,
      timedW: 0,
    });
    this.#sessions.clear();
    this.#lastSessionId = undefined;
    this.#lastSession = undefined;
    this.#otherRecords = this.#invalid = 0;
    this.patterns?.reset();
    this.anomalies?.reset();
  }
}
