import {
  AnalyticsEngine,
  AnomalyDetector,
  estimateCosts,
  findInefficiencies,
  formatRecommendation,
  suggestOptimizations,
  terminalSafe,
  type Anomaly,
  type AnalyticsData,
  type CostModel,
  type CostReport,
  type InefficiencyReport,
  type Insights,
  type Recommendation,
  formatPercent as pct,
} from '@perftrack/analytics';
import type { LoadedRun } from './sources';

/** What `perftrack analyze` computes (`--json` prints it). */
export interface RunAnalysis {
  readonly schema: 'perftrack.analysis/1';
  readonly source: {
    readonly label: string;
    readonly records: number;
    readonly sessions: number;
    readonly skipped: number;
    readonly hasDurations: boolean;
    readonly hasMemory: boolean;
  };
  readonly analytics: AnalyticsData;
  readonly inefficiencies: InefficiencyReport;
  readonly anomalies: {
    readonly counts: Readonly<Record<Anomaly['kind'], number>>;
    readonly latest: readonly Anomaly[];
    readonly notes: readonly string[];
  };
  readonly costs: CostReport | null;
  /** The engine's findings and those of the whole-run passes, in one vocabulary, deduplicated and ranked. */
  readonly suggestions: readonly Recommendation[];
}

/**
 * The recommendations `perftrack report` and `perftrack analyze` both print for the same
 * records: the engine's insights plus the whole-run passes' findings (repeats within a window,
 * re-reads, retry loops, failing chains: `findInefficiencies` or an `InefficiencyScanner`),
 * one list, the same finding once.
 */
export function recommendationsFor(
  analytics: AnalyticsData,
  insights: Insights,
  limit: number,
  inefficiencies: InefficiencyReport,
): Recommendation[] {
  return suggestOptimizations({ analytics, insights, inefficiencies }, { limit });
}

/** Runs every pass of `@perftrack/analytics` over one run's records, in call order. */
export function analyzeRun(run: LoadedRun, options: { limit: number; costModel?: CostModel }): RunAnalysis {
  const records = [...run.records].sort((a, b) =>
    a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : a.startTime - b.startTime,
  );
  const detector = new AnomalyDetector({ maxRecent: 1000 });
  const engine = new AnalyticsEngine({
    anomalies: detector,
    maxSessions: 100_000,
    ...(options.costModel ? { costModel: options.costModel } : {}),
  });
  engine.ingest(records);
  const analytics = engine.analyze();
  const inefficiencies = findInefficiencies(records, { limit: options.limit });
  const hasMemory = records.some((r) => typeof r.memoryUsed === 'number');
  const notes: string[] = [];
  if (!run.timed) notes.push('latency anomalies: not looked for, the records carry no durations');
  if (!hasMemory) notes.push('memory growth: not looked for, the records carry no heap deltas');
  return {
    schema: 'perftrack.analysis/1',
    source: {
      label: run.label,
      records: records.length,
      sessions: analytics.summary.sessions,
      skipped: run.skipped,
      hasDurations: run.timed,
      hasMemory,
    },
    analytics,
    inefficiencies,
    anomalies: { counts: detector.stats().anomalies, latest: detector.recent(options.limit), notes },
    costs: options.costModel ? estimateCosts(records, options.costModel) : null,
    suggestions: recommendationsFor(analytics, engine.getInsights(), options.limit, inefficiencies),
  };
}

const s = terminalSafe;

function anomalyLine(a: Anomaly): string {
  if (a.kind === 'latency')
    return `latency ${s(a.toolId)}: ${a.value.toFixed(1)} ms against a typical ${a.expected.toFixed(1)} ms (robust z ${a.score.toFixed(1)}) at ${s(a.recordId)}`;
  if (a.kind === 'error-burst')
    return `error burst ${s(a.toolId)}: ${a.failures} of its last ${a.window} calls failed against a ${pct(a.baselineRate)} baseline (p=${a.pValue.toExponential(1)}) ending at ${s(a.recordId)}`;
  return `memory growth ${s(a.toolId)}: ${pct(a.growingShare)} of ${a.window} calls grew the heap, ${(a.totalBytes / 1048576).toFixed(1)} MiB in all (p=${a.pValue.toExponential(1)}) ending at ${s(a.recordId)}`;
}

