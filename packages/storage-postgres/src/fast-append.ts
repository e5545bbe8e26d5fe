// The fast path of an append: the batch is COPYed straight into `records` (PostgreSQL routes
// each row to its partition), so the records' unique key refuses it whole (a unique violation)
// when any of it is stored already: a retry after a lost acknowledgement, a second import, the
// same record from another writer. Then, and only then, the caller rolls back and takes the
// staging + ON CONFLICT path, whose SQL counts only the rows it inserts.
//
// When the COPY succeeds every row of the batch was inserted, so the rollup deltas are computed
// here from the batch itself (per tool-day, error type, transition and session) and applied as a
// few upsert rows in the same transaction: the same figures the SQL of the slow path folds, by
// the same rules (see rollups.ts).

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { COPY_COLUMNS, type RowFacts } from './record-rows';
import { BUCKET_SQL, HIST_LAST_BUCKET, HIST_PER_EFOLD, lockForWrite, ROLLUP_SHARDS } from './rollups';
import { NOW_MS } from './schema';

const DAY_MS = 86_400_000;
const SHARD = `(pg_backend_pid() % ${ROLLUP_SHARDS})`;

/** The rows of one session in a batch (ids and tools as stored). */
export interface SessionPart {
  readonly session: string;
  readonly facts: readonly RowFacts[];
}

/** The session rows of a fast-path batch, created if new and locked in key order; what the batch's steps are decided against. */
export function lockSessionsSql(S: string, NOW_MS: string): string {
  return `INSERT INTO ${S}.sessions AS s (session_id, last_modified)
    SELECT sid, ${NOW_MS} FROM unnest($1::text[]) AS sid ORDER BY sid COLLATE "C"
    ON CONFLICT (session_id) DO UPDATE SET last_modified = s.last_modified
    RETURNING session_id, last_start, last_tool, transitions_exact`;
}

/** Takes the counted steps of sessions ($1) back out of `transitions`, before a batch that lands inside them. */
export function forgetStepsSql(S: string): string {
  return `INSERT INTO ${S}.transitions AS t (from_tool, to_tool, shard, n, failures)
    SELECT from_tool, to_tool, ${SHARD}, -count(*), -count(*) FILTER (WHERE NOT success)
    FROM (SELECT lag(tool_id) OVER (PARTITION BY session_id ORDER BY start_ms, seq) AS from_tool, tool_id AS to_tool, success
          FROM ${S}.records WHERE session_id = ANY($1::text[])) AS steps
    WHERE from_tool IS NOT NULL GROUP BY 1, 2 ORDER BY from_tool COLLATE "C", to_tool COLLATE "C"
    ON CONFLICT (from_tool, to_tool, shard) DO UPDATE SET n = t.n + EXCLUDED.n, failures = t.failures + EXCLUDED.failures`;
}

/** Buckets of durations the server computes itself (those too close to a bucket edge to trust this process's `Math.log`). */
export const BUCKETS_SQL = `SELECT ${BUCKET_SQL} AS bucket FROM unnest($1::float8[]) WITH ORDINALITY AS d(duration_ms, i) ORDER BY i`;

/**
 * The rollup deltas of a batch inserted whole, as one statement (the session rows must be locked,
 * the records COPYed). Its parts are in the staging path's order (transitions, tool-days, errors),
 * so two writers on one shard lock rows in one order.
 */
