import {
  context,
  metrics,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type HrTime,
  type MeterProvider as ApiMeterProvider,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type HistogramMetricData,
  type DataPoint,
  type Histogram as HistogramPoint,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { FakeClock, MetricsCollector, createSeededRandom, trackPerformance, type ToolExecutionMetrics } from '@perftrack/core';
import {
  EXECUTE_TOOL_DURATION,
  EXECUTE_TOOL_DURATION_BUCKETS,
  GenAiAttributes,
  OpenTelemetryExporter,
  PerftrackAttributes,
} from '@perftrack/exporter-otel';
import { toHrTime } from './open-telemetry-exporter';

/** A pull reader: `collect()` hands back what the SDK aggregated, in memory. */
class InMemoryMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const hrNanos = (t: HrTime) => t[0] * 1e9 + t[1];

function setup(options: { collector?: MetricsCollector } = {}) {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const reader = new InMemoryMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const collector = options.collector ?? new MetricsCollector({ onWarning: () => {} });
  const histogramPoints = async (): Promise<DataPoint<HistogramPoint>[]> => {
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === EXECUTE_TOOL_DURATION);
    if (metric === undefined) return [];
    expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
    return (metric as HistogramMetricData).dataPoints;
  };
  return { spans, tracerProvider, meterProvider, reader, collector, histogramPoints };
}

function readTool() {
  return {
    id: 'read',
    execute(args: { path: string }, _ctx: { sessionID: string; messageID?: string; callID?: string }) {
      if (args.path === '/missing') throw Object.assign(new Error(`ENOENT: no such file, open '${args.path}'`), { code: 'ENOENT' });
      return `contents of ${args.path}`;
    },
  };
}

afterEach(() => {
  trace.disable();
  metrics.disable();
  context.disable();
});

