import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { errorMessage } from '@perftrack/core/internal';
import { PerformanceStorage } from '@perftrack/storage';
import { DATABASE_URL_ENV, PostgresStorage } from '@perftrack/storage-postgres';

/** Environment read for the default storage directory. */
const DIR_ENV = 'PERFTRACK_DIR';

/** Thrown for a store that cannot be used; the CLI prints the message as one line. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

const isDatabaseUrl = (text: string): boolean => /^postgres(?:ql)?:\/\//i.test(text);

/**
 * Where a command's data is: a storage directory or a PostgreSQL database. It prints (and
 * serialises to JSON) as its label: the directory's path, or `postgres://host:port/database`,
 * never the user or password, so messages can name it freely.
 */
export class StoreLocation {
  /** A path, or `postgres://host:port/database` (no credentials). */
  readonly label: string;
  readonly kind: 'dir' | 'postgres';
  /** The directory, or the full connection string (never printed). */
  readonly #spec: string;

  private constructor(kind: 'dir' | 'postgres', spec: string, label: string) {
    this.kind = kind;
    this.#spec = spec;
    this.label = label;
  }

  /** A directory (relative to `cwd`). */
  static dir(path: string, cwd: string): StoreLocation {
    const full = resolve(cwd, path);
    return new StoreLocation('dir', full, full);
  }

  /** A database; throws a {@link StoreError} (not repeating the text) when it is no postgres:// URL. */
  static database(url: string): StoreLocation {
    let target: string;
    try {
      // PostgresStorage validates the URL and names the target without credentials
      target = new PostgresStorage({ connectionString: url }).target;
    } catch (e) {
      throw new StoreError(errorMessage(e).replace(/^PostgresStorage: /, ''), 2);
    }
    return new StoreLocation('postgres', url, `postgres://${target}`);
  }

  /** The directory's path (for a directory store). */
  get dir(): string | undefined {
    return this.kind === 'dir' ? this.#spec : undefined;
  }

  toString(): string {
    return this.label;
  }

  toJSON(): string {
    return this.label;
  }

  /**
   * Opens the store. A directory must exist unless `create`; a database is reached (and its
   * schema created) on first use, and a failure to connect is reported then.
   */
  async open(options: { create?: boolean; onWarning?: (message: string) => void } = {}): Promise<PerformanceStorage> {
    const onWarning = options.onWarning ?? (() => {});
    if (this.kind === 'postgres') {
      const adapter = new PostgresStorage({ connectionString: this.#spec, onWarning });
      // one round trip now, so a bad password or an unreachable server is one clear line
      await adapter.listSessions().catch((e: unknown) => {
        void adapter.end();
        throw new StoreError(`cannot open ${this.label}: ${errorMessage(e).replace(/^perftrack postgres: /, '')}`);
      });
      return new PerformanceStorage({ adapter, onWarning });
    }
    const dir = this.#spec;
    if (options.create !== true) {
      const info = await stat(dir).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT')
          throw new StoreError(
            `no perftrack data at ${dir}: directory not found (pass --dir DIR or --store URL, or set ${DIR_ENV} or ${DATABASE_URL_ENV})`,
          );
        throw new StoreError(`cannot read ${dir}: ${e.message}`);
      });
      if (!info.isDirectory()) throw new StoreError(`${dir} is not a directory`);
    }
    return new PerformanceStorage({ dir, onWarning });
  }
}

/** `--store <dir|url>`: a directory, or a PostgreSQL database by URL. */
export function storeOption(): Option {
  return new Option(
    '--store <dir|url>',
    `a storage directory or a PostgreSQL database (postgres://user:password@host:5432/db; default: $${DATABASE_URL_ENV}, else --dir's default)`,
  );
}

/**
 * Where a command reads and writes: `--store` (a directory or a postgres:// URL), else `--dir`,
 * else `$PERFTRACK_DATABASE_URL`, else `$PERFTRACK_DIR`, else `./.perftrack`. `--dir` and `--store`
 * together are a usage error.
 */
export function resolveStore(
  options: { dir?: string | undefined; store?: string | undefined },
  io: { env: Readonly<Record<string, string | undefined>>; cwd: string },
): StoreLocation {
  if (options.dir !== undefined && options.store !== undefined) throw new StoreError('--dir and --store are exclusive: give one', 2);
  const given = options.store ?? options.dir;
  if (given !== undefined) return isDatabaseUrl(given) ? StoreLocation.database(given) : StoreLocation.dir(given, io.cwd);
  const url = io.env[DATABASE_URL_ENV];
  if (url !== undefined && url !== '') return StoreLocation.database(url);
  const dir = io.env[DIR_ENV];
  return StoreLocation.dir(dir !== undefined && dir !== '' ? dir : '.perftrack', io.cwd);
}

/** Adds {@link storeOption} to every command of `program` that takes `--dir` and has no `--store` of its own. */
export function addStoreOptions(program: Command): void {
  for (const command of program.commands) {
    const flags = command.options.map((o) => o.long);
    if (flags.includes('--dir') && !flags.includes('--store')) command.addOption(storeOption());
  }
}

/** What {@link copyStore} did. */
export interface CopyResult {
  sessions: number;
  /** Records written to the target. */
  copied: number;
  /** Records the target already had (same session and id): skipped. */
  duplicates: number;
  /** Snapshots written (only where the target had none). */
  snapshots: number;
}

const COPY_BATCH = 5000;

/**
 * Copies every session of `source` into `target`, streaming each session's records in batches:
 * records the target already holds (same session and id) are skipped, so copying twice adds
 * nothing; snapshots are copied where the target has none. Memory: the ids of one session.
 */
export async function copyStore(source: PerformanceStorage, target: PerformanceStorage): Promise<CopyResult> {
  const result: CopyResult = { sessions: 0, copied: 0, duplicates: 0, snapshots: 0 };
  for (const session of await source.listSessions()) {
    const id = session.sessionId;
    const known = new Set<string>();
    for await (const m of target.iterateMetrics(id)) known.add(m.id);
    let batch: ToolExecutionMetrics[] = [];
    const write = async () => {
      if (batch.length === 0) return;
      await target.saveMetrics(id, batch);
      result.copied += batch.length;
      batch = [];
    };
    for await (const m of source.iterateMetrics(id)) {
      if (known.has(m.id)) {
        result.duplicates++;
        continue;
      }
      known.add(m.id);
      batch.push(m);
      if (batch.length >= COPY_BATCH) await write();
    }
    await write();
    const snapshots = [
      [() => source.loadPatterns(id), () => target.loadPatterns(id), (v: unknown) => target.savePatterns(id, v)],
      [() => source.loadAnalytics(id), () => target.loadAnalytics(id), (v: unknown) => target.saveAnalytics(id, v)],
    ] as const;
    for (const [read, readTarget, save] of snapshots) {
      const value = await read();
      if (value === undefined || (await readTarget()) !== undefined) continue;
      await save(value);
      result.snapshots++;
    }
    result.sessions++;
  }
  return result;
}