export function applyDeltasSql(S: string, NOW_MS: string): string {
  return `WITH transitions_up AS (
      INSERT INTO ${S}.transitions AS t (from_tool, to_tool, shard, n, failures)
      SELECT from_tool, to_tool, ${SHARD}, n, failures FROM unnest($18::text[], $19::text[], $20::int8[], $21::int8[]) AS x(from_tool, to_tool, n, failures)
      ORDER BY from_tool COLLATE "C", to_tool COLLATE "C"
      ON CONFLICT (from_tool, to_tool, shard) DO UPDATE SET n = t.n + EXCLUDED.n, failures = t.failures + EXCLUDED.failures
    ), tools_up AS (
      INSERT INTO ${S}.tool_days AS d (tool_id, day, shard, records, calls, failures, timed_records, total_duration, timed_weight,
                                       first_time, last_time, min_duration, max_duration, hist)
      SELECT tool_id, day, ${SHARD}, records, calls, failures, timed_records, total_duration, timed_weight,
             first_time, last_time, min_duration, max_duration, hist::int8[]
      FROM unnest($1::text[], $2::float8[], $3::int8[], $4::float8[], $5::float8[], $6::int8[], $7::float8[], $8::float8[],
                  $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::text[])
           AS t(tool_id, day, records, calls, failures, timed_records, total_duration, timed_weight,
                first_time, last_time, min_duration, max_duration, hist)
      ORDER BY tool_id COLLATE "C", day
      ON CONFLICT (tool_id, day, shard) DO UPDATE SET
        records = d.records + EXCLUDED.records, calls = d.calls + EXCLUDED.calls, failures = d.failures + EXCLUDED.failures,
        timed_records = d.timed_records + EXCLUDED.timed_records, total_duration = d.total_duration + EXCLUDED.total_duration,
        timed_weight = d.timed_weight + EXCLUDED.timed_weight, first_time = least(d.first_time, EXCLUDED.first_time),
        last_time = greatest(d.last_time, EXCLUDED.last_time), min_duration = least(d.min_duration, EXCLUDED.min_duration),
        max_duration = greatest(d.max_duration, EXCLUDED.max_duration), hist = ${S}.hist_add(d.hist, EXCLUDED.hist)
    ), errors_up AS (
      INSERT INTO ${S}.tool_day_errors AS e (tool_id, day, shard, error_type, n)
      SELECT tool_id, day, ${SHARD}, error_type, n FROM unnest($14::text[], $15::float8[], $16::text[], $17::int8[]) AS x(tool_id, day, error_type, n)
      ORDER BY tool_id COLLATE "C", day, error_type COLLATE "C"
      ON CONFLICT (tool_id, day, shard, error_type) DO UPDATE SET n = e.n + EXCLUDED.n
    )
    UPDATE ${S}.sessions AS s SET
      records = s.records + p.records, bytes = s.bytes + p.bytes, calls = s.calls + p.calls, failures = s.failures + p.failures,
      first_time = least(s.first_time, p.first_time), last_time = greatest(s.last_time, p.last_time),
      tools = ARRAY(SELECT DISTINCT t FROM unnest(s.tools || ARRAY(SELECT x.tool FROM unnest($33::text[], $34::text[]) AS x(sid, tool)
                                                          WHERE x.sid = s.session_id)) AS t ORDER BY 1),
      last_start = CASE WHEN p.ok THEN p.last_start END,
      last_seq = CASE WHEN p.ok THEN (SELECT r.seq FROM ${S}.records r
                                      WHERE r.session_id = s.session_id AND r.start_ms = p.last_start AND r.id = p.last_id) END,
      last_tool = CASE WHEN p.ok THEN p.last_tool END,
      transitions_exact = p.ok,
      last_modified = ${NOW_MS}
    FROM unnest($22::text[], $23::int8[], $24::int8[], $25::float8[], $26::float8[], $27::float8[], $28::float8[], $29::bool[],
                $30::float8[], $31::text[], $32::text[])
         AS p(session_id, records, bytes, calls, failures, first_time, last_time, ok, last_start, last_id, last_tool)
    WHERE s.session_id = p.session_id`;
}

/** A duration's histogram bucket as BUCKET_SQL computes it, or undefined within 1e-7 of a bucket edge (then the server is asked). */
export function bucketOf(duration: number): number | undefined {
  if (duration < 0.001) return 0;
  const v = Math.log(duration * 1000) * HIST_PER_EFOLD;
  if (!Number.isFinite(v)) return HIST_LAST_BUCKET;
  const f = Math.floor(v);
  if (v - f < 1e-7 || f + 1 - v < 1e-7) return undefined;
  return Math.min(HIST_LAST_BUCKET, f + 1);
}

/** A session's stored end, as {@link lockSessionsSql} returns it. */
export interface SessionEnd {
  readonly last_start: number | null;
  readonly last_tool: string | null;
  readonly transitions_exact: boolean;
}

