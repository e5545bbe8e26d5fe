// Aggregates kept up to date as records are inserted, so a fleet report reads a few thousand
// rollup rows instead of every record:
//
// - `tool_days`: per (tool, UTC day, shard) counts, weighted sums, first/last times, duration
//   bounds and a histogram of durations in log buckets (HIST_PER_EFOLD per factor e, from 1 µs);
// - `tool_day_errors`: failed records per (tool, day, shard, error type);
// - `transitions`: per (from tool, to tool, shard) how often one directly follows the other in a
//   session, maintained exactly: a batch that continues its session (every new record after the
//   session's last stored one) adds its steps; a batch that lands before the end of its session
//   takes that session's counted steps back out and marks it `transitions_exact = false`, after
//   which its steps are computed from its records at query time;
// - `sessions`: per-session counts, times, tools and its last record (for the next batch's first step).
//
// `shard` is the writing connection's backend pid modulo ROLLUP_SHARDS: concurrent writers update
// different rows, so they do not queue behind each other's row locks. Rows are written in key
// order, so two writers on the same shard cannot deadlock.

/** Histogram buckets per factor e of duration: a bucket is e^(1/64) ≈ 1.6% wide, its midpoint within 0.79% of any value in it. */
export const HIST_PER_EFOLD = 64;
/** The last bucket (everything from e^(2400/64) µs ≈ 6e13 ms on); bucket 0 holds everything below 1 µs. */
export const HIST_LAST_BUCKET = 2400;
/** Rollup rows per key, one per group of writing connections. */
export const ROLLUP_SHARDS = 8;
const DAY_MS = 86_400_000;

/** A duration's bucket, as SQL over `duration_ms`. */
export const BUCKET_SQL = `(CASE WHEN duration_ms < 0.001 THEN 0 ELSE least(${HIST_LAST_BUCKET}, floor(ln(duration_ms * 1000) * ${HIST_PER_EFOLD})::int + 1) END)`;

/** The representative duration (ms) of a bucket: its geometric midpoint. */
export function bucketMidpointMs(bucket: number): number {
  return bucket <= 0 ? 0 : Math.exp((bucket - 0.5) / HIST_PER_EFOLD) / 1000;
}

const SHARD = `(pg_backend_pid() % ${ROLLUP_SHARDS})`;
const DAY = `(floor(start_ms / ${DAY_MS}) * ${DAY_MS})`;