describe('OpenTelemetryExporter: execute_tool spans', () => {
  it('turns a tracked call into a GenAI execute_tool span with the record’s ids, sizes and timing', async () => {
    const { spans, tracerProvider, meterProvider, collector } = setup();
    const exporter = new OpenTelemetryExporter({ collector, tracerProvider, meterProvider });
    const records: ToolExecutionMetrics[] = [];
    collector.subscribe({ onMetric: (m) => void records.push(m) });
    const tool = trackPerformance({ collector, trackMemory: true, trackInputOutput: true })(readTool());

    expect(tool.execute({ path: '/repo/a.ts' }, { sessionID: 'ses_1', messageID: 'msg_1', callID: 'call_42' })).toBe(
      'contents of /repo/a.ts',
    );
    expect(spans.getFinishedSpans()).toHaveLength(0); // nothing built on the call path
    await tick();

    const [span] = spans.getFinishedSpans();
    const record = records[0]!;
    expect(span).toBeDefined();
    expect(span!.name).toBe('execute_tool read');
    expect(span!.kind).toBe(SpanKind.INTERNAL);
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(span!.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'read',
      'gen_ai.tool.call.id': 'call_42',
      'gen_ai.conversation.id': 'ses_1',
      'perftrack.message.id': 'msg_1',
      'perftrack.record.id': record.id,
      'perftrack.sample_weight': 1,
      'perftrack.io.input_size': record.inputSize,
      'perftrack.io.output_size': record.outputSize,
      'perftrack.memory.delta': record.memoryUsed,
    });
    expect(record.inputSize).toBeGreaterThan(0);
    expect(span!.attributes).not.toHaveProperty('error.type');
    // the span's timing is the tool's: start from the record, length = the record's duration
    expect(span!.startTime).toEqual(toHrTime(record.startTime));
    expect(hrNanos(span!.duration)).toBe(Math.round(record.duration * 1e6));
    expect(span!.instrumentationScope.name).toBe('@perftrack/exporter-otel');
    await exporter.shutdown();
  });

  it('marks a failure with error.type and an ERROR status carrying the message (or not, on request)', async () => {
    const { spans, tracerProvider, collector } = setup();
    const exporter = new OpenTelemetryExporter({ collector, tracerProvider, metrics: false });
    const tool = trackPerformance({ collector })(readTool());
    expect(() => tool.execute({ path: '/missing' }, { sessionID: 'ses_1' })).toThrow('ENOENT');
    collector.recordExecution({ toolId: 'bash', sessionId: 'ses_1', startTime: 1_000, endTime: 1_005, success: false, error: 'boom' });
    await exporter.flush();
    const [enoent, bash] = spans.getFinishedSpans();
    expect(enoent!.attributes['error.type']).toBe('ENOENT');
    expect(enoent!.status).toEqual({ code: SpanStatusCode.ERROR, message: "ENOENT: no such file, open '/missing'" });
    expect(bash!.attributes['error.type']).toBe('_OTHER'); // no errorType known
    // a record without a framework call id is identified by perftrack's own id
    expect(bash!.attributes['gen_ai.tool.call.id']).toBe(bash!.attributes['perftrack.record.id']);

    const quiet = setup();
    const noMessages = new OpenTelemetryExporter({
      collector: quiet.collector,
      tracerProvider: quiet.tracerProvider,
      metrics: false,
      errorMessages: false,
    });
    quiet.collector.recordExecution({ toolId: 'bash', sessionId: 's', startTime: 1, endTime: 2, success: false, error: 'token=secret' });
    await noMessages.flush();
    expect(quiet.spans.getFinishedSpans()[0]!.status).toEqual({ code: SpanStatusCode.ERROR });
    await exporter.shutdown();
  });

  it('places a span exactly at the record’s start and end times, to the nanosecond', async () => {
    const { spans, tracerProvider, collector } = setup();
    const exporter = new OpenTelemetryExporter({ collector, tracerProvider, metrics: false });
    collector.recordExecution({
      toolId: 'grep',
      sessionId: 's',
      startTime: 1_764_000_000_123.5,
      endTime: 1_764_000_000_373.75,
      success: true,
    });
    await exporter.flush();
    const span = spans.getFinishedSpans()[0]!;
    expect(span.startTime).toEqual([1_764_000_000, 123_500_000]);
    expect(span.endTime).toEqual([1_764_000_000, 373_750_000]);
    expect(hrNanos(span.duration)).toBe(250_250_000);
  });

  it('carries sample weights and marks untimed failures', async () => {
    const { spans, tracerProvider, collector } = setup();
    const exporter = new OpenTelemetryExporter({ collector, tracerProvider, metrics: false });
    collector.recordExecution({ toolId: 'glob', sessionId: 's', startTime: 1, endTime: 2, success: true, sampleWeight: 20 });
    collector.recordExecution({
      toolId: 'glob',
      sessionId: 's',
      startTime: 5,
      endTime: 5,
      success: false,
      untimed: true,
      errorType: 'TypeError',
      error: 'x',
    });
    await exporter.flush();
    const [weighted, untimed] = spans.getFinishedSpans();
    expect(weighted!.attributes['perftrack.sample_weight']).toBe(20);
    expect(untimed!.attributes['perftrack.untimed']).toBe(true);
    expect(hrNanos(untimed!.duration)).toBe(0);
  });

  it('parents each tool span on the context active when the call ended (the agent’s span)', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const { spans, tracerProvider, collector } = setup();
    const exporter = new OpenTelemetryExporter({ collector, tracerProvider, metrics: false });
    const tool = trackPerformance({ collector })({
      id: 'webfetch',
      async execute(_args: { url: string }, _ctx: { sessionID: string }) {
        await new Promise((r) => setTimeout(r, 5));
        return 'ok';
      },
    });
    const tracer = tracerProvider.getTracer('agent');
    const agentSpan = tracer.startSpan('invoke_agent build');
    await context.with(trace.setSpan(context.active(), agentSpan), () => tool.execute({ url: 'https://x' }, { sessionID: 's' }));
    await tool.execute({ url: 'https://y' }, { sessionID: 's' }); // outside any span
    agentSpan.end();
    await exporter.flush();
    const toolSpans = spans.getFinishedSpans().filter((s) => s.name === 'execute_tool webfetch');
    expect(toolSpans).toHaveLength(2);
    expect(toolSpans[0]!.spanContext().traceId).toBe(agentSpan.spanContext().traceId);
    expect(toolSpans[0]!.parentSpanContext?.spanId).toBe(agentSpan.spanContext().spanId);
    expect(toolSpans[1]!.parentSpanContext).toBeUndefined();
    expect(toolSpans[1]!.spanContext().traceId).not.toBe(agentSpan.spanContext().traceId);

    // with parentFromActiveContext: false, every tool span starts its own trace
    const roots = setup();
    const rootExporter = new OpenTelemetryExporter({
      collector: roots.collector,
      tracerProvider: roots.tracerProvider,
      metrics: false,
      parentFromActiveContext: false,
    });
    const rootTool = trackPerformance({ collector: roots.collector })(readTool());
    context.with(trace.setSpan(ROOT_CONTEXT, agentSpan), () => rootTool.execute({ path: '/a' }, { sessionID: 's' }));
    await rootExporter.flush();
    expect(roots.spans.getFinishedSpans()[0]!.parentSpanContext).toBeUndefined();
  });

  it('uses the globally registered SDK when no provider is passed, even one registered after it', async () => {
    const { spans, tracerProvider, meterProvider, histogramPoints, collector } = setup();
    const exporter = new OpenTelemetryExporter({ collector }); // before any SDK is registered
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    collector.recordExecution({ toolId: 'edit', sessionId: 's', startTime: 1, endTime: 3, success: true });
    await exporter.flush();
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['execute_tool edit']);
    expect((await histogramPoints())[0]!.value.count).toBe(1);

    // a provider replaced later (tests, reconfiguration) is followed too
    trace.disable();
    metrics.disable();
    const next = setup();
    trace.setGlobalTracerProvider(next.tracerProvider);
    metrics.setGlobalMeterProvider(next.meterProvider);
    collector.recordExecution({ toolId: 'write', sessionId: 's', startTime: 1, endTime: 3, success: true });
    await exporter.flush();
    expect(next.spans.getFinishedSpans().map((s) => s.name)).toEqual(['execute_tool write']);
    expect((await next.histogramPoints())[0]!.value.count).toBe(1);
  });
});