interface ToolDay {
  tool: string;
  day: number;
  records: number;
  calls: number;
  failures: number;
  timedRecords: number;
  totalDuration: number;
  timedWeight: number;
  firstTime: number;
  lastTime: number;
  minDuration: number | null;
  maxDuration: number | null;
  hist: number[];
}

/**
 * The parameters of {@link applyDeltasSql} for a batch inserted whole, and the sessions whose
 * counted steps must first be taken out (the batch lands before their stored end).
 * `buckets(duration)` gives each timed row's histogram bucket.
 */
export function batchDeltas(
  parts: readonly SessionPart[],
  ends: ReadonlyMap<string, SessionEnd>,
  buckets: (duration: number) => number,
): { params: unknown[]; forget: string[] } {
  const days = new Map<string, ToolDay>();
  const errors = new Map<string, { tool: string; day: number; type: string; n: number }>();
  const steps = new Map<string, { from: string; to: string; n: number; failures: number }>();
  const sessions: unknown[][] = Array.from({ length: 11 }, () => []);
  const toolSids: string[] = [];
  const toolNames: string[] = [];
  const forget: string[] = [];
  for (const { session, facts } of parts) {
    let records = 0;
    let bytes = 0;
    let calls = 0;
    let failures = 0;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    const tools = new Set<string>();
    for (const f of facts) {
      records++;
      bytes += f.bytes;
      calls += f.weight;
      if (!f.success) failures += f.weight;
      if (f.start < first) first = f.start;
      if (f.end > last) last = f.end;
      tools.add(f.tool);
      const day = Math.floor(f.start / DAY_MS) * DAY_MS;
      const key = `${day}\u0000${f.tool}`;
      let d = days.get(key);
      if (d === undefined) {
        d = {
          tool: f.tool,
          day,
          records: 0,
          calls: 0,
          failures: 0,
          timedRecords: 0,
          totalDuration: 0,
          timedWeight: 0,
          firstTime: f.start,
          lastTime: f.end,
          minDuration: null,
          maxDuration: null,
          hist: [],
        };
        days.set(key, d);
      }
      d.records++;
      d.calls += f.weight;
      if (!f.success) d.failures += f.weight;
      if (f.start < d.firstTime) d.firstTime = f.start;
      if (f.end > d.lastTime) d.lastTime = f.end;
      if (!f.untimed) {
        d.timedRecords++;
        d.totalDuration += f.weight * f.duration;
        d.timedWeight += f.weight;
        if (d.minDuration === null || f.duration < d.minDuration) d.minDuration = f.duration;
        if (d.maxDuration === null || f.duration > d.maxDuration) d.maxDuration = f.duration;
        const b = buckets(f.duration);
        for (let i = d.hist.length; i <= b; i++) d.hist.push(0);
        d.hist[b]!++;
      }
      if (!f.success) {
        const type = f.errorType ?? 'Error';
        const ek = `${key}\u0000${type}`;
        const e = errors.get(ek);
        if (e === undefined) errors.set(ek, { tool: f.tool, day, type, n: 1 });
        else e.n++;
      }
    }
    // the batch's order: startTime, ties in batch order (the seq COPY draws)
    let ordered = facts;
    for (let i = 1; i < facts.length; i++) {
      if (facts[i]!.start < facts[i - 1]!.start) {
        ordered = [...facts].sort((a, b) => a.start - b.start);
        break;
      }
    }
    const end = ends.get(session);
    const exact = end?.transitions_exact ?? true;
    // the new seqs follow every stored one (the session row is locked before the COPY), so a tie on startTime comes after
    const lastStart = end?.last_start ?? null;
    const ok = exact && (lastStart === null || ordered[0]!.start >= lastStart);
    if (exact && !ok) forget.push(session);
    if (ok) {
      const step = (from: string, to: RowFacts) => {
        const k = `${from}\u0000${to.tool}`;
        const s = steps.get(k);
        if (s === undefined) steps.set(k, { from, to: to.tool, n: 1, failures: to.success ? 0 : 1 });
        else {
          s.n++;
          if (!to.success) s.failures++;
        }
      };
      if (end?.last_tool != null) step(end.last_tool, ordered[0]!);
      for (let i = 1; i < ordered.length; i++) step(ordered[i - 1]!.tool, ordered[i]!);
    }
    const lastRow = ordered[ordered.length - 1]!;
    for (const [i, v] of [session, records, bytes, calls, failures, first, last, ok, lastRow.start, lastRow.id, lastRow.tool].entries())
      sessions[i]!.push(v);
    for (const t of tools) {
      toolSids.push(session);
      toolNames.push(t);
    }
  }
  const d = [...days.values()];
  const e = [...errors.values()];
  const t = [...steps.values()].filter((s) => s.n !== 0);
  const params = [
    d.map((x) => x.tool),
    d.map((x) => x.day),
    d.map((x) => x.records),
    d.map((x) => x.calls),
    d.map((x) => x.failures),
    d.map((x) => x.timedRecords),
    d.map((x) => x.totalDuration),
    d.map((x) => x.timedWeight),
    d.map((x) => x.firstTime),
    d.map((x) => x.lastTime),
    d.map((x) => x.minDuration),
    d.map((x) => x.maxDuration),
    d.map((x) => `{${x.hist.length === 0 ? '0' : x.hist.join(',')}}`),
    e.map((x) => x.tool),
    e.map((x) => x.day),
    e.map((x) => x.type),
    e.map((x) => x.n),
    t.map((x) => x.from),
    t.map((x) => x.to),
    t.map((x) => x.n),
    t.map((x) => x.failures),
    ...sessions,
    toolSids,
    toolNames,
  ];
  return { params, forget };
}

