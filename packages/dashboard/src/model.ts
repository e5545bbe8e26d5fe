import {
  AnalyticsEngine,
  ToolTimeline,
  type AnalyticsSummary,
  type Anomaly,
  type ErrorPronePattern,
  type Recommendation,
  type SequencePattern,
  type TimelineSeries,
  type ToolPrediction,
} from '@perftrack/analytics';
import { isUsableRecord, weightOf, type ToolExecutionMetrics } from '@perftrack/core';

/** A record as the dashboard streams it: timing and outcome only, never inputs or outputs. */
export interface DashboardRecord {
  readonly id: string;
  readonly toolId: string;
  readonly sessionId: string;
  readonly endTime: number;
  /** ms; `null` for a failure of a sampled-out call (kept, but not timed). */
  readonly duration: number | null;
  readonly success: boolean;
  readonly errorType?: string;
  readonly error?: string;
  readonly sampleWeight: number;
}

/** One row of the dashboard's tool table. */
export interface DashboardToolRow {
  readonly toolId: string;
  /** Records observed. */
  readonly calls: number;
  /** Estimated calls (sample-weighted). */
  readonly estimatedCalls: number;
  readonly failures: number;
  readonly errorRate: number;
  readonly meanDuration: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  /** Timed records per estimated timed call (1 when nothing was sampled out). */
  readonly effectiveSampleRate: number;
}

/** Counts of what was not seen in full. `null` where the source cannot know. */
export interface DashboardCounters {
  /** Records the dashboard has analysed. */
  readonly records: number;
  /** Records the collector overwrote in its ring buffer before they were read from it. */
  readonly collectorDropped: number | null;
  /** Calls skipped by sampling at the collector. */
  readonly sampledOut: number | null;
  /** Records kept by sampling at a rate below 1 (each stands for several calls). */
  readonly sampledRecords: number;
  /** Records the dashboard itself could not take in (its intake queue overflowed). */
  readonly dashboardDropped: number;
  /** Corrupt or truncated lines skipped while reading storage. */
  readonly corruptLines: number;
}

/** Likely next tools after a context. */
export interface DashboardPrediction {
  readonly after: readonly string[];
  readonly next: readonly ToolPrediction[];
}

/** Everything the page shows: `schema: "perftrack.dashboard/1"`, plain JSON. */
export interface DashboardSnapshot {
  readonly schema: 'perftrack.dashboard/1';
  readonly generatedAt: string;
  readonly source: { readonly kind: 'collector' } | { readonly kind: 'storage'; readonly dir: string };
  readonly summary: AnalyticsSummary;
  readonly counters: DashboardCounters;
  /** Every tool (up to 200), most called first. */
  readonly tools: readonly DashboardToolRow[];
  /** Calls per second and p95 per tool over time, for the most called tools (leading empty buckets trimmed, at least 30 kept). */
  readonly timeline: TimelineSeries;
  /** Newest first. */
  readonly failures: readonly DashboardRecord[];
  readonly sequences: readonly SequencePattern[];
  readonly errorPatterns: readonly ErrorPronePattern[];
  readonly predictions: readonly DashboardPrediction[];
  readonly recommendations: readonly Recommendation[];
  /** Latest anomalies (latency, error bursts, memory growth), newest first; empty when the engine does not detect them. */
  readonly anomalies: readonly Anomaly[];
}

/** Options of a {@link DashboardModel}. */
export interface DashboardModelOptions {
  /** The engine to read figures from. Default: a new one, fed by this model. */
  analytics?: AnalyticsEngine;
  /** Width of a chart bucket, ms. Default 1000. */
  bucketMs?: number;
  /** Buckets charted. Default 120 (two minutes at one per second). */
  buckets?: number;
  /** Tools charted. Default 8. */
  chartTools?: number;
  /** Recent failures kept. Default 25. */
  maxFailures?: number;
  /** New records held for the next stream event at most; more are counted, not sent. Default 500. */
  maxPending?: number;
  /** Epoch ms. Default `Date.now`. */
  now?: () => number;
}

const MAX_TOOL_ROWS = 200;
/** Buckets charted at least, when the data is younger than the window. */
const MIN_CHART_BUCKETS = 30;

/** Drops the window's leading buckets where no tool had a call, keeping at least `min`: a young run fills the chart. */
function trimLeadingEmpty(series: TimelineSeries, min: number): TimelineSeries {
  let first = series.times.length;
  for (const t of series.tools) {
    const i = t.callsPerSecond.findIndex((v) => v > 0);
    if (i !== -1 && i < first) first = i;
  }
  const from = Math.max(0, Math.min(first, series.times.length - min));
  if (from === 0) return series;
  return {
    ...series,
    times: series.times.slice(from),
    tools: series.tools.map((t) => ({
      ...t,
      callsPerSecond: t.callsPerSecond.slice(from),
      p95: t.p95.slice(from),
      failures: t.failures.slice(from),
    })),
  };
}

