// A real PostgreSQL server in a temporary directory, on 127.0.0.1, for one test file or one
// benchmark: initdb and pg_ctl from Debian's postgresql package. Plain CommonJS so the jest tests
// (through pg-cluster.d.ts) and bench/postgres.bench.mjs share it.
'use strict';
const { execFile, execFileSync } = require('node:child_process');
const { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { promisify } = require('node:util');
const pg = require('pg');

const run = promisify(execFile);

/** The newest installed PostgreSQL's bin directory (Debian's layout), or undefined. */
function postgresBinDir() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The account the server runs as: PostgreSQL refuses to run as root, so root uses `postgres`. */
function serverAccount() {
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
 * off (fsync) since the data is thrown away. About two seconds. `settings` adds `-c` options.
 */
async function startTestCluster(settings = {}) {
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
  const as = (cmd, args) =>
    account === undefined ? run(join(bin, cmd), args) : run('runuser', ['-u', account.name, '--', join(bin, cmd), ...args]);
  // a test process that dies must not leave a server behind
  const killOnExit = () => {
    try {
      const args = ['-D', data, '-m', 'immediate', 'stop'];
      if (account === undefined) execFileSync(join(bin, 'pg_ctl'), args, { stdio: 'ignore' });
      else execFileSync('runuser', ['-u', account.name, '--', join(bin, 'pg_ctl'), ...args], { stdio: 'ignore' });
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  await as('initdb', ['-D', data, '-U', user, '-A', 'scram-sha-256', `--pwfile=${join(dir, 'pwfile')}`, '-N', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const options = {
    listen_addresses: '127.0.0.1',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '200',
    ...settings,
  };
  const serverOptions = [`-p ${port}`, `-k ${dir}`, ...Object.entries(options).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  const startServer = () =>
    as('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', serverOptions, 'start']).then(() => {});
  const stopServer = () => as('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']).then(() => {});
  await startServer();
  let schemas = 0;
  const url = (o = {}) => `postgres://${user}:${encodeURIComponent(o.password ?? password)}@127.0.0.1:${port}/${o.database ?? 'postgres'}`;
  return {
    port,
    user,
    password,
    dir,
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

module.exports = { startTestCluster, postgresBinDir };
