import type { ToolExecutionMetrics } from '@perftrack/core';
import type { HistoryFilter, SessionAggregate, ToolAggregate, TransitionAggregate } from '@perftrack/storage';

// The figures of HistoryQuery computed by replaying records in JavaScript, written from the
// seam's definitions alone: the database's answers must equal these.

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function applyFilter(records: readonly ToolExecutionMetrics[], f: HistoryFilter = {}): ToolExecutionMetrics[] {
  return records.filter(
    (r) =>
      (f.sessionIds === undefined || f.sessionIds.includes(r.sessionId)) &&
      (f.toolIds === undefined || f.toolIds.includes(r.toolId)) &&
      (f.since === undefined || r.startTime >= f.since) &&
      (f.until === undefined || r.startTime < f.until),
  );
}

/** Nearest rank: the smallest value with at least p of the values at or below it. */
function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;
}

export function replayTools(records: readonly ToolExecutionMetrics[], filter?: HistoryFilter): ToolAggregate[] {
  const groups = new Map<string, ToolExecutionMetrics[]>();
  for (const r of applyFilter(records, filter)) {
    const g = groups.get(r.toolId) ?? [];
    g.push(r);
    groups.set(r.toolId, g);
  }
  return [...groups]
    .map(([toolId, rs]): ToolAggregate => {
      const timed = rs.filter((r) => r.untimed !== true);
      const durations = timed.map((r) => r.duration).sort((a, b) => a - b);
      const calls = rs.reduce((s, r) => s + r.sampleWeight, 0);
      const failures = rs.filter((r) => !r.success).reduce((s, r) => s + r.sampleWeight, 0);
      const totalDurationMs = timed.reduce((s, r) => s + r.sampleWeight * r.duration, 0);
      const timedWeight = timed.reduce((s, r) => s + r.sampleWeight, 0);
      const errors = new Map<string, number>();
      for (const r of rs) if (!r.success) errors.set(r.errorType ?? 'Error', (errors.get(r.errorType ?? 'Error') ?? 0) + 1);
      return {
        toolId,
        records: rs.length,
        calls,
        failures,
        errorRate: calls > 0 ? failures / calls : 0,
        timedRecords: timed.length,
        totalDurationMs,
        meanDurationMs: timedWeight > 0 ? totalDurationMs / timedWeight : 0,
        ...(durations.length > 0
          ? { p50Ms: nearestRank(durations, 0.5), p95Ms: nearestRank(durations, 0.95), p99Ms: nearestRank(durations, 0.99) }
          : {}),
        firstTime: Math.min(...rs.map((r) => r.startTime)),
        lastTime: Math.max(...rs.map((r) => r.endTime)),
        topErrors: [...errors]
          .map(([errorType, count]) => ({ errorType, count }))
          .sort((a, b) => b.count - a.count || byText(a.errorType, b.errorType))
          .slice(0, 5),
      };
    })
    .sort((a, b) => b.calls - a.calls || byText(a.toolId, b.toolId));
}

export function replaySessions(records: readonly ToolExecutionMetrics[], filter?: HistoryFilter, limit?: number): SessionAggregate[] {
  const groups = new Map<string, ToolExecutionMetrics[]>();
  for (const r of applyFilter(records, filter)) groups.set(r.sessionId, [...(groups.get(r.sessionId) ?? []), r]);
  const all = [...groups]
    .map(([sessionId, rs]) => ({
      sessionId,
      records: rs.length,
      calls: rs.reduce((s, r) => s + r.sampleWeight, 0),
      failures: rs.filter((r) => !r.success).reduce((s, r) => s + r.sampleWeight, 0),
      tools: new Set(rs.map((r) => r.toolId)).size,
      firstTime: Math.min(...rs.map((r) => r.startTime)),
      lastTime: Math.max(...rs.map((r) => r.endTime)),
    }))
    .sort((a, b) => b.lastTime - a.lastTime || byText(a.sessionId, b.sessionId));
  return limit === undefined ? all : all.slice(0, limit);
}

/** `records` in the order they were stored: ties on startTime keep it. */
export function replayTransitions(records: readonly ToolExecutionMetrics[], filter?: HistoryFilter, limit?: number): TransitionAggregate[] {
  const bySession = new Map<string, ToolExecutionMetrics[]>();
  for (const r of applyFilter(records, filter)) bySession.set(r.sessionId, [...(bySession.get(r.sessionId) ?? []), r]);
  const counts = new Map<string, TransitionAggregate>();
  for (const rs of bySession.values()) {
    const ordered = rs.map((r, i) => ({ r, i })).sort((a, b) => a.r.startTime - b.r.startTime || a.i - b.i);
    for (let i = 1; i < ordered.length; i++) {
      const from = ordered[i - 1]!.r.toolId;
      const to = ordered[i]!.r;
      const key = JSON.stringify([from, to.toolId]);
      const t = counts.get(key) ?? { from, to: to.toolId, count: 0, failures: 0 };
      counts.set(key, { ...t, count: t.count + 1, failures: t.failures + (to.success ? 0 : 1) });
    }
  }
  const all = [...counts.values()].sort((a, b) => b.count - a.count || byText(a.from, b.from) || byText(a.to, b.to));
  return limit === undefined ? all : all.slice(0, limit);
}
