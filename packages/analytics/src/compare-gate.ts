import type { RunComparison, ToolComparison } from './compare';
import { formatPercent as rate } from './format-percent';
import { terminalSafe } from './format-report';

/**
 * What fails a CI gate: `regression` a significant p50 latency rise, `error-rate` a significant
 * error-rate rise, `any` either, of any tool or of all tools pooled.
 */
export type GateCondition = 'regression' | 'error-rate' | 'any';

/** One thing a gate checked: a tool's latency or error rate. */
export interface GateCheck {
  readonly toolId: string;
  readonly figure: 'latency' | 'error-rate';
  readonly failed: boolean;
  /** `false` when the runs had too few calls to tell. */
  readonly decided: boolean;
  /** The comparison's own words about this figure. */
  readonly reason: string;
}

/** The outcome of {@link evaluateGate}. */
export interface GateResult {
  readonly condition: GateCondition;
  readonly passed: boolean;
  readonly checks: readonly GateCheck[];
  readonly failures: readonly GateCheck[];
}

const GATE_CONDITIONS: readonly GateCondition[] = ['regression', 'error-rate', 'any'];

/** Whether `value` names a {@link GateCondition}. */
export function isGateCondition(value: unknown): value is GateCondition {
  return typeof value === 'string' && (GATE_CONDITIONS as readonly string[]).includes(value);
}

const reasonOf = (t: ToolComparison, prefix: RegExp): string => t.reasons.find((r) => prefix.test(r)) ?? '';

/**
 * Checks a comparison against a CI condition: every tool (and all tools pooled) whose latency
 * or error rate rose significantly fails it. Changes below the comparison's minimum, within
 * noise, or without enough calls do not.
 *
 * @example
 * const gate = evaluateGate(compareRuns(before, after), 'any');
 * if (!gate.passed) process.exitCode = 3;
 */
export function evaluateGate(doc: RunComparison, condition: GateCondition): GateResult {
  if (!isGateCondition(condition))
    throw new TypeError(`evaluateGate: condition must be one of ${GATE_CONDITIONS.join(', ')}, got ${String(condition)}`);
  const checks: GateCheck[] = [];
  for (const t of [doc.overall, ...doc.tools]) {
    if (condition !== 'error-rate') {
      checks.push({
        toolId: t.toolId,
        figure: 'latency',
        failed: t.latencyChange === 'rose',
        decided: t.latencyChange !== 'unknown',
        reason: reasonOf(t, /^(p50|latency)/),
      });
    }
    if (condition !== 'regression') {
      checks.push({
        toolId: t.toolId,
        figure: 'error-rate',
        failed: t.errorRateChange === 'rose',
        decided: t.errorRateChange !== 'unknown',
        reason: reasonOf(t, /^error rate/),
      });
    }
  }
  const failures = checks.filter((c) => c.failed);
  return { condition, passed: failures.length === 0, checks, failures };
}

const toolName = (id: string): string => (id === '*' ? 'all tools' : id);

/** Escapes text for a Markdown table cell: no control characters, pipes, HTML or newlines. */
function markdownCell(text: string): string {
  return terminalSafe(text).replace(/[\\`*_|<>[\]]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`));
}

/**
 * The comparison as GitHub-flavoured Markdown, for a CI job summary: a headline with the gate's
 * outcome, then one row per tool with calls, failures, error rate, p50 and verdict.
 */
export function formatComparisonMarkdown(doc: RunComparison, gate?: GateResult): string {
  const ms = (v: number | null) => (v === null ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1));
  const change = (r: number | null | undefined) => (r == null ? '' : ` (${r >= 0 ? '+' : ''}${(r * 100).toFixed(0)}%)`);
  const lines = [`### perftrack compare: ${markdownCell(doc.labels.a)} → ${markdownCell(doc.labels.b)}`, ''];
  if (gate) {
    lines.push(
      gate.passed
        ? `**Gate \`--fail-on ${gate.condition}\`: passed** (${gate.checks.length} checks, confidence ${doc.confidence})`
        : `**Gate \`--fail-on ${gate.condition}\`: FAILED** — ${gate.failures.map((f) => `${markdownCell(toolName(f.toolId))} ${f.figure}`).join(', ')}`,
      '',
    );
  }
  lines.push('| tool | calls | failed | error rate | p50 ms | p95 ms | verdict |', '|---|---:|---:|---:|---:|---:|---|');
  for (const t of [doc.overall, ...doc.tools]) {
    lines.push(
      `| ${markdownCell(toolName(t.toolId))} | ${t.a.calls.toFixed(0)} → ${t.b.calls.toFixed(0)} | ${t.a.failures.toFixed(0)} → ${t.b.failures.toFixed(0)} | ${rate(t.a.errorRate)} → ${rate(t.b.errorRate)} | ${ms(t.a.p50)} → ${ms(t.b.p50)}${change(t.p50?.relative)} | ${ms(t.a.p95)} → ${ms(t.b.p95)} | ${t.verdict} |`,
    );
  }
  const changed = [doc.overall, ...doc.tools].filter((t) => t.verdict === 'regressed' || t.verdict === 'improved');
  if (changed.length > 0) {
    lines.push('');
    for (const t of changed)
      lines.push(
        `- **${t.verdict}** ${markdownCell(toolName(t.toolId))}: ${t.reasons
          .filter((r) => !/no change|needed in each run/.test(r))
          .map(markdownCell)
          .join('; ')}`,
      );
  }
  return lines.join('\n');
}

/** Escapes text for XML 1.0 content and attributes (control characters become `?`). */
function xml(text: string): string {
  return terminalSafe(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * The gate as JUnit XML (one test case per tool and figure checked; a failed check is a
 * `<failure>`, one without enough data is `<skipped>`), which CI systems show as test results.
 */
export function formatComparisonJUnit(doc: RunComparison, gate: GateResult): string {
  const suite = `perftrack compare ${doc.labels.a} → ${doc.labels.b} (--fail-on ${gate.condition})`;
  const skipped = gate.checks.filter((c) => !c.decided).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="perftrack" tests="${gate.checks.length}" failures="${gate.failures.length}" skipped="${skipped}">`,
    `  <testsuite name="${xml(suite)}" tests="${gate.checks.length}" failures="${gate.failures.length}" skipped="${skipped}">`,
  ];
  for (const c of gate.checks) {
    const name = `${toolName(c.toolId)} ${c.figure}`;
    const open = `    <testcase classname="perftrack.compare.${c.figure}" name="${xml(name)}"`;
    if (c.failed)
      lines.push(
        `${open}>`,
        `      <failure message="${xml(c.reason)}" type="${c.figure}-regression">${xml(c.reason)}</failure>`,
        '    </testcase>',
      );
    else if (!c.decided) lines.push(`${open}>`, `      <skipped message="${xml(c.reason)}"/>`, '    </testcase>');
    else lines.push(`${open}/>`);
  }
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n');
}
