import type pg from 'pg';

/** The environment variable read when no `connectionString` option is given. */
export const DATABASE_URL_ENV = 'PERFTRACK_DATABASE_URL';

/**
 * A failure of the PostgreSQL store. The message never contains the connection string or the
 * password: it says what was being done and what PostgreSQL (or the network) answered, with
 * every secret of the configuration replaced by `***`.
 */
export class PostgresStorageError extends Error {
  /** PostgreSQL's SQLSTATE (e.g. `28P01`, a wrong password) or Node's error code (e.g. `ECONNREFUSED`), when known. */
  readonly code: string | undefined;

  constructor(
    /** What the store was doing, e.g. `append records`. */
    readonly operation: string,
    message: string,
    code: string | undefined,
  ) {
    super(`perftrack postgres: ${operation} failed: ${message}`);
    this.name = 'PostgresStorageError';
    this.code = code;
  }
}

/** Whether a string is a `postgres://` or `postgresql://` URL `pg` can use. */
export function parseDatabaseUrl(text: string): URL | undefined {
  if (!/^postgres(?:ql)?:\/\//i.test(text)) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Where the server is, for messages: host, port and database, never the user's secrets. */
export function describeTarget(url: URL): string {
  const host = url.hostname !== '' ? url.hostname : (url.searchParams.get('host') ?? 'localhost');
  const db = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)';
  return `${host}${url.port !== '' ? `:${url.port}` : ''}/${db}`;
}

/** The strings no message may contain: the connection string and its password, raw and decoded. */
export function secretsOf(connectionString: string, url: URL | undefined): string[] {
  const secrets = new Set<string>([connectionString]);
  if (url !== undefined && url.password !== '') {
    secrets.add(url.password);
    try {
      secrets.add(decodeURIComponent(url.password));
    } catch {
      // a malformed escape: the raw form is already listed
    }
  }
  for (const key of ['password', 'sslpassword', 'sslkey']) {
    const value = url?.searchParams.get(key);
    if (value) secrets.add(value);
  }
  return [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** `text` with every secret replaced by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('***');
  return out;
}

/**
 * Any error from `pg` or the network as a {@link PostgresStorageError} whose message is redacted.
 * The original is not kept as `cause`: its own fields (a parsed URL, a client config) may hold secrets.
 */
export function storageError(error: unknown, operation: string, secrets: readonly string[]): PostgresStorageError {
  if (error instanceof PostgresStorageError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  return new PostgresStorageError(operation, errorText(error, secrets), typeof code === 'string' ? code : undefined);
}

/** What an error says (message and PostgreSQL's detail), redacted. */
export function errorText(error: unknown, secrets: readonly string[]): string {
  const e = error as { message?: unknown; detail?: unknown } | null;
  let message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(error);
  if (typeof e?.detail === 'string' && e.detail !== '') message += ` (${e.detail})`;
  return redact(message, secrets);
}

/** SQLSTATEs and messages of a connection the server closed (not one it refuses: that waits for the writer's retry). */
const LOST_CODES = new Set(['57P01', '57P02', '08000', '08003', '08006', 'ECONNRESET', 'EPIPE']);

export function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return LOST_CODES.has(code);
  return /Connection terminated|connection is closed|not queryable/i.test(String((error as Error | null)?.message));
}

/**
 * A borrowed client back to the pool (`onLost` off), or destroyed when broken. A destroyed client
 * may still receive the server's FATAL message (pg_terminate_backend) after this, so it keeps a
 * listener: without one that 'error' event is unhandled and takes the process down.
 */
export function releaseClient(client: pg.PoolClient, onLost: (e: unknown) => void, broken: unknown): void {
  client.off('error', onLost);
  if (broken !== undefined) client.on('error', () => {});
  client.release(broken === undefined ? undefined : true);
}

/** A connection's loss, as seen by the listener {@link connectListening} attached to it. */
export interface LossWatch {
  /** The error the client emitted (the server closed the connection), if any. */
  error: unknown;
  readonly listener: (error: unknown) => void;
}

/**
 * Borrows a client with an 'error' listener attached in the pool's own callback, before anything
 * else can run. With `await pool.connect()` the listener would come a microtask later: the pool
 * drops its idle listener first, and a FATAL message parsed from the same socket read (a
 * pg_terminate_backend arriving with the connection) would be an unhandled 'error' event that
 * takes the process down.
 */
export function connectListening(pool: pg.Pool): Promise<[pg.PoolClient, LossWatch]> {
  return new Promise((resolve, reject) => {
    pool.connect((error, client) => {
      if (error !== undefined && error !== null) return reject(error);
      const watch: LossWatch = {
        error: undefined,
        listener: (e: unknown) => {
          watch.error = e;
        },
      };
      (client as pg.PoolClient).on('error', watch.listener);
      resolve([client as pg.PoolClient, watch]);
    });
  });
}