function compact(m: ToolExecutionMetrics): DashboardRecord {
  const out: { -readonly [K in keyof DashboardRecord]: DashboardRecord[K] } = {
    id: m.id,
    toolId: m.toolId,
    sessionId: m.sessionId,
    endTime: m.endTime,
    duration: Number.isFinite(m.duration) && m.duration >= 0 ? m.duration : null,
    success: m.success === true,
    sampleWeight: weightOf(m),
  };
  if (m.success !== true) {
    if (typeof m.errorType === 'string') out.errorType = m.errorType.slice(0, 200);
    if (typeof m.error === 'string') out.error = m.error.slice(0, 500);
  }
  return out;
}

/**
 * The dashboard's state: an analytics engine (its own, or one shared with the app), a
 * {@link ToolTimeline} for the charts, the latest failures and the records not yet streamed.
 * Every piece is bounded. Statistics come from `@perftrack/analytics`; this only selects and
 * shapes them for the page.
 */
export class DashboardModel {
  readonly analytics: AnalyticsEngine;
  readonly timeline: ToolTimeline;
  readonly #ownEngine: boolean;
  readonly #chartTools: number;
  readonly #maxFailures: number;
  readonly #maxPending: number;
  readonly #now: () => number;
  /** Newest last; trimmed to `maxFailures`. */
  #failures: DashboardRecord[] = [];
  #pending: DashboardRecord[] = [];
  #records = 0;
  #sampledRecords = 0;
  #pendingDropped = 0;
  #version = 0;

  constructor(options: DashboardModelOptions = {}) {
    this.#ownEngine = options.analytics === undefined;
    this.analytics = options.analytics ?? new AnalyticsEngine({ anomalies: true });
    this.timeline = new ToolTimeline({ bucketMs: options.bucketMs ?? 1000, maxBuckets: options.buckets ?? 120, maxTools: 50 });
    this.#chartTools = options.chartTools ?? 8;
    this.#maxFailures = options.maxFailures ?? 25;
    this.#maxPending = options.maxPending ?? 500;
    this.#now = options.now ?? Date.now;
  }

  /** Changes each time a record is added. */
  get version(): number {
    return this.#version;
  }

  /**
   * Takes one record in. `live` records are also queued for the stream; history loaded at start
   * is not (it is in the first snapshot).
   */
  add(m: ToolExecutionMetrics, live: boolean): void {
    if (!isUsableRecord(m)) return;
    if (this.#ownEngine) this.analytics.onMetric(m);
    this.timeline.onMetric(m);
    this.#records++;
    this.#version++;
    if (weightOf(m) > 1) this.#sampledRecords++;
    const failed = m.success !== true;
    const streamed = live && this.#pending.length < this.#maxPending;
    if (live && !streamed) this.#pendingDropped++;
    if (!failed && !streamed) return;
    const c = compact(m); // one copy serves the failure list and the stream
    if (failed) {
      this.#failures.push(c);
      if (this.#failures.length > 2 * this.#maxFailures) this.#failures = this.#failures.slice(-this.#maxFailures);
    }
    if (streamed) this.#pending.push(c);
  }

  /** The records added live since the last call, and how many did not fit. */
  takePending(): { records: DashboardRecord[]; omitted: number } {
    const out = { records: this.#pending, omitted: this.#pendingDropped };
    this.#pending = [];
    this.#pendingDropped = 0;
    return out;
  }

  /** Builds the page's data. `extra` are the source's counters. */
  snapshot(
    source: DashboardSnapshot['source'],
    extra: { collectorDropped: number | null; sampledOut: number | null; dashboardDropped: number; corruptLines: number },
  ): DashboardSnapshot {
    const now = this.#now();
    const data = this.analytics.analyze();
    const insights = this.analytics.getInsights();
    const patterns = this.analytics.patterns;
    const tools = data.tools.slice(0, MAX_TOOL_ROWS).map(
      (t): DashboardToolRow => ({
        toolId: t.toolId,
        calls: t.count,
        estimatedCalls: t.estimatedCount,
        failures: t.failures,
        errorRate: t.errorRate,
        meanDuration: t.meanDuration,
        p50: t.p50,
        p95: t.p95,
        p99: t.p99,
        effectiveSampleRate: t.effectiveSampleRate,
      }),
    );
    const predictions: DashboardPrediction[] = [];
    if (patterns) {
      for (const t of tools.slice(0, 6)) {
        const next = patterns.predictNextTools([t.toolId], 3);
        if (next.length > 0) predictions.push({ after: [t.toolId], next });
      }
    }
    return {
      schema: 'perftrack.dashboard/1',
      generatedAt: new Date(now).toISOString(),
      source,
      summary: data.summary,
      counters: {
        records: this.#records,
        collectorDropped: extra.collectorDropped,
        sampledOut: extra.sampledOut,
        sampledRecords: this.#sampledRecords,
        dashboardDropped: extra.dashboardDropped,
        corruptLines: extra.corruptLines,
      },
      tools,
      timeline: trimLeadingEmpty(this.timeline.series({ limit: this.#chartTools, until: now }), MIN_CHART_BUCKETS),
      failures: this.#failures.slice(-this.#maxFailures).reverse(),
      sequences: data.sequences.slice(0, 8),
      errorPatterns: data.errorPatterns.slice(0, 5),
      predictions,
      recommendations: insights.recommendations.slice(0, 10),
      anomalies: insights.anomalies.slice(0, 10),
    };
  }
}
