import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@perftrack/cli';
import { InMemoryStorage, openHistory, type HistoryQuery, type ToolExecutionMetrics } from '@perftrack/integration';
import { buildAggregateReport } from './report';

const FIXTURE = join(__dirname, '..', 'test-fixtures', 'store');
const GOLDEN = join(__dirname, '__golden__');
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: {},
    cwd: tmpdir(),
    now: () => NOW,
  });
  return { code, stdout, stderr };
}

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'perftrack-report-')), 'store');
  await cp(FIXTURE, dir, { recursive: true });
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('perftrack report --aggregates', () => {
  it('prints per-tool counts, error rates and percentiles, sessions and transitions (golden)', async () => {
    const r = await cli(['report', '--dir', dir, '--aggregates']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const text = r.stdout.split(dir).join('<dir>');
    const file = join(GOLDEN, 'report-aggregates.txt');
    if (process.env.UPDATE_GOLDEN === '1') await writeFile(file, text);
    expect(text).toBe(await readFile(file, 'utf8'));
  });

  it('gives the same per-tool calls and failures as the full report', async () => {
    const aggregates = JSON.parse((await cli(['report', '--dir', dir, '--aggregates', '--json'])).stdout) as {
      schema: string;
      computedBy: string;
      tools: { toolId: string; calls: number; failures: number; records: number }[];
      records: number;
    };
    const full = JSON.parse((await cli(['report', '--dir', dir, '--json'])).stdout) as {
      analytics: { summary: { totalOperations: number }; tools: { toolId: string; estimatedCount: number; failures: number }[] };
    };
    expect(aggregates).toMatchObject({ schema: 'perftrack.report-aggregates/1', computedBy: 'replay' });
    expect(aggregates.records).toBe(full.analytics.summary.totalOperations);
    const byTool = (xs: { toolId: string; calls: number; failures: number }[]) =>
      Object.fromEntries(xs.map((t) => [t.toolId, [t.calls, t.failures]]));
    expect(byTool(aggregates.tools)).toEqual(
      byTool(full.analytics.tools.map((t) => ({ toolId: t.toolId, calls: t.estimatedCount, failures: t.failures }))),
    );
    const one = JSON.parse((await cli(['report', '--dir', dir, '--aggregates', '--json', '--session', 'ses_beta'])).stdout) as {
      sessionId: string;
      sessions: { sessionId: string }[];
    };
    expect(one.sessionId).toBe('ses_beta');
    expect(one.sessions.map((s) => s.sessionId)).toEqual(['ses_beta']);
  });

  it('refuses --children with --aggregates, and an unknown session', async () => {
    expect((await cli(['report', '--dir', dir, '--aggregates', '--session', 'ses_beta', '--children'])).code).toBe(2);
    const unknown = await cli(['report', '--dir', dir, '--aggregates', '--session', 'ses_gamma']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown session "ses_gamma"/);
  });

  it('over a store that aggregates itself, reads no record', async () => {
    const adapter = new InMemoryStorage() as InMemoryStorage & { query: HistoryQuery };
    const record: ToolExecutionMetrics = {
      id: 'a',
      sessionId: 's',
      toolId: 'read',
      startTime: 1,
      endTime: 2,
      duration: 1,
      success: true,
      sampleWeight: 1,
    };
    await adapter.appendMetrics('s', [record]);
    const tool = {
      toolId: '\u001b[31mread',
      records: 40,
      calls: 50,
      failures: 5,
      errorRate: 0.1,
      timedRecords: 40,
      totalDurationMs: 400,
      meanDurationMs: 8,
      p50Ms: 7,
      p95Ms: 12,
      p99Ms: 30,
      firstTime: NOW - 60_000,
      lastTime: NOW,
      topErrors: [{ errorType: 'ENOENT', count: 5 }],
    };
    adapter.query = {
      aggregateTools: async () => [tool],
      aggregateSessions: async () => [
        { sessionId: 's', records: 40, calls: 50, failures: 5, tools: 1, firstTime: NOW - 60_000, lastTime: NOW },
      ],
      aggregateTransitions: async () => [{ from: 'read', to: 'read', count: 39, failures: 5 }],
      countRecords: async () => 40,
    };
    const readMetrics = jest.spyOn(adapter, 'readMetrics');
    const history = openHistory({ adapter });
    const report = await buildAggregateReport(
      history,
      { dir: 'db', limit: 20, maxSessions: 1000, now: () => NOW },
      () => new Error('unknown'),
    );
    expect(readMetrics).not.toHaveBeenCalled();
    expect(report.json).toMatchObject({ computedBy: 'query', records: 40, tools: [tool] });
    const text = report.lines.join('\n');
    expect(text).toContain('aggregates computed by the store');
    expect(text).toContain('?[31mread'); // terminal-safe
    expect(text).toMatch(/read\s+50\s+40\s+5\s+10\.0%\s+8\.00\s+7\.00\s+12\.0\s+30\.0\*\s+ENOENT ×5/); // p99 marked: fewer than 100 timed calls
  });
});