/** Each timed duration's bucket: computed here, the few near an edge by the server (one round trip, only when there are any). */
export async function bucketsFor(client: pg.PoolClient, parts: readonly SessionPart[]): Promise<(duration: number) => number> {
  const asked = new Set<number>();
  for (const p of parts) for (const f of p.facts) if (!f.untimed && bucketOf(f.duration) === undefined) asked.add(f.duration);
  const server = new Map<number, number>();
  if (asked.size > 0) {
    const list = [...asked];
    const { rows } = await client.query<{ bucket: number }>(BUCKETS_SQL, [list]);
    for (const [i, row] of rows.entries()) server.set(list[i]!, row.bucket);
  }
  return (duration) => bucketOf(duration) ?? (server.get(duration) as number);
}

const statements = new Map<string, { lock: string; deltas: string }>();

/**
 * The fast path: COPYs the batch (`text`, the rows of `parts`) straight into `records` and applies
 * its rollup deltas, computed here, in one transaction. False, rolled back, when a record of it
 * is stored already (a unique violation): the caller then takes the staging path.
 */
export async function copyWhole(
  client: pg.PoolClient,
  S: string,
  synchronousCommit: boolean,
  text: string,
  parts: readonly SessionPart[],
): Promise<boolean> {
  let sql = statements.get(S);
  if (sql === undefined) statements.set(S, (sql = { lock: lockSessionsSql(S, NOW_MS), deltas: applyDeltasSql(S, NOW_MS) }));
  // locks in the staging path's order: rollups (against a rebuild or delete), then the sessions in key order
  await client.query(`BEGIN; ${synchronousCommit ? '' : 'SET LOCAL synchronous_commit = off; '}${lockForWrite(S)}`);
  // named statements: planned once per connection (a name per schema)
  const locked = await client.query<SessionEnd & { session_id: string }>({
    name: `perftrack_lock_sessions_${S}`,
    text: sql.lock,
    values: [parts.map((p) => p.session)],
  });
  const ends = new Map(locked.rows.map((r) => [r.session_id, r]));
  const { params, forget } = batchDeltas(parts, ends, await bucketsFor(client, parts));
  // a batch landing before its session's stored end: that session's counted steps come out first (from the stored rows only)
  if (forget.length > 0) await client.query(forgetStepsSql(S), [forget]);
  try {
    await pipeline(Readable.from([text]), client.query(copyFrom(`COPY ${S}.records (${COPY_COLUMNS.join(', ')}) FROM STDIN`)));
  } catch (e) {
    if ((e as { code?: unknown }).code !== '23505') throw e;
    await client.query('ROLLBACK');
    return false;
  }
  await client.query({ name: `perftrack_apply_deltas_${S}`, text: sql.deltas, values: params });
  await client.query('COMMIT');
  return true;
}
