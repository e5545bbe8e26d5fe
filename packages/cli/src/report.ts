import {
  InefficiencyScanner,
  MIN_CALLS_FOR_P95,
  MIN_CALLS_FOR_P99,
  formatPercent as pct,
  formatSessionReport,
  formatTable,
  terminalSafe,
  type AnalyticsEngine,
  type OverallReport,
  type SessionReport,
  type ToolPrediction,
} from '@perftrack/analytics';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { rollUpSessions, type HistoryAggregateAnswer, type HistoryReader, type SessionRollup } from '@perftrack/integration';
import { recommendationsFor } from './analyze';

/** What `perftrack report` was asked for. */
export interface ReportRequest {
  readonly dir: string;
  readonly session?: string;
  readonly children?: boolean;
  readonly limit: number;
  readonly maxSessions: number;
  /** Report from aggregates (per-tool figures, sessions, transitions) instead of replaying into analytics. */
  readonly aggregates?: boolean;
  readonly now: () => number;
}

/** A report ready to print: its JSON document and its text lines (unstyled). */
export interface BuiltReport {
  readonly json: unknown;
  readonly lines: string[];
}

/** Recommendations listed, in `report` as in `analyze`. */
const RECOMMENDATIONS = 20;
const ms = (n: number | undefined): string => (n === undefined ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const count = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const utc = (t: number): string => (Number.isFinite(t) ? new Date(t).toISOString().replace('T', ' ').slice(0, 19) : '-');

/** Next tools after each of the most used tools: the overall report's counterpart of a session's predictions. */
function predictionsByTool(engine: AnalyticsEngine, tools: readonly string[]): { after: string; next: ToolPrediction[] }[] {
  const patterns = engine.patterns;
  if (!patterns) return [];
  return tools.map((t) => ({ after: t, next: patterns.predictNextTools([t], 3) })).filter((p) => p.next.length > 0);
}

/**
 * `perftrack report` over the analytics engine: the history is streamed into it (bounded by
 * `--max-sessions` and the engine's own bounds), and the whole-run passes behind the
 * recommendations scan it one session at a time; no record is kept.
 */
export async function buildEngineReport(history: HistoryReader, o: ReportRequest, unknownSession: () => Error): Promise<BuiltReport> {
  if (o.session !== undefined && !(await history.sessions()).some((s) => s.sessionId === o.session)) throw unknownSession();
  // Error-prone sequences are learned across sessions, so a session's report reads them all too.
  const scanner = new InefficiencyScanner({ limit: RECOMMENDATIONS });
  const scan =
    o.session === undefined
      ? (m: ToolExecutionMetrics) => scanner.add(m)
      : (m: ToolExecutionMetrics) => (m.sessionId === o.session ? scanner.add(m) : undefined);
  const { engine, read } = await history.engine({ maxSessions: o.maxSessions }, { maxSessions: o.maxSessions, now: o.now }, scan);
  let report: SessionReport | OverallReport;
  let extra: { after: string; next: ToolPrediction[] }[] = [];
  let family: { children: (SessionReport & { parentSessionId: string })[]; rollup: SessionRollup } | undefined;
  if (o.session !== undefined) {
    if (!engine.hasSession(o.session)) await history.replayInto(engine, { sessionIds: [o.session] }, { also: scan }); // older than --max-sessions
    report = engine.sessionReport(o.session);
    if (o.children) {
      const links = await history.childSessions(o.session);
      const older = links.map((l) => l.sessionId).filter((id) => !engine.hasSession(id));
      if (older.length > 0) await history.replayInto(engine, { sessionIds: older }); // older than --max-sessions
      const children = links.map((l) => ({ ...engine.sessionReport(l.sessionId), parentSessionId: l.parentSessionId }));
      family = { children, rollup: rollUpSessions([report, ...children]) };
    }
  } else {
    report = engine.overallReport();
    extra = predictionsByTool(
      engine,
      report.analytics.tools.slice(0, 5).map((t) => t.toolId),
    );
  }
  // the same recommendations as `perftrack analyze` for these records
  const recommendations = recommendationsFor(report.analytics, report.insights, RECOMMENDATIONS, scanner.report());
  report = { ...report, insights: { ...report.insights, recommendations } };
  const json = {
    ...report,
    ...(o.session === undefined ? { predictionsByTool: extra } : {}),
    ...family,
    source: { dir: o.dir, sessionsRead: read.sessions, corruptLines: read.corruptLines },
  };
  const lines = formatSessionReport(report, { maxTools: o.limit }).split('\n');
  if (extra.length > 0) {
    lines.push('', 'Likely next tools:');
    for (const p of extra)
      lines.push(`  after ${terminalSafe(p.after)}: ${p.next.map((n) => `${terminalSafe(n.toolId)} ${pct(n.probability)}`).join(', ')}`);
  }
  if (family !== undefined) {
    const figures = (s: { calls: number; failures: number; busyDuration: number }) =>
      `calls ${s.calls}, failures ${s.failures}, time ${s.busyDuration.toFixed(1)} ms`;
    lines.push('', 'Child sessions:');
    if (family.children.length === 0) lines.push('  none (no stored record names this session as its parentSessionId)');
    for (const c of family.children) {
      const s = c.analytics.summary;
      lines.push(
        `  ${terminalSafe(c.sessionId)} (of ${terminalSafe(c.parentSessionId)}): ${figures({ calls: s.totalOperations, failures: s.failures, busyDuration: s.busyDuration })}`,
      );
    }
    const r = family.rollup;
    lines.push(
      '',
      `Rolled up (this session and ${r.sessions - 1} child session${r.sessions === 2 ? '' : 's'}): ${figures(r)}, wall ${r.wallDuration.toFixed(1)} ms`,
    );
  }
  if (read.corruptLines > 0)
    lines.push('', `(${read.corruptLines} corrupt or truncated line${read.corruptLines === 1 ? '' : 's'} skipped)`);
  return { json, lines };
}

/** The `perftrack.report-aggregates/1` document: what a store's aggregates say, no replay into analytics. */
export interface AggregateReport {
  readonly schema: 'perftrack.report-aggregates/1';
  /** `query`: the store computed them (a database); `replay`: one streaming pass here. */
  readonly computedBy: HistoryAggregateAnswer['computedBy'];
  readonly sessionId?: string;
  readonly records: number;
  readonly timeRange: { readonly first: string; readonly last: string } | null;
  readonly tools: HistoryAggregateAnswer['tools'];
  readonly sessions: HistoryAggregateAnswer['sessions'];
  readonly transitions: HistoryAggregateAnswer['transitions'];
  readonly source: { readonly dir: string; readonly corruptLines: number };
}

/**
 * `perftrack report` from aggregates: per-tool calls, failures, error rates and p50/p95/p99,
 * the sessions and the most frequent transitions. A store whose backend aggregates (a database)
 * answers it without sending a record; any other store is read once, in bounded memory.
 */
export async function buildAggregateReport(history: HistoryReader, o: ReportRequest, unknownSession: () => Error): Promise<BuiltReport> {
  const filter = o.session === undefined ? {} : { sessionIds: [o.session] };
  const answer = await history.aggregates(filter, { sessionsLimit: o.limit, transitionsLimit: o.limit });
  if (o.session !== undefined && answer.records === 0) throw unknownSession();
  let first = Infinity;
  let last = -Infinity;
  for (const t of answer.tools) {
    if (t.firstTime < first) first = t.firstTime;
    if (t.lastTime > last) last = t.lastTime;
  }
  const timeRange =
    answer.records > 0 && Number.isFinite(first) && Number.isFinite(last)
      ? { first: new Date(first).toISOString(), last: new Date(last).toISOString() }
      : null;
  const doc: AggregateReport = {
    schema: 'perftrack.report-aggregates/1',
    computedBy: answer.computedBy,
    ...(o.session !== undefined ? { sessionId: o.session } : {}),
    records: answer.records,
    timeRange,
    tools: answer.tools,
    sessions: answer.sessions,
    transitions: answer.transitions,
    source: { dir: o.dir, corruptLines: answer.corruptLines },
  };
  const by = answer.computedBy === 'query' ? 'computed by the store' : 'computed in one streaming pass';
  const scope = o.session === undefined ? 'all sessions' : `session ${terminalSafe(o.session)}`;
  const lines = [
    `perftrack report, ${scope} (aggregates ${by})`,
    `  ${answer.records} records${timeRange ? `, ${utc(first)} to ${utc(last)} UTC` : ''}`,
  ];
  const quantile = (value: number | undefined, timed: number, needed: number) =>
    value === undefined ? '-' : timed < needed ? `${ms(value)}*` : ms(value);
  const shown = answer.tools.slice(0, o.limit);
  lines.push('', 'Tools:');
  const rows = shown.map((t) => [
    terminalSafe(t.toolId),
    count(t.calls),
    String(t.records),
    count(t.failures),
    pct(t.errorRate),
    t.timedRecords > 0 ? ms(t.meanDurationMs) : '-',
    quantile(t.p50Ms, t.timedRecords, 1),
    quantile(t.p95Ms, t.timedRecords, MIN_CALLS_FOR_P95),
    quantile(t.p99Ms, t.timedRecords, MIN_CALLS_FOR_P99),
    t.topErrors.map((e) => `${terminalSafe(e.errorType)} ×${e.count}`).join(', ') || '-',
  ]);
  lines.push(
    ...formatTable(
      ['tool', 'calls', 'records', 'failures', 'error rate', 'mean ms', 'p50', 'p95', 'p99', 'top errors'],
      rows,
      new Set([1, 2, 3, 4, 5, 6, 7, 8]),
    ).map((l) => `  ${l}`),
  );
  if (answer.tools.length > shown.length) lines.push(`  (${answer.tools.length - shown.length} more tools; --limit to list them)`);
  if (
    shown.some(
      (t) => (t.p95Ms !== undefined && t.timedRecords < MIN_CALLS_FOR_P95) || (t.p99Ms !== undefined && t.timedRecords < MIN_CALLS_FOR_P99),
    )
  ) {
    lines.push(`  (* = rough: fewer than ${MIN_CALLS_FOR_P95} timed calls for p95, ${MIN_CALLS_FOR_P99} for p99)`);
  }
  lines.push('', 'Recent sessions:');
  const sessionRows = answer.sessions.map((s) => [
    terminalSafe(s.sessionId),
    count(s.calls),
    count(s.failures),
    String(s.tools),
    utc(s.firstTime),
    utc(s.lastTime),
  ]);
  lines.push(
    ...formatTable(['session', 'calls', 'failures', 'tools', 'first (UTC)', 'last (UTC)'], sessionRows, new Set([1, 2, 3])).map(
      (l) => `  ${l}`,
    ),
  );
  lines.push('', 'Top transitions:');
  if (answer.transitions.length === 0) lines.push('  none');
  const transitionRows = answer.transitions.map((t) => [
    `${terminalSafe(t.from)} → ${terminalSafe(t.to)}`,
    String(t.count),
    String(t.failures),
    pct(t.count > 0 ? t.failures / t.count : 0),
  ]);
  if (transitionRows.length > 0)
    lines.push(
      ...formatTable(
        ['transition (a tool directly after another)', 'count', 'then failed', 'rate'],
        transitionRows,
        new Set([1, 2, 3]),
      ).map((l) => `  ${l}`),
    );
  if (answer.corruptLines > 0)
    lines.push('', `(${answer.corruptLines} corrupt or truncated line${answer.corruptLines === 1 ? '' : 's'} skipped)`);
  return { json: doc, lines };
}
