import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AnalyticsEngine } from '@perftrack/analytics';
import { InMemoryStorage, PerformanceIntegration, SessionPerformance, type ToolExecutionMetrics } from '@perftrack/integration';

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
  endTime: 1010 + i,
  duration: 10,
  success: true,
  sampleWeight: 1,
  ...extra,
});

describe('session views are a view over the analytics engine, not a second tally', () => {
  test("a tracker over an engine shows the engine's per-session figures, and counts nothing itself", () => {
    const engine = new AnalyticsEngine({ patterns: false });
    const sessions = new SessionPerformance({ engine });
    const tracker = sessions.getTracker('s');
    engine.onMetric(rec(1, 's', 'read', { sampleWeight: 2 }));
    engine.onMetric(rec(2, 's', 'grep', { success: false, error: 'exit 2', errorType: 'E' }));
    sessions.onMetric(rec(3, 's', 'read')); // the engine is fed where it is subscribed: not counted twice
    const session = engine.analyze('s').summary;
    expect(tracker.calls).toBe(session.totalOperations);
    expect(tracker.estimatedCalls).toBe(session.estimatedOperations);
    expect(tracker.failures).toBe(session.failures);
    expect(tracker.errorRate).toBe(session.errorRate);
    expect(tracker.totalDuration).toBe(session.busyDuration);
    expect(tracker.snapshot()).toMatchObject({
      calls: 2,
      estimatedCalls: 3,
      lastTools: ['read', 'grep'],
      lastFailure: { toolId: 'grep', errorType: 'E', message: 'exit 2', at: 1012 },
      tools: { read: { calls: 1, estimatedCalls: 2 }, grep: { calls: 1, failures: 1 } },
    });
    expect(sessions.stats()).toEqual({ sessions: 1, evicted: 0 });
    expect(() => new SessionPerformance({ engine, lastTools: 3 })).toThrow(
      "with engine, lastTools and beforeRead are the engine's options",
    );
    expect(() => new SessionPerformance({ engine: {} as AnalyticsEngine })).toThrow('engine must be an AnalyticsEngine');
  });

  test("the integration's trackers read its analytics' figures", async () => {
    const perf = new PerformanceIntegration({
      analyticsInterval: 0,
      flushOnExit: false,
      storage: new InMemoryStorage(),
      onWarning: () => {},
    });
    await perf.ready;
    const [grep] = perf.wrapTools([{ id: 'grep', execute: (_a: object, _c: { sessionID: string }) => 'ok' }]);
    for (let i = 0; i < 5; i++) grep!.execute({}, { sessionID: 's1' });
    const tracker = perf.getTracker('s1');
    expect(tracker.calls).toBe(5);
    expect(perf.analytics.sessionFigures('s1')!.count).toBe(5);
    expect(tracker.totalDuration).toBe(perf.analytics.analyze('s1').summary.busyDuration);
    await perf.shutdown();
  });

  test('bounded: 500 k calls over 100 k sessions keep maxSessions figures and trackers; heap after GC is flat', () => {
    const sessions = new SessionPerformance({ maxSessions: 1000 });
    const heaps: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 250_000; i++) {
        const n = round * 250_000 + i;
        sessions.onMetric(rec(n, `s${n % 100_000}`, `t${n % 20}`));
        if (n % 50 === 0) sessions.getTracker(`s${n % 100_000}`);
      }
      heaps.push(heapMiB());
    }
    console.log(
      `SessionPerformance after 250/500 k calls over 100 k sessions (bound 1,000): heap ${heaps.map((h) => h.toFixed(1)).join(' / ')} MiB`,
    );
    expect(sessions.stats()).toEqual({ sessions: 1000, evicted: 500_000 - 1000 });
    expect(heaps[1]! - heaps[0]!).toBeLessThan(8);
  });
});
