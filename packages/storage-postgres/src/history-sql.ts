import type pg from 'pg';
import type { HistoryFilter, HistoryQuery, SessionAggregate, ToolAggregate, TransitionAggregate } from '@perftrack/storage';
import { type CompareRow, comparisonOf, compareSql, type GroupComparison, type RunGroup } from './group-compare';
import {
  histogramPercentiles,
  rollupScope,
  sessionsFromRollupsSql,
  toolDaysWhere,
  toolErrorsSql,
  toolHistogramsSql,
  toolSumsSql,
  transitionsFromRollupsSql,
} from './rollup-reads';
import { decodeText, encodeText } from './text-column';

/** Runs `work` on a pooled connection (schema ready, errors redacted). */
export type Borrow = <T>(operation: string, work: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

/** A filter as a WHERE clause over `records`, its values appended to `params` (never spliced into the SQL). */
export function whereClause(filter: HistoryFilter | undefined, params: unknown[]): string {
  if (filter === undefined) return 'TRUE';
  if (typeof filter !== 'object' || filter === null) throw new TypeError('history query: filter must be an object');
  const parts: string[] = [];
  const list = (name: 'sessionIds' | 'toolIds', column: string) => {
    const values = filter[name];
    if (values === undefined) return;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string'))
      throw new TypeError(`history query: ${name} must be an array of strings`);
    params.push(values.map(encodeText));
    parts.push(`${column} = ANY($${params.length}::text[])`);
  };
  list('sessionIds', 'session_id');
  list('toolIds', 'tool_id');
  for (const [name, op] of [
    ['since', '>='],
    ['until', '<'],
  ] as const) {
    const value = filter[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || Number.isNaN(value))
      throw new TypeError(`history query: ${name} must be a number (epoch ms), got ${String(value)}`);
    params.push(value);
    parts.push(`start_ms ${op} $${params.length}::float8`);
  }
  return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
}

function checkLimit(limit: unknown): number | undefined {
  if (limit === undefined) return undefined;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)
    throw new TypeError(`history query: limit must be an integer >= 0, got ${String(limit)}`);
  return limit;
}

/** JavaScript's string order, which the replay uses for ties (SQL's "C" collation agrees except past U+FFFF). */
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The percentiles of {@link ToolAggregate}. */
const PERCENTILES = [0.5, 0.95, 0.99] as const;

/**
 * A duration's bucket: 128 per e-fold from 1 µs (about 0.8% wide), all below 1 µs in bucket 0.
 * Monotonic, so the k-th smallest duration lies in the bucket where the running count reaches k.
 */
const BUCKET = `(CASE WHEN duration_ms < 0.001 THEN 0 ELSE floor(ln(duration_ms * 1000) * 128)::int + 1 END)`;

/**
 * Exact nearest-rank percentiles (what `percentile_disc` gives) without sorting every record:
 * a hashed count per (tool, bucket) finds, for each tool and percentile, the bucket holding rank
 * k = ceil(p * n) and k's position inside it; then only the records of those buckets are sorted.
 * A bucket whose durations are all equal (a constant-time tool) answers from the count alone. The
 * same statement (one snapshot) does both passes. The worst case, nearly every duration distinct
 * within one 0.8% bucket, sorts as much as `percentile_disc` would.
 */
function percentileSql(S: string, where: string): string {
  return `WITH hist AS (
      SELECT tool_id, ${BUCKET} AS bucket, count(*)::float8 AS n, min(duration_ms) AS lo, max(duration_ms) AS hi
      FROM ${S}.records WHERE (${where}) AND NOT untimed GROUP BY 1, 2
    ), cum AS (
      SELECT tool_id, bucket, n, lo, hi,
             sum(n) OVER (PARTITION BY tool_id ORDER BY bucket) AS upto,
             sum(n) OVER (PARTITION BY tool_id) AS total
      FROM hist
    ), wanted AS (
      SELECT t.tool_id, p, greatest(1, ceil(p * t.total)) AS k
      FROM (SELECT DISTINCT tool_id, total FROM cum) AS t, unnest(ARRAY[${PERCENTILES.join(', ')}]::float8[]) AS p
    ), targets AS (
      SELECT w.tool_id, w.p, c.bucket, (w.k - (c.upto - c.n))::int8 AS pos, c.lo, c.hi
      FROM wanted w JOIN cum c ON c.tool_id = w.tool_id AND w.k > c.upto - c.n AND w.k <= c.upto
    ), ranked AS (
      SELECT tool_id, bucket, duration_ms, row_number() OVER (PARTITION BY tool_id, bucket ORDER BY duration_ms) AS pos
      FROM (SELECT tool_id, ${BUCKET} AS bucket, duration_ms FROM ${S}.records WHERE (${where}) AND NOT untimed) AS timed
      WHERE (tool_id, bucket) IN (SELECT tool_id, bucket FROM targets WHERE lo < hi)
    )
    SELECT tool_id, p, lo AS duration_ms FROM targets WHERE lo = hi
    UNION ALL
    SELECT t.tool_id, t.p, r.duration_ms FROM targets t JOIN ranked r ON r.tool_id = t.tool_id AND r.bucket = t.bucket AND r.pos = t.pos WHERE t.lo < t.hi`;
}

