import { InMemorySubscriber, MetricsCollector, trackPerformance } from '@perftrack/core';

// What instrumentation uses of a collector is a friend object behind a symbol, not public methods.

test('a MetricsCollector has no runtime-public `_` members; its recorder is reachable only through a symbol', () => {
  const collector = new MetricsCollector();
  const names = new Set<string>();
  for (let o: object | null = collector; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) names.add(name);
  }
  for (const name of Object.getOwnPropertyNames(MetricsCollector)) names.add(name);
  expect([...names].filter((n) => n.startsWith('_'))).toEqual([]);
  const symbols = Object.getOwnPropertySymbols(MetricsCollector.prototype).map((s) => s.description);
  expect(symbols).toContain('perftrack.core.recorder/1');
});

test('a failure whose message getter makes a tracked call: both calls are recorded as they happened', () => {
  const collector = new MetricsCollector({ onWarning: () => {} });
  const sink = new InMemorySubscriber();
  collector.subscribe(sink);
  const inner = trackPerformance({ collector, toolId: 'inner' })(() => 'ok');
  const error = {
    get message() {
      inner();
      return 'outer failed';
    },
    name: 'OuterError',
  };
  const outer = trackPerformance({ collector, toolId: 'outer' })((_args: unknown, _ctx: unknown) => {
    throw error;
  });
  expect(() => outer({}, { sessionID: 's1', messageID: 'm1' })).toThrow();
  const byTool = Object.fromEntries(sink.records.map((m) => [m.toolId, m]));
  expect(byTool['inner']).toMatchObject({ success: true, sessionId: 'default' });
  expect(byTool['outer']).toMatchObject({
    success: false,
    sessionId: 's1',
    messageId: 'm1',
    error: 'outer failed',
    errorType: 'OuterError',
    sampleWeight: 1,
  });
});
