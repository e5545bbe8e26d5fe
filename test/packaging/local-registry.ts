import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot, run } from './pack';

/** A free TCP port on 127.0.0.1 (bound, read, released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A real Verdaccio registry on 127.0.0.1 with its storage under `root`: `@perftrack/*` is served
 * only from what was published to it; every other package comes through `uplink` (the machine's
 * configured npm registry).
 */
export class LocalRegistry {
  readonly #process: ChildProcess;
  readonly #log: string[];
  /** e.g. `http://127.0.0.1:4873/` */
  readonly url: string;
  /** An npm user config with this registry and a publisher's token. */
  readonly publisherConfig: string;

  private constructor(child: ChildProcess, log: string[], url: string, publisherConfig: string) {
    this.#process = child;
    this.#log = log;
    this.url = url;
    this.publisherConfig = publisherConfig;
  }

  static async start(root: string, uplink: string): Promise<LocalRegistry> {
    mkdirSync(join(root, 'storage'), { recursive: true });
    const config = join(root, 'config.yaml');
    writeFileSync(
      config,
      [
        `storage: ${JSON.stringify(join(root, 'storage'))}`,
        'auth:',
        '  htpasswd:',
        `    file: ${JSON.stringify(join(root, 'htpasswd'))}`,
        '    max_users: 10',
        'uplinks:',
        '  upstream:',
        `    url: ${JSON.stringify(uplink)}`,
        '    timeout: 60s',
        'packages:',
        "  '@perftrack/*':",
        '    access: $all',
        '    publish: $authenticated',
        "  '**':",
        '    access: $all',
        '    proxy: upstream',
        'web:',
        '  enable: false',
        'log: { type: stdout, format: json, level: warn }',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const log: string[] = [];
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'node_modules', 'verdaccio', 'bin', 'verdaccio'), '--config', config, '--listen', `127.0.0.1:${port}`],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      },
    );
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d: Buffer) => log.push(d.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}: ${log.join('')}`);
      const ok = await fetch(`${url}-/ping`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) {
        child.kill();
        throw new Error(`verdaccio did not answer within 60 s: ${log.join('')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const response = await fetch(`${url}-/user/org.couchdb.user:perftrack`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'perftrack', password: 'perftrack-e2e' }),
    });
    const { token } = (await response.json()) as { token?: string };
    if (typeof token !== 'string') throw new Error(`verdaccio refused to add the publisher (${response.status})`);
    const publisherConfig = join(root, 'publisher.npmrc');
    writeFileSync(publisherConfig, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`, { mode: 0o600 });
    return new LocalRegistry(child, log, url, publisherConfig);
  }

  /** Publishes a packed tarball with npm (the dist-tag `latest` unless `tag`). */
  async publish(tarball: string, tag?: string): Promise<void> {
    await run('npm', ['publish', tarball, '--userconfig', this.publisherConfig, '--registry', this.url, ...(tag ? ['--tag', tag] : [])], {
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
  }

  /** What Verdaccio printed (warnings and errors), for failure messages. */
  get log(): string {
    return this.#log.join('');
  }

  stop(): Promise<void> {
    if (this.#process.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.#process.once('exit', () => resolve());
      this.#process.kill('SIGTERM');
    });
  }
}
