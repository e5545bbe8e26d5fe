import { FakeClock, MetricsCollector, SessionPerformance, trackPerformance, type ToolExecutionMetrics } from '@perftrack/integration';

const rec = (sessionId: string, toolId: string, i: number, extra: Partial<ToolExecutionMetrics> = {}): ToolExecutionMetrics => ({
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

describe('SessionPerformance', () => {
  test('a tracker is a live view: the same object fills in as calls come, before and after it was asked for', () => {
    const clock = new FakeClock();
    const collector = new MetricsCollector({ clock });
    const sessions = new SessionPerformance();
    collector.subscribe(sessions);
    const early = sessions.getTracker('s1');
    expect(early.calls).toBe(0);
    expect(early.firstCallAt).toBeNull();
    const tool = trackPerformance({ collector })({
      id: 'bash',
      execute(args: { fail?: boolean }, _ctx: { sessionID: string }) {
        clock.advance(5);
        if (args.fail) throw Object.assign(new Error('exit 1'), { code: 'EXIT_1' });
        return 'ok';
      },
    });
    tool.execute({}, { sessionID: 's1' });
    expect(() => tool.execute({ fail: true }, { sessionID: 's1' })).toThrow('exit 1');
    tool.execute({}, { sessionID: 's2' });
    expect(sessions.getTracker('s1')).toBe(early);
    expect(early.snapshot()).toMatchObject({
      calls: 2,
      failures: 1,
      errorRate: 0.5,
      totalDuration: 10,
      averageDuration: 5,
      lastTools: ['bash', 'bash'],
      lastFailure: { toolId: 'bash', errorType: 'EXIT_1', message: 'exit 1' },
      tools: { bash: { calls: 2, estimatedCalls: 2, failures: 1, totalDuration: 10 } },
    });
    expect(JSON.parse(JSON.stringify(early))).toMatchObject({ sessionId: 's1', calls: 2 });
  });

  test('sampled records count by their weight; untimed failures add no time', () => {
    const sessions = new SessionPerformance();
    sessions.onMetric(rec('s', 'grep', 1, { sampleWeight: 10 }));
    sessions.onMetric(rec('s', 'grep', 2, { success: false, untimed: true, duration: 0, error: 'x', errorType: 'E' }));
    const t = sessions.getTracker('s');
    expect(t.calls).toBe(2);
    expect(t.estimatedCalls).toBe(11);
    expect(t.errorRate).toBeCloseTo(1 / 11);
    expect(t.totalDuration).toBe(100);
    expect(t.averageDuration).toBe(10);
  });

  test('bounded: 1 M calls over 100 k sessions and 500 tools keep at most maxSessions trackers, lastTools and tools per session', () => {
    const sessions = new SessionPerformance({ maxSessions: 1000, lastTools: 5, maxToolsPerSession: 20 });
    for (let i = 0; i < 1_000_000; i++) sessions.onMetric(rec(`s${i % 100_000}`, `tool${i % 500}`, i));
    expect(sessions.stats()).toEqual({ sessions: 1000, evicted: 999_000 }); // round-robin: every new visit evicts
    const hot = new SessionPerformance({ maxToolsPerSession: 20 });
    for (let i = 0; i < 1_000_000; i++) hot.onMetric(rec('one', `tool${i % 500}`, i));
    const tools = hot.getTracker('one').tools;
    expect(Object.keys(tools)).toHaveLength(20);
    expect(hot.getTracker('one').lastTools).toEqual([
      'tool490',
      'tool491',
      'tool492',
      'tool493',
      'tool494',
      'tool495',
      'tool496',
      'tool497',
      'tool498',
      'tool499',
    ]);
    expect(tools['(other)']!.calls).toBe(1_000_000 - 19 * 2000);
  });

  test('the least recently active session is forgotten first; bad input is rejected or ignored', () => {
    const sessions = new SessionPerformance({ maxSessions: 2 });
    sessions.onMetric(rec('a', 't', 1));
    sessions.onMetric(rec('b', 't', 2));
    sessions.onMetric(rec('a', 't', 3));
    sessions.onMetric(rec('c', 't', 4));
    expect(sessions.sessions()).toEqual(['a', 'c']);
    sessions.onMetric(null as never);
    expect(() => sessions.getTracker('')).toThrow('sessionId must be a non-empty string');
    expect(() => new SessionPerformance({ maxSessions: 0 })).toThrow('maxSessions must be an integer >= 1');
  });

  test('the default instance follows MetricsCollector.default until replaced', () => {
    const collector = new MetricsCollector();
    const previous = MetricsCollector.setDefault(collector);
    SessionPerformance.setDefault(undefined);
    try {
      const tracker = SessionPerformance.getTracker('default'); // created on first use, subscribed to the default collector
      const tool = trackPerformance()((x: number) => x);
      tool(1);
      expect(tracker.calls).toBe(1);
      SessionPerformance.reset();
      expect(SessionPerformance.getTracker('default').calls).toBe(0);
    } finally {
      SessionPerformance.setDefault(undefined);
      if (previous) MetricsCollector.setDefault(previous);
    }
  });
});
