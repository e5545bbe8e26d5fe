import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { main, type CliIo } from '@perftrack/cli';
import { PostgresStorage } from '@perftrack/storage-postgres';
// The PostgreSQL package's test cluster (a real server in a temp dir): test support, not API.
import { startTestCluster, type TestCluster } from '../../storage-postgres/src/test-support/pg-cluster';

// `perftrack compare A B --store postgres://…`: two groups of runs compared by the database,
// checked against the same figures computed here from the records.

let cluster: TestCluster;
let scratch: string;

beforeAll(async () => {
  cluster = await startTestCluster();
  scratch = await mkdtemp(join(tmpdir(), 'perftrack-cli-compare-'));
}, 60_000);
afterAll(async () => {
  await cluster?.destroy();
  await rm(scratch, { recursive: true, force: true });
});

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Partial<CliIo> = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: {},
    cwd: scratch,
    now: () => Date.UTC(2026, 10, 25, 12),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const HOSTILE = '../../etc\u001b[31m';

/** A run: `n` records per tool, durations scaled by `slow`, every `failEvery`-th failing. */
function run(sessionId: string, n: number, slow: number, failEvery: number, seed: number): ToolExecutionMetrics[] {
  const out: ToolExecutionMetrics[] = [];
  for (const [t, toolId] of ['read', 'bash', HOSTILE].entries()) {
    for (let i = 0; i < n; i++) {
      const duration = slow * (1 + ((i * 7919 + seed * 31 + t) % 97)) * (t + 1);
      const startTime = Date.UTC(2026, 10, 20) + seed * 1e6 + i * 1000 + t;
      out.push({
        id: `${sessionId}-${t}-${i}`,
        toolId,
        sessionId,
        startTime,
        endTime: startTime + duration,
        duration,
        success: i % failEvery !== 0,
        sampleWeight: i % 10 === 0 ? 3 : 1,
      });
    }
  }
  return out;
}

const nearestRank = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.max(1, Math.ceil(p * xs.length)) - 1];

function figures(records: readonly ToolExecutionMetrics[]) {
  const calls = records.reduce((s, r) => s + r.sampleWeight, 0);
  const failures = records.filter((r) => !r.success).reduce((s, r) => s + r.sampleWeight, 0);
  const durations = records.map((r) => r.duration);
  return {
    records: records.length,
    calls,
    failures,
    errorRate: failures / calls,
    timedRecords: records.length,
    p50Ms: nearestRank(durations, 0.5),
    p95Ms: nearestRank(durations, 0.95),
  };
}

describe('perftrack compare over a database', () => {
  let url: string;
  const a = [...run('gen1-x', 120, 1, 10, 1), ...run('gen1-y', 80, 1, 10, 2)];
  const b = [...run('gen2-x', 150, 2, 5, 3)];

  beforeAll(async () => {
    url = cluster.url();
    const adapter = new PostgresStorage({ connectionString: url, onWarning: () => {} });
    for (const rs of [a, b]) {
      const bySession = new Map<string, ToolExecutionMetrics[]>();
      for (const r of rs) bySession.set(r.sessionId, [...(bySession.get(r.sessionId) ?? []), r]);
      await adapter.appendSessions(bySession);
    }
    await adapter.appendMetrics('other', run('other', 10, 50, 2, 4)); // in neither group
    await adapter.end();
  });

  test('per tool and overall: calls, error rates, exact p50/p95 of each group and B − A, as computed from the records', async () => {
    const got = await cli(['compare', 'gen1-*', 'gen2-x', '--store', url, '--json']);
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    const doc = JSON.parse(got.stdout);
    expect(doc).toMatchObject({
      schema: 'perftrack.compare-groups/1',
      computedBy: 'query',
      a: { label: 'gen1-*', sessions: 2 },
      b: { label: 'gen2-x', sessions: 1 },
    });
    const expectTool = (toolId: string, ra: ToolExecutionMetrics[], rb: ToolExecutionMetrics[]) => {
      const t = toolId === '*' ? doc.overall : doc.tools.find((x: { toolId: string }) => x.toolId === toolId);
      const fa = figures(ra);
      const fb = figures(rb);
      expect(t.a).toEqual(fa);
      expect(t.b).toEqual(fb);
      expect(t.difference.calls).toBe(fb.calls - fa.calls);
      expect(t.difference.errorRate).toBeCloseTo(fb.errorRate - fa.errorRate, 12);
      expect(t.difference.p50Ms).toBeCloseTo(fb.p50Ms! - fa.p50Ms!, 9);
      expect(t.difference.p95Ms).toBeCloseTo(fb.p95Ms! - fa.p95Ms!, 9);
      expect(t.difference.p50Ratio).toBeCloseTo(fb.p50Ms! / fa.p50Ms!, 12);
    };
    expectTool('*', a, b);
    for (const toolId of ['read', 'bash', HOSTILE])
      expectTool(
        toolId,
        a.filter((r) => r.toolId === toolId),
        b.filter((r) => r.toolId === toolId),
      );
    // equal calls: ties by tool id
    expect(doc.tools.map((t: { toolId: string }) => t.toolId)).toEqual([HOSTILE, 'bash', 'read']);
  });

  test('the text table names both groups and every tool, hostile names made safe for a terminal', async () => {
    const got = await cli(['compare', 'gen1-x,gen1-y', 'gen2-*', '--store', url]);
    expect(got.code).toBe(0);
    const lines = got.stdout.split('\n');
    expect(lines[0]).toBe('perftrack compare, computed by the database: A = gen1-x,gen1-y (2 sessions), B = gen2-* (1 sessions)');
    expect(got.stdout).toMatch(/^all tools\s+720\s/m);
    expect(got.stdout).not.toContain('\u001b');
    expect(got.stdout).toContain('../../etc');
  });

  test('a group naming no stored session, or --aggregates with --fail-on, is a one-line error', async () => {
    const none = await cli(['compare', 'gen9-*', 'gen2-x', '--store', url]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/"gen9-\*" is neither a file nor a stored session/);
    const gate = await cli(['compare', 'gen1-*', 'gen2-x', '--store', url, '--aggregates', '--fail-on', 'any']);
    expect(gate.code).toBe(2);
    // without --aggregates, --fail-on over a database is the full comparison from the records
    const full = await cli(['compare', 'gen1-*', 'gen2-x', '--store', url, '--fail-on', 'error-rate', '--json']);
    expect(full.stderr).toMatch(/compare gate --fail-on error-rate failed/);
    expect(full.code).toBe(3);
  });
});
