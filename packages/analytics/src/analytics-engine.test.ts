import { MetricsCollector, FakeClock, trackPerformance, createSeededRandom } from '@perftrack/core';
import { AnalyticsEngine, UsagePatternTracker, formatSessionReport } from '@perftrack/analytics';
import type { Recommendation } from '@perftrack/analytics';
import { rec, sampleTraces, session } from './test-support/fixtures';

const NOW = Date.UTC(2026, 10, 25, 12);
const engine = (options: ConstructorParameters<typeof AnalyticsEngine>[0] = {}): AnalyticsEngine =>
  new AnalyticsEngine({ now: () => NOW, ...options });
const kinds = (rs: readonly Recommendation[]): string[] => rs.map((r) => `${r.kind}:${'toolId' in r ? r.toolId : r.sequence.join('>')}`);

describe('AnalyticsEngine.analyze', () => {
  test('per-tool counts, weighted estimates, time, quantiles, rates, memory and I/O', () => {
    const e = engine();
    // 100 reads of 1..100 ms, 10 of them failing with memory and sizes
    for (let i = 1; i <= 100; i++) {
      e.onMetric(
        rec('read', 's1', i * 200, {
          duration: i,
          success: i % 10 !== 0,
          ...(i % 10 === 0 ? { errorType: 'ENOENT', error: `no such file /a/${i}.ts` } : {}),
          memoryUsed: i * 1000,
          inputSize: 50,
          outputSize: i * 10,
        }),
      );
    }
    const data = e.analyze();
    expect(data.scope).toBe('all');
    expect(data.generatedAt).toBe(new Date(NOW).toISOString());
    const [read] = data.tools;
    expect(read).toMatchObject({
      toolId: 'read',
      count: 100,
      estimatedCount: 100,
      failures: 10,
      successRate: 0.9,
      errorRate: 0.1,
      totalDuration: 5050,
      meanDuration: 50.5,
      minDuration: 1,
      maxDuration: 100,
      timedCount: 100,
      sampledCount: 0,
      effectiveSampleRate: 1,
      repeatedInputs: 0,
    });
    expect(read!.p50! / 50).toBeCloseTo(1, 1);
    expect(Math.abs(read!.p95! - 95) / 95).toBeLessThanOrEqual(0.01);
    expect(Math.abs(read!.p99! - 99) / 99).toBeLessThanOrEqual(0.01);
    expect(read!.memory).toEqual({ samples: 100, mean: 50_500, peak: 100_000 });
    expect(read!.input).toEqual({ samples: 100, mean: 50, max: 50, total: 5000 });
    expect(read!.output).toMatchObject({ samples: 100, max: 1000 });
    expect(read!.commonErrors).toEqual([{ errorType: 'ENOENT', message: 'no such file <path>', count: 10 }]);
    expect(data.summary).toMatchObject({
      totalOperations: 100,
      estimatedOperations: 100,
      failures: 10,
      errorRate: 0.1,
      busyDuration: 5050,
      peakMemory: 100_000,
      sessions: 1,
    });
    expect(data.summary.wallDuration).toBe(100 * 200 + 100 - 200);
    expect(data.summary.throughput).toBeCloseTo((100 * 1000) / data.summary.wallDuration);
  });

  test('sampled records are weighted, and untimed failures stay out of latency figures', () => {
    const e = engine();
    for (let i = 0; i < 10; i++) e.onMetric(rec('grep', 's', i * 10, { duration: 2, sampleWeight: 10 }));
    e.onMetric(rec('grep', 's', 500, { duration: 0, untimed: true, success: false, errorType: 'Error' }));
    const [grep] = e.analyze().tools;
    expect(grep).toMatchObject({
      count: 11,
      estimatedCount: 101,
      failures: 1,
      timedCount: 10,
      sampledCount: 10,
      totalDuration: 200,
      meanDuration: 2,
      minDuration: 2,
      effectiveSampleRate: 0.1,
    });
    expect(grep!.errorRate).toBeCloseTo(1 / 101);
  });

  test('per session: only that session’s calls; an unknown session is empty, not an error', () => {
    const e = engine();
    for (const r of session('a', 'read grep read grep')) e.onMetric(r);
    for (const r of session('b', 'bash', () => ({ duration: 1000, memoryUsed: 5 }))) e.onMetric(r);
    const a = e.analyze('a');
    expect(a).toMatchObject({ scope: 'session', sessionId: 'a' });
    expect(a.tools.map((t) => t.toolId)).toEqual(['grep', 'read']);
    expect(a.summary).toMatchObject({ totalOperations: 4, sessions: 1, peakMemory: null });
    expect(a.sequences.map((p) => p.sequence.join(' '))).toContain('read grep');
    expect(e.analyze('b').summary).toMatchObject({ totalOperations: 1, busyDuration: 1000, wallDuration: 1000, peakMemory: 5 });
    expect(e.analyze('nope').summary).toMatchObject({ totalOperations: 0, sessions: 0, firstStart: null });
    expect(e.hasSession('nope')).toBe(false);
    expect(e.analyze().summary.sessions).toBe(2);
  });

  test('interleaved concurrent sessions keep separate figures', () => {
    const e = engine();
    const a = session('a', 'read read read', () => ({ duration: 5 }));
    const b = session('b', 'read read', () => ({ duration: 50 }));
    for (const r of [a[0], b[0], a[1], b[1], a[2]]) e.onMetric(r!);
    expect(e.analyze('a').tools[0]).toMatchObject({ count: 3, meanDuration: 5 });
    expect(e.analyze('b').tools[0]).toMatchObject({ count: 2, meanDuration: 50 });
    expect(e.analyze().tools[0]).toMatchObject({ count: 5, totalDuration: 115 });
  });
});