describe('OpenTelemetryExporter: a tracer and a meter given directly', () => {
  it('uses them as they are', async () => {
    const { spans, tracerProvider, meterProvider, histogramPoints, collector } = setup();
    const exporter = new OpenTelemetryExporter({
      collector,
      tracer: tracerProvider.getTracer('my-agent'),
      meter: meterProvider.getMeter('my-agent'),
    });
    collector.recordExecution({ toolId: 'grep', sessionId: 's', startTime: 1, endTime: 4, success: true });
    await exporter.flush();
    expect(spans.getFinishedSpans()[0]!.instrumentationScope.name).toBe('my-agent');
    expect((await histogramPoints())[0]!.value.count).toBe(1);
    expect(() => new OpenTelemetryExporter({ tracer: tracerProvider.getTracer('x'), tracerProvider })).toThrow(
      'pass tracer or tracerProvider, not both',
    );
    expect(() => new OpenTelemetryExporter({ meter: {} as never })).toThrow('meter must be an object with a createHistogram() method');
  });
});

describe('OpenTelemetryExporter: gen_ai.execute_tool.duration', () => {
  it('records durations in seconds, by tool and error type, with the conventions’ buckets', async () => {
    const { meterProvider, collector, histogramPoints } = setup();
    const exporter = new OpenTelemetryExporter({ collector, meterProvider, spans: false });
    const at = (toolId: string, ms: number, fail?: string) =>
      collector.recordExecution({
        toolId,
        sessionId: 'ses_x',
        startTime: 10,
        endTime: 10 + ms,
        success: fail === undefined,
        errorType: fail,
        error: fail,
      });
    at('read', 5);
    at('read', 30);
    at('read', 100, 'ENOENT');
    at('bash', 2_000);
    await exporter.flush();
    const points = await histogramPoints();
    const find = (attrs: Record<string, string>) => points.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attrs));
    const readOk = find({ 'gen_ai.tool.name': 'read' })!;
    expect(readOk.value.count).toBe(2);
    expect(readOk.value.sum).toBeCloseTo(0.035, 10);
    expect(readOk.value.buckets.boundaries).toEqual([...EXECUTE_TOOL_DURATION_BUCKETS]);
    expect(readOk.value.buckets.counts.slice(0, 3)).toEqual([1, 0, 1]); // 5 ms ≤ 0.01 s; 30 ms in (0.02, 0.04]
    expect(find({ 'gen_ai.tool.name': 'read', 'error.type': 'ENOENT' })!.value.count).toBe(1);
    expect(find({ 'gen_ai.tool.name': 'bash' })!.value.sum).toBeCloseTo(2, 10);
    // the session is never a metric attribute
    expect(points.every((p) => !('gen_ai.conversation.id' in p.attributes))).toBe(true);
    await exporter.shutdown();
  });

  it('weights sampled records: a record of weight w counts about w times (unbiased for fractional w)', async () => {
    const { meterProvider, histogramPoints } = setup();
    const collector = new MetricsCollector({ random: createSeededRandom(7), onWarning: () => {} });
    const exporter = new OpenTelemetryExporter({ collector, meterProvider, spans: false, random: createSeededRandom(11) });
    const tool = trackPerformance({ collector, sampleRate: 0.25 })(readTool());
    for (let i = 0; i < 4_000; i++) tool.execute({ path: '/a' }, { sessionID: 's' });
    const kept = collector.stats().recorded;
    await exporter.flush();
    const whole = (await histogramPoints())[0]!.value.count;
    expect(whole).toBe(kept * 4); // integer weights: exact
    expect(whole).toBeGreaterThan(3_000);
    expect(whole).toBeLessThan(5_000);

    const frac = setup();
    const fracExporter = new OpenTelemetryExporter({
      collector: frac.collector,
      meterProvider: frac.meterProvider,
      spans: false,
      random: createSeededRandom(3),
    });
    for (let i = 0; i < 3_000; i++)
      frac.collector.recordExecution({ toolId: 'grep', sessionId: 's', startTime: 1, endTime: 2, success: true, sampleWeight: 1 / 0.3 });
    await fracExporter.flush();
    const count = (await frac.histogramPoints())[0]!.value.count;
    expect(Math.abs(count - 10_000) / 10_000).toBeLessThan(0.03);
  });

  it('leaves untimed failures out of the latency histogram (they still get a span)', async () => {
    const { spans, tracerProvider, meterProvider, collector, histogramPoints } = setup();
    const exporter = new OpenTelemetryExporter({ collector, tracerProvider, meterProvider });
    collector.recordExecution({
      toolId: 'glob',
      sessionId: 's',
      startTime: 5,
      endTime: 5,
      success: false,
      untimed: true,
      errorType: 'TypeError',
    });
    await exporter.flush();
    expect(spans.getFinishedSpans()).toHaveLength(1);
    expect(await histogramPoints()).toEqual([]);
    expect(exporter.stats()).toMatchObject({ spans: 1, durationSamples: 0 });
  });

  it('keeps its attribute cache bounded through a million distinct tool names', () => {
    let recorded = 0;
    const meterProvider = {
      getMeter: () => ({ createHistogram: () => ({ record: () => void recorded++ }) }),
    } as unknown as ApiMeterProvider;
    const exporter = new OpenTelemetryExporter({ meterProvider, spans: false, queue: { capacity: 1_024 } });
    for (let i = 0; i < 1_000_000; i++) {
      exporter.onMetric({
        id: String(i),
        toolId: `tool_${i}`,
        sessionId: 's',
        startTime: 0,
        endTime: 1,
        duration: 1,
        success: true,
        sampleWeight: 1,
      });
    }
    void exporter.flush();
    expect(recorded).toBe(1_000_000);
    expect(exporter.stats().queue).toMatchObject({ queued: 0, dropped: 0, handled: 1_000_000 });
  });
});