/** The tables and functions of the rollups (migration 2); `S` is the quoted schema. */
export function rollupSchema(S: string): string[] {
  return [
    // element-wise sum of two histograms (missing or NULL elements count as 0). plpgsql keeps
    // array arguments and variables expanded, so each element costs O(1), not a detoast.
    `CREATE FUNCTION ${S}.hist_add(a int8[], b int8[]) RETURNS int8[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
       DECLARE
         r int8[];
         other int8[];
       BEGIN
         IF coalesce(cardinality(a), 0) >= coalesce(cardinality(b), 0) THEN r := a; other := b; ELSE r := b; other := a; END IF;
         IF r IS NULL THEN RETURN '{0}'; END IF;
         FOR i IN 1 .. coalesce(cardinality(other), 0) LOOP
           r[i] := coalesce(r[i], 0) + coalesce(other[i], 0);
         END LOOP;
         RETURN r;
       END $$`,
    // a dense histogram from (bucket, count) pairs
    `CREATE FUNCTION ${S}.hist_from(buckets int[], counts int8[]) RETURNS int8[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
       DECLARE
         r int8[];
         top int := 0;
       BEGIN
         FOR i IN 1 .. coalesce(cardinality(buckets), 0) LOOP top := greatest(top, buckets[i]); END LOOP;
         r := array_fill(0::int8, ARRAY[top + 1]);
         FOR i IN 1 .. coalesce(cardinality(buckets), 0) LOOP r[buckets[i] + 1] := r[buckets[i] + 1] + counts[i]; END LOOP;
         RETURN r;
       END $$`,
    `CREATE TABLE ${S}.tool_days (
       tool_id text NOT NULL,
       day float8 NOT NULL,
       shard int NOT NULL,
       records int8 NOT NULL,
       calls float8 NOT NULL,
       failures float8 NOT NULL,
       timed_records int8 NOT NULL,
       total_duration float8 NOT NULL,
       timed_weight float8 NOT NULL,
       first_time float8,
       last_time float8,
       min_duration float8,
       max_duration float8,
       hist int8[] NOT NULL,
       PRIMARY KEY (tool_id, day, shard)
     )`,
    `CREATE TABLE ${S}.tool_day_errors (
       tool_id text NOT NULL,
       day float8 NOT NULL,
       shard int NOT NULL,
       error_type text NOT NULL,
       n int8 NOT NULL,
       PRIMARY KEY (tool_id, day, shard, error_type)
     )`,
    `CREATE TABLE ${S}.transitions (
       from_tool text NOT NULL,
       to_tool text NOT NULL,
       shard int NOT NULL,
       n int8 NOT NULL,
       failures int8 NOT NULL,
       PRIMARY KEY (from_tool, to_tool, shard)
     )`,
    `ALTER TABLE ${S}.sessions
       ADD COLUMN calls float8 NOT NULL DEFAULT 0,
       ADD COLUMN failures float8 NOT NULL DEFAULT 0,
       ADD COLUMN first_time float8,
       ADD COLUMN last_time float8,
       ADD COLUMN tools text[] NOT NULL DEFAULT '{}',
       ADD COLUMN last_start float8,
       ADD COLUMN last_seq bigint,
       ADD COLUMN last_tool text,
       ADD COLUMN transitions_exact boolean NOT NULL DEFAULT true`,
    // tool queries of a fleet report read tool_days; one index fewer to maintain per record
    `DROP INDEX ${S}.records_tool_time`,
    ...rebuildRollups(S),
  ];
}

/** The rollups of one set of rows (`src`, with the records' columns), as (tool, day) upserts. */
function toolDayUpserts(S: string, src: string, shard: string): string {
  // per (tool, day, bucket) first (bucket -1: untimed), then one dense histogram per (tool, day)
  return `WITH per_bucket AS (
      SELECT tool_id, ${DAY} AS day, CASE WHEN untimed THEN -1 ELSE ${BUCKET_SQL} END AS bucket,
             count(*) AS records, sum(sample_weight) AS calls, coalesce(sum(sample_weight) FILTER (WHERE NOT success), 0) AS failures,
             count(*) FILTER (WHERE NOT untimed) AS timed_records,
             coalesce(sum(sample_weight * duration_ms) FILTER (WHERE NOT untimed), 0) AS total_duration,
             coalesce(sum(sample_weight) FILTER (WHERE NOT untimed), 0) AS timed_weight,
             min(start_ms) AS first_time, max(end_ms) AS last_time,
             min(duration_ms) FILTER (WHERE NOT untimed) AS min_duration, max(duration_ms) FILTER (WHERE NOT untimed) AS max_duration
      FROM ${src} GROUP BY 1, 2, 3
    )
    INSERT INTO ${S}.tool_days AS d (tool_id, day, shard, records, calls, failures, timed_records, total_duration, timed_weight,
                                     first_time, last_time, min_duration, max_duration, hist)
    SELECT t.tool_id, t.day, ${shard}, t.records, t.calls, t.failures, t.timed_records, t.total_duration, t.timed_weight,
           t.first_time, t.last_time, t.min_duration, t.max_duration, ${S}.hist_from(t.buckets, t.counts)
    FROM (SELECT tool_id, day, sum(records) AS records, sum(calls) AS calls, sum(failures) AS failures, sum(timed_records) AS timed_records,
                 sum(total_duration) AS total_duration, sum(timed_weight) AS timed_weight, min(first_time) AS first_time,
                 max(last_time) AS last_time, min(min_duration) AS min_duration, max(max_duration) AS max_duration,
                 array_agg(bucket) FILTER (WHERE bucket >= 0) AS buckets, array_agg(timed_records) FILTER (WHERE bucket >= 0) AS counts
          FROM per_bucket GROUP BY 1, 2) AS t
    ORDER BY t.tool_id COLLATE "C", t.day
    ON CONFLICT (tool_id, day, shard) DO UPDATE SET
      records = d.records + EXCLUDED.records, calls = d.calls + EXCLUDED.calls, failures = d.failures + EXCLUDED.failures,
      timed_records = d.timed_records + EXCLUDED.timed_records, total_duration = d.total_duration + EXCLUDED.total_duration,
      timed_weight = d.timed_weight + EXCLUDED.timed_weight, first_time = least(d.first_time, EXCLUDED.first_time),
      last_time = greatest(d.last_time, EXCLUDED.last_time), min_duration = least(d.min_duration, EXCLUDED.min_duration),
      max_duration = greatest(d.max_duration, EXCLUDED.max_duration), hist = ${S}.hist_add(d.hist, EXCLUDED.hist)`;
}

