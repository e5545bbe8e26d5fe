import type { Anomaly } from './anomaly-detector';
import type { CostBreakdown } from './cost';
import type { CommonError } from './evidence';
import type { Recommendation } from './recommendations';
import type { ErrorPronePattern, SequencePattern, ToolPrediction } from './usage-pattern-types';

/** Sizes (bytes) seen for one direction of a tool's I/O; `null` in {@link ToolAnalytics} when never measured. */
export interface SizeSummary {
  /** Records that carried a size. */
  readonly samples: number;
  readonly mean: number;
  readonly max: number;
  /** Estimated total (sample-weighted). */
  readonly total: number;
}

/** Heap deltas (bytes) of a tool's calls; `null` in {@link ToolAnalytics} when `trackMemory` was off. */
export interface MemorySummary {
  readonly samples: number;
  readonly mean: number;
  /** Largest heap delta of one call. */
  readonly peak: number;
}

/**
 * One tool's figures. Durations are in ms; latency figures come from timed records only
 * (a sampled-out failure is `untimed`) and are sample-weighted; quantiles come from a
 * streaming sketch within {@link AnalyticsData.quantileRelativeError} of the exact value.
 */
export interface ToolAnalytics {
  readonly toolId: string;
  /** Records observed. */
  readonly count: number;
  /** Estimated calls: the sum of `sampleWeight`. */
  readonly estimatedCount: number;
  readonly failures: number;
  /** Weighted share of calls that succeeded. */
  readonly successRate: number;
  readonly errorRate: number;
  /** Estimated total time spent in the tool (sample-weighted). */
  readonly totalDuration: number;
  /** `null` when no record of the tool was timed. */
  readonly meanDuration: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly minDuration: number | null;
  readonly maxDuration: number | null;
  /** Records that carried a duration. */
  readonly timedCount: number;
  /** Records kept by sampling at a rate below 1 (`sampleWeight > 1`). */
  readonly sampledCount: number;
  /** Timed records per estimated timed call: 1 when nothing was sampled out. */
  readonly effectiveSampleRate: number;
  readonly memory: MemorySummary | null;
  readonly input: SizeSummary | null;
  readonly output: SizeSummary | null;
  /** Calls whose `inputHash` had been seen before for this tool (estimated), when inputs were hashed. */
  readonly repeatedInputs: number;
  readonly commonErrors: readonly CommonError[];
  /** Estimated cost of the tool's calls under the engine's `costModel`; `null` without one. */
  readonly cost: (CostBreakdown & { readonly perCall: number }) | null;
}

/** Totals of a session, or of everything. */
export interface AnalyticsSummary {
  /** Records observed. */
  readonly totalOperations: number;
  /** Estimated calls (sum of `sampleWeight`). */
  readonly estimatedOperations: number;
  readonly failures: number;
  readonly errorRate: number;
  /** Epoch ms of the first call's start; `null` when empty. */
  readonly firstStart: number | null;
  readonly lastEnd: number | null;
  /** `lastEnd − firstStart`, ms. */
  readonly wallDuration: number;
  /** Estimated time spent inside tools, ms (calls can overlap, so it can exceed `wallDuration`). */
  readonly busyDuration: number;
  /** Estimated calls per second of wall time (`0` when the wall time is 0). */
  readonly throughput: number;
  /** Largest heap delta of one call, bytes; `null` when memory was not tracked. */
  readonly peakMemory: number | null;
  /** Sessions included. */
  readonly sessions: number;
  /** Tasks begun: each session's first call and each change of its message id. */
  readonly tasks: number;
  /** Estimated cost under the engine's `costModel` (per call, per task, by source); `null` without one. */
  readonly cost: (CostBreakdown & { readonly currency: string; readonly perCall: number; readonly perTask: number }) | null;
}

/** What {@link AnalyticsEngine.analyze} returns: plain data, safe to JSON-serialise and store. */
export interface AnalyticsData {
  /** `"all"`, or the session analysed. */
  readonly scope: 'all' | 'session';
  readonly sessionId?: string;
  /** ISO time of the analysis. */
  readonly generatedAt: string;
  readonly summary: AnalyticsSummary;
  /** Per tool, most used first. */
  readonly tools: readonly ToolAnalytics[];
  /** Most common sequences in scope. */
  readonly sequences: readonly SequencePattern[];
  /** Error-prone sequences (learned over all sessions). */
  readonly errorPatterns: readonly ErrorPronePattern[];
  /** Relative error bound of every quantile in {@link tools}. */
  readonly quantileRelativeError: number;
}

/** A tool among the most used. */
export interface TopTool {
  readonly toolId: string;
  readonly count: number;
  readonly estimatedCount: number;
  /** Share of all estimated calls in scope. */
  readonly share: number;
  readonly meanDuration: number | null;
  readonly p95: number | null;
  readonly errorRate: number;
}

/** Why a tool is a bottleneck. */
export type BottleneckReason = 'slow-p95' | 'time-share';

/** A tool that is slow at the tail or takes most of the time. */
export interface Bottleneck {
  readonly toolId: string;
  readonly reasons: readonly BottleneckReason[];
  readonly p95: number | null;
  readonly meanDuration: number | null;
  readonly totalDuration: number;
  /** Share of the time spent in all tools. */
  readonly timeShare: number;
  readonly count: number;
}

/** A tool that fails often, with enough evidence. */
export interface ErrorProneTool {
  readonly toolId: string;
  readonly errorRate: number;
  /** Lower bound of the 95% Wilson interval: above the threshold means "fails often" with confidence. */
  readonly wilsonLowerBound: number;
  readonly failures: number;
  readonly count: number;
  readonly commonErrors: readonly CommonError[];
}

/** What {@link AnalyticsEngine.getInsights} returns. */
export interface Insights {
  readonly scope: 'all' | 'session';
  readonly sessionId?: string;
  readonly generatedAt: string;
  /** Up to `topTools` (default 10) tools by estimated calls. */
  readonly topTools: readonly TopTool[];
  readonly bottlenecks: readonly Bottleneck[];
  readonly errorProne: readonly ErrorProneTool[];
  /** Largest `impact.score` first. */
  readonly recommendations: readonly Recommendation[];
  /** The latest anomalies in scope, newest first (empty unless the engine has `anomalies` on). */
  readonly anomalies: readonly Anomaly[];
}

/** A report of one session, printable with `formatSessionReport` and storable as JSON. */
/** Everything across all sessions: the overall counterpart of {@link SessionReport}. */
export interface OverallReport {
  readonly schema: 'perftrack.report/1';
  readonly scope: 'all';
  readonly generatedAt: string;
  readonly analytics: AnalyticsData;
  readonly insights: Insights;
}

export interface SessionReport {
  readonly schema: 'perftrack.session-report/1';
  readonly sessionId: string;
  readonly generatedAt: string;
  readonly analytics: AnalyticsData;
  readonly insights: Insights;
  /** Likely next tools after the session's latest calls. */
  readonly predictions: readonly ToolPrediction[];
}
