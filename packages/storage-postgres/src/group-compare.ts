import type { HistoryFilter } from '@perftrack/storage';

/** One group's figures for a tool (or all tools) in a {@link GroupComparison}. */
export interface GroupFigures {
  /** Stored rows. */
  readonly records: number;
  /** Weighted by `sampleWeight`. */
  readonly calls: number;
  readonly failures: number;
  /** failures / calls (0 when calls is 0). */
  readonly errorRate: number;
  readonly timedRecords: number;
  /** Nearest-rank (`percentile_disc`) over timed records, ms; absent when none is timed. */
  readonly p50Ms?: number;
  readonly p95Ms?: number;
}

/** A tool (or `*`, all tools) in both groups: the figures and B minus A. */
export interface ToolComparison {
  readonly toolId: string;
  /** Absent when the group has no record of the tool. */
  readonly a?: GroupFigures;
  readonly b?: GroupFigures;
  /** B − A for the figures both groups have. */
  readonly difference: {
    readonly calls: number;
    readonly errorRate?: number;
    readonly p50Ms?: number;
    readonly p95Ms?: number;
    /** B's p50 / A's p50 (absent when A's is 0 or either is missing). */
    readonly p50Ratio?: number;
  };
}

/** What {@link PostgresStorage.compareGroups} answers: computed by the database in one statement. */
export interface GroupComparison {
  /** All tools together (`toolId: '*'`). */
  readonly overall: ToolComparison;
  /** Per tool, most calls in A and B first (ties by tool id). */
  readonly tools: readonly ToolComparison[];
}

/** One statement over both groups: per (group, tool) and per group, exact percentiles. */
export function compareSql(S: string, whereA: string, whereB: string): string {
  const columns = 'tool_id, duration_ms, untimed, success, sample_weight';
  return `SELECT grp, tool_id, GROUPING(tool_id) AS overall,
                 count(*)::float8 AS records, sum(sample_weight) AS calls,
                 coalesce(sum(sample_weight) FILTER (WHERE NOT success), 0) AS failures,
                 count(*) FILTER (WHERE NOT untimed)::float8 AS timed_records,
                 percentile_disc(ARRAY[0.5, 0.95]::float8[]) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE NOT untimed) AS p
          FROM (SELECT 'a' AS grp, ${columns} FROM ${S}.records WHERE ${whereA}
                UNION ALL
                SELECT 'b' AS grp, ${columns} FROM ${S}.records WHERE ${whereB}) AS g
          GROUP BY GROUPING SETS ((grp, tool_id), (grp))`;
}

export interface CompareRow {
  grp: 'a' | 'b';
  tool_id: string | null;
  overall: number;
  records: number;
  calls: number;
  failures: number;
  timed_records: number;
  p: number[] | null;
}

function figures(r: CompareRow): GroupFigures {
  const [p50, p95] = r.p ?? [];
  return {
    records: r.records,
    calls: r.calls,
    failures: r.failures,
    errorRate: r.calls > 0 ? r.failures / r.calls : 0,
    timedRecords: r.timed_records,
    ...(p50 != null ? { p50Ms: p50 } : {}),
    ...(p95 != null ? { p95Ms: p95 } : {}),
  };
}

function compared(toolId: string, a: GroupFigures | undefined, b: GroupFigures | undefined): ToolComparison {
  const both = <K extends 'errorRate' | 'p50Ms' | 'p95Ms'>(k: K) =>
    a?.[k] !== undefined && b?.[k] !== undefined ? { [k]: (b[k] as number) - (a[k] as number) } : {};
  return {
    toolId,
    ...(a !== undefined ? { a } : {}),
    ...(b !== undefined ? { b } : {}),
    difference: {
      calls: (b?.calls ?? 0) - (a?.calls ?? 0),
      ...(a !== undefined && b !== undefined ? both('errorRate') : {}),
      ...both('p50Ms'),
      ...both('p95Ms'),
      ...(a?.p50Ms !== undefined && b?.p50Ms !== undefined && a.p50Ms > 0 ? { p50Ratio: b.p50Ms / a.p50Ms } : {}),
    },
  };
}

const byText = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

/** The statement's rows as a {@link GroupComparison}; `decode` turns stored tool ids back. */
export function comparisonOf(rows: readonly CompareRow[], decode: (stored: string) => string): GroupComparison {
  const groups = { a: new Map<string, GroupFigures>(), b: new Map<string, GroupFigures>() };
  const overall: { a?: GroupFigures; b?: GroupFigures } = {};
  for (const r of rows) {
    if (r.overall === 1 || r.tool_id === null) overall[r.grp] = figures(r);
    else groups[r.grp].set(decode(r.tool_id), figures(r));
  }
  const ids = new Set([...groups.a.keys(), ...groups.b.keys()]);
  const tools = [...ids]
    .map((id) => compared(id, groups.a.get(id), groups.b.get(id)))
    .sort((x, y) => (y.a?.calls ?? 0) + (y.b?.calls ?? 0) - ((x.a?.calls ?? 0) + (x.b?.calls ?? 0)) || byText(x.toolId, y.toolId));
  return { overall: compared('*', overall.a, overall.b), tools };
}

/** The groups a comparison takes: any {@link HistoryFilter} (sessions, tools, a time range). */
export type RunGroup = HistoryFilter;