function errorUpserts(S: string, src: string, shard: string): string {
  return `INSERT INTO ${S}.tool_day_errors AS e (tool_id, day, shard, error_type, n)
    SELECT tool_id, day, ${shard}, error_type, n FROM (
      SELECT tool_id, ${DAY} AS day, coalesce(error_type, 'Error') AS error_type, count(*) AS n FROM ${src} WHERE NOT success GROUP BY 1, 2, 3
    ) AS counted ORDER BY tool_id COLLATE "C", day, error_type COLLATE "C"
    ON CONFLICT (tool_id, day, shard, error_type) DO UPDATE SET n = e.n + EXCLUDED.n`;
}

/**
 * Recomputes every rollup from the records (migration 2, and `rebuildAggregates()` after records
 * were written around the adapter, e.g. by bulk SQL). Run under the rollup lock.
 */
export function rebuildRollups(S: string): string[] {
  return [
    `TRUNCATE ${S}.tool_days, ${S}.tool_day_errors, ${S}.transitions`,
    toolDayUpserts(S, `${S}.records`, '0'),
    errorUpserts(S, `${S}.records`, '0'),
    `INSERT INTO ${S}.transitions (from_tool, to_tool, shard, n, failures)
     SELECT from_tool, to_tool, 0, count(*), count(*) FILTER (WHERE NOT success)
     FROM (SELECT tool_id AS to_tool, success, lag(tool_id) OVER (PARTITION BY session_id ORDER BY start_ms, seq) AS from_tool
           FROM ${S}.records) AS steps
     WHERE from_tool IS NOT NULL GROUP BY 1, 2`,
    `INSERT INTO ${S}.sessions AS s (session_id, last_modified) SELECT DISTINCT session_id, 0 FROM ${S}.records ON CONFLICT (session_id) DO NOTHING`,
    `UPDATE ${S}.sessions AS s SET records = 0, bytes = 0, calls = 0, failures = 0, first_time = NULL, last_time = NULL, tools = '{}',
       last_start = NULL, last_seq = NULL, last_tool = NULL, transitions_exact = true`,
    `UPDATE ${S}.sessions AS s SET records = a.records, calls = a.calls, failures = a.failures, first_time = a.first_time,
       last_time = a.last_time, tools = a.tools, last_start = a.last_start, last_seq = a.last_seq, last_tool = a.last_tool,
       bytes = a.bytes
     FROM (SELECT session_id, count(*) AS records, sum(sample_weight) AS calls,
                  coalesce(sum(sample_weight) FILTER (WHERE NOT success), 0) AS failures, min(start_ms) AS first_time,
                  max(end_ms) AS last_time, array_agg(DISTINCT tool_id) AS tools,
                  (array_agg(start_ms ORDER BY start_ms DESC, seq DESC))[1] AS last_start,
                  (array_agg(seq ORDER BY start_ms DESC, seq DESC))[1] AS last_seq,
                  (array_agg(tool_id ORDER BY start_ms DESC, seq DESC))[1] AS last_tool,
                  sum(coalesce(octet_length(extra::text), 0) + octet_length(id) + octet_length(tool_id) + 60) AS bytes
           FROM ${S}.records GROUP BY session_id) AS a
     WHERE a.session_id = s.session_id`,
  ];
}

