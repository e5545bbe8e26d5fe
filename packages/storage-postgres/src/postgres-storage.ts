import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { checkOptionKeys, Diagnostics } from '@perftrack/core/internal';
import {
  isRecord,
  PartialAppendError,
  validateSessionId,
  type AppendOutcome,
  type HistoryQuery,
  type ReadReport,
  type SnapshotKind,
  type StorageAdapter,
  type StoredSessionInfo,
} from '@perftrack/storage';
import {
  DATABASE_URL_ENV,
  describeTarget,
  errorText,
  isConnectionLost,
  parseDatabaseUrl,
  secretsOf,
  connectListening,
  releaseClient,
  storageError,
} from './connection';
import type { GroupComparison, RunGroup } from './group-compare';
import { PostgresHistoryQuery } from './history-sql';
import { copyWhole, type SessionPart } from './fast-append';
import { COPY_COLUMNS, copyBatch, joinRecord, type RecordRow } from './record-rows';
import {
  forgetSessionSteps,
  insertStaged,
  lockForRebuild,
  lockForWrite,
  lockSessions,
  rebuildRollups,
  refoldDays,
  sessionDays,
} from './rollups';
import { createPartitions, migrate, NOW_MS, partitionOf, schemaIdentifier } from './schema';
import { decodeText, encodeText } from './text-column';

/** How records are split into partitions by `startTime`: one table per UTC day or month. */
export type PartitionInterval = 'day' | 'month';

