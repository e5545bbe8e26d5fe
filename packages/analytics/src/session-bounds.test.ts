import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { AnalyticsEngine, ToolTimeline, UsagePatternTracker } from '@perftrack/analytics';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const heapMiB = (): number => {
  gc();
  return process.memoryUsage().heapUsed / 1048576;
};

const rec = (i: number, sessionId: string, toolId: string, extra: Partial<ToolExecutionMetrics> = {}): ToolExecutionMetrics => ({
  id: `r${i}`,
  toolId,
  sessionId,
  startTime: 1000 + i,
  endTime: 1002 + i,
  duration: 2,
  success: true,
  sampleWeight: 1,
  ...extra,
});

describe('per-session state is one bounded map (least recently active forgotten first, counted)', () => {
  test('engine: 300 k records, each of a new session, keep maxSessions figures; heap after GC is flat', () => {
    // each record makes (and evicts) a session's figures; records of a known session cost far less
    const engine = new AnalyticsEngine({ patterns: false, maxSessions: 2000, maxTools: 50 });
    const heaps: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 75_000; i++) engine.onMetric(rec(i, `s${round}-${i}`, `t${i % 100}`));
      heaps.push(heapMiB());
    }
    console.log(
      `AnalyticsEngine after 75/150/225/300 k new sessions (bound 2,000): heap ${heaps.map((h) => h.toFixed(1)).join(' / ')} MiB`,
    );
    expect(engine.stats()).toMatchObject({ records: 300_000, liveSessions: 2000, evictedSessions: 300_000 - 2000, tools: 50 });
    expect(engine.stats().otherToolRecords).toBe(300_000 * (51 / 100));
    expect(engine.analyze().summary.sessions).toBe(300_000);
    expect(heaps[3]! - heaps[0]!).toBeLessThan(8);
  });

  test('tracker: 1 M calls over 200 k sessions keep maxSessions live sessions; heap after GC is flat', () => {
    const tracker = new UsagePatternTracker({ maxSessions: 500, reorderWindow: 0 });
    const heaps: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 500_000; i++) tracker.onMetric(rec(round * 500_000 + i, `s${i % 200_000}`, `t${i % 7}`));
      heaps.push(heapMiB());
    }
    console.log(
      `UsagePatternTracker after 0.5/1 M calls over 200 k sessions (bound 500): heap ${heaps.map((h) => h.toFixed(1)).join(' / ')} MiB`,
    );
    const s = tracker.stats();
    expect(s.liveSessions).toBe(500);
    expect(s.evictedSessions).toBe(1_000_000 - 500);
    expect(heaps[1]! - heaps[0]!).toBeLessThan(8);
  });

  test("a session's figures are a live object: counts, time, the latest failure and tool ids", () => {
    const engine = new AnalyticsEngine({ patterns: false, sessionRecentTools: 3 });
    expect(engine.sessionFigures('s')).toBeUndefined();
    engine.onMetric(rec(1, 's', 'read'));
    const figures = engine.sessionFigures('s')!;
    engine.onMetric(rec(2, 's', 'grep', { sampleWeight: 4 }));
    engine.onMetric(rec(3, 's', 'edit', { success: false, error: 'boom', errorType: 'E', untimed: true, duration: 0 }));
    engine.onMetric(rec(4, 's', 'bash'));
    expect(figures).toMatchObject({ count: 4, weighted: 7, failures: 1, failW: 1, busyMs: 2 + 8 + 2, timedW: 6 });
    expect(figures.recentTools()).toEqual(['grep', 'edit', 'bash']);
    expect(figures.lastFailed).toMatchObject({ toolId: 'edit', error: 'boom' });
    expect([...figures.tools.keys()]).toEqual(['read', 'grep', 'edit', 'bash']);
    expect(new AnalyticsEngine({ patterns: false, sessionRecentTools: 0 }).sessionFigures('x')).toBeUndefined();
    expect(() => new AnalyticsEngine({ sessionRecentTools: -1 })).toThrow('sessionRecentTools must be an integer >= 0');
  });

  test('the "(other)" fold is the same everywhere: first tools keep their name, later ones share "(other)"', () => {
    const engine = new AnalyticsEngine({ patterns: { maxTools: 3 }, maxTools: 3 });
    const timeline = new ToolTimeline({ maxTools: 3 });
    for (const [i, tool] of ['a', 'b', 'c', 'a', 'd'].entries()) {
      engine.onMetric(rec(i, 's', tool));
      timeline.onMetric(rec(i, 's', tool, { endTime: Date.now() }));
    }
    expect(engine.analyze().tools.map((t) => [t.toolId, t.count])).toEqual([
      ['(other)', 2],
      ['a', 2],
      ['b', 1],
    ]);
    expect(
      timeline
        .series()
        .tools.map((t) => t.toolId)
        .sort(),
    ).toEqual(['(other)', 'a', 'b']);
    expect(engine.patterns!.stats()).toMatchObject({ tools: 3, otherToolRecords: 2 });
  });
});
