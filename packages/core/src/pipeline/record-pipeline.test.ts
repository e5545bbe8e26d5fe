import {
  MetricsCollector,
  RecordPipeline,
  subscriberSink,
  trackPerformance,
  type BatchSink,
  type RecordBatch,
  type ToolExecutionMetrics,
} from '@perftrack/core';

/** A scheduler the test runs by hand. */
function manualScheduler() {
  const pending: (() => void)[] = [];
  return {
    schedule: (run: () => void) => void pending.push(run),
    runAll: () => {
      while (pending.length > 0) pending.shift()!();
    },
    get pending() {
      return pending.length;
    },
  };
}

const rec = (i: number, extra: Partial<ToolExecutionMetrics> = {}): ToolExecutionMetrics => ({
  id: `r${i}`,
  toolId: `tool${i % 3}`,
  sessionId: `s${i % 2}`,
  startTime: 1000 + i,
  endTime: 1010 + i,
  duration: 10,
  success: true,
  sampleWeight: 1,
  ...extra,
});

/** A sink that copies what each batch holds (the batch object itself is reused). */
function copyingSink() {
  const batches: {
    records: string[];
    weights: number[];
    timed: number[];
    tools: string[];
    toolOf: string[];
    sessions: string[];
    sessionOf: string[];
    errors: string[];
  }[] = [];
  const sink: BatchSink = {
    onBatch(b: RecordBatch) {
      const n = b.length;
      batches.push({
        records: b.records.slice(0, n).map((r) => r.id),
        weights: [...b.weights.subarray(0, n)],
        timed: [...b.timed.subarray(0, n)],
        tools: [...b.tools],
        toolOf: [...b.toolIndex.subarray(0, n)].map((t) => b.tools[t]!),
        sessions: [...b.sessions],
        sessionOf: [...b.sessionIndex.subarray(0, n)].map((s) => b.sessions[s]!),
        errors: b.errorTexts.slice(0, n),
      });
    },
  };
  return { sink, batches };
}