/** Options of {@link PostgresStorage}. */
export interface PostgresStorageOptions {
  /**
   * `postgres://user:password@host:port/database?…` (also `postgresql://`; a unix socket
   * directory as `?host=/run/postgresql`). Default: `$PERFTRACK_DATABASE_URL`. The usual
   * libpq variables (`PGPASSWORD`, `PGUSER`…) fill in what the URL leaves out.
   */
  connectionString?: string;
  /**
   * TLS, passed to `pg` as it is: `true`, or Node's `tls.connect` options (`ca`, `cert`, `key`,
   * `rejectUnauthorized`, `servername`…). An `sslmode` in the URL takes precedence (as in `pg`).
   */
  ssl?: boolean | ConnectionOptions;
  /** Schema holding perftrack's tables (created when missing). Default `perftrack`. */
  schema?: string;
  /**
   * Partition width for records by `startTime`. Default `month`. Fixed by the first process that
   * creates the schema; later ones follow what is stored.
   */
  partitionInterval?: PartitionInterval;
  /** Connections at most (the pool's `max`). Default 4. */
  maxConnections?: number;
  /** How long to wait for a connection before failing (ms). Default 10,000. */
  connectionTimeoutMs?: number;
  /** Server-side limit per statement (ms; 0 for none). Default 120,000. */
  statementTimeoutMs?: number;
  /** `work_mem` for aggregate queries (sorts for percentiles stay in memory). Default `256MB`. */
  queryWorkMem?: string;
  /**
   * A tool report over more timed records than this takes its p50/p95/p99 from the duration
   * histograms kept at insert time (within 0.79% of the exact value, 0.5 µs below 1 µs) instead
   * of sorting the records; at most this many, they are exact (`percentile_disc`). Counts, sums,
   * error rates and top errors are exact either way. Default 200,000.
   */
  exactPercentilesUpTo?: number;
  /**
   * `false` sets `synchronous_commit = off` on the writing connections: a batch is acknowledged
   * before its WAL reaches disk, so more batches per second; a crash of the server (not of this
   * process, nor a network failure) can lose the batches of its last ~0.6 s (3 × `wal_writer_delay`),
   * which the writer has already counted as written. Never a duplicate or a corrupt row. Default `true`.
   */
  synchronousCommit?: boolean;
  /** Receives errors of idle connections (a restart, `pg_terminate_backend`). Default: the first one is warned about. */
  onError?: (error: unknown, operation: string) => void;
  /** Receives one-time warnings. Default `process.emitWarning`. */
  onWarning?: (message: string) => void;
  /** Where `PERFTRACK_DATABASE_URL` is read from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

const OPTION_KEYS = [
  'connectionString',
  'ssl',
  'schema',
  'partitionInterval',
  'maxConnections',
  'connectionTimeoutMs',
  'statementTimeoutMs',
  'queryWorkMem',
  'exactPercentilesUpTo',
  'synchronousCommit',
  'onError',
  'onWarning',
  'env',
] as const;

function nonNegativeInt(name: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`PostgresStorage: ${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A write pass of at least this many rows over several sessions is sent as two transactions at once. */
const PARALLEL_ROWS = 2000;

/** Records read per round trip by {@link PostgresStorage.readMetrics}. */
const READ_PAGE = 2000;

/**
 * A {@link StorageAdapter} over PostgreSQL, for many agents on many machines writing into one
 * database. Give it to `PerformanceStorage` (`new PerformanceStorage({ adapter })`), whose
 * bounded queue and writer batch the records, retry while the database is away and count what
 * is dropped.
 *
 * - Schema: created and migrated on first use, in one transaction under an advisory lock, with
 *   the versions applied recorded in `<schema>.schema_migrations`.
 * - Records: a table partitioned by `startTime` (declarative range partitions, created as records
 *   need them). A batch is `COPY`ed straight into it; one with a record stored already (a retry,
 *   a second import, the same record from two processes) fails the unique key, and is then COPYed
 *   into a staging table and inserted with `ON CONFLICT DO NOTHING`: each record is stored once.
 * - Snapshots: their own table, replaced by an upsert (a reader sees the old or the new one).
 * - Rollups: per tool-day sums and duration histograms, error counts, transition counts and
 *   per-session figures, of exactly the rows each insert stored (from the batch when it went in whole).
 * - Fleet reads: {@link query} computes per-tool, per-session and transition figures in the
 *   database (see `HistoryQuery`), mostly from the rollups; {@link compareGroups} compares two
 *   groups of runs.
 * - Errors: every failure becomes a {@link PostgresStorageError} whose message never contains the
 *   connection string or password. Values reach the server only as bound parameters or COPY data.
 *
 * @example
 * const storage = new PerformanceStorage({ adapter: new PostgresStorage({ connectionString: process.env.PERFTRACK_DATABASE_URL }) });
 * MetricsCollector.subscribe(storage);
 */
export class PostgresStorage implements StorageAdapter {
  /**
   * Per-tool, per-session and transition figures computed by the database, from the rollups
   * kept at insert time where the filter allows (no session filter, whole UTC days), else from
   * the records. Exact, but for p50/p95/p99 over more than `exactPercentilesUpTo` timed records:
   * those come from the duration histograms, within 0.79% of `percentile_disc`.
   */
  readonly query: HistoryQuery;
  /** Where the data goes, for messages: host, port and database (no user or password). */
  readonly target: string;
  readonly #poolConfig: pg.PoolConfig;
  readonly #secrets: readonly string[];
  readonly #S: string;
  readonly #schema: string;
  readonly #wantedInterval: PartitionInterval;
  readonly #diagnostics: Diagnostics;
  readonly #workMem: string;
  readonly #synchronousCommit: boolean;
  readonly #insertSql: string;
  readonly #history: PostgresHistoryQuery;
  #pool: pg.Pool | undefined;
  #ready: Promise<PartitionInterval> | undefined;
  /** Lower bounds of the partitions known to exist. */
  readonly #partitions = new Set<number>();
  /** Connections that have created their staging table. */
  #staged = new WeakSet<pg.PoolClient>();

