import { FakeClock, InMemorySubscriber, MetricsCollector, trackPerformance, type ToolExecutionMetrics } from '@perftrack/core';
import { RingBuffer } from '@perftrack/core/internal';

describe('MetricsCollector options', () => {
  test.each([
    [{ maxMetrics: 0 }, 'MetricsCollector: maxMetrics must be an integer from 1 to 10000000, got 0'],
    [{ maxMetrics: 1.5 }, 'MetricsCollector: maxMetrics must be an integer from 1 to 10000000, got 1.5'],
    [{ maxMetrics: '10' }, 'MetricsCollector: maxMetrics must be an integer from 1 to 10000000, got "10"'],
    [{ maxInFlight: -1 }, 'MetricsCollector: maxInFlight must be an integer from 1 to 10000000, got -1'],
    [{ enabled: 'yes' }, 'MetricsCollector: enabled must be a boolean, got "yes"'],
    [{ defaultSessionId: '' }, 'MetricsCollector: defaultSessionId must be a non-empty string, got ""'],
    [{ clock: { now: 1 } }, 'MetricsCollector: clock must be { now(): number, timeOrigin: number }'],
    [{ random: 0.5 }, 'MetricsCollector: random must be a function, got number'],
  ])('%j is refused with a precise TypeError', (options, message) => {
    expect(() => new MetricsCollector(options as never)).toThrow(new TypeError(message));
  });
});

describe("the seed's manual start/complete API", () => {
  test('start + complete records timing, sizes and outcome; the execution id becomes the record id', () => {
    const clock = new FakeClock({ timeOrigin: 1_000_000 });
    const collector = new MetricsCollector({ clock });
    clock.advance(10);
    const id = collector.startToolExecution('my-tool', 'ses_1', 'msg_1', { query: 'abc' });
    clock.advance(2.5);
    const record = collector.completeToolExecution(id, true, { lines: ['x', 'y'] });
    expect(record).toMatchObject({
      id,
      toolId: 'my-tool',
      sessionId: 'ses_1',
      messageId: 'msg_1',
      startTime: 1_000_010,
      endTime: 1_000_012.5,
      duration: 2.5,
      success: true,
      sampleWeight: 1,
    });
    expect(record!.inputSize).toBeGreaterThan(10);
    expect(record!.outputSize).toBeGreaterThan(5);
    expect(collector.getMetrics()).toEqual([record]);
  });

  test('the seed try/catch: a failure keeps the error message and type', () => {
    const collector = new MetricsCollector();
    const id = collector.startToolExecution('my-tool', 'ses', 'msg', {});
    const error = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const r = collector.completeToolExecution(id, false, null, error);
    expect(r).toMatchObject({ success: false, error: 'EACCES: permission denied', errorType: 'EACCES', sampleWeight: 1 });
  });

  test('completing an unknown or already completed id returns undefined and is counted', () => {
    const collector = new MetricsCollector();
    const id = collector.startToolExecution('t', 's');
    expect(collector.completeToolExecution(id, true)).toBeDefined();
    expect(collector.completeToolExecution(id, true)).toBeUndefined();
    expect(collector.completeToolExecution('nope', true)).toBeUndefined();
    expect(collector.stats().unknownCompletions).toBe(2);
  });

  test('in-flight executions are bounded: past maxInFlight the oldest are abandoned and counted', () => {
    const collector = new MetricsCollector({ maxInFlight: 10 });
    const ids = Array.from({ length: 15 }, () => collector.startToolExecution('t', 's'));
    expect(collector.stats()).toMatchObject({ inFlight: 10, abandoned: 5 });
    expect(collector.completeToolExecution(ids[0]!, true)).toBeUndefined();
    expect(collector.completeToolExecution(ids[14]!, true)).toBeDefined();
  });

  test('an execution never completed expires after inFlightTtlMs', () => {
    const clock = new FakeClock();
    const collector = new MetricsCollector({ clock, inFlightTtlMs: 1000 });
    const id = collector.startToolExecution('t', 's');
    clock.advance(1001);
    expect(collector.completeToolExecution(id, true)).toBeUndefined();
    expect(collector.stats()).toMatchObject({ abandoned: 1, inFlight: 0 });
  });

  test('a million starts without completes cannot grow memory past maxInFlight', () => {
    const collector = new MetricsCollector({ maxInFlight: 1000 });
    for (let i = 0; i < 1_000_000; i++) collector.startToolExecution('leaky', 's');
    expect(collector.stats().inFlight).toBe(1000);
    expect(collector.stats().abandoned).toBe(999_000);
  });

  test('static calls go to the default instance, which reset() clears', () => {
    const id = MetricsCollector.startToolExecution('static-tool', 'ses', 'msg', { a: 1 });
    MetricsCollector.completeToolExecution(id, true, { ok: true });
    expect(MetricsCollector.getMetrics({ toolId: 'static-tool' })).toHaveLength(1);
    expect(MetricsCollector.stats().recorded).toBe(1);
    MetricsCollector.reset();
    expect(MetricsCollector.stats().recorded).toBe(0);
    expect(MetricsCollector.getMetrics()).toEqual([]);
  });

  test('a disabled collector ignores the manual API', () => {
    const collector = new MetricsCollector({ enabled: false });
    const id = collector.startToolExecution('t', 's');
    expect(collector.completeToolExecution(id, true)).toBeUndefined();
    expect(collector.stats().recorded).toBe(0);
  });
});

