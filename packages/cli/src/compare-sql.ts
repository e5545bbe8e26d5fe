import type { GroupComparison, GroupFigures, PostgresStorage, ToolComparison } from '@perftrack/storage-postgres';
import { matchSessions } from './sources';

/** The `perftrack.compare-groups/1` document: two groups of runs compared by the database. */
export interface GroupComparisonDocument extends GroupComparison {
  readonly schema: 'perftrack.compare-groups/1';
  /** The database computed every figure (nothing was replayed here). */
  readonly computedBy: 'query';
  readonly a: { readonly label: string; readonly sessions: number };
  readonly b: { readonly label: string; readonly sessions: number };
}

/**
 * `perftrack compare A B` over a database: A and B name stored sessions (comma-separated, `*`
 * wildcards), and PostgreSQL computes per tool and overall each group's calls, error rate and
 * exact p50/p95 and their differences, so the groups' records never come into this process.
 */
export async function compareInDatabase(
  adapter: PostgresStorage,
  a: string,
  b: string,
): Promise<{ json: GroupComparisonDocument; lines: string[] }> {
  const stored = (await adapter.listSessions()).filter((s) => s.hasMetrics).map((s) => s.sessionId);
  const idsA = matchSessions(a, stored);
  const idsB = matchSessions(b, stored);
  const comparison = await adapter.compareGroups({ sessionIds: idsA }, { sessionIds: idsB });
  const doc: GroupComparisonDocument = {
    schema: 'perftrack.compare-groups/1',
    computedBy: 'query',
    a: { label: a, sessions: idsA.length },
    b: { label: b, sessions: idsB.length },
    ...comparison,
  };
  return { json: doc, lines: formatGroups(doc) };
}

const ms = (v: number | undefined) => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(3));
const pct = (v: number | undefined) => (v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
const signed = (v: number | undefined, f: (x: number) => string) => (v === undefined ? '—' : `${v > 0 ? '+' : ''}${f(v)}`);

function row(t: ToolComparison): string[] {
  const g = (x: GroupFigures | undefined) => [String(x?.calls ?? 0), pct(x?.errorRate), ms(x?.p50Ms), ms(x?.p95Ms)];
  const d = t.difference;
  return [
    t.toolId === '*' ? 'all tools' : t.toolId,
    ...g(t.a),
    ...g(t.b),
    signed(d.errorRate, (v) => `${(v * 100).toFixed(1)}pp`),
    signed(d.p50Ms, (v) => ms(v)),
    d.p50Ratio === undefined ? '—' : `×${d.p50Ratio.toFixed(2)}`,
    signed(d.p95Ms, (v) => ms(v)),
  ];
}

/** The comparison as an aligned text table (A's figures, B's, then B − A). */
export function formatGroups(doc: GroupComparisonDocument): string[] {
  const header = [
    'tool',
    'calls A',
    'err A',
    'p50 A',
    'p95 A',
    'calls B',
    'err B',
    'p50 B',
    'p95 B',
    'Δ err',
    'Δ p50 ms',
    'p50 B/A',
    'Δ p95 ms',
  ];
  const rows = [header, row(doc.overall), ...doc.tools.map(row)];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const text = rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  return [
    `perftrack compare, computed by the database: A = ${doc.a.label} (${doc.a.sessions} sessions), B = ${doc.b.label} (${doc.b.sessions} sessions)`,
    '',
    ...text,
    '',
    'p50/p95: nearest rank (percentile_disc) over timed records, ms; err: failures / calls (weighted); Δ: B − A',
  ];
}