describe('AnalyticsEngine.getInsights', () => {
  test('top tools by use with shares', () => {
    const e = engine();
    for (let i = 0; i < 12; i++) for (let j = 0; j <= i; j++) e.onMetric(rec(`t${i}`, 's', i * 100 + j));
    const { topTools } = e.getInsights();
    expect(topTools).toHaveLength(10);
    expect(topTools[0]).toMatchObject({ toolId: 't11', count: 12 });
    expect(topTools[0]!.share).toBeCloseTo(12 / 78);
    expect(e.getInsights({ thresholds: { topTools: 3 } }).topTools.map((t) => t.toolId)).toEqual(['t11', 't10', 't9']);
  });

  test('bottlenecks: p95 above the threshold, or a dominant share of time; each with a recommendation and its evidence', () => {
    const e = engine();
    for (let i = 0; i < 100; i++) e.onMetric(rec('webfetch', 's', i * 10_000, { duration: i < 90 ? 100 : 3000 }));
    for (let i = 0; i < 100; i++) e.onMetric(rec('read', 's', i * 10_000 + 5, { duration: 1 }));
    const insights = e.getInsights();
    expect(insights.bottlenecks).toHaveLength(1);
    expect(insights.bottlenecks[0]).toMatchObject({ toolId: 'webfetch', reasons: ['slow-p95', 'time-share'] });
    expect(insights.bottlenecks[0]!.timeShare).toBeCloseTo(39_000 / 39_100);
    const slow = insights.recommendations.find((r) => r.kind === 'slow-tool');
    expect(slow).toMatchObject({
      toolId: 'webfetch',
      impact: { failures: 0, samples: 0, basis: expect.stringContaining('slower than p95') },
      evidence: { thresholdMs: 1000, timedCalls: 100 },
    });
    expect(slow!.action).toMatch(/timeout/);
    expect(slow!.evidence).toMatchObject({ p50: expect.closeTo(100, 0) });
    // 5 calls beyond p95, each ~2900 ms above p50
    expect(slow!.impact.timeMs).toBeGreaterThan(5 * 2900 * 0.98);
    expect(slow!.impact.timeMs).toBeLessThan(10 * 2900 * 1.02);
    expect(slow!.impact.score).toBe(slow!.impact.timeMs);
    expect(slow!.message).toMatch(/webfetch: p95 3,0\d\d ms exceeds 1,000 ms/);
    // a higher threshold leaves only the time-share reason
    expect(e.getInsights({ thresholds: { slowP95Ms: 5000 } }).bottlenecks[0]!.reasons).toEqual(['time-share']);
    expect(e.getInsights({ thresholds: { slowP95Ms: 5000, dominantTimeShare: 1 } }).bottlenecks).toEqual([]);
  });

  test('error-prone tools need evidence: one failure in one call is not enough, 30 of 100 is', () => {
    const e = engine();
    e.onMetric(rec('once', 's', 0, { success: false, errorType: 'Error' }));
    for (let i = 0; i < 100; i++)
      e.onMetric(
        rec('edit', 's', 10 + i, {
          success: i % 10 >= 3,
          ...(i % 10 < 3 ? { errorType: 'EditConflict', error: `conflict at line ${i}` } : {}),
        }),
      );
    for (let i = 0; i < 100; i++) e.onMetric(rec('grep', 's', 200 + i, { success: i !== 0 }));
    const { errorProne, recommendations } = e.getInsights();
    expect(errorProne.map((t) => t.toolId)).toEqual(['edit']);
    expect(errorProne[0]).toMatchObject({
      errorRate: 0.3,
      failures: 30,
      count: 100,
      commonErrors: [{ errorType: 'EditConflict', message: 'conflict at line <n>', count: 30 }],
    });
    expect(errorProne[0]!.wilsonLowerBound).toBeGreaterThan(0.2);
    const rec1 = recommendations.find((r) => r.kind === 'error-prone-tool')!;
    expect(rec1.impact).toMatchObject({
      timeMs: 0,
      failures: 25,
      score: 25 * 5000,
      basis: 'failures above a 5.0% error rate: 30 − 5.0% × 100 calls',
    });
    expect(rec1.action).toContain('EditConflict');
    expect(e.getInsights({ thresholds: { errorRate: 0.25 } }).errorProne).toEqual([]);
  });

  test('recommends caching a tool called again and again with the same input, with the time it cost', () => {
    const e = engine();
    for (let i = 0; i < 20; i++) e.onMetric(rec('read', 's', i * 100, { duration: 40, inputHash: `h${i % 4}` }));
    const r = e.getInsights().recommendations.find((x) => x.kind === 'cache-tool');
    expect(r).toMatchObject({
      toolId: 'read',
      evidence: { source: 'repeated-input', repeatedCalls: 16, calls: 20, repeatShare: 0.8 },
      impact: { timeMs: 640, failures: 0 },
    });
    expect(r!.action).toMatch(/memoise read on its input/);
  });

  test('flags a tool sampled so low that its figures are unreliable', () => {
    const e = engine();
    for (let i = 0; i < 5; i++) e.onMetric(rec('glob', 's', i, { sampleWeight: 100 }));
    const r = e.getInsights().recommendations.find((x) => x.kind === 'raise-sample-rate');
    expect(r).toMatchObject({
      toolId: 'glob',
      evidence: { effectiveSampleRate: 0.01, timedSamples: 5, estimatedCalls: 500, minSamples: 30, suggestedSampleRate: 0.1 },
      impact: { samples: 25, timeMs: 0 },
    });
    // the option by its exact name, with a value that would give enough samples
    expect(r!.action).toContain("trackPerformance({ toolId: 'glob', sampleRate: 0.1 })");
  });

  test('recommends breaking a sequence that usually fails, and orders recommendations by impact', () => {
    const e = engine();
    for (let i = 0; i < 20; i++)
      for (const r of session(`e${i}`, 'edit bash', (j) =>
        j === 1 && i < 16 ? { success: false, errorType: 'TestFailure', error: 'tests failed' } : {},
      ))
        e.onMetric(r);
    for (let i = 0; i < 40; i++) for (const r of session(`r${i}`, 'read bash')) e.onMetric(r);
    const { recommendations } = e.getInsights();
    const seq = recommendations.find((r) => r.kind === 'failing-sequence');
    expect(seq).toMatchObject({
      sequence: ['edit', 'bash'],
      evidence: { source: 'error-prone-sequence', errorRate: 0.8, failures: 16, occurrences: 20 },
    });
    expect(seq!.impact.failures).toBeCloseTo(16 - 20 * (16 / 60));
    expect(seq!.impact.basis).toMatch(/beyond its 26\.7% base rate/);
    expect(seq!.message).toContain('edit → bash');
    const scores = recommendations.map((r) => r.impact.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(kinds(recommendations)).toContain('error-prone-tool:bash');
  });

  test('rejects bad thresholds and options', () => {
    expect(() => engine({ thresholds: { errorRate: 2 } })).toThrow(/threshold errorRate must be a number in \[0, 1\]/);
    expect(() => engine({ thresholds: { nope: 1 } as never })).toThrow(/unknown threshold "nope"/);
    expect(() => engine({ maxSessions: 0 })).toThrow(/maxSessions must be an integer >= 1/);
    expect(() => engine({ bad: true } as never)).toThrow(/unknown option "bad"/);
    expect(() => engine().getInsights({ thresholds: { topTools: -1 } })).toThrow(/topTools/);
  });
});

describe('AnalyticsEngine as a core subscriber', () => {
  test('figures a real collector’s tracked calls, feeding its own sequence tracker', async () => {
    const clock = new FakeClock();
    const collector = new MetricsCollector({ clock, random: createSeededRandom(1) });
    const e = engine();
    collector.subscribe(e);
    const ctx = { sessionID: 'live', messageID: 'm1' };
    const read = trackPerformance({ toolId: 'read', collector, trackInputOutput: true })((_args: { path: string }, _ctx: typeof ctx) => {
      clock.advance(5);
      return 'x'.repeat(100);
    });
    const edit = trackPerformance({ toolId: 'edit', collector })(async (_args: { path: string }, _ctx: typeof ctx) => {
      clock.advance(20);
      throw new Error('conflict in /src/a.ts');
    });
    for (let i = 0; i < 3; i++) {
      read({ path: 'a' }, ctx);
      await expect(edit({ path: 'a' }, ctx)).rejects.toThrow('conflict');
    }
    const data = e.analyze('live');
    expect(data.tools.map((t) => [t.toolId, t.count, t.meanDuration, t.errorRate])).toEqual([
      ['edit', 3, 20, 1],
      ['read', 3, 5, 0],
    ]);
    expect(data.tools[1]!.output!.mean).toBeGreaterThan(100);
    expect(e.patterns!.getMostCommonPatterns(1)[0]).toMatchObject({ sequence: ['read', 'edit'], count: 3 });
    expect(e.sessionReport('live').predictions[0]!.toolId).toBe('read');
  });

  test('shares a tracker passed in, and can run without one', () => {
    const tracker = new UsagePatternTracker({ maxSequenceLength: 3 });
    const e = engine({ patterns: tracker });
    for (const r of session('s', 'a b c d')) e.onMetric(r);
    expect(e.patterns).toBe(tracker);
    expect(tracker.getMostCommonPatterns(10).every((p) => p.sequence.length <= 3)).toBe(true);
    const bare = engine({ patterns: false });
    for (const r of session('s', 'a b')) bare.onMetric(r);
    expect(bare.patterns).toBeUndefined();
    expect(bare.analyze().sequences).toEqual([]);
    expect(bare.sessionReport('s').predictions).toEqual([]);
  });

  test('getInsights on the real traces sample finds the error-prone tools of those agents', () => {
    const e = engine();
    for (const s of sampleTraces()) e.ingest(s.records);
    const insights = e.getInsights();
    expect(insights.topTools.length).toBe(10);
    expect(insights.errorProne.length).toBeGreaterThan(0);
    expect(insights.errorProne.every((t) => t.wilsonLowerBound > 0.05)).toBe(true);
    // durations are unknown in this data: no latency figure, no bottleneck invented
    expect(insights.bottlenecks).toEqual([]);
    expect(e.analyze().tools.every((t) => t.meanDuration === null && t.p95 === null)).toBe(true);
  });
});

describe('session report', () => {
  test('holds analytics, insights and predictions, and prints an aligned table with hostile names neutralised', () => {
    const e = engine();
    const evil = 'bad\u001b[31mtool';
    for (const r of session('s1', `read grep edit read grep edit ${evil}`, (i) => ({ duration: 10 + i, inputSize: 100, outputSize: 2048 })))
      e.onMetric(r);
    const report = e.sessionReport('s1');
    expect(report).toMatchObject({ schema: 'perftrack.session-report/1', sessionId: 's1', generatedAt: new Date(NOW).toISOString() });
    expect(report.analytics.tools).toHaveLength(4);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const text = formatSessionReport(report);
    expect(text).toContain('Session s1');
    // counts and rates in separate columns; the data's time range (not the report's time) in the header
    expect(text).toMatch(/tool\s+calls\s+failed\s+error rate\s+mean ms\s+p50\s+p95\s+p99\s+mem peak\s+in\s+out/);
    expect(text).toMatch(/read\s+2\s+0\s+0\.0%/);
    expect(text.split('\n')[0]).toBe('Session s1 — calls from 2023-11-14 22:13:20.000 UTC to 2023-11-14 22:13:20.616 UTC');
    // two timed calls: p95 and p99 are printed marked, with the reason
    expect(text).toMatch(/read\s+2\s+0\s+0\.0%\s+[\d.]+\s+[\d.]+\s+[\d.]+\*\s+[\d.]+\*/);
    expect(text).toContain('* = rough: fewer than 20 timed calls for p95, 100 for p99');
    // only the longest form of a sequence that always occurs whole
    expect(text).toContain('read → grep → edit → read → grep');
    expect(text).not.toMatch(/^ {2}read → grep {2}/m);
    expect(text).toContain('Likely next tools:');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('bad?[31mtool');
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('tool'));
    expect(lines[header + 1]!.length).toBe(lines[header]!.length);
    expect(formatSessionReport(e.sessionReport('none'))).toContain('no calls recorded');
  });

  test('the overall report covers every session and prints under its own heading', () => {
    const e = engine();
    for (const r of session('s1', 'read grep edit')) e.onMetric(r);
    for (const r of session('s2', 'read edit', () => ({ success: false, error: 'conflict', errorType: 'EDIT' }))) e.onMetric(r);
    const report = e.overallReport();
    expect(report).toMatchObject({ schema: 'perftrack.report/1', scope: 'all' });
    expect(report.analytics.summary).toMatchObject({ totalOperations: 5, failures: 2, sessions: 2 });
    const text = formatSessionReport(report);
    expect(text.split('\n')[0]).toMatch(/^All sessions \(2\) — /);
    expect(text).not.toContain('Likely next tools:');
  });
});

