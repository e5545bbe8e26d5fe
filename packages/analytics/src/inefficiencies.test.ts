import type { ToolExecutionMetrics } from '@perftrack/core';
import { AnalyticsEngine, InefficiencyScanner, compareRuns, findInefficiencies, suggestOptimizations } from '@perftrack/analytics';

let n = 0;
let t = 0;
function call(sessionId: string, toolId: string, extra: Partial<ToolExecutionMetrics> = {}): ToolExecutionMetrics {
  t += 10;
  const duration = extra.duration ?? 5;
  return { id: `i${n++}`, toolId, sessionId, startTime: t, endTime: t + duration, duration, success: true, sampleWeight: 1, ...extra };
}
const fail = (sessionId: string, toolId: string, errorType: string, extra: Partial<ToolExecutionMetrics> = {}) =>
  call(sessionId, toolId, { success: false, errorType, error: errorType, ...extra });

describe('findInefficiencies', () => {
  const records = [
    call('s1', 'read', { inputHash: 'h-a', metadata: { target: 'a.ts' }, duration: 20 }),
    call('s1', 'grep', { inputHash: 'h-q', duration: 50 }),
    call('s1', 'grep', { inputHash: 'h-q', duration: 50 }), // identical repeat
    call('s1', 'read', { inputHash: 'h-a2', metadata: { target: 'a.ts' }, duration: 20 }), // re-read a.ts
    call('s1', 'edit', { metadata: { target: 'a.ts' } }),
    call('s1', 'read', { metadata: { target: 'a.ts' }, duration: 20 }), // after an edit: not redundant
    fail('s1', 'bash', 'ENOCMD'),
    fail('s1', 'bash', 'ENOCMD'), // retry loop of 3
    fail('s1', 'bash', 'ENOCMD'),
    fail('s1', 'edit', 'EDIT_CONFLICT'), // the failing chain goes on: bash×3 → edit
    call('s1', 'bash'),
    call('s2', 'grep', { inputHash: 'h-q', duration: 50 }), // another session: not a repeat within s2's window
  ];

  it('finds repeats, re-reads, retry loops and failing chains with evidence and savings', () => {
    const r = findInefficiencies(records);
    expect(r).toMatchObject({
      schema: 'perftrack.inefficiencies/1',
      records: 12,
      sessions: 2,
      hasDurations: true,
      hasInputHashes: true,
      notes: [],
    });
    expect(r.repeatedCalls).toEqual([
      { toolId: 'grep', inputHash: 'h-q', repeats: 1, sessions: 1, savingMs: 50, exampleRecordId: records[2]!.id },
    ]);
    expect(r.rereads).toEqual([{ toolId: 'read', target: 'a.ts', rereads: 1, savingMs: 20, exampleRecordId: records[3]!.id }]);
    expect(r.retryLoops).toEqual([
      {
        toolId: 'bash',
        errorType: 'ENOCMD',
        loops: 1,
        wastedCalls: 2,
        longest: 3,
        wastedMs: 10,
        exampleSessionId: 's1',
        exampleRecordId: records[7]!.id,
      },
    ]);
    expect(r.failingChains).toEqual([
      { chain: ['bash×3', 'edit'], occurrences: 1, failedCalls: 4, exampleSessionId: 's1', exampleRecordId: records[6]!.id },
    ]);
    // grep → grep: 50 + 50 ms; the most expensive consecutive pair
    expect(r.hotPairs[0]).toEqual({ pair: ['grep', 'grep'], count: 1, totalMs: 100, score: 100 });
  });

  it('says what it cannot see instead of inventing it', () => {
    const bare = records.map(({ inputHash: _h, metadata: _m, ...rest }) => ({ ...rest, duration: 0 }));
    const r = findInefficiencies(bare);
    expect(r.hasDurations).toBe(false);
    expect(r.repeatedCalls).toEqual([]);
    expect(r.rereads).toEqual([]);
    expect(r.hotPairs[0]!.totalMs).toBeNull();
    expect(r.retryLoops[0]!.wastedMs).toBeNull();
    expect(r.notes).toEqual([
      expect.stringMatching(/no durations/),
      expect.stringMatching(/no input hashes/),
      expect.stringMatching(/name no targets/),
    ]);
  });

  it('finds the same streamed one session at a time, holding one session', () => {
    // a third session whose records were stored out of start order, and repeats in two sessions
    const s3 = [call('s3', 'grep', { inputHash: 'h-q', duration: 50 }), call('s3', 'grep', { inputHash: 'h-q', duration: 50 })];
    const late = call('s3', 'bash', { startTime: 0, endTime: 1, duration: 1 });
    const all = [...records, late, ...s3, call('s2', 'grep', { inputHash: 'h-q', duration: 50 })];
    const bySession = ['s1', 's2', 's3'].flatMap((id) => all.filter((r) => r.sessionId === id));
    const streamed = new InefficiencyScanner();
    for (const r of bySession) streamed.add(r);
    expect(streamed.report()).toEqual(findInefficiencies(all));
    expect(findInefficiencies(all).repeatedCalls[0]).toMatchObject({ toolId: 'grep', repeats: 3, sessions: 3 }); // s1, s2 and s3 each repeat it once
    expect(() => new InefficiencyScanner({ limit: 0 })).toThrow(/InefficiencyScanner: limit must be an integer >= 1/);
  });

  it('rejects bad options', () => {
    expect(() => findInefficiencies([], { minRetries: 1 })).toThrow(/minRetries must be an integer >= 2/);
  });
});

