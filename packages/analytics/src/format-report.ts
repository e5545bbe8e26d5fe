import type { Recommendation } from './recommendations';
import type { OverallReport, SessionReport, ToolAnalytics } from './types';
import { formatPercent as pct } from './format-percent';

/** Options of {@link formatSessionReport}. */
export interface FormatReportOptions {
  /** Most tools listed. Default 20. */
  maxTools?: number;
  /** Most sequences, predictions and recommendations listed. Default 5. */
  maxItems?: number;
}

/** Timed calls a p95 needs before it is printed unmarked (fewer: marked `*`). */
export const MIN_CALLS_FOR_P95 = 20;
/** Timed calls a p99 needs before it is printed unmarked (fewer: marked `*`). */
export const MIN_CALLS_FOR_P99 = 100;

const ms = (n: number | null): string => (n === null ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const bytes = (n: number | null | undefined): string => {
  if (n === null || n === undefined) return '-';
  const a = Math.abs(n);
  return a >= 1048576 ? `${(n / 1048576).toFixed(1)}M` : a >= 1024 ? `${(n / 1024).toFixed(1)}K` : `${Math.round(n)}B`;
};
const money = (n: number): string => (n === 0 ? '0' : Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
const count = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/**
 * Replaces control and bidi-override characters with `?`, so untrusted tool names, session ids
 * and messages cannot drive the terminal (escape sequences) or reorder what it shows.
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?');
}

/**
 * Lays out rows as aligned plain-text columns: a header, a rule of dashes, then the rows; the
 * columns in `rightAligned` (by index) are padded on the left. Cells are used as given: pass them
 * through {@link terminalSafe} when they come from data.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** A quantile, marked `*` when too few timed calls stand behind it. */
const quantile = (value: number | null, timedCalls: number, needed: number): string =>
  value === null ? '-' : timedCalls < needed ? `${ms(value)}*` : ms(value);

function toolRow(t: ToolAnalytics): string[] {
  return [
    terminalSafe(t.toolId),
    count(t.estimatedCount),
    count(t.failures),
    pct(t.errorRate),
    ms(t.meanDuration),
    ms(t.p50),
    quantile(t.p95, t.timedCount, MIN_CALLS_FOR_P95),
    quantile(t.p99, t.timedCount, MIN_CALLS_FOR_P99),
    bytes(t.memory?.peak),
    bytes(t.input?.mean),
    bytes(t.output?.mean),
  ];
}

/** The impact of a recommendation in words: time, failures, money or samples, then how it was computed. */
export function formatImpact(impact: Recommendation['impact']): string {
  const parts: string[] = [];
  if (impact.timeMs > 0) parts.push(`~${Math.round(impact.timeMs).toLocaleString('en-US')} ms saved`);
  if (impact.failures > 0) parts.push(`~${Math.round(impact.failures).toLocaleString('en-US')} failures avoided`);
  if (impact.cost > 0) parts.push(`~${money(impact.cost)} saved`);
  if (impact.samples > 0) parts.push(`${Math.round(impact.samples)} timed calls short`);
  return `${parts.length > 0 ? parts.join(', ') : 'no measurable saving'} (${impact.basis})`;
}

/**
 * A recommendation as three terminal-safe lines: `[kind] message`, what to change, and its
 * impact with the basis of the estimate. `perftrack report` and `perftrack analyze` print this.
 */
export function formatRecommendation(r: Recommendation, indent = '  '): string[] {
  return [
    `${indent}[${r.kind}] ${terminalSafe(r.message)}`,
    `${indent}    change: ${terminalSafe(r.action)}`,
    `${indent}    impact: ${terminalSafe(formatImpact(r.impact))}`,
  ];
}

/** Epoch ms as `YYYY-MM-DD HH:MM:SS UTC`. */
const utc = (t: number): string => `${new Date(t).toISOString().slice(0, 23).replace('T', ' ')} UTC`;

/** The data's time range: `from … to …`, or `no calls`. */
export function formatTimeRange(firstStart: number | null, lastEnd: number | null): string {
  if (firstStart === null || lastEnd === null || !Number.isFinite(firstStart) || !Number.isFinite(lastEnd)) return 'no calls';
  return `${utc(firstStart)} to ${utc(lastEnd)}`;
}

/**
 * Renders a {@link SessionReport} (or an {@link OverallReport}) as aligned plain text: summary, per-tool table (calls,
 * error rate, mean/p50/p95/p99 ms, peak memory delta, mean input/output size), top
 * sequences, likely next tools, error-prone sequences and recommendations. Control characters
 * in tool names and messages are replaced, so a hostile name cannot inject terminal escapes.
 */
export function formatSessionReport(report: SessionReport | OverallReport, options: FormatReportOptions = {}): string {
  const maxTools = options.maxTools ?? 20;
  const maxItems = options.maxItems ?? 5;
  const { analytics, insights } = report;
  const s = analytics.summary;
  const out: string[] = [];
  const range = formatTimeRange(s.firstStart, s.lastEnd);
  out.push(
    'sessionId' in report
      ? `Session ${terminalSafe(report.sessionId)} — calls from ${range}`
      : `All sessions (${s.sessions}) — calls from ${range}`,
  );
  if (s.totalOperations === 0) {
    out.push('  no calls recorded');
    return out.join('\n');
  }
  out.push(
    `  ${count(s.estimatedOperations)} calls (${s.totalOperations} recorded), ${s.failures} failed (${pct(s.errorRate)}), ` +
      `wall ${ms(s.wallDuration)} ms, in tools ${ms(s.busyDuration)} ms, ${s.throughput.toFixed(2)} calls/s` +
      (s.peakMemory === null ? '' : `, peak heap delta ${bytes(s.peakMemory)}`),
  );
  if (s.cost) {
    const c = s.cost;
    out.push(
      `  cost ${money(c.total)} ${terminalSafe(c.currency)}: ${money(c.perCall)} per call, ${money(c.perTask)} per task (${s.tasks} tasks); ` +
        `fixed ${money(c.fixed)}, runtime ${money(c.runtime)}, I/O ${money(c.io)}, tokens ${money(c.tokens)}`,
    );
  }
  out.push('');
  const priced = s.cost !== null;
  const header = [
    'tool',
    'calls',
    'failed',
    'error rate',
    'mean ms',
    'p50',
    'p95',
    'p99',
    'mem peak',
    'in',
    'out',
    ...(priced ? ['cost'] : []),
  ];
  const shown = analytics.tools.slice(0, maxTools);
  const rows = shown.map((t) => (priced ? [...toolRow(t), money(t.cost?.total ?? 0)] : toolRow(t)));
  out.push(...formatTable(header, rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])));
  const marked = shown.some(
    (t) => (t.p95 !== null && t.timedCount < MIN_CALLS_FOR_P95) || (t.p99 !== null && t.timedCount < MIN_CALLS_FOR_P99),
  );
  out.push(
    `  (quantiles within ±${(analytics.quantileRelativeError * 100).toFixed(0)}%${marked ? `; * = rough: fewer than ${MIN_CALLS_FOR_P95} timed calls for p95, ${MIN_CALLS_FOR_P99} for p99` : ''})`,
  );
  if (analytics.sequences.length > 0) {
    out.push('', 'Top sequences (longest form of each):');
    out.push(
      ...formatTable(
        ['sequence', 'count', 'sessions', 'all ok', 'avg ms'],
        analytics.sequences
          .slice(0, maxItems)
          .map((p) => [
            p.sequence.map(terminalSafe).join(' → '),
            count(p.count),
            String(p.sessions),
            pct(p.successRate),
            ms(p.avgDuration),
          ]),
        new Set([1, 2, 3, 4]),
      ).map((line) => `  ${line}`),
    );
  }
  if ('predictions' in report && report.predictions.length > 0) {
    out.push('', 'Likely next tools:');
    out.push(
      `  ${report.predictions
        .slice(0, maxItems)
        .map((p) => `${terminalSafe(p.toolId)} ${pct(p.probability)}`)
        .join(', ')}`,
    );
  }
  if (analytics.errorPatterns.length > 0) {
    out.push('', 'Error-prone sequences (the last call fails; 95% lower bound ≥ 10%):');
    out.push(
      ...formatTable(
        ['sequence', 'count', 'failed', 'error rate', '≥ (95%)', 'tool overall', 'lift', 'most common error'],
        analytics.errorPatterns.slice(0, maxItems).map((p) => {
          const e = p.commonErrors[0];
          return [
            p.sequence.map(terminalSafe).join(' → '),
            count(p.count),
            count(p.failures),
            pct(p.errorRate),
            pct(p.wilsonLowerBound),
            pct(p.baseRate),
            Number.isFinite(p.lift) ? `${p.lift.toFixed(1)}×` : '-',
            e ? `${terminalSafe(e.errorType)}: ${terminalSafe(e.message)}` : '-',
          ];
        }),
        new Set([1, 2, 3, 4, 5, 6]),
      ).map((line) => `  ${line}`),
    );
  }
  if (insights.recommendations.length > 0) {
    out.push('', 'Recommendations:');
    for (const r of insights.recommendations.slice(0, maxItems)) out.push(...formatRecommendation(r));
  }
  return out.join('\n');
}