describe('AnalyticsEngine bounds', () => {
  test('a million records over 5,000 sessions keep at most maxSessions sessions and maxTools tools', () => {
    const e = engine({ maxSessions: 100, maxTools: 10, patterns: { maxPatterns: 2_000, maxSessions: 100 } });
    const base = { id: '', toolId: '', sessionId: '', startTime: 0, endTime: 0, duration: 1, success: true, sampleWeight: 1 };
    const tools = Array.from({ length: 20 }, (_, i) => `t${i}`);
    for (let i = 0; i < 1_000_000; i++) {
      e.onMetric({
        ...base,
        id: `i${i}`,
        toolId: tools[(i * 7) % 20]!,
        sessionId: `s${Math.floor(i / 200)}`,
        startTime: i,
        endTime: i + 1,
        duration: (i % 100) + 1,
      });
    }
    const s = e.stats();
    expect(s).toMatchObject({ records: 1_000_000, liveSessions: 100, evictedSessions: 4_900, tools: 10 });
    expect(s.otherToolRecords).toBeGreaterThan(0);
    const data = e.analyze();
    expect(data.tools.length).toBe(10);
    expect(data.summary.totalOperations).toBe(1_000_000);
    const t0 = performance.now();
    e.getInsights();
    expect(performance.now() - t0).toBeLessThan(1000); // a sanity bound; the measured figure is in bench/results/analytics.json
  });
});

