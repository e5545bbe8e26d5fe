// Saves docs/dashboard.png: the example agent runs with --dashboard while Debian's chromium
// (through playwright-core) captures the page mid-run. `pnpm run screenshot` from the root.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const root = join(import.meta.dirname, '..', '..', '..');
const out = process.argv[2] ?? join(root, 'docs', 'dashboard.png');
const dir = await mkdtemp(join(tmpdir(), 'perftrack-screenshot-'));
const child = spawn(
  process.execPath,
  [
    join(root, 'examples/agent-session/dist/main.js'),
    '--dashboard',
    '--port',
    '0',
    '--pace',
    '150',
    '--sessions',
    '8',
    '--tasks',
    '12',
    '--dir',
    dir,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise((resolve, reject) => {
  let text = '';
  child.stdout.on('data', (c) => {
    text += c;
    const m = /dashboard: (http:\S+)/.exec(text);
    if (m) resolve(m[1]);
  });
  child.once('exit', () => reject(new Error(`example exited:\n${text}`)));
});
const browser = await chromium.launch({
  executablePath: process.env.PERFTRACK_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, colorScheme: 'light' });
  await page.goto(url);
  await sleep(9000); // a few sessions in, with history on the charts
  await page.screenshot({ path: out, fullPage: false });
  console.log(`saved ${out}`);
} finally {
  await browser.close();
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  await rm(dir, { recursive: true, force: true });
}