describe('OpenTelemetryExporter: isolation from the tool', () => {
  it('a tracer, span processor or meter that throws never reaches the tool; errors are reported', async () => {
    const errors: unknown[] = [];
    const collector = new MetricsCollector({ onWarning: () => {} });
    const throwingProcessor: SpanProcessor = {
      onStart: () => {},
      onEnd: () => {
        throw new Error('processor exploded');
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [throwingProcessor] });
    const meterProvider = {
      getMeter: () => ({
        createHistogram: () => ({
          record: () => {
            throw new Error('meter exploded');
          },
        }),
      }),
      forceFlush: async () => {
        throw new Error('flush exploded');
      },
    } as unknown as ApiMeterProvider;
    const exporter = new OpenTelemetryExporter({ collector, tracerProvider, meterProvider, onError: (e) => void errors.push(e) });
    const tool = trackPerformance({ collector })(readTool());
    const thrown = (() => {
      try {
        tool.execute({ path: '/missing' }, { sessionID: 's' });
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as NodeJS.ErrnoException).code).toBe('ENOENT'); // the tool's own error, untouched
    expect(tool.execute({ path: '/a' }, { sessionID: 's' })).toBe('contents of /a');
    await expect(exporter.flush()).resolves.toBeUndefined();
    await tick();
    // each record's span and histogram sample fail separately; the provider's flush too
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'processor exploded',
      'meter exploded',
      'processor exploded',
      'meter exploded',
      'flush exploded',
    ]);
    expect(exporter.stats()).toMatchObject({ errors: 5, spans: 0, durationSamples: 0 });

    // a tracer whose startSpan throws
    const broken = new OpenTelemetryExporter({
      collector,
      tracerProvider: {
        getTracer: () => {
          throw new Error('no tracer');
        },
      },
      metrics: false,
      onError: (e) => void errors.push(e),
    });
    expect(tool.execute({ path: '/b' }, { sessionID: 's' })).toBe('contents of /b');
    await broken.flush();
    expect(errors.at(-1)).toEqual(new Error('no tracer'));
  });

  it('a span exporter that throws (real SimpleSpanProcessor) never reaches the tool; flush reports it', async () => {
    const errors: unknown[] = [];
    const throwingExporter = {
      export: () => {
        throw new Error('export exploded');
      },
      shutdown: async () => {},
    };
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(throwingExporter)] });
    const collector = new MetricsCollector({ onWarning: () => {} });
    const exporter = new OpenTelemetryExporter({ collector, tracerProvider, metrics: false, onError: (e) => void errors.push(e) });
    const tool = trackPerformance({ collector })(readTool());
    expect(tool.execute({ path: '/a' }, { sessionID: 's' })).toBe('contents of /a');
    await expect(exporter.flush()).resolves.toBeUndefined();
    expect(exporter.stats().spans).toBe(1);
    expect(String(errors[0])).toContain('export exploded'); // the SDK's forceFlush rejection, reported
  });

  it('the default error handler warns once instead of throwing', async () => {
    const warnings: string[] = [];
    const collector = new MetricsCollector({ onWarning: () => {} });
    const exporter = new OpenTelemetryExporter({
      collector,
      metrics: false,
      tracerProvider: {
        getTracer: () => {
          throw new Error('no tracer');
        },
      },
      onWarning: (m) => void warnings.push(m),
    });
    for (let i = 0; i < 3; i++) collector.recordExecution({ toolId: 't', sessionId: 's', startTime: 0, endTime: 1, success: true });
    await exporter.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('export failed (no tracer)');
  });

  it("with overflow 'drop', a full queue drops (counted) instead of exporting on the call path", async () => {
    const { spans, tracerProvider } = setup();
    const clock = new FakeClock();
    const collector = new MetricsCollector({ clock, onWarning: () => {} });
    const exporter = new OpenTelemetryExporter({
      collector,
      tracerProvider,
      metrics: false,
      queue: { capacity: 8, overflow: 'drop' },
      onWarning: () => {},
    });
    for (let i = 0; i < 20; i++) collector.recordExecution({ toolId: 't', sessionId: 's', startTime: 0, endTime: 1, success: true });
    expect(spans.getFinishedSpans()).toHaveLength(0);
    await exporter.flush();
    expect(spans.getFinishedSpans()).toHaveLength(8);
    expect(exporter.stats().queue.dropped).toBe(12);
  });

  it('shutdown exports what is queued and unsubscribes; it is safe to call twice', async () => {
    const { spans, tracerProvider, collector } = setup();
    const exporter = new OpenTelemetryExporter({ collector, tracerProvider, metrics: false });
    collector.recordExecution({ toolId: 't', sessionId: 's', startTime: 0, endTime: 1, success: true });
    await exporter.shutdown();
    await exporter.shutdown();
    collector.recordExecution({ toolId: 't', sessionId: 's', startTime: 0, endTime: 1, success: true });
    await tick();
    expect(spans.getFinishedSpans()).toHaveLength(1);
  });

  it('skips malformed records and counts them', async () => {
    const { spans, tracerProvider } = setup();
    const exporter = new OpenTelemetryExporter({ tracerProvider, metrics: false });
    exporter.onMetric({ toolId: 5 } as unknown as ToolExecutionMetrics);
    await exporter.flush();
    expect(spans.getFinishedSpans()).toHaveLength(0);
    expect(exporter.stats().invalid).toBe(1);
  });

  it('rejects bad options with a clear TypeError', () => {
    expect(() => new OpenTelemetryExporter({ tracers: {} } as never)).toThrow('unknown option "tracers"');
    expect(() => new OpenTelemetryExporter({ spans: 'yes' } as never)).toThrow('spans must be a boolean');
    expect(() => new OpenTelemetryExporter({ tracerProvider: {} } as never)).toThrow(
      'tracerProvider must be an object with a getTracer() method',
    );
    expect(() => new OpenTelemetryExporter({ meterProvider: 1 } as never)).toThrow(
      'meterProvider must be an object with a getMeter() method',
    );
    expect(() => new OpenTelemetryExporter({ agentName: '' })).toThrow('agentName must be a non-empty string');
    expect(() => new OpenTelemetryExporter({ durationBuckets: [1, 0.5] })).toThrow(
      'durationBuckets must be an array of finite numbers in increasing order',
    );
    expect(() => new OpenTelemetryExporter({ queue: { capacity: 0 } })).toThrow(
      'OpenTelemetryExporter queue: capacity must be an integer from 1',
    );
    expect(() => new OpenTelemetryExporter({ queue: { size: 5 } } as never)).toThrow('unknown queue option "size"');
    expect(() => new OpenTelemetryExporter(null as never)).toThrow('options must be an object');
    expect(() => new OpenTelemetryExporter({ spans: false, metrics: false })).toThrow('nothing to export');
  });

  it('exposes the convention names it writes', () => {
    expect(GenAiAttributes.TOOL_CALL_ID).toBe('gen_ai.tool.call.id');
    expect(GenAiAttributes.CONVERSATION_ID).toBe('gen_ai.conversation.id');
    expect(PerftrackAttributes.SAMPLE_WEIGHT).toBe('perftrack.sample_weight');
    expect(PerftrackAttributes.MEMORY_DELTA).toBe('perftrack.memory.delta');
  });
});