/** The human-readable form of a {@link RunAnalysis}. */
export function formatAnalysis(a: RunAnalysis, label: string): string {
  const out: string[] = [];
  const src = a.source;
  const sum = a.analytics.summary;
  out.push(
    `Analysis of ${s(label)}: ${src.records} calls in ${src.sessions} sessions, ${sum.failures} failed (${pct(sum.errorRate)})${src.skipped ? `, ${src.skipped} unusable lines skipped` : ''}`,
  );
  if (!src.hasDurations)
    out.push('  no durations in this data: times, latency figures and savings in ms are not reported (not taken as zero)');
  const ineff = a.inefficiencies;
  out.push('', src.hasDurations ? 'Hot tool pairs (frequency × time):' : 'Most frequent tool pairs (no durations, so by frequency alone):');
  for (const p of ineff.hotPairs)
    out.push(`  ${s(p.pair[0])} → ${s(p.pair[1])}  ×${p.count}${p.totalMs === null ? '' : `  ${p.totalMs.toFixed(0)} ms`}`);
  out.push('', 'Retry loops (a tool failing again with the same error right after failing):');
  if (ineff.retryLoops.length === 0) out.push('  none');
  for (const l of ineff.retryLoops)
    out.push(
      `  ${s(l.toolId)} ${s(l.errorType)}: ${l.loops} loops, ${l.wastedCalls} repeated failures, longest ${l.longest} in a row (e.g. ${s(l.exampleRecordId)})${l.wastedMs === null ? '' : `, ${l.wastedMs.toFixed(0)} ms`}`,
    );
  out.push('', 'Failing chains (consecutive failed calls):');
  if (ineff.failingChains.length === 0) out.push('  none');
  for (const c of ineff.failingChains)
    out.push(`  ${c.chain.map(s).join(' → ')}  ×${c.occurrences}, ${c.failedCalls} failed calls (e.g. from ${s(c.exampleRecordId)})`);
  out.push('', 'Repeated identical calls and re-reads:');
  if (ineff.repeatedCalls.length === 0 && ineff.rereads.length === 0) out.push('  none found');
  for (const r of ineff.repeatedCalls)
    out.push(
      `  ${s(r.toolId)}: ${r.repeats} repeats of one input in ${r.sessions} sessions (e.g. ${s(r.exampleRecordId)})${r.savingMs === null ? '' : `, ${r.savingMs.toFixed(0)} ms`}`,
    );
  for (const r of ineff.rereads) out.push(`  ${s(r.toolId)} re-read ${s(r.target)} ${r.rereads} times (e.g. ${s(r.exampleRecordId)})`);
  for (const n of ineff.notes) out.push(`  (${n})`);
  out.push('', 'Anomalies:');
  const counts = a.anomalies.counts;
  out.push(`  ${counts.latency} latency, ${counts['error-burst']} error bursts, ${counts['memory-growth']} memory growth`);
  for (const x of a.anomalies.latest) out.push(`  ${anomalyLine(x)}`);
  for (const n of a.anomalies.notes) out.push(`  (${n})`);
  if (a.costs) {
    out.push(
      '',
      `Cost (${s(a.costs.currency)}): ${a.costs.total.total.toPrecision(4)} in all, ${a.costs.tasks.meanCost.toPrecision(3)} per task over ${a.costs.tasks.count} tasks`,
    );
    for (const t of a.costs.tools.slice(0, 8))
      out.push(`  ${s(t.toolId)}: ${t.total.toPrecision(3)} (${t.perCall.toPrecision(3)} per call)`);
  }
  out.push('', 'Recommendations (ranked by estimated impact):');
  if (a.suggestions.length === 0) out.push('  none');
  for (const x of a.suggestions) out.push(...formatRecommendation(x));
  return out.join('\n');
}
