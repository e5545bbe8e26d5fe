// Two copies of core installed side by side (a partial upgrade nests one under each dependant)
// must still leave the process exiting on SIGTERM, and every copy's exit handlers must run: the
// hooks share their state through globalThis. Real child processes, each loading two separate
// copies of the built module.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BUILT = join(__dirname, '..', '..', 'dist', 'internal', 'exit-hooks.js');
let dir: string;
let copies: [string, string];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'perftrack-exit-copies-'));
  copies = ['a', 'b'].map((name) => {
    mkdirSync(join(dir, name));
    const file = join(dir, name, 'exit-hooks.js');
    copyFileSync(BUILT, file);
    return file;
  }) as [string, string];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(code: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

test("with two copies installed, SIGTERM still ends the process after both copies' handlers ran", async () => {
  const r = await run(`
    const a = require(${JSON.stringify(copies[0])});
    const b = require(${JSON.stringify(copies[1])});
    a.installExitHooks({ signal: async () => { process.stdout.write('a;'); } });
    b.installExitHooks({ signal: async () => { process.stdout.write('b;'); } });
    process.stdout.write('listeners=' + process.listenerCount('SIGTERM') + ';');
    setInterval(() => {}, 1000); // keeps the process alive unless the signal ends it
    setTimeout(() => process.kill(process.pid, 'SIGTERM'), 50);
    setTimeout(() => { process.stdout.write('still alive'); process.exit(3); }, 5000);
  `);
  expect(r.out).toBe('listeners=1;a;b;');
  expect(r.signal).toBe('SIGTERM');
});

test('an application handler of its own still decides, whatever the copies', async () => {
  const r = await run(`
    const a = require(${JSON.stringify(copies[0])});
    const b = require(${JSON.stringify(copies[1])});
    a.installExitHooks({ signal: async () => { process.stdout.write('a;'); } });
    b.installExitHooks({ signal: async () => { process.stdout.write('b;'); } });
    process.on('SIGTERM', () => setTimeout(() => { process.stdout.write('app;'); process.exit(7); }, 100));
    setInterval(() => {}, 1000);
    setTimeout(() => process.kill(process.pid, 'SIGTERM'), 50);
  `);
  expect(r.out).toBe('a;b;app;');
  expect(r.code).toBe(7);
});

test('process.exit() runs the exit handlers of every copy through one exit listener', async () => {
  const r = await run(`
    const a = require(${JSON.stringify(copies[0])});
    const b = require(${JSON.stringify(copies[1])});
    const before = process.listenerCount('exit');
    a.onProcessExit(() => process.stdout.write('a;'));
    b.onProcessExit(() => process.stdout.write('b;'));
    const off = b.onProcessExit(() => process.stdout.write('removed;'));
    off();
    process.stdout.write('listeners+' + (process.listenerCount('exit') - before) + ';');
    process.exit(0);
  `);
  expect(r.out).toBe('listeners+1;a;b;');
  expect(r.code).toBe(0);
});
