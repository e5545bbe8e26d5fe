import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** A real PostgreSQL server in a temporary directory, on 127.0.0.1, for one test file. */
export interface TestCluster {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** `postgres://user:password@127.0.0.1:port/database`. */
  url(options?: { password?: string; database?: string }): string;
  /** A fresh schema name for one test. */
  schema(): string;
  /** Runs SQL as the superuser (a connection of its own). */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<R[]>;
  /** Stops the server (fast shutdown: connections are closed). */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** Stops the server and removes the directory. */
  destroy(): Promise<void>;
}

/** The newest installed PostgreSQL's bin directory (Debian's layout), or undefined. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** The account the server runs as: PostgreSQL refuses to run as root, so root uses `postgres`. */
function serverAccount(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (line === undefined) throw new Error('tests run as root need the "postgres" user (apt-get install postgresql creates it)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid), name: 'postgres' };
}

/**
 * Creates a cluster with `initdb` in a temp dir (owned by the server's account), password
 * authentication (scram-sha-256) on 127.0.0.1 only, its unix socket in the same dir, durability
 * off (fsync) since the data is thrown away. About two seconds.
 */
export async function startTestCluster(): Promise<TestCluster> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql; .ci/run does it)');
  const account = serverAccount();
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-pg-'));
  const data = join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  const user = 'perftrack';
  writeFileSync(join(dir, 'pwfile'), `${password}\n`, { mode: 0o600 });
  if (account !== undefined) {
    chownSync(dir, account.uid, account.gid);
    chownSync(join(dir, 'pwfile'), account.uid, account.gid);
  }
  chmodSync(dir, 0o700);
  const as = (cmd: string, args: string[]) => (account === undefined ? run(join(bin, cmd), args) : run('runuser', ['-u', account.name, '--', join(bin, cmd), ...args]));
  await as('initdb', ['-D', data, '-U', user, '-A', 'scram-sha-256', `--pwfile=${join(dir, 'pwfile')}`, '-N', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const serverOptions = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=200'].join(' ');
  const startServer = async () => {
    await as('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', serverOptions, 'start']);
  };
  const stopServer = async () => {
    await as('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']);
  };
  // a test process that dies must not leave a server behind
  const killOnExit = () => {
    try {
      const args = ['-D', data, '-m', 'immediate', 'stop'];
      if (account === undefined) execFileSync(join(bin, 'pg_ctl'), args, { stdio: 'ignore' });
      else execFileSync('runuser', ['-u', account.name, '--', join(bin, 'pg_ctl'), ...args], { stdio: 'ignore' });
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  await startServer();
  let schemas = 0;
  const url = (o: { password?: string; database?: string } = {}) => `postgres://${user}:${encodeURIComponent(o.password ?? password)}@127.0.0.1:${port}/${o.database ?? 'postgres'}`;
  return {
    port,
    user,
    password,
    url,
    schema: () => `t${process.pid}_${++schemas}`,
    async sql(text, params) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        return (await client.query(text, params)).rows;
      } finally {
        await client.end();
      }
    },
    stopServer,
    startServer,
    async destroy() {
      process.off('exit', killOnExit);
      await stopServer().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