describe('deferred mode', () => {
  test('onMetric only queues; every read, of the engine or of its tracker, sees every record', async () => {
    const e = new AnalyticsEngine({ deferred: true });
    for (const r of session('s1', 'read grep edit read grep edit')) e.onMetric(r);
    expect(e.patterns!.predictNextTools(['read', 'grep'], 1)[0]!.toolId).toBe('edit'); // a tracker read catches up
    for (const r of session('s2', 'read grep')) e.onMetric(r);
    expect(e.hasSession('s2')).toBe(true);
    for (const r of session('s3', 'bash')) e.onMetric(r);
    await new Promise((resolve) => setImmediate(resolve)); // or a later event-loop turn does it
    expect(e.stats().records).toBe(9);
    expect(e.analyze().summary.sessions).toBe(3);
    expect(() => new AnalyticsEngine({ deferred: 'yes' as never })).toThrow('deferred must be a boolean');
  });

  test('the queue is bounded: without a yield, records are analysed in slices of 8,192', () => {
    const tracker = new UsagePatternTracker();
    const seen = jest.spyOn(tracker, 'onMetric');
    const e = new AnalyticsEngine({ deferred: true, patterns: tracker });
    const r = session('s', 'read')[0]!;
    for (let i = 0; i < 8191; i++) e.onMetric({ ...r, id: `q${i}` });
    expect(seen).toHaveBeenCalledTimes(0);
    e.onMetric({ ...r, id: 'q8191' });
    expect(seen).toHaveBeenCalledTimes(8192);
    seen.mockRestore();
    for (let i = 8192; i < 1_000_000; i++) e.onMetric({ ...r, id: `q${i}` });
    expect(e.stats().records).toBe(1_000_000);
  });
});
