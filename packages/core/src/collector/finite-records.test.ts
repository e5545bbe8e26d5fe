import { InMemorySubscriber, MetricsCollector, trackPerformance, type Clock } from '@perftrack/core';

const quiet = { onWarning: () => {} };

describe('every number in a record is finite; durations are never negative', () => {
  test('recordExecution refuses non-finite or negative values, naming the field', () => {
    const c = new MetricsCollector(quiet);
    const base = { toolId: 'bash', sessionId: 's', startTime: 1000, endTime: 1010, success: true };
    expect(() => c.recordExecution({ ...base, duration: Infinity })).toThrow(
      'recordExecution: duration must be a finite number >= 0, got Infinity',
    );
    expect(() => c.recordExecution({ ...base, duration: -1e12 })).toThrow('duration must be a finite number >= 0');
    expect(() => c.recordExecution({ ...base, sampleWeight: Infinity })).toThrow('sampleWeight must be a finite number > 0');
    expect(() => c.recordExecution({ ...base, inputSize: Number.NaN })).toThrow('inputSize must be a finite number, got NaN');
    expect(() => c.recordExecution({ ...base, startTime: Number.NaN })).toThrow('startTime and endTime must be finite');
    expect(() => c.recordExecution({ ...base, endTime: 990 })).toThrow(/stepped back/);
    expect(c.stats().recorded).toBe(0);
  });

  test('a sample rate whose weight 1/rate would be Infinity is refused', () => {
    expect(() => trackPerformance({ sampleRate: 5e-324 })).toThrow('sampleRate must be 0 or at least 1e-300');
    expect(() => trackPerformance({ sampleRate: 1e-300 })).not.toThrow();
  });

  test.each([
    ['returns NaN', [Number.NaN, Number.NaN]],
    ['returns Infinity at the end', [5, Infinity]],
    ['steps backwards by 1e12 ms', [1e12, 0]],
  ])('a clock that %s gives an untimed record: duration 0, endTime = startTime, all finite, one warning', (_label, readings) => {
    let i = 0;
    const clock: Clock = { now: () => readings[i++ % readings.length] as number, timeOrigin: 1_700_000_000_000 };
    const warnings: string[] = [];
    const collector = new MetricsCollector({ clock, onWarning: (w) => warnings.push(w) });
    const sink = new InMemorySubscriber();
    collector.subscribe(sink);
    const tool = trackPerformance({ collector, toolId: 't' })(() => 42);
    expect(tool()).toBe(42);
    expect(tool()).toBe(42);
    const [a] = sink.records;
    expect(a).toMatchObject({ duration: 0, untimed: true, success: true });
    for (const m of sink.records) {
      for (const v of [m.startTime, m.endTime, m.duration, m.sampleWeight]) expect(Number.isFinite(v)).toBe(true);
      expect(m.endTime).toBe(m.startTime);
    }
    expect(warnings.filter((w) => w.includes('cannot time a call'))).toHaveLength(1);
  });
});