describe('ring buffer and bounds', () => {
  test('past maxMetrics the oldest records are overwritten, counted as dropped, with a single warning', () => {
    const warnings: string[] = [];
    const collector = new MetricsCollector({ maxMetrics: 3, onWarning: (w) => warnings.push(w) });
    const tool = trackPerformance({ collector, toolId: 't' })((n: number) => n);
    for (let i = 0; i < 5; i++) tool(i);
    expect(collector.getMetrics()).toHaveLength(3);
    expect(collector.stats()).toMatchObject({ recorded: 5, dropped: 2, buffered: 3 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('maxMetrics (3)');
  });

  test('three million tracked calls keep exactly maxMetrics records and unique ids', () => {
    const collector = new MetricsCollector({ maxMetrics: 1000, onWarning: () => {} });
    const tool = trackPerformance({ collector, toolId: 't' })((n: number) => n);
    for (let i = 0; i < 3_000_000; i++) tool(i);
    const kept = collector.getMetrics();
    expect(kept).toHaveLength(1000);
    expect(new Set(kept.map((m) => m.id)).size).toBe(1000);
    expect(collector.stats()).toMatchObject({ recorded: 3_000_000, dropped: 2_999_000 });
  });

  test('ids are never reused, across blocks and resets', () => {
    const collector = new MetricsCollector({ maxMetrics: 10, onWarning: () => {} });
    const ids = new Set<string>();
    for (let i = 0; i < 2500; i++) ids.add(collector.startToolExecution('t'));
    collector.reset();
    for (let i = 0; i < 2500; i++) ids.add(collector.startToolExecution('t'));
    expect(ids.size).toBe(5000);
    expect(new MetricsCollector().startToolExecution('t')).not.toBe(new MetricsCollector().startToolExecution('t'));
  });

  test('RingBuffer keeps the newest items in order and refuses a zero capacity', () => {
    const rb = new RingBuffer<number>(3);
    for (let i = 1; i <= 7; i++) rb.push(i);
    expect(rb.toArray()).toEqual([5, 6, 7]);
    expect(rb.toArray((x) => x % 2 === 1)).toEqual([5, 7]);
    expect(() => new RingBuffer(0)).toThrow('RingBuffer: capacity must be a positive integer, got 0');
  });

  test('InMemorySubscriber is bounded too', () => {
    const sink = new InMemorySubscriber({ max: 100 });
    const collector = new MetricsCollector({ maxMetrics: 10, onWarning: () => {} });
    collector.subscribe(sink);
    const tool = trackPerformance({ collector, toolId: 't' })(() => 0);
    for (let i = 0; i < 1_000_000; i++) tool();
    expect(sink.records).toHaveLength(100);
    expect(sink.dropped).toBe(999_900);
  });
});

describe('subscribers', () => {
  test('each subscriber sees each record once, in order; unsubscribe stops it and is safe twice', () => {
    const collector = new MetricsCollector();
    const a: string[] = [];
    const b: string[] = [];
    const offA = collector.subscribe({ onMetric: (m) => a.push(m.toolId) });
    collector.subscribe({ onMetric: (m) => b.push(m.toolId) });
    const tool = (id: string) => trackPerformance({ collector, toolId: id })(() => id);
    tool('x')();
    offA();
    offA();
    tool('y')();
    expect(a).toEqual(['x']);
    expect(b).toEqual(['x', 'y']);
  });

  test('a throwing subscriber goes to the error handler, never to the tool, and others still receive the record', () => {
    const errors: [unknown, string][] = [];
    const collector = new MetricsCollector({ onError: (e, source) => errors.push([e, source]) });
    const bug = new Error('subscriber bug');
    const seen: ToolExecutionMetrics[] = [];
    collector.subscribe({
      onMetric: () => {
        throw bug;
      },
    });
    collector.subscribe({ onMetric: (m) => seen.push(m) });
    const tool = trackPerformance({ collector, toolId: 't' })(() => 'result');
    expect(tool()).toBe('result');
    expect(seen).toHaveLength(1);
    expect(errors).toEqual([[bug, 'subscriber']]);
    expect(collector.stats().errors).toBe(1);
  });

  test('without an error handler, the first subscriber error is warned about once and all are counted', () => {
    const warnings: string[] = [];
    const collector = new MetricsCollector({ onWarning: (w) => warnings.push(w) });
    collector.subscribe({
      onMetric: () => {
        throw new Error('again');
      },
    });
    const tool = trackPerformance({ collector, toolId: 't' })(() => 1);
    for (let i = 0; i < 5; i++) tool();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('again');
    expect(collector.stats().errors).toBe(5);
  });

  test('subscribe refuses something that is not a subscriber', () => {
    expect(() => new MetricsCollector().subscribe({} as never)).toThrow(
      'MetricsCollector.subscribe: expected an object with an onMetric(metric) method',
    );
  });

  test('flush and shutdown reach every subscriber, are safe twice, and shutdown stops tracking', async () => {
    const collector = new MetricsCollector();
    const sink = new InMemorySubscriber();
    const errors: string[] = [];
    const c2 = new MetricsCollector({ onError: (_e, s) => errors.push(s) });
    c2.subscribe({
      onMetric: () => {},
      flush: () => Promise.reject(new Error('disk full')),
    });
    collector.subscribe(sink);
    await collector.flush();
    expect(sink.flushes).toBe(1);
    const first = collector.shutdown();
    expect(collector.shutdown()).toBe(first);
    await first;
    expect(sink.isShutdown).toBe(true);
    expect(collector.enabled).toBe(false);
    const tool = trackPerformance({ collector, toolId: 't' })(() => 2);
    expect(tool()).toBe(2);
    expect(sink.records).toHaveLength(0);
    await c2.flush();
    expect(errors).toEqual(['subscriber-flush']);
  });
});

describe('getMetrics filters', () => {
  test('by tool, session, outcome and time window', () => {
    const clock = new FakeClock({ timeOrigin: 0 });
    const collector = new MetricsCollector({ clock });
    const add = (tool: string, session: string, ok: boolean) => {
      const id = collector.startToolExecution(tool, session);
      clock.advance(10);
      collector.completeToolExecution(id, ok, undefined, ok ? undefined : new Error('e'));
    };
    add('read', 'a', true);
    add('grep', 'a', false);
    add('read', 'b', true);
    expect(collector.getMetrics({ toolId: 'read' })).toHaveLength(2);
    expect(collector.getMetrics({ sessionId: 'a' })).toHaveLength(2);
    expect(collector.getMetrics({ success: false }).map((m) => m.toolId)).toEqual(['grep']);
    expect(collector.getMetrics({ since: 10, until: 20 }).map((m) => m.toolId)).toEqual(['grep']);
  });
});

describe('recordExecution', () => {
  test('records a call timed elsewhere and validates it', () => {
    const collector = new MetricsCollector();
    const r = collector.recordExecution({
      toolId: 'bash',
      sessionId: 's',
      startTime: 1000,
      endTime: 1250,
      success: false,
      error: 'exit 1',
      errorType: 'NonZeroExit',
    });
    expect(r).toMatchObject({ duration: 250, sampleWeight: 1, success: false, errorType: 'NonZeroExit' });
    expect(() => collector.recordExecution({ toolId: 'bash', sessionId: 's', startTime: 5, endTime: 1, success: true })).toThrow(TypeError);
  });

  test('keeps every field of the record, one object shape whatever fields are given, and an untimed failure as given', () => {
    const collector = new MetricsCollector();
    const full = collector.recordExecution({
      toolId: 'read',
      sessionId: 's',
      messageId: 'm',
      callId: 'c',
      startTime: 10,
      endTime: 12,
      success: true,
      inputSize: 3,
      outputSize: 4,
      inputHash: 'abc',
      sampleWeight: 4,
      metadata: { a: 1 },
    })!;
    const bare = collector.recordExecution({
      toolId: 'x',
      sessionId: '',
      startTime: 1,
      endTime: 1,
      success: false,
      untimed: true,
      duration: 0,
    })!;
    expect(full).toMatchObject({
      messageId: 'm',
      callId: 'c',
      duration: 2,
      inputSize: 3,
      outputSize: 4,
      inputHash: 'abc',
      sampleWeight: 4,
      metadata: { a: 1 },
    });
    expect(bare).toMatchObject({ sessionId: 'default', untimed: true, duration: 0, sampleWeight: 1 });
    expect(Object.keys(bare)).toEqual(Object.keys(full));
  });

  test('countSampledOut counts calls an integration sampled out itself, and validates its argument', () => {
    const collector = new MetricsCollector();
    collector.countSampledOut();
    collector.countSampledOut(4);
    expect(collector.stats().sampledOut).toBe(5);
    expect(() => collector.countSampledOut(-1)).toThrow(/calls must be an integer >= 0/);
    collector.enabled = false;
    collector.countSampledOut(10);
    expect(collector.stats().sampledOut).toBe(5);
  });
});
