import type { OverallReport, Recommendation, SessionReport, ToolAnalytics } from './types';

/** Options of {@link formatSessionReport}. */
export interface FormatReportOptions {
  /** Most tools listed. Default 20. */
  maxTools?: number;
  /** Most sequences, predictions and recommendations listed. Default 5. */
  maxItems?: number;
}

const ms = (n: number | null): string => (n === null ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const bytes = (n: number | null | undefined): string => {
  if (n === null || n === undefined) return '-';
  const a = Math.abs(n);
  return a >= 1048576 ? `${(n / 1048576).toFixed(1)}M` : a >= 1024 ? `${(n / 1024).toFixed(1)}K` : `${Math.round(n)}B`;
};
const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;
const money = (n: number): string => (n === 0 ? '0' : Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
const count = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/**
 * Replaces control and bidi-override characters with `?`, so untrusted tool names, session ids
 * and messages cannot drive the terminal (escape sequences) or reorder what it shows.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
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

function toolRow(t: ToolAnalytics): string[] {
  return [terminalSafe(t.toolId), count(t.estimatedCount), pct(t.errorRate), ms(t.meanDuration), ms(t.p50), ms(t.p95), ms(t.p99), bytes(t.memory?.peak), bytes(t.input?.mean), bytes(t.output?.mean)];
}

function recommendationLine(r: Recommendation): string {
  const impact = r.impact.unit === 'ms' ? `~${Math.round(r.impact.value)} ms` : r.impact.unit === 'failures' ? `~${Math.round(r.impact.value)} failures` : `${Math.round(r.impact.value)} samples short`;
  return `[${r.kind}] ${terminalSafe(r.message)} (impact: ${impact})`;
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
  out.push('sessionId' in report ? `Session ${terminalSafe(report.sessionId)} — ${report.generatedAt}` : `All sessions (${s.sessions}) — ${report.generatedAt}`);
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
  const header = ['tool', 'calls', 'errors', 'mean ms', 'p50', 'p95', 'p99', 'mem peak', 'in', 'out', ...(priced ? ['cost'] : [])];
  const rows = analytics.tools.slice(0, maxTools).map((t) => (priced ? [...toolRow(t), money(t.cost?.total ?? 0)] : toolRow(t)));
  out.push(...formatTable(header, rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])));
  out.push(`  (quantiles within ±${(analytics.quantileRelativeError * 100).toFixed(0)}%)`);
  if (analytics.sequences.length > 0) {
    out.push('', 'Top sequences:');
    for (const p of analytics.sequences.slice(0, maxItems)) {
      out.push(`  ${p.sequence.map(terminalSafe).join(' → ')}  ×${count(p.count)}  ok ${pct(p.successRate)}  avg ${ms(p.avgDuration)} ms`);
    }
  }
  if ('predictions' in report && report.predictions.length > 0) {
    out.push('', 'Likely next tools:');
    out.push(`  ${report.predictions.slice(0, maxItems).map((p) => `${terminalSafe(p.toolId)} ${pct(p.probability)}`).join(', ')}`);
  }
  if (analytics.errorPatterns.length > 0) {
    out.push('', 'Error-prone sequences:');
    for (const p of analytics.errorPatterns.slice(0, maxItems)) {
      const e = p.commonErrors[0];
      out.push(`  ${p.sequence.map(terminalSafe).join(' → ')}  fails ${pct(p.errorRate)} vs ${pct(p.baseRate)} (n=${count(p.count)})${e ? `  ${terminalSafe(e.errorType)}: ${terminalSafe(e.message)}` : ''}`);
    }
  }
  if (insights.recommendations.length > 0) {
    out.push('', 'Recommendations:');
    for (const r of insights.recommendations.slice(0, maxItems)) out.push(`  ${recommendationLine(r)}`);
  }
  return out.join('\n');
}