/** Locks rollups against a rebuild or a delete (which take SHARE ROW EXCLUSIVE), first thing in a write, so locks are taken in one order. */
export function lockForWrite(S: string): string {
  return `LOCK TABLE ${S}.tool_days IN ROW EXCLUSIVE MODE`;
}
/** Locks rollups against every writer, for a rebuild or a delete. */
export function lockForRebuild(S: string): string {
  return `LOCK TABLE ${S}.tool_days IN SHARE ROW EXCLUSIVE MODE`;
}

/**
 * Creates (if new) and locks the session rows of the staged batch, in key order, so the batch's
 * steps are decided against a session end no other writer is changing.
 */
export function lockSessions(S: string, NOW_MS: string): string {
  return `INSERT INTO ${S}.sessions AS s (session_id, last_modified)
    SELECT session_id, ${NOW_MS} FROM pg_temp.perftrack_staging GROUP BY session_id ORDER BY session_id COLLATE "C"
    ON CONFLICT (session_id) DO UPDATE SET last_modified = s.last_modified`;
}

/**
 * Inserts the staged batch (what is not stored yet: ON CONFLICT DO NOTHING) and folds exactly the
 * rows inserted into every rollup, in one statement.
 */
export function insertStaged(S: string, columns: string, NOW_MS: string): string {
  return `WITH inserted AS (
      INSERT INTO ${S}.records (${columns}) SELECT ${columns} FROM pg_temp.perftrack_staging
      ON CONFLICT DO NOTHING
      RETURNING session_id, tool_id, start_ms, end_ms, duration_ms, success, untimed, error_type, sample_weight, seq,
                coalesce(octet_length(extra::text), 0) + octet_length(id) + octet_length(tool_id) + 60 AS bytes
    ), steps AS (
      SELECT session_id, tool_id, success, start_ms, seq,
             lag(tool_id) OVER w AS prev_tool, row_number() OVER w AS pos, count(*) OVER (PARTITION BY session_id) AS n
      FROM inserted WINDOW w AS (PARTITION BY session_id ORDER BY start_ms, seq)
    ), ends AS (
      SELECT session_id, max(start_ms) FILTER (WHERE pos = 1) AS first_start, max(seq) FILTER (WHERE pos = 1) AS first_seq,
             max(start_ms) FILTER (WHERE pos = n) AS last_start, max(seq) FILTER (WHERE pos = n) AS last_seq,
             max(tool_id) FILTER (WHERE pos = n) AS last_tool
      FROM steps WHERE pos = 1 OR pos = n GROUP BY session_id
    ), ordered AS (
      SELECT e.*, s.last_tool AS prev_last_tool, s.transitions_exact AS was_exact,
             s.transitions_exact AND (s.last_start IS NULL OR (e.first_start, e.first_seq) > (s.last_start, s.last_seq)) AS ok
      FROM ends e JOIN ${S}.sessions s ON s.session_id = e.session_id
    ), new_steps AS (
      SELECT coalesce(st.prev_tool, o.prev_last_tool) AS from_tool, st.tool_id AS to_tool, st.success
      FROM steps st JOIN ordered o ON o.session_id = st.session_id
      WHERE o.ok AND (st.prev_tool IS NOT NULL OR o.prev_last_tool IS NOT NULL)
    ), old_steps AS (
      SELECT lag(tool_id) OVER (PARTITION BY session_id ORDER BY start_ms, seq) AS from_tool, tool_id AS to_tool, success
      FROM ${S}.records WHERE session_id IN (SELECT session_id FROM ordered WHERE was_exact AND NOT ok)
    ), deltas AS (
      SELECT from_tool, to_tool, count(*) AS n, count(*) FILTER (WHERE NOT success) AS failures FROM new_steps GROUP BY 1, 2
      UNION ALL
      SELECT from_tool, to_tool, -count(*), -count(*) FILTER (WHERE NOT success) FROM old_steps WHERE from_tool IS NOT NULL GROUP BY 1, 2
    ), transitions_up AS (
      INSERT INTO ${S}.transitions AS t (from_tool, to_tool, shard, n, failures)
      SELECT from_tool, to_tool, ${SHARD}, n, failures
      FROM (SELECT from_tool, to_tool, sum(n) AS n, sum(failures) AS failures FROM deltas GROUP BY 1, 2) AS summed
      ORDER BY from_tool COLLATE "C", to_tool COLLATE "C"
      ON CONFLICT (from_tool, to_tool, shard) DO UPDATE SET n = t.n + EXCLUDED.n, failures = t.failures + EXCLUDED.failures
    ), tools_up AS (
      ${toolDayUpserts(S, 'inserted', SHARD)}
    ), errors_up AS (
      ${errorUpserts(S, 'inserted', SHARD)}
    )
    UPDATE ${S}.sessions AS s SET
      records = s.records + p.records, bytes = s.bytes + p.bytes, calls = s.calls + p.calls, failures = s.failures + p.failures,
      first_time = least(s.first_time, p.first_time), last_time = greatest(s.last_time, p.last_time),
      tools = ARRAY(SELECT DISTINCT t FROM unnest(s.tools || p.tools) AS t ORDER BY 1),
      last_start = CASE WHEN o.ok THEN o.last_start ELSE NULL END,
      last_seq = CASE WHEN o.ok THEN o.last_seq ELSE NULL END,
      last_tool = CASE WHEN o.ok THEN o.last_tool ELSE NULL END,
      transitions_exact = o.ok,
      last_modified = ${NOW_MS}
    FROM (SELECT session_id, count(*) AS records, sum(bytes) AS bytes, sum(sample_weight) AS calls,
                 coalesce(sum(sample_weight) FILTER (WHERE NOT success), 0) AS failures,
                 min(start_ms) AS first_time, max(end_ms) AS last_time, array_agg(DISTINCT tool_id) AS tools
          FROM inserted GROUP BY session_id) AS p
    JOIN ordered o ON o.session_id = p.session_id
    WHERE s.session_id = p.session_id`;
}

