import type { QueryResultRow } from 'pg';

/** A real PostgreSQL server in a temporary directory, on 127.0.0.1, for one test file. */
export interface TestCluster {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly dir: string;
  /** `postgres://user:password@127.0.0.1:port/database`. */
  url(options?: { password?: string; database?: string }): string;
  /** A fresh schema name for one test. */
  schema(): string;
  /** Runs SQL as the superuser (a connection of its own). */
  sql<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<R[]>;
  /** Stops the server (fast shutdown: connections are closed). */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** Stops the server and removes the directory. */
  destroy(): Promise<void>;
}

/** Starts a cluster (initdb + pg_ctl, about two seconds); `settings` become `-c name=value`. */
export function startTestCluster(settings?: Record<string, string>): Promise<TestCluster>;

/** The newest installed PostgreSQL's bin directory, or undefined. */
export function postgresBinDir(): string | undefined;