describe('suggestOptimizations', () => {
  it('gives typed suggestions ranked by impact, each citing its evidence', () => {
    const records = [
      ...Array.from({ length: 6 }, () => call('s1', 'webfetch', { inputHash: 'same-url', duration: 400 })),
      fail('s1', 'bash', 'ENOCMD'),
      fail('s1', 'bash', 'ENOCMD'),
      call('s1', 'bash'),
    ];
    const engine = new AnalyticsEngine();
    engine.ingest(records);
    const list = suggestOptimizations({ analytics: engine.analyze(), inefficiencies: findInefficiencies(records) });
    expect(list.map((s) => s.kind)).toEqual(['stop-retry-loop', 'cache-tool']); // 1 failure × 5 s > 2 s of repeats
    const cache = list.find((s) => s.kind === 'cache-tool')!;
    expect(cache).toMatchObject({ toolId: 'webfetch', impact: { timeMs: 2000, failures: 0 }, evidence: { repeatedCalls: 5, calls: 6 } });
    expect(list[0]).toMatchObject({ impact: { failures: 1, score: 5000 + 5 }, evidence: { errorType: 'ENOCMD', wastedCalls: 1 } });
  });

  it('asks to raise a thin sample rate and to investigate a regression', () => {
    const engine = new AnalyticsEngine();
    engine.ingest(Array.from({ length: 10 }, () => call('s', 'glob', { sampleWeight: 10 })));
    const a = Array.from({ length: 200 }, (_, i) => call(`a${i % 10}`, 'read', { duration: 10 + (i % 5) }));
    const b = Array.from({ length: 200 }, (_, i) => call(`b${i % 10}`, 'read', { duration: 30 + (i % 5) }));
    const comparison = compareRuns(a, b, { labels: { a: 'gen1', b: 'gen2' } });
    const list = suggestOptimizations({ analytics: engine.analyze(), comparison });
    const kinds = list.map((s) => s.kind);
    expect(kinds).toEqual(['investigate-regression', 'raise-sample-rate']);
    expect(list[0]).toMatchObject({ toolId: 'read', message: expect.stringContaining('regressed from gen1 to gen2') });
    expect(list[0]!.impact.timeMs).toBeGreaterThan(3000); // ~20 ms more × 200 calls
    expect(list[1]).toMatchObject({ toolId: 'glob', evidence: { timedSamples: 10, estimatedCalls: 100 } });
  });
});