/**
 * Before a session's records are deleted (under the rebuild lock, the session row locked):
 * takes its counted steps out of `transitions`. Then {@link refoldDays} recomputes the tool-days it touched.
 */
export function forgetSessionSteps(S: string): string {
  return `INSERT INTO ${S}.transitions AS t (from_tool, to_tool, shard, n, failures)
    SELECT from_tool, to_tool, 0, -count(*), -count(*) FILTER (WHERE NOT success)
    FROM (SELECT lag(tool_id) OVER (ORDER BY start_ms, seq) AS from_tool, tool_id AS to_tool, success
          FROM ${S}.records WHERE session_id = $1) AS steps
    WHERE from_tool IS NOT NULL AND (SELECT transitions_exact FROM ${S}.sessions WHERE session_id = $1)
    GROUP BY 1, 2
    ON CONFLICT (from_tool, to_tool, shard) DO UPDATE SET n = t.n + EXCLUDED.n, failures = t.failures + EXCLUDED.failures`;
}

/** The (tool, day) keys of a session's records, as `[tools[], days[]]` rows for {@link refoldDays}. */
export function sessionDays(S: string): string {
  return `SELECT array_agg(tool_id) AS tools, array_agg(day) AS days
    FROM (SELECT DISTINCT tool_id, ${DAY} AS day FROM ${S}.records WHERE session_id = $1) AS k`;
}

/** Recomputes the rollups of the given (tool, day) keys from the records left ($1 tools, $2 days, pairwise). */
export function refoldDays(S: string): string[] {
  const keys = `SELECT * FROM unnest($1::text[], $2::float8[]) AS k(tool_id, day)`;
  const src = `(SELECT r.* FROM ${S}.records r JOIN (${keys}) k ON r.tool_id = k.tool_id AND r.start_ms >= k.day AND r.start_ms < k.day + ${DAY_MS}) AS src`;
  return [
    `DELETE FROM ${S}.tool_days WHERE (tool_id, day) IN (${keys})`,
    `DELETE FROM ${S}.tool_day_errors WHERE (tool_id, day) IN (${keys})`,
    toolDayUpserts(S, src, '0'),
    errorUpserts(S, src, '0'),
  ];
}