  constructor(options: PostgresStorageOptions = {}) {
    checkOptionKeys(options, OPTION_KEYS, 'PostgresStorage');
    const env = options.env ?? process.env;
    const given = options.connectionString ?? env[DATABASE_URL_ENV];
    if (typeof given !== 'string' || given === '') {
      throw new TypeError(
        `PostgresStorage: no database: pass connectionString or set ${DATABASE_URL_ENV} (postgres://user:password@host:5432/database)`,
      );
    }
    const url = parseDatabaseUrl(given);
    if (url === undefined) {
      // the text itself is never repeated: it may hold a password
      throw new TypeError(
        `PostgresStorage: the connection string is not a postgres:// or postgresql:// URL (${given.length} characters, not shown: it may hold a password)`,
      );
    }
    if (options.ssl !== undefined && typeof options.ssl !== 'boolean' && (typeof options.ssl !== 'object' || options.ssl === null)) {
      throw new TypeError('PostgresStorage: ssl must be a boolean or tls.connect options');
    }
    const interval = options.partitionInterval ?? 'month';
    if (interval !== 'day' && interval !== 'month')
      throw new TypeError(`PostgresStorage: partitionInterval must be "day" or "month", got ${JSON.stringify(interval)}`);
    if (options.queryWorkMem !== undefined && !/^\d+(?:kB|MB|GB)$/.test(String(options.queryWorkMem))) {
      throw new TypeError(
        `PostgresStorage: queryWorkMem must look like "64MB" (kB, MB or GB), got ${JSON.stringify(options.queryWorkMem)}`,
      );
    }
    this.#schema = options.schema ?? 'perftrack';
    this.#S = schemaIdentifier(this.#schema);
    this.#wantedInterval = interval;
    this.#secrets = secretsOf(given, url);
    this.target = describeTarget(url);
    this.#diagnostics = new Diagnostics({ onError: options.onError, onWarning: options.onWarning }, 'PostgresStorage');
    const statementTimeout = nonNegativeInt('statementTimeoutMs', options.statementTimeoutMs, 120_000);
    this.#poolConfig = {
      connectionString: given,
      ...(options.ssl !== undefined ? { ssl: options.ssl } : {}),
      max: nonNegativeInt('maxConnections', options.maxConnections, 4, 1),
      connectionTimeoutMillis: nonNegativeInt('connectionTimeoutMs', options.connectionTimeoutMs, 10_000, 1),
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
      application_name: 'perftrack',
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
    };
    if (options.synchronousCommit !== undefined && typeof options.synchronousCommit !== 'boolean')
      throw new TypeError('PostgresStorage: synchronousCommit must be a boolean');
    this.#synchronousCommit = options.synchronousCommit ?? true;
    this.#insertSql = insertStaged(this.#S, `${COPY_COLUMNS.join(', ')}, seq`, NOW_MS);
    this.#workMem = options.queryWorkMem ?? '256MB';
    this.query = this.#history = new PostgresHistoryQuery(
      this.#S,
      (operation, work) => this.#borrow(operation, work),
      this.#workMem,
      nonNegativeInt('exactPercentilesUpTo', options.exactPercentilesUpTo, 200_000),
    );
  }

  // ---- connections ------------------------------------------------------------------------------

  #getPool(): pg.Pool {
    if (this.#pool === undefined) {
      const pool = new pg.Pool(this.#poolConfig);
      // An idle connection the server dropped (a restart, pg_terminate_backend): the pool discards
      // it and the next query opens a new one. Without a listener the process would crash.
      pool.on('error', (error) => {
        const safe = storageError(error, 'idle connection', this.#secrets);
        this.#diagnostics.report(
          safe,
          'idle connection',
          () =>
            `perftrack postgres: an idle connection to ${this.target} was closed (${errorText(error, this.#secrets)}); it is replaced on next use`,
        );
      });
      this.#pool = pool;
    }
    return this.#pool;
  }

  /**
   * Runs `work` on a pooled connection after the schema is ready; errors come out redacted. A
   * pooled connection the server closed while it sat idle (a restart, pg_terminate_backend) fails
   * its next statement: then `work` runs once more on a new connection. Every use of this is
   * safe to repeat: reads, upserts, deletes, and appends (a repeated record is not stored twice).
   */
  async #borrow<T>(operation: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    // each idle connection of the pool may be a closed one: one more try than there are connections
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#attempt(work);
      } catch (e) {
        if (!isConnectionLost(e) || attempt >= (this.#poolConfig.max ?? 1)) throw storageError(e, operation, this.#secrets);
      }
    }
  }

  async #attempt<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.#ensureSchema();
    // the connection may die between statements (a restart, pg_terminate_backend): its 'error' is kept
    const [client, lost] = await connectListening(this.#getPool());
    let broken: unknown;
    try {
      return await work(client);
    } catch (e) {
      // a failed statement inside a transaction leaves it aborted; a lost connection is unusable
      broken = await client.query('ROLLBACK').then(
        () => undefined,
        () => e,
      );
      throw e;
    } finally {
      releaseClient(client, lost.listener, broken ?? lost.error);
    }
  }

  #ensureSchema(): Promise<PartitionInterval> {
    this.#ready ??= (async () => {
      const [client, lost] = await connectListening(this.#getPool());
      let broken: unknown;
      try {
        return await migrate(client, this.#S, this.#schema, this.#wantedInterval);
      } catch (e) {
        broken = e;
        throw e;
      } finally {
        releaseClient(client, lost.listener, broken ?? lost.error);
      }
    })().catch((e: unknown) => {
      this.#ready = undefined; // tried again on next use (the server may come back)
      throw e;
    });
    return this.#ready;
  }

  async #ensurePartitions(client: pg.PoolClient, startTimes: readonly number[]): Promise<void> {
    const interval = await this.#ensureSchema();
    const missing = new Map<number, { from: number; to: number; name: string }>();
    for (const t of startTimes) {
      const p = partitionOf(t, interval);
      if (p !== undefined && !this.#partitions.has(p.from)) missing.set(p.from, p);
    }
    if (missing.size === 0) return;
    await createPartitions(client, this.#S, this.#schema, [...missing.values()]);
    for (const from of missing.keys()) this.#partitions.add(from);
  }

  // ---- StorageAdapter -------------------------------------------------------------------------

  /**
   * Stores records in one transaction (COPY into staging, then insert what is not stored yet).
   * Records that cannot be stored (a non-finite number, metadata JSON cannot encode) are left
   * out: the others are stored and a `PartialAppendError` with a `TypeError` cause says how many were.
   */
  async appendMetrics(sessionId: string, records: readonly ToolExecutionMetrics[]): Promise<void> {
    const outcome = (await this.appendSessions(new Map([[sessionId, records]]))).get(sessionId);
    if (outcome?.error !== undefined) throw new PartialAppendError(outcome.written, outcome.error);
  }

  /**
   * Stores the records of several sessions in one transaction: what `PerformanceStorage`'s writer
   * calls once per write pass, so a pass over many sessions costs one COPY and one commit.
   * A session whose records were not all storable has an outcome with a `TypeError`.
   */
  async appendSessions(groups: ReadonlyMap<string, readonly ToolExecutionMetrics[]>): Promise<ReadonlyMap<string, AppendOutcome>> {
    for (const sessionId of groups.keys()) validateSessionId(sessionId);
    const outcomes = new Map<string, AppendOutcome>();
    const parts: (SessionPart & { text: string })[] = [];
    for (const [sessionId, records] of groups) {
      const batch = copyBatch(sessionId, records);
      if (batch.rows > 0) parts.push({ text: batch.text, session: encodeText(sessionId), facts: batch.facts });
      if (batch.unstorable > 0) {
        outcomes.set(sessionId, {
          written: batch.rows,
          error: new TypeError(
            `appendMetrics: ${batch.unstorable} of ${records.length} records cannot be stored; the first: ${batch.firstProblem}`,
          ),
        });
      }
    }
    if (parts.length === 0) return outcomes;
    // A large pass over several sessions goes out as two transactions at once (whole sessions each), so the
    // server works on both while this process encodes: each is idempotent; a failure fails the call, retried whole.
    const total = parts.reduce((n, p) => n + p.facts.length, 0);
    const lanes = total >= PARALLEL_ROWS && parts.length > 1 && (this.#poolConfig.max ?? 1) >= 2 ? 2 : 1;
    const split = Array.from({ length: lanes }, () => ({ parts: [] as (SessionPart & { text: string })[], rows: 0 }));
    for (const part of [...parts].sort((a, b) => b.facts.length - a.facts.length)) {
      const lane = split.reduce((best, l) => (l.rows < best.rows ? l : best));
      lane.parts.push(part);
      lane.rows += part.facts.length;
    }
    await Promise.all(split.map((lane) => this.#appendText(lane.parts.map((p) => p.text).join(''), lane.parts)));
    return outcomes;
  }

  #appendText(text: string, parts: readonly SessionPart[]): Promise<void> {
    const startTimes = parts.flatMap((p) => p.facts.map((f) => f.start));
    return this.#borrow('append records', async (client) => {
      await this.#ensurePartitions(client, startTimes);
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.#insert(client, text, parts);
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          // a partition dropped by someone since we created it: create it again; a deadlock (rolled back whole): again
          if ((code !== '23514' && code !== '40P01') || attempt >= 2) throw e;
          await client.query('ROLLBACK');
          if (code === '23514') {
            this.#partitions.clear();
            await this.#ensurePartitions(client, startTimes);
          }
        }
      }
    });
  }

  /** The fast path (COPY into records, rollups from the batch); when part of the batch is stored already, the staging path. */
  async #insert(client: pg.PoolClient, text: string, parts: readonly SessionPart[]): Promise<void> {
    if (await copyWhole(client, this.#S, this.#synchronousCommit, text, parts)) return;
    const S = this.#S;
    await client.query('BEGIN');
    const creating = !this.#staged.has(client);
    // the staging table's seq default draws from the records' sequence, in COPY order: kept on insert
    if (creating) {
      await client.query(`CREATE TEMP TABLE IF NOT EXISTS perftrack_staging (LIKE ${S}.records INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`);
      if (!this.#synchronousCommit) await client.query('SET synchronous_commit = off');
    }
    await pipeline(Readable.from([text]), client.query(copyFrom(`COPY pg_temp.perftrack_staging (${COPY_COLUMNS.join(', ')}) FROM STDIN`)));
    // locks in one order for every writer: rollups (against a rebuild or delete), then the batch's sessions in key order
    await client.query(lockForWrite(S));
    await client.query(lockSessions(S, NOW_MS));
    // a named statement: planned once per connection, not per batch
    await client.query({ name: 'perftrack_insert_staged', text: this.#insertSql });
    await client.query('COMMIT');
    if (creating) this.#staged.add(client); // only once committed: a rolled-back transaction takes the table with it
  }

  /** Streams the session's records in `startTime` order (ties in the order they were stored), a page at a time. */
  async *readMetrics(sessionId: string, report?: ReadReport): AsyncIterable<ToolExecutionMetrics> {
    validateSessionId(sessionId);
    const stored = encodeText(sessionId);
    const columns = 'id, tool_id, session_id, start_ms, end_ms, duration_ms, success, sample_weight, extra, seq';
    let after: { start: number; seq: string } | undefined;
    for (;;) {
      // the primary key's (session_id, start_ms) order; ties on start_ms in stored (seq) order
      const page = await this.#borrow('read records', (client) =>
        after === undefined
          ? client.query<RecordRow & { seq: string }>(
              `SELECT ${columns} FROM ${this.#S}.records WHERE session_id = $1 ORDER BY start_ms, seq LIMIT ${READ_PAGE}`,
              [stored],
            )
          : client.query<RecordRow & { seq: string }>(
              `SELECT ${columns} FROM ${this.#S}.records WHERE session_id = $1 AND start_ms >= $2 AND (start_ms > $2 OR seq > $3) ORDER BY start_ms, seq LIMIT ${READ_PAGE}`,
              [stored, after.start, after.seq],
            ),
      );
      for (const row of page.rows) {
        const record = joinRecord(row);
        if (isRecord(record)) yield record;
        else if (report) report.corruptLines++;
      }
      if (page.rows.length < READ_PAGE) return;
      const last = page.rows[page.rows.length - 1]!;
      after = { start: last.start_ms, seq: last.seq };
    }
  }

  async writeSnapshot(kind: SnapshotKind, sessionId: string, value: unknown): Promise<void> {
    validateSessionId(sessionId);
    checkKind(kind);
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`writeSnapshot: the ${kind} snapshot is not JSON-serialisable`);
    await this.#borrow(`write ${kind}`, (client) =>
      client.query(
        `INSERT INTO ${this.#S}.snapshots (session_id, kind, value, bytes, updated_ms) VALUES ($1, $2, $3, $4, ${NOW_MS})
         ON CONFLICT (session_id, kind) DO UPDATE SET value = EXCLUDED.value, bytes = EXCLUDED.bytes, updated_ms = EXCLUDED.updated_ms`,
        [encodeText(sessionId), kind, text, Buffer.byteLength(text)],
      ),
    );
  }

  async readSnapshot(kind: SnapshotKind, sessionId: string, _report?: ReadReport): Promise<unknown> {
    validateSessionId(sessionId);
    checkKind(kind);
    const { rows } = await this.#borrow(`read ${kind}`, (client) =>
      client.query<{ value: unknown }>(`SELECT value FROM ${this.#S}.snapshots WHERE session_id = $1 AND kind = $2`, [
        encodeText(sessionId),
        kind,
      ]),
    );
    return rows[0]?.value;
  }

  /** Every session with records or a snapshot, oldest activity first. */
  async listSessions(): Promise<StoredSessionInfo[]> {
    const [metrics, snapshots] = await this.#borrow('list sessions', async (client) => [
      (
        await client.query<{ session_id: string; records: string; bytes: string; last_modified: number }>(
          `SELECT session_id, records, bytes, last_modified FROM ${this.#S}.sessions`,
        )
      ).rows,
      (
        await client.query<{ session_id: string; kind: SnapshotKind; bytes: string; updated_ms: number }>(
          `SELECT session_id, kind, bytes, updated_ms FROM ${this.#S}.snapshots`,
        )
      ).rows,
    ]);
    const byId = new Map<
      string,
      { sessionId: string; lastModified: number; bytes: number; hasMetrics: boolean; hasPatterns: boolean; hasAnalytics: boolean }
    >();
    const entry = (stored: string) => {
      let e = byId.get(stored);
      if (e === undefined)
        byId.set(
          stored,
          (e = { sessionId: decodeText(stored), lastModified: 0, bytes: 0, hasMetrics: false, hasPatterns: false, hasAnalytics: false }),
        );
      return e;
    };
    for (const m of metrics) {
      if (Number(m.records) <= 0) continue;
      const e = entry(m.session_id);
      e.hasMetrics = true;
      e.bytes += Number(m.bytes);
      e.lastModified = Math.max(e.lastModified, m.last_modified);
    }
    for (const s of snapshots) {
      const e = entry(s.session_id);
      if (s.kind === 'patterns') e.hasPatterns = true;
      else e.hasAnalytics = true;
      e.bytes += Number(s.bytes);
      e.lastModified = Math.max(e.lastModified, s.updated_ms);
    }
    return [...byId.values()].sort((a, b) => a.lastModified - b.lastModified);
  }

  /** Removes the session's records and snapshots in one transaction; returns the kinds removed. */
  async deleteSession(sessionId: string): Promise<string[]> {
    validateSessionId(sessionId);
    const stored = encodeText(sessionId);
    const S = this.#S;
    return this.#borrow('delete session', async (client) => {
      await client.query('BEGIN');
      // no writer folds into the rollups meanwhile: the session's share is taken out, then its tool-days recomputed
      await client.query(lockForRebuild(S));
      await client.query(`SELECT 1 FROM ${S}.sessions WHERE session_id = $1 FOR UPDATE`, [stored]);
      await client.query(forgetSessionSteps(S), [stored]);
      const keys = (await client.query<{ tools: string[] | null; days: number[] | null }>(sessionDays(S), [stored])).rows[0];
      const records = await client.query(`DELETE FROM ${S}.records WHERE session_id = $1`, [stored]);
      if (keys?.tools != null) for (const statement of refoldDays(S)) await client.query(statement, [keys.tools, keys.days]);
      await client.query(`DELETE FROM ${S}.sessions WHERE session_id = $1`, [stored]);
      const snaps = await client.query<{ kind: string }>(`DELETE FROM ${S}.snapshots WHERE session_id = $1 RETURNING kind`, [stored]);
      await client.query('COMMIT');
      const removed = (records.rowCount ?? 0) > 0 ? ['metrics'] : [];
      for (const kind of ['patterns', 'analytics']) if (snaps.rows.some((r) => r.kind === kind)) removed.push(kind);
      return removed;
    });
  }

  /**
   * Compares two groups of runs (each a `HistoryFilter`: session ids, tools, a time range) in
   * the database, in one statement: per tool and for all tools, each group's records, calls,
   * failures, error rate and exact p50/p95 (`percentile_disc`), and B minus A. Only figures move
   * into this process, whatever the groups' size.
   *
   * @example
   * const diff = await adapter.compareGroups({ sessionIds: ['gen-7-a', 'gen-7-b'] }, { sessionIds: ['gen-8-a'] });
   * diff.overall.difference.p50Ms; // B's p50 minus A's, ms
   */
  compareGroups(a: RunGroup, b: RunGroup): Promise<GroupComparison> {
    return this.#history.compareGroups(a, b);
  }

  /**
   * Recomputes every rollup (per tool-day figures and histograms, transitions, per-session
   * figures) from the records, in one transaction that holds writers off. Only needed after
   * records were written around the adapter (bulk SQL into `records`); the adapter's own writes,
   * deletes and migrations keep the rollups current.
   */
  async rebuildAggregates(): Promise<void> {
    const S = this.#S;
    await this.#borrow('rebuild aggregates', async (client) => {
      await client.query('BEGIN');
      await client.query(`SET LOCAL work_mem = '${this.#workMem}'`);
      await client.query(lockForRebuild(S));
      await client.query(`LOCK TABLE ${S}.sessions IN SHARE ROW EXCLUSIVE MODE`);
      for (const statement of rebuildRollups(S)) await client.query(statement);
      await client.query('COMMIT');
    });
  }

  /**
   * Closes the pool's connections (without waiting: see {@link end}). The adapter stays usable:
   * the next call opens a new pool.
   */
  close(): void {
    void this.end();
  }

  /** Closes the pool's connections and resolves when they are closed; the adapter stays usable. */
  async end(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    this.#ready = undefined;
    this.#staged = new WeakSet();
    if (pool === undefined) return;
    await pool.end().catch((e: unknown) => {
      this.#diagnostics.report(
        storageError(e, 'close', this.#secrets),
        'close',
        () => `perftrack postgres: closing connections to ${this.target} failed (${errorText(e, this.#secrets)})`,
      );
    });
  }
}

function checkKind(kind: unknown): asserts kind is SnapshotKind {
  if (kind !== 'patterns' && kind !== 'analytics')
    throw new TypeError(`snapshot kind must be "patterns" or "analytics", got ${JSON.stringify(kind)}`);
}
