// The dashboard in a real headless Chromium (Debian's `chromium` driven by playwright-core; never
// a browser download). Skipped with a loud message only when the binary is absent outside CI;
// `.ci/run` installs it, and under CI=true a missing browser fails instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { MetricsCollector, trackPerformance } from '@perftrack/core';
import { startDashboard, type Dashboard } from '@perftrack/dashboard';
import { FileStorage } from '@perftrack/storage';

const CHROMIUM = process.env.PERFTRACK_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  const message = `\n*** ${CHROMIUM} not found: dashboard browser tests SKIPPED. Install it with: apt-get install -y chromium (or set PERFTRACK_CHROMIUM) ***\n`;
  if (process.env.CI) throw new Error(message);
  console.warn(message);
}
const suite = available ? describe : describe.skip;
const EXAMPLE = join(__dirname, '..', '..', '..', 'examples', 'agent-session', 'dist', 'main.js');

let browser: Browser;
beforeAll(async () => {
  if (available) browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** A page that records every script error, console error and dialog (an alert would be an injection). */
async function openPage(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(url);
  return { page, problems };
}

const toolNames = (page: Page) => page.locator('#tools-body td.tool-name').allTextContents();
const callsOf = async (page: Page, tool: string): Promise<number> => {
  const cells = await page
    .locator('#tools-body tr')
    .filter({ has: page.locator('td.tool-name', { hasText: tool }) })
    .first()
    .locator('td')
    .allTextContents();
  return Number(cells[1]);
};

suite('the dashboard in headless Chromium', () => {
  let dashboard: Dashboard | undefined;
  let child: ChildProcess | undefined;
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perftrack-browser-'));
  });
  afterEach(async () => {
    await dashboard?.close();
    dashboard = undefined;
    if (child && child.exitCode === null) {
      child.kill('SIGINT');
      await new Promise((r) => child!.once('exit', r));
    }
    child = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('loads, shows the tools of a running example agent, and keeps updating while it runs', async () => {
    child = spawn(
      process.execPath,
      [EXAMPLE, '--dashboard', '--port', '0', '--pace', '30', '--sessions', '6', '--tasks', '10', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (c: Buffer) => {
        output += c.toString();
        const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
        if (m) resolve(m[1]!);
      });
      child!.once('exit', () => reject(new Error(`example exited early:\n${output}`)));
    });
    const { page, problems } = await openPage(url);
    const expected = ['glob', 'grep', 'read', 'edit', 'bash'];
    await page.waitForFunction(
      (tools) => {
        const shown = [...document.querySelectorAll('#tools-body td.tool-name')].map((td) => td.textContent);
        return tools.every((t) => shown.includes(t));
      },
      expected,
      { timeout: 15_000 },
    );
    expect(await page.locator('#status').textContent()).toBe('live');
    expect(await toolNames(page)).toEqual(expect.arrayContaining(expected));
    const before = await callsOf(page, 'read');
    // the agent is still running: within 2 s the page shows more calls without a reload
    await page.waitForFunction(
      (n) => {
        const row = [...document.querySelectorAll('#tools-body tr')].find((r) => r.querySelector('td.tool-name')?.textContent === 'read');
        return Number(row?.querySelectorAll('td')[1]?.textContent) > n;
      },
      before,
      { timeout: 2_000 },
    );
    expect(await page.locator('#chart-calls canvas').count()).toBe(1);
    expect(await page.locator('#chart-p95 canvas').count()).toBe(1);
    // the example agent's failure codes (examples/agent-session/src/tools.ts) and bash's exit codes
    expect(await page.locator('#failures li').first().textContent()).toMatch(/ENOENT|ENOCMD|ETIMEDOUT|EXIT_|EDIT_CONFLICT|TIMEOUT|ERR/);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows a new tool within 2 s of its first call', async () => {
    const collector = new MetricsCollector();
    dashboard = await startDashboard({ collector });
    const { page, problems } = await openPage(dashboard.url);
    await page.waitForSelector('#status.live');
    const fresh = trackPerformance({ toolId: 'fresh_tool', collector })(() => 'ok');
    const t0 = Date.now();
    fresh();
    await page.locator('#tools-body td.tool-name', { hasText: 'fresh_tool' }).waitFor({ timeout: 2_000 });
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(2_000);
    expect(await callsOf(page, 'fresh_tool')).toBe(1);
    fresh();
    fresh();
    await page.waitForFunction(
      () => [...document.querySelectorAll('#tools-body tr')].some((r) => r.textContent?.startsWith('fresh_tool3')),
      undefined,
      { timeout: 2_000 },
    );
    expect(problems).toEqual([]);
    await page.close();
  });

  it('renders hostile tool names and error messages as text, never as markup', async () => {
    const collector = new MetricsCollector();
    dashboard = await startDashboard({ collector });
    const hostile = '<img src=x onerror=alert(1)>';
    const message = '<script>alert(2)</script><b onmouseover=alert(3)>bold</b>';
    const tool = trackPerformance({ toolId: hostile, collector })(() => {
      throw Object.assign(new Error(message), { code: '<svg onload=alert(4)>' });
    });
    for (let i = 0; i < 3; i++) expect(() => tool()).toThrow(message);
    const { page, problems } = await openPage(dashboard.url);
    await page.locator('#tools-body td.tool-name', { hasText: hostile }).waitFor({ timeout: 5_000 });
    expect(await page.locator('#tools-body td.tool-name').first().textContent()).toBe(hostile);
    expect(await page.locator('#failures li').first().textContent()).toContain(message);
    // nothing from the data became an element: no img, svg, b or extra script anywhere
    const injected = await page.evaluate(() => ({
      img: document.querySelectorAll('img').length,
      svg: document.querySelectorAll('svg').length,
      b: [...document.querySelectorAll('b')].filter((b) => b.textContent === 'bold').length,
      scripts: document.scripts.length,
    }));
    expect(injected).toEqual({ img: 0, svg: 0, b: 0, scripts: 2 });
    await page.waitForTimeout(300); // give a handler that slipped through the time to fire
    expect(problems).toEqual([]);
    await page.close();
  });

  it('sorts the tool table by calls, p95 and error rate', async () => {
    const collector = new MetricsCollector();
    dashboard = await startDashboard({ collector });
    const record = (toolId: string, calls: number, ms: number, failEvery: number) => {
      for (let i = 0; i < calls; i++) {
        const id = collector.startToolExecution(toolId, 's');
        const end = Date.now() + ms; // busy-wait: a real duration
        while (Date.now() < end);
        collector.completeToolExecution(id, i % failEvery !== 0, undefined, i % failEvery === 0 ? new Error('x') : undefined);
      }
    };
    record('many', 30, 0, 1000);
    record('slow', 3, 15, 1000);
    record('flaky', 10, 0, 2);
    const { page } = await openPage(dashboard.url);
    await page.waitForFunction(() => document.querySelectorAll('#tools-body td.tool-name').length === 3);
    expect(await toolNames(page)).toEqual(['many', 'flaky', 'slow']);
    await page.click('th[data-key="p95"]');
    expect((await toolNames(page))[0]).toBe('slow');
    expect(await page.getAttribute('th[data-key="p95"]', 'aria-sort')).toBe('descending');
    await page.click('th[data-key="errorRate"]');
    expect((await toolNames(page))[0]).toBe('flaky');
    await page.click('th[data-key="errorRate"]');
    expect((await toolNames(page))[2]).toBe('flaky');
    await page.close();
  });

  it('reads a storage directory and shows records an agent appends', async () => {
    const fs = new FileStorage({ dir });
    const now = Date.now();
    await fs.appendMetrics('ses_1', [
      { id: 'a', toolId: 'read', sessionId: 'ses_1', startTime: now - 3, endTime: now, duration: 3, success: true, sampleWeight: 1 },
    ]);
    dashboard = await startDashboard({ dir, pollMs: 200 });
    const { page, problems } = await openPage(dashboard.url);
    await page.locator('#tools-body td.tool-name', { hasText: 'read' }).waitFor();
    expect(await page.locator('#source').textContent()).toBe(`storage: ${dir}`);
    await fs.appendMetrics('ses_1', [
      {
        id: 'b',
        toolId: 'webfetch',
        sessionId: 'ses_1',
        startTime: now,
        endTime: now + 9,
        duration: 9,
        success: false,
        error: 'timeout',
        errorType: 'TIMEOUT',
        sampleWeight: 1,
      },
    ]);
    await page.locator('#tools-body td.tool-name', { hasText: 'webfetch' }).waitFor({ timeout: 2_000 });
    expect(await page.locator('#failures li').first().textContent()).toContain('TIMEOUT: timeout');
    expect(problems).toEqual([]);
    await page.close();
  });
});
