import { impactOf, raiseSampleRate, type Recommendation } from './recommendations';
import type { ToolAnalytics } from './types';
import { formatPercent as pct } from './format-percent';

/** Thresholds the per-tool findings use (resolved `InsightThresholds`). @internal */
export interface FindingThresholds {
  readonly slowP95Ms: number;
  readonly dominantTimeShare: number;
  readonly errorRate: number;
  readonly minCalls: number;
  readonly minTimedSamples: number;
  readonly repeatShare: number;
  readonly failureCostMs: number;
}

/** Figures of one tool beyond its {@link ToolAnalytics}, read from the engine's accumulators. @internal */
export interface ToolExtras {
  /** Time above p50 spent by calls slower than p95 (ms). */
  readonly excessAboveP95: number;
  /** Time above p50 spent by calls slower than p50 (ms). */
  readonly excessAboveP50: number;
  /** Time spent in calls repeating an earlier input (ms). */
  readonly repeatMs: number;
  readonly timeShare: number;
  readonly toolsInScope: number;
  /** Lower bound of the Wilson interval of its error rate. */
  readonly errorLowerBound: number;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** `Type: message`, or the type alone when the message says nothing more. @internal */
export const describeError = (e: { errorType: string; message: string }): string =>
  e.message && e.message !== e.errorType ? `${e.errorType}: ${e.message}` : e.errorType;

/** Whether a tool is slow at the tail. @internal */
export const isSlow = (tool: ToolAnalytics, t: FindingThresholds): boolean => tool.p95 !== null && tool.p95 > t.slowP95Ms;
/** Whether a tool takes most of the tool time. @internal */
export const isDominant = (tool: ToolAnalytics, x: ToolExtras, t: FindingThresholds): boolean =>
  x.toolsInScope > 1 && x.timeShare >= t.dominantTimeShare && tool.totalDuration > 0;
/** Whether a tool fails often, with evidence. @internal */
export const isErrorProne = (tool: ToolAnalytics, x: ToolExtras, t: FindingThresholds): boolean =>
  x.errorLowerBound > t.errorRate && tool.count >= t.minCalls;

/** The recommendations about one tool that its figures support. @internal */
export function toolFindings(tool: ToolAnalytics, x: ToolExtras, t: FindingThresholds): Recommendation[] {
  const out: Recommendation[] = [];
  const cost = t.failureCostMs;
  if (isSlow(tool, t)) {
    const p50 = tool.p50!;
    out.push({
      kind: 'slow-tool',
      toolId: tool.toolId,
      message: `${tool.toolId}: p95 ${fmt(tool.p95!)} ms exceeds ${fmt(t.slowP95Ms)} ms over ${fmt(tool.timedCount)} timed calls (p50 ${fmt(p50, 1)} ms)`,
      action: `bound ${tool.toolId}'s slow calls: give it a timeout near ${fmt(Math.max(p50 * 3, tool.p95! / 2))} ms (e.g. AbortSignal.timeout), cache its results, or split the inputs that make it slow`,
      evidence: { p50, p95: tool.p95!, thresholdMs: t.slowP95Ms, timedCalls: tool.timedCount },
      impact: impactOf(
        { timeMs: x.excessAboveP95 },
        `time above p50 (${fmt(p50, 1)} ms) spent by the calls slower than p95, had they run at p50`,
        cost,
      ),
    });
  }
  if (isDominant(tool, x, t)) {
    const p50 = tool.p50!;
    out.push({
      kind: 'dominant-tool',
      toolId: tool.toolId,
      message: `${tool.toolId} takes ${pct(x.timeShare)} of all tool time (${fmt(tool.totalDuration)} ms over ${fmt(tool.estimatedCount)} calls)`,
      action: `optimise ${tool.toolId} first: call it less often (narrow its inputs, reuse its results) or make its typical call faster`,
      evidence: { timeShare: x.timeShare, totalDuration: tool.totalDuration, p50, meanDuration: tool.meanDuration! },
      impact: impactOf(
        { timeMs: x.excessAboveP50 },
        `time above p50 (${fmt(p50, 1)} ms) spent by the calls slower than p50, had they run at p50`,
        cost,
      ),
    });
  }
  if (tool.repeatedInputs > 0 && tool.estimatedCount > 0 && tool.repeatedInputs / tool.estimatedCount >= t.repeatShare && tool.count >= 5) {
    const share = tool.repeatedInputs / tool.estimatedCount;
    out.push({
      kind: 'cache-tool',
      toolId: tool.toolId,
      message: `${tool.toolId} was called ${fmt(tool.repeatedInputs)} times with an input it had already seen (${pct(share)} of calls)`,
      action: `memoise ${tool.toolId} on its input (the records' inputHash tells identical inputs apart), invalidated when what it reads changes`,
      evidence: {
        source: 'repeated-input',
        repeatedCalls: tool.repeatedInputs,
        calls: tool.estimatedCount,
        repeatShare: share,
        meanDuration: tool.meanDuration,
      },
      impact: impactOf({ timeMs: x.repeatMs }, 'time spent in the calls that repeated an earlier input of the tool', cost),
    });
  }
  if (isErrorProne(tool, x, t)) {
    const top = tool.commonErrors[0] ?? null;
    const excess = tool.failures - t.errorRate * tool.estimatedCount;
    out.push({
      kind: 'error-prone-tool',
      toolId: tool.toolId,
      message: `${tool.toolId} fails ${pct(tool.errorRate)} of calls (${fmt(tool.failures)} of ${fmt(tool.estimatedCount)}; at least ${pct(x.errorLowerBound)} with 95% confidence)${top ? `, mostly ${describeError(top)}` : ''}`,
      action: top
        ? `handle ${top.errorType} in or before ${tool.toolId}: check what it needs before the call${top.message && top.message !== top.errorType ? ` (the usual message: ${top.message})` : ''}, or tell the agent how to avoid it`
        : `find why ${tool.toolId} fails and check what it needs before the call`,
      evidence: {
        errorRate: tool.errorRate,
        wilsonLowerBound: x.errorLowerBound,
        failures: tool.failures,
        calls: tool.estimatedCount,
        topError: top,
      },
      impact: impactOf(
        { failures: excess },
        `failures above a ${pct(t.errorRate)} error rate: ${fmt(tool.failures)} − ${pct(t.errorRate)} × ${fmt(tool.estimatedCount)} calls`,
        cost,
      ),
    });
  }
  if (tool.sampledCount > 0 && tool.timedCount < t.minTimedSamples) out.push(raiseSampleRate(tool, t.minTimedSamples, cost));
  return out;
}
