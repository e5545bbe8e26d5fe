import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { trackMastraTools } from '@perftrack/mastra';

// A real Mastra Agent (driven by a scripted model) in a child Node process, at the lowest and the
// highest @mastra/core of the peer range that run on Node 20: 0.20.0 (installed as
// `mastra-core-low`) and 0.24.9 (Mastra 1.x requires Node 22.13). The child uses the built package.

interface ChildResult {
  version: string;
  texts: string[];
  warnings: string[];
  received: number[];
  records: ToolExecutionMetrics[];
}

function runChild(pkg: string, scenario: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(__dirname, 'test-support', 'mastra-child.cjs'), pkg, scenario],
      { cwd: join(__dirname, '..'), timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`mastra child failed: ${error.message}\n${stderr}`));
        else {
          const line = stdout.split('\n').find((l) => l.startsWith('PERFTRACK_RESULT '));
          if (line === undefined) reject(new Error(`mastra child printed no result:\n${stdout.slice(-2000)}\n${stderr}`));
          else resolve(JSON.parse(line.slice('PERFTRACK_RESULT '.length)) as ChildResult);
        }
      },
    );
  });
}

const byCall = (records: ToolExecutionMetrics[]) => [...records].sort((a, b) => (a.callId ?? '').localeCompare(b.callId ?? ''));

describe.each([
  ['lowest', 'mastra-core-low', '0.20.0'],
  ['highest', '@mastra/core', '0.24.9'],
])('trackMastraTools with a real Mastra Agent, %s version', (_label, pkg, version) => {
  test('every tool call of an agent run: tool call ids, thread, run id, the input alone sized, failures', async () => {
    const r = await runChild(pkg, 'one-run');
    expect(r.version).toBe(version);
    expect(r.texts).toEqual(['All done.']);
    const records = byCall(r.records);
    expect(records.map((m) => [m.callId, m.toolId, m.success, m.errorType ?? null, m.error ?? null, m.sessionId])).toEqual([
      ['a-s1', 'search', false, 'QuotaError', 'search quota exhausted', 'thread-1'],
      ['a-w1', 'weather', true, null, null, 'thread-1'],
      ['a-w2', 'weather', true, null, null, 'thread-1'],
      ['a-z1', 'slow', true, null, null, 'thread-1'],
    ]);
    for (const m of records) expect(m.runId).toBe('run-1');
    // the adapter's stamp, for perftrack doctor
    const { version: adapterVersion } = require('../package.json') as { version: string };
    for (const m of records) expect(m.metadata).toEqual({ framework: 'mastra', adapterVersion });
    const oslo = records[1]!;
    // { city: 'Oslo' } alone, while the tool received Mastra's whole execution context
    expect(oslo.inputSize).toBeGreaterThanOrEqual(JSON.stringify({ city: 'Oslo' }).length);
    expect(oslo.inputSize).toBeLessThan(25);
    expect(Math.min(...r.received)).toBeGreaterThan(60);
    expect(records[3]!.duration).toBeGreaterThanOrEqual(25);
    expect(r.warnings).toEqual([]);
  });

  test("core's wrapTools alone reads the same ids and sizes only the input", async () => {
    const r = await runChild(pkg, 'core-wrap');
    const records = byCall(r.records);
    expect(records.map((m) => [m.callId, m.toolId, m.success, m.sessionId, m.runId])).toEqual([
      ['a-s1', 'search', false, 'thread-1', 'run-1'],
      ['a-w1', 'weather', true, 'thread-1', 'run-1'],
      ['a-w2', 'weather', true, 'thread-1', 'run-1'],
      ['a-z1', 'slow', true, 'thread-1', 'run-1'],
    ]);
    expect(records[1]!.inputSize).toBeLessThan(25);
  });

  test('10 concurrent agent runs: each call lands in its own thread exactly once; without a thread the resource is the session', async () => {
    const r = await runChild(pkg, 'concurrent');
    expect(r.records).toHaveLength(41);
    for (let i = 0; i < 10; i++) {
      const mine = byCall(r.records.filter((m) => m.sessionId === `t-${i}`));
      expect(mine.map((m) => m.callId)).toEqual([`r${i}-s1`, `r${i}-w1`, `r${i}-w2`, `r${i}-z1`]);
    }
    expect(r.records.filter((m) => m.sessionId === 'user-9').map((m) => m.callId)).toEqual(['x1']);
  });
});

describe('trackMastraTools without Mastra', () => {
  test('nothing to wrap, and a tool without execute, are warned about once by name; bad options throw', () => {
    const warnings: string[] = [];
    const tools = trackMastraTools(
      { clientSide: { id: 'clientSide', description: 'runs in the browser' } },
      { onWarning: (w) => warnings.push(w) },
    );
    expect(tools.clientSide).toEqual({ id: 'clientSide', description: 'runs in the browser' });
    expect(warnings).toEqual([
      expect.stringContaining('Mastra tool "clientSide" has no execute()'),
      expect.stringContaining('found no tool with an execute()'),
    ]);
    const empty: string[] = [];
    expect(trackMastraTools({}, { onWarning: (w) => empty.push(w) })).toEqual({});
    expect(trackMastraTools([], { onWarning: (w) => empty.push(w) })).toEqual([]);
    expect(empty).toEqual([
      expect.stringContaining('given an empty record: nothing to wrap'),
      expect.stringContaining('given an empty array: nothing to wrap'),
    ]);
    expect(() => trackMastraTools({}, { sampleRatio: 1 } as never)).toThrow(/unknown option "sampleRatio"/);
    expect(() => trackMastraTools({}, { sessionId: '' })).toThrow(/sessionId/);
  });
});