interface ToolRow {
  tool_id: string;
  records: number;
  calls: number;
  failures: number;
  timed_records: number;
  total_duration: number;
  timed_weight: number;
  first_time: number;
  last_time: number;
}

function quantilesOf(rows: readonly { tool_id: string; p: number; duration_ms: number }[]): Map<string, Map<number, number>> {
  const quantiles = new Map<string, Map<number, number>>();
  for (const q of rows) {
    let byP = quantiles.get(q.tool_id);
    if (byP === undefined) quantiles.set(q.tool_id, (byP = new Map()));
    byP.set(q.p, q.duration_ms);
  }
  return quantiles;
}

/** Rows of per-tool sums, percentiles and top errors as {@link ToolAggregate}s, most calls first. */
function toolAggregates(
  tools: readonly ToolRow[],
  quantiles: ReadonlyMap<string, ReadonlyMap<number, number>>,
  errors: readonly pg.QueryResultRow[],
): ToolAggregate[] {
  const topErrors = new Map<string, { errorType: string; count: number }[]>();
  for (const e of errors as { tool_id: string; error_type: string; n: number }[]) {
    let list = topErrors.get(e.tool_id);
    if (list === undefined) topErrors.set(e.tool_id, (list = []));
    list.push({ errorType: decodeText(e.error_type), count: e.n });
  }
  return tools
    .map((t): ToolAggregate => {
      const q = quantiles.get(t.tool_id);
      const [p50, p95, p99] = PERCENTILES.map((p) => q?.get(p));
      return {
        toolId: decodeText(t.tool_id),
        records: t.records,
        calls: t.calls,
        failures: t.failures,
        errorRate: t.calls > 0 ? t.failures / t.calls : 0,
        timedRecords: t.timed_records,
        totalDurationMs: t.total_duration,
        meanDurationMs: t.timed_weight > 0 ? t.total_duration / t.timed_weight : 0,
        ...(p50 !== undefined ? { p50Ms: p50 } : {}),
        ...(p95 !== undefined ? { p95Ms: p95 } : {}),
        ...(p99 !== undefined ? { p99Ms: p99 } : {}),
        firstTime: t.first_time,
        lastTime: t.last_time,
        topErrors: (topErrors.get(t.tool_id) ?? []).sort((a, b) => b.count - a.count || byText(a.errorType, b.errorType)),
      };
    })
    .sort((a, b) => b.calls - a.calls || byText(a.toolId, b.toolId));
}

/**
 * {@link HistoryQuery} in SQL: figures computed by PostgreSQL, so a fleet report moves only
 * aggregates into Node. Same definitions as a replay of the records (see `HistoryQuery`):
 * weighted calls and failures, nearest-rank percentiles of timed records, transitions between
 * consecutive records of a session in `startTime` order with ties in stored order.
 */
export class PostgresHistoryQuery implements HistoryQuery {
  readonly #S: string;
  readonly #borrow: Borrow;
  readonly #workMem: string;
  readonly #exactUpTo: number;

  constructor(S: string, borrow: Borrow, workMem: string, exactPercentilesUpTo: number) {
    this.#S = S;
    this.#borrow = borrow;
    this.#workMem = workMem;
    this.#exactUpTo = exactPercentilesUpTo;
  }

