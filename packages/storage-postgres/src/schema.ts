import type { PoolClient } from 'pg';
import type { PartitionInterval } from './postgres-storage';
import { rollupSchema } from './rollups';

/** Records before 1970 and from the year 10000 on go to two fixed partitions (no partition per day there). */
export const EARLIEST_PARTITIONED_MS = 0;
export const LATEST_PARTITIONED_MS = Date.UTC(10000, 0, 1);

/** A schema name as a quoted identifier; only lower-case letters, digits and `_` are accepted, so quoting is exact. */
export function schemaIdentifier(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(
      `PostgresStorage: schema must be lower-case letters, digits and _ (at most 63, not starting with a digit), got ${JSON.stringify(schema)}`,
    );
  }
  return `"${schema}"`;
}

/** One step of the schema's history; `version` numbers are consecutive from 1 and never reused. */
interface Migration {
  readonly version: number;
  readonly description: string;
  /** Statements; `S` stands for the quoted schema. */
  readonly statements: (S: string) => string[];
}

/**
 * The schema's history. A released migration is never edited: a change is a new entry, so a
 * database created by any version is brought to the current one by running what it lacks.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'records partitioned by start time, sessions, snapshots',
    statements: (S) => [
      `CREATE TABLE ${S}.settings (key text PRIMARY KEY, value text NOT NULL)`,
      `CREATE SEQUENCE ${S}.records_seq AS bigint`,
      // Unique per (session, id): the partition key must be part of any unique constraint of a
      // partitioned table, and a retried record carries the same startTime, so retries collide.
      // The key's order also serves reads of one session in time order. The fields every record
      // has are columns; the rest of a record is `extra` (NULL when there is nothing more).
      `CREATE TABLE ${S}.records (
         session_id text NOT NULL,
         start_ms float8 NOT NULL,
         id text NOT NULL,
         end_ms float8 NOT NULL,
         duration_ms float8 NOT NULL,
         tool_id text NOT NULL,
         success boolean NOT NULL,
         untimed boolean NOT NULL,
         error_type text,
         sample_weight float8 NOT NULL,
         seq bigint NOT NULL DEFAULT nextval('${S}.records_seq'),
         extra json,
         PRIMARY KEY (session_id, start_ms, id)
       ) PARTITION BY RANGE (start_ms)`,
      `CREATE INDEX records_tool_time ON ${S}.records (tool_id, start_ms)`,
      // Records arrive in roughly time order, where a BRIN index is tiny and nearly free to keep.
      `CREATE INDEX records_time ON ${S}.records USING brin (start_ms)`,
      `CREATE TABLE ${S}.records_before_1970 PARTITION OF ${S}.records FOR VALUES FROM (MINVALUE) TO (${EARLIEST_PARTITIONED_MS})`,
      `CREATE TABLE ${S}.records_from_10000 PARTITION OF ${S}.records FOR VALUES FROM (${LATEST_PARTITIONED_MS}) TO (MAXVALUE)`,
      `CREATE TABLE ${S}.sessions (
         session_id text PRIMARY KEY,
         records bigint NOT NULL DEFAULT 0,
         bytes bigint NOT NULL DEFAULT 0,
         last_modified float8 NOT NULL
       )`,
      `CREATE TABLE ${S}.snapshots (
         session_id text NOT NULL,
         kind text NOT NULL CHECK (kind IN ('patterns', 'analytics')),
         value json NOT NULL,
         bytes bigint NOT NULL,
         updated_ms float8 NOT NULL,
         PRIMARY KEY (session_id, kind)
       )`,
    ],
  },
  {
    version: 2,
    description: 'rollups kept at insert time (tool-days with duration histograms, errors, transitions, session figures)',
    statements: (S) => rollupSchema(S),
  },
];

/** The schema version this copy of the package creates and understands. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Serialises schema changes across every process and machine on the database. */
const MIGRATION_LOCK = 0x7065_7266; // "perf"

/** The epoch ms the database's clock says, as SQL. */
export const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::float8`;

/**
 * Brings the schema to {@link SCHEMA_VERSION} in one transaction under an advisory lock (many
 * processes may start at once), recording each step in `schema_migrations`. Returns the
 * partition interval stored by the first process (later ones follow it, whatever they were given).
 */
export async function migrate(client: PoolClient, S: string, schema: string, wanted: PartitionInterval): Promise<PartitionInterval> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${S}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${S}.schema_migrations (
      version integer PRIMARY KEY,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${S}.schema_migrations`);
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `the database's perftrack schema is at version ${current}, newer than this @perftrack/storage-postgres understands (${SCHEMA_VERSION}); upgrade the package`,
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      for (const statement of m.statements(S)) await client.query(statement);
      await client.query(`INSERT INTO ${S}.schema_migrations (version, description) VALUES ($1, $2)`, [m.version, m.description]);
    }
    await client.query(`INSERT INTO ${S}.settings (key, value) VALUES ('partition_interval', $1) ON CONFLICT (key) DO NOTHING`, [wanted]);
    const stored = await client.query<{ value: string }>(`SELECT value FROM ${S}.settings WHERE key = 'partition_interval'`);
    await client.query('COMMIT');
    const interval = stored.rows[0]?.value;
    return interval === 'day' || interval === 'month' ? interval : wanted;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** The partition holding `startMs`: its bounds and table name, or undefined for the two fixed ones. */
export function partitionOf(startMs: number, interval: PartitionInterval): { from: number; to: number; name: string } | undefined {
  if (!(startMs >= EARLIEST_PARTITIONED_MS && startMs < LATEST_PARTITIONED_MS)) return undefined;
  const d = new Date(startMs);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  if (interval === 'month') {
    return { from: Date.UTC(year, month, 1), to: Date.UTC(year, month + 1, 1), name: `records_${pad(year, 4)}${pad(month + 1)}` };
  }
  const day = d.getUTCDate();
  return {
    from: Date.UTC(year, month, day),
    to: Date.UTC(year, month, day + 1),
    name: `records_${pad(year, 4)}${pad(month + 1)}${pad(day)}`,
  };
}

/** Creates the partitions (by start bound) that do not exist yet, under the schema lock. */
export async function createPartitions(
  client: PoolClient,
  S: string,
  schema: string,
  partitions: readonly { from: number; to: number; name: string }[],
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, schema]);
    for (const p of partitions) {
      // Bounds are integers computed here and the name is digits: nothing from a record reaches this DDL.
      await client.query(`CREATE TABLE IF NOT EXISTS ${S}.${p.name} PARTITION OF ${S}.records FOR VALUES FROM (${p.from}) TO (${p.to})`);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}