describe('RecordPipeline', () => {
  it('only enqueues on the call path; a later turn hands every sink one batch prepared once', () => {
    const s = manualScheduler();
    const { sink, batches } = copyingSink();
    const other = copyingSink();
    const pipeline = new RecordPipeline({ sinks: [sink, other.sink], schedule: s.schedule });
    pipeline.onMetric(rec(0));
    pipeline.onMetric(rec(1, { success: false, error: "ENOENT: no such file or directory, open '/tmp/a/b.ts'", errorType: 'ENOENT' }));
    pipeline.onMetric(rec(2, { sampleWeight: 4 }));
    pipeline.onMetric(rec(3, { success: false, untimed: true, duration: 0, sampleWeight: 1 }));
    pipeline.onMetric(rec(4, { sampleWeight: Number.NaN }));
    expect(batches).toEqual([]);
    expect(s.pending).toBe(1);
    s.runAll();
    expect(batches).toEqual([
      {
        records: ['r0', 'r1', 'r2', 'r3', 'r4'],
        weights: [1, 1, 4, 1, 1],
        timed: [1, 1, 1, 0, 1],
        tools: ['tool0', 'tool1', 'tool2'],
        toolOf: ['tool0', 'tool1', 'tool2', 'tool0', 'tool1'],
        sessions: ['s0', 's1'],
        sessionOf: ['s0', 's1', 's0', 's1', 's0'],
        errors: ['', 'ENOENT: no such file or directory, open <path>', '', '', ''],
      },
    ]);
    expect(other.batches).toEqual(batches);
    expect(pipeline.stats()).toMatchObject({ queued: 0, delivered: 5, batches: 1, dropped: 0, unusable: 0, sinkErrors: 0, closed: false });
  });

  it('deliver() hands over everything queued at once, so a read sees every call; batches never exceed batchSize', () => {
    const s = manualScheduler();
    const { sink, batches } = copyingSink();
    const pipeline = new RecordPipeline({ sinks: [sink], schedule: s.schedule, batchSize: 4 });
    for (let i = 0; i < 10; i++) pipeline.onMetric(rec(i));
    pipeline.deliver();
    expect(batches.map((b) => b.records.length)).toEqual([4, 4, 2]);
    expect(batches.flatMap((b) => b.records)).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    s.runAll(); // the scheduled turn finds nothing left
    expect(batches).toHaveLength(3);
  });

  it('unusable records are counted and warned about once, never handed to a sink', () => {
    const warnings: string[] = [];
    const { sink, batches } = copyingSink();
    const pipeline = new RecordPipeline({ sinks: [sink], onWarning: (m) => warnings.push(m) });
    pipeline.onMetric(null as never);
    pipeline.onMetric({ ...rec(1), toolId: 7 } as never);
    pipeline.onMetric(rec(2));
    pipeline.deliver();
    expect(batches.map((b) => b.records)).toEqual([['r2']]);
    expect(pipeline.stats()).toMatchObject({ delivered: 1, unusable: 2 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('counted in stats().unusable');
  });

  it('a sink that throws is reported; the other sinks still get the batch, and flush/shutdown failures are reported too', async () => {
    const errors: [unknown, string][] = [];
    const { sink, batches } = copyingSink();
    const bad: BatchSink = {
      onBatch: () => {
        throw new Error('sink broke');
      },
      flush: () => Promise.reject(new Error('flush broke')),
    };
    const pipeline = new RecordPipeline({ sinks: [bad, sink], onError: (e, source) => errors.push([e, source]) });
    pipeline.onMetric(rec(0));
    await pipeline.flush();
    expect(batches).toHaveLength(1);
    expect(errors.map(([e, source]) => [(e as Error).message, source])).toEqual([
      ['sink broke', 'sink'],
      ['flush broke', 'sink-flush'],
    ]);
    expect(pipeline.stats().sinkErrors).toBe(2);
  });

  it('shuts down once: flushes and shuts every sink down a single time; later records are dropped, counted and warned about once', async () => {
    const calls: string[] = [];
    const warnings: string[] = [];
    const sink: BatchSink = {
      onBatch: (b) => void calls.push(`batch:${b.length}`),
      flush: async () => void calls.push('flush'),
      shutdown: async () => void calls.push('shutdown'),
    };
    const pipeline = new RecordPipeline({ sinks: [sink], onWarning: (m) => warnings.push(m) });
    pipeline.onMetric(rec(0));
    const first = pipeline.shutdown();
    expect(pipeline.shutdown()).toBe(first);
    await first;
    await pipeline.shutdown();
    expect(calls).toEqual(['batch:1', 'flush', 'shutdown']);
    pipeline.onMetric(rec(1));
    pipeline.onMetric(rec(2));
    pipeline.deliver();
    expect(calls).toEqual(['batch:1', 'flush', 'shutdown']);
    expect(pipeline.stats()).toMatchObject({ closed: true, dropped: 2, delivered: 1 });
    expect(warnings).toEqual([expect.stringContaining('after shutdown')]);
  });

  it('bounded: 2 M records without a yield lose nothing by default (full queue: one batch inline) and are dropped and counted with overflow "drop"', () => {
    let seen = 0;
    const counting: BatchSink = { onBatch: (b) => void (seen += b.length) };
    const never = (): void => {}; // no event-loop turn ever comes
    const inline = new RecordPipeline({ sinks: [counting], schedule: never, capacity: 4096, batchSize: 512 });
    const r = rec(0);
    for (let i = 0; i < 2_000_000; i++) inline.onMetric(r);
    expect(inline.stats().queued).toBeLessThanOrEqual(4096);
    expect(seen + inline.stats().queued).toBe(2_000_000);
    expect(inline.stats().dropped).toBe(0);
    expect(inline.stats().inlineBatches).toBeGreaterThan(0);

    const warnings: string[] = [];
    const dropping = new RecordPipeline({
      sinks: [counting],
      schedule: never,
      capacity: 1024,
      overflow: 'drop',
      onWarning: (m) => warnings.push(m),
    });
    seen = 0;
    for (let i = 0; i < 1_000_000; i++) dropping.onMetric(r);
    expect(dropping.stats()).toMatchObject({ queued: 1024, dropped: 1_000_000 - 1024 });
    expect(warnings).toHaveLength(1);
    dropping.deliver();
    expect(seen).toBe(1024);
    global.gc?.();
    console.log(`RecordPipeline after 3 M records: heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MiB`);
  });

  it('a MetricsSubscriber joins through subscriberSink unchanged: one onMetric per record, in order; flush and shutdown pass through', async () => {
    const seen: string[] = [];
    let flushed = 0;
    let stopped = 0;
    const subscriber = {
      onMetric: (m: ToolExecutionMetrics) => {
        if (m.id === 'r1') throw new Error('one bad record');
        seen.push(m.id);
      },
      flush: async () => void flushed++,
      shutdown: async () => void stopped++,
    };
    const errors: unknown[] = [];
    const pipeline = new RecordPipeline({ sinks: [subscriberSink(subscriber)], onError: (e) => errors.push(e) });
    for (let i = 0; i < 4; i++) pipeline.onMetric(rec(i));
    await pipeline.shutdown();
    expect(seen).toEqual(['r0', 'r2', 'r3']); // the one that threw did not stop the others
    expect(errors).toHaveLength(1);
    expect([flushed, stopped]).toEqual([1, 1]); // shutdown flushes first, once
    expect(() => subscriberSink({} as never)).toThrow('onMetric');
    expect(() => new RecordPipeline({ sinks: [{} as never] })).toThrow('onBatch');
  });

  it('between a collector and its sinks: a tracked call costs an enqueue; collector.flush() delivers and flushes', async () => {
    const collector = new MetricsCollector();
    const { sink, batches } = copyingSink();
    const pipeline = new RecordPipeline({ sinks: [sink] });
    collector.subscribe(pipeline);
    const tool = trackPerformance({ collector, toolId: 'grep' })((x: number) => x * 2);
    expect(tool(2)).toBe(4);
    expect(batches).toEqual([]);
    await collector.flush();
    expect(batches.map((b) => b.toolOf)).toEqual([['grep']]);
    await collector.shutdown();
    expect(pipeline.stats().closed).toBe(true);
  });
});