  /** Runs one aggregate statement with room for its sorts. */
  #aggregate<R extends pg.QueryResultRow>(operation: string, sql: string, params: unknown[]): Promise<R[]> {
    return this.#borrow(operation, async (client) => {
      await client.query('BEGIN READ ONLY');
      // work_mem takes no bound parameter; the value was checked against /^\d+(kB|MB|GB)$/
      await client.query(`SET LOCAL work_mem = '${this.#workMem}'`);
      // these statements are dominated by sorts: compiling them (JIT) costs more than it saves
      await client.query('SET LOCAL jit = off');
      const { rows } = await client.query<R>(sql, params);
      await client.query('COMMIT');
      return rows;
    });
  }

  /** Runs several statements in one read-only transaction with one snapshot (REPEATABLE READ). */
  #statements(operation: string, statements: readonly (readonly [string, unknown[]])[]): Promise<pg.QueryResultRow[][]> {
    return this.#borrow(operation, async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET LOCAL work_mem = '${this.#workMem}'`);
      await client.query('SET LOCAL jit = off');
      const out: pg.QueryResultRow[][] = [];
      for (const [sql, params] of statements) out.push((await client.query(sql, params)).rows);
      await client.query('COMMIT');
      return out;
    });
  }

  async aggregateTools(filter?: HistoryFilter): Promise<ToolAggregate[]> {
    const params: unknown[] = [];
    const where = whereClause(filter, params);
    if (rollupScope(filter).toolDays) {
      const fromRollups = await this.#toolsFromRollups(filter);
      if (fromRollups !== undefined) return fromRollups;
    }
    const S = this.#S;
    // One snapshot for the three statements, so they describe the same records.
    const [tools, percentiles, errors] = await this.#statements('aggregate tools', [
      [
        `SELECT tool_id,
                count(*)::float8 AS records,
                sum(sample_weight) AS calls,
                coalesce(sum(sample_weight) FILTER (WHERE NOT success), 0) AS failures,
                count(*) FILTER (WHERE NOT untimed)::float8 AS timed_records,
                coalesce(sum(sample_weight * duration_ms) FILTER (WHERE NOT untimed), 0) AS total_duration,
                coalesce(sum(sample_weight) FILTER (WHERE NOT untimed), 0) AS timed_weight,
                min(start_ms) AS first_time,
                max(end_ms) AS last_time
         FROM ${S}.records WHERE ${where}
         GROUP BY tool_id`,
        params,
      ],
      [percentileSql(S, where), params],
      [
        `SELECT tool_id, error_type, n FROM (
           SELECT tool_id, error_type, n, row_number() OVER (PARTITION BY tool_id ORDER BY n DESC, error_type COLLATE "C") AS rank
           FROM (SELECT tool_id, coalesce(error_type, 'Error') AS error_type, count(*)::float8 AS n
                 FROM ${S}.records WHERE (${where}) AND NOT success GROUP BY 1, 2) AS counted
         ) AS ranked WHERE rank <= 5`,
        params,
      ],
    ]);
    return toolAggregates(
      tools as ToolRow[],
      quantilesOf(percentiles as { tool_id: string; p: number; duration_ms: number }[]),
      errors ?? [],
    );
  }

  /**
   * From tool_days: counts, sums, times and top errors as a replay gives them; percentiles from
   * the merged histograms (within 0.79%), unless the filter covers at most `exactPercentilesUpTo`
   * timed records: then undefined, and the caller computes everything from the records, exactly.
   */
  async #toolsFromRollups(filter: HistoryFilter | undefined): Promise<ToolAggregate[] | undefined> {
    const S = this.#S;
    const params: unknown[] = [];
    const where = toolDaysWhere(filter, params);
    return this.#borrow('aggregate tools', async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET LOCAL work_mem = '${this.#workMem}'`);
      await client.query('SET LOCAL jit = off');
      const tools = (
        await client.query<ToolRow & { min_duration: number | null; max_duration: number | null }>(toolSumsSql(S, where), params)
      ).rows;
      if (tools.reduce((n, t) => n + t.timed_records, 0) <= this.#exactUpTo) {
        await client.query('COMMIT');
        return undefined;
      }
      const hist = (await client.query<{ tool_id: string; bucket: number; n: number }>(toolHistogramsSql(S, where), params)).rows;
      const errors = (await client.query(toolErrorsSql(S, where), params)).rows;
      await client.query('COMMIT');
      const byTool = new Map<string, { bucket: number; n: number }[]>();
      for (const h of hist) {
        let list = byTool.get(h.tool_id);
        if (list === undefined) byTool.set(h.tool_id, (list = []));
        list.push(h);
      }
      const quantiles = new Map<string, Map<number, number>>();
      for (const t of tools) {
        const values = histogramPercentiles(byTool.get(t.tool_id) ?? [], PERCENTILES, t.min_duration ?? 0, t.max_duration ?? 0);
        const byP = new Map<number, number>();
        for (const [i, p] of PERCENTILES.entries()) if (values[i] !== undefined) byP.set(p, values[i]);
        quantiles.set(t.tool_id, byP);
      }
      return toolAggregates(tools, quantiles, errors);
    });
  }

  async aggregateSessions(filter?: HistoryFilter, limit?: number): Promise<SessionAggregate[]> {
    const params: unknown[] = [];
    const where = whereClause(filter, params);
    const max = checkLimit(limit);
    if (max !== undefined) params.push(max);
    const rows = await this.#aggregate<{
      session_id: string;
      records: number;
      calls: number;
      failures: number;
      tools: number;
      first_time: number;
      last_time: number;
    }>(
      'aggregate sessions',
      rollupScope(filter).sessions
        ? sessionsFromRollupsSql(this.#S, where, max !== undefined ? `LIMIT $${params.length}` : '')
        : // per (session, tool) first: one hashed pass, no sort of every record for count(DISTINCT)
          `SELECT session_id,
              sum(records)::float8 AS records,
              sum(calls) AS calls,
              sum(failures) AS failures,
              count(*)::float8 AS tools,
              min(first_time) AS first_time,
              max(last_time) AS last_time
       FROM (SELECT session_id, tool_id, count(*) AS records, sum(sample_weight) AS calls,
                    coalesce(sum(sample_weight) FILTER (WHERE NOT success), 0) AS failures,
                    min(start_ms) AS first_time, max(end_ms) AS last_time
             FROM ${this.#S}.records WHERE ${where}
             GROUP BY session_id, tool_id) AS per_tool
       GROUP BY session_id
       ORDER BY last_time DESC, session_id COLLATE "C"
       ${max !== undefined ? `LIMIT $${params.length}` : ''}`,
      params,
    );
    return rows
      .map((r) => ({
        sessionId: decodeText(r.session_id),
        records: r.records,
        calls: r.calls,
        failures: r.failures,
        tools: r.tools,
        firstTime: r.first_time,
        lastTime: r.last_time,
      }))
      .sort((a, b) => b.lastTime - a.lastTime || byText(a.sessionId, b.sessionId));
  }

  async aggregateTransitions(filter?: HistoryFilter, limit?: number): Promise<TransitionAggregate[]> {
    const params: unknown[] = [];
    const where = whereClause(filter, params);
    const max = checkLimit(limit);
    if (max !== undefined) params.push(max);
    const rows = await this.#aggregate<{ from_tool: string; to_tool: string; n: number; failures: number }>(
      'aggregate transitions',
      rollupScope(filter).everything
        ? transitionsFromRollupsSql(this.#S, max !== undefined ? `LIMIT $${params.length}` : '')
        : `SELECT from_tool, to_tool, count(*)::float8 AS n, count(*) FILTER (WHERE NOT success)::float8 AS failures
       FROM (SELECT tool_id AS to_tool, success, lag(tool_id) OVER (PARTITION BY session_id ORDER BY start_ms, seq) AS from_tool
             FROM ${this.#S}.records WHERE ${where}) AS steps
       WHERE from_tool IS NOT NULL
       GROUP BY from_tool, to_tool
       ORDER BY n DESC, from_tool COLLATE "C", to_tool COLLATE "C"
       ${max !== undefined ? `LIMIT $${params.length}` : ''}`,
      params,
    );
    return rows
      .map((r) => ({ from: decodeText(r.from_tool), to: decodeText(r.to_tool), count: r.n, failures: r.failures }))
      .sort((a, b) => b.count - a.count || byText(a.from, b.from) || byText(a.to, b.to));
  }

  /** Two groups of runs compared in one statement: per tool and overall, exact percentiles. */
  async compareGroups(a: RunGroup, b: RunGroup): Promise<GroupComparison> {
    const params: unknown[] = [];
    const whereA = whereClause(a ?? {}, params);
    const whereB = whereClause(b ?? {}, params);
    const rows = await this.#aggregate<CompareRow>('compare groups', compareSql(this.#S, whereA, whereB), params);
    return comparisonOf(rows, decodeText);
  }

  async countRecords(filter?: HistoryFilter): Promise<number> {
    const params: unknown[] = [];
    const where = whereClause(filter, params);
    const scope = rollupScope(filter);
    const dayParams: unknown[] = [];
    const rows = await this.#aggregate<{ n: number }>(
      'count records',
      scope.sessions
        ? `SELECT coalesce(sum(records), 0)::float8 AS n FROM ${this.#S}.sessions WHERE ${where}`
        : scope.toolDays
          ? `SELECT coalesce(sum(records), 0)::float8 AS n FROM ${this.#S}.tool_days WHERE ${toolDaysWhere(filter, dayParams)}`
          : `SELECT count(*)::float8 AS n FROM ${this.#S}.records WHERE ${where}`,
      !scope.sessions && scope.toolDays ? dayParams : params,
    );
    return rows[0]?.n ?? 0;
  }
}
