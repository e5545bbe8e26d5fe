import {
  context as contextApi,
  metrics as metricsApi,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace as traceApi,
  type Attributes,
  type Context,
  type HrTime,
  type Histogram,
  type Link,
  type Meter,
  type MeterProvider,
  type SpanContext,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import {
  isTimed,
  isUsableRecord,
  weightOf,
  type BatchSink,
  type RecordBatch,
  type MetricsCollector,
  type MetricsSubscriber,
  type RandomSource,
  type ToolExecutionMetrics,
} from '@perftrack/core';
import {
  BatchQueue,
  checkOptionKeys,
  batchQueueTuning,
  Diagnostics,
  errorMessage,
  weightedRepeats,
  type BatchQueueStats,
  type BatchQueueTuning,
} from '@perftrack/core/internal';
import { SpanLinks } from './span-links';
import { EXECUTE_TOOL_DURATION, EXECUTE_TOOL_DURATION_BUCKETS, GenAiAttributes, PerftrackAttributes } from './semconv';

const NAME = '@perftrack/exporter-otel';
const VERSION = '0.1.0';

/** Options of {@link OpenTelemetryExporter}. Every field is optional. */
export interface OpenTelemetryExporterOptions {
  /** Subscribe to this collector now; {@link OpenTelemetryExporter.shutdown} unsubscribes. Otherwise call `collector.subscribe(exporter)` yourself. */
  readonly collector?: MetricsCollector;
  /** Where spans go. Default: the global provider (`trace.getTracerProvider()`), looked up at export time, so an SDK registered later is used. */
  readonly tracerProvider?: TracerProvider;
  /** Where the duration histogram goes. Default: the global provider (`metrics.getMeterProvider()`), looked up at export time like the tracer's. */
  readonly meterProvider?: MeterProvider;
  /** A tracer to use as is (instead of `tracerProvider`). */
  readonly tracer?: Tracer;
  /** A meter to create the histogram on (instead of `meterProvider`). */
  readonly meter?: Meter;
  /** Emit an `execute_tool` span per record. Default true. */
  readonly spans?: boolean;
  /** Record the `gen_ai.execute_tool.duration` histogram. Default true. */
  readonly metrics?: boolean;
  /**
   * Parent each span on the OpenTelemetry context active when the call ended (e.g. your agent's
   * `invoke_agent` span), captured on the call path for the span built later. Default true.
   * With false, tool spans are roots of their own traces.
   */
  readonly parentFromActiveContext?: boolean;
  /** `gen_ai.agent.name` on spans and the histogram, when your agent has a low-cardinality name. */
  readonly agentName?: string;
  /** `gen_ai.tool.type` on spans and the histogram: one of the conventions' values, or your own. */
  readonly toolType?: 'function' | 'extension' | 'datastore' | (string & {});
  /** Put the record's error message in the span status description. Default true; set false if messages can hold secrets. */
  readonly errorMessages?: boolean;
  /** Histogram bucket boundaries in seconds, passed as advice. Default: the conventions' boundaries (0.01 s to 81.92 s). */
  readonly durationBuckets?: readonly number[];
  /**
   * The export queue: `capacity` (records waiting at most, default 16,384), `batchSize` (records
   * exported per event-loop turn, default 1,024) and `overflow` (when full: export a batch on the
   * call path, `'handle-inline'`, the default, which loses nothing; or `'drop'` and count).
   */
  readonly queue?: BatchQueueTuning;
  /** Randomness for rounding fractional sample weights into whole histogram samples. Default `Math.random`. */
  readonly random?: RandomSource;
  /** Receives errors thrown by the tracer, the meter or the SDK behind them. Default: the first one is warned about. */
  readonly onError?: (error: unknown) => void;
  /** One-time warnings. Default `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
}

/** Counters of an {@link OpenTelemetryExporter}. */
export interface OpenTelemetryExporterStats {
  /** Spans ended. */
  readonly spans: number;
  /** Values recorded into the duration histogram (a record of weight w is recorded about w times). */
  readonly durationSamples: number;
  /** Records skipped because they lack string tool and session ids. */
  readonly invalid: number;
  /** Errors thrown by the tracer, the meter or a provider's flush (each went to `onError`). */
  readonly errors: number;
  /** The export queue: queued, handled, dropped, errors, batches exported inline. */
  readonly queue: BatchQueueStats;
}

const KNOWN_OPTIONS: readonly string[] = [
  'collector',
  'tracerProvider',
  'meterProvider',
  'tracer',
  'meter',
  'spans',
  'metrics',
  'parentFromActiveContext',
  'agentName',
  'toolType',
  'errorMessages',
  'durationBuckets',
  'queue',
  'random',
  'onError',
  'onWarning',
];

/**
 * A core subscriber that turns each record into an OpenTelemetry span following the GenAI
 * semantic conventions for tool execution (`execute_tool <tool>`, kind INTERNAL, start and end
 * taken from the record) and records the `gen_ai.execute_tool.duration` histogram, through
 * `@opentelemetry/api` only: it works with whatever SDK and exporter you registered.
 *
 * On the tool's call path it only enqueues the record (and the active context); spans and
 * histogram samples are built in batches on a later event-loop turn. Errors from the SDK go to
 * `onError`, never to the tool.
 *
 * @example
 * ```ts
 * const exporter = new OpenTelemetryExporter({ collector: MetricsCollector.default });
 * // ... at exit:
 * await exporter.shutdown(); // exports what is queued; then shut down your SDK providers
 * ```
 */
export class OpenTelemetryExporter implements MetricsSubscriber, BatchSink {
  readonly #queue: BatchQueue<ToolExecutionMetrics, Context>;
  readonly #diagnostics: Diagnostics<'export'>;
  readonly #tracerProvider: TracerProvider | undefined;
  readonly #meterProvider: MeterProvider | undefined;
  readonly #metrics: boolean;
  readonly #buckets: number[];
  readonly #spans: boolean;
  readonly #captureParent: boolean;
  readonly #errorMessages: boolean;
  readonly #agentName: string | undefined;
  readonly #toolType: string | undefined;
  readonly #random: RandomSource;
  readonly #metricAttributes = new Map<string, Attributes>();
  readonly #links = new SpanLinks();
  readonly #fixedTracer: Tracer | undefined;
  readonly #fixedMeter: Meter | undefined;
  #tracer: Tracer | undefined;
  #tracerFrom: TracerProvider | undefined;
  #histogram: Histogram | undefined;
  #histogramFrom: MeterProvider | Meter | undefined;
  #unsubscribe: (() => void) | undefined;
  #closed = false;
  #spanCount = 0;
  #durationSamples = 0;
  #invalid = 0;
  #errors = 0;

  constructor(options: OpenTelemetryExporterOptions = {}) {
    checkOptionKeys(options, KNOWN_OPTIONS, 'OpenTelemetryExporter');
    const bool = (key: 'spans' | 'metrics' | 'parentFromActiveContext' | 'errorMessages'): boolean => {
      const value = options[key] ?? true;
      if (typeof value !== 'boolean') throw new TypeError(`OpenTelemetryExporter: ${key} must be a boolean, got ${typeof value}`);
      return value;
    };
    const text = (key: 'agentName' | 'toolType'): string | undefined => {
      const value = options[key];
      if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
        throw new TypeError(`OpenTelemetryExporter: ${key} must be a non-empty string, got ${typeof value}`);
      }
      return value;
    };
    const provider = <P>(key: 'tracerProvider' | 'meterProvider' | 'tracer' | 'meter', method: string): P | undefined => {
      const value = options[key] as unknown;
      if (
        value !== undefined &&
        (typeof value !== 'object' || value === null || typeof (value as Record<string, unknown>)[method] !== 'function')
      ) {
        throw new TypeError(`OpenTelemetryExporter: ${key} must be an object with a ${method}() method`);
      }
      return value as P | undefined;
    };
    this.#spans = bool('spans');
    const wantMetrics = bool('metrics');
    if (!this.#spans && !wantMetrics) throw new TypeError('OpenTelemetryExporter: spans and metrics are both false: nothing to export');
    this.#captureParent = bool('parentFromActiveContext');
    this.#errorMessages = bool('errorMessages');
    this.#agentName = text('agentName');
    this.#toolType = text('toolType');
    this.#tracerProvider = provider<TracerProvider>('tracerProvider', 'getTracer');
    this.#meterProvider = provider<MeterProvider>('meterProvider', 'getMeter');
    this.#fixedTracer = provider<Tracer>('tracer', 'startSpan');
    this.#fixedMeter = provider<Meter>('meter', 'createHistogram');
    if (this.#fixedTracer !== undefined && this.#tracerProvider !== undefined)
      throw new TypeError('OpenTelemetryExporter: pass tracer or tracerProvider, not both');
    if (this.#fixedMeter !== undefined && this.#meterProvider !== undefined)
      throw new TypeError('OpenTelemetryExporter: pass meter or meterProvider, not both');
    if (options.random !== undefined && typeof options.random !== 'function')
      throw new TypeError('OpenTelemetryExporter: random must be a function');
    this.#random = options.random ?? Math.random;
    const buckets = options.durationBuckets ?? EXECUTE_TOOL_DURATION_BUCKETS;
    if (
      !Array.isArray(buckets) ||
      buckets.some((b, i) => typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] as number)))
    ) {
      throw new TypeError('OpenTelemetryExporter: durationBuckets must be an array of finite numbers in increasing order');
    }
    const onError = options.onError;
    this.#diagnostics = new Diagnostics<'export'>(
      { onError: onError === undefined ? undefined : (error) => onError(error), onWarning: options.onWarning },
      'OpenTelemetryExporter',
    );
    this.#queue = new BatchQueue<ToolExecutionMetrics, Context>({
      ...batchQueueTuning(options.queue, 'OpenTelemetryExporter'),
      handle: (record, parent) => this.#export(record, parent ?? ROOT_CONTEXT),
      onError: (error) => this.#report(error),
      onWarning: options.onWarning,
    });
    this.#metrics = wantMetrics;
    this.#buckets = [...buckets];
    if (options.collector !== undefined) this.#unsubscribe = options.collector.subscribe(this);
  }

  /** Queues the record; the span and histogram samples are made on a later turn. */
  onMetric(metric: ToolExecutionMetrics): void {
    if (this.#closed) return;
    this.#queue.push(metric, this.#captureParent ? contextApi.active() : undefined);
  }

  /**
   * Exports a batch a `RecordPipeline` prepared (sink entry point), using its weights and timed
   * flags; no private queue is involved. Spans made this way have no parent context: the active
   * context exists only on the call path, so use the collector subscription for parent links.
   */
  onBatch(batch: RecordBatch): void {
    if (this.#closed) return;
    const { records, weights, timed } = batch;
    for (let i = 0; i < batch.length; i++) this.#exportPrepared(records[i]!, ROOT_CONTEXT, weights[i]!, timed[i] === 1);
  }

  /**
   * Exports every queued record now, then flushes the providers you passed in (an SDK
   * provider's `forceFlush()`), so what was tracked so far reaches your exporter.
   */
  async flush(): Promise<void> {
    this.#queue.drain();
    await Promise.all(
      [this.#tracerProvider, this.#meterProvider].map(async (p) => {
        const forceFlush = (p as { forceFlush?: () => Promise<void> } | undefined)?.forceFlush;
        if (typeof forceFlush !== 'function') return;
        try {
          await forceFlush.call(p);
        } catch (error) {
          this.#report(error);
        }
      }),
    );
  }

  /** Exports what is queued, flushes, and unsubscribes. Your SDK providers stay yours to shut down. Safe to call twice. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.flush();
  }

  /** Counters since creation. */
  stats(): OpenTelemetryExporterStats {
    return {
      spans: this.#spanCount,
      durationSamples: this.#durationSamples,
      invalid: this.#invalid,
      errors: this.#errors,
      queue: this.#queue.stats(),
    };
  }

  #export(record: ToolExecutionMetrics, parent: Context): void {
    if (!isUsableRecord(record)) {
      this.#invalid++;
      return;
    }
    // worked out once for the span and the histogram
    this.#exportPrepared(record, parent, weightOf(record), isTimed(record));
  }

  #exportPrepared(record: ToolExecutionMetrics, parent: Context, weight: number, timed: boolean): void {
    const errorType = record.success ? undefined : record.errorType || '_OTHER';
    // a failing span must not cost the histogram sample, nor the reverse
    if (this.#spans) {
      try {
        this.#span(record, parent, weight, timed, errorType);
      } catch (error) {
        this.#report(error);
      }
    }
    if (this.#metrics && timed) {
      try {
        const histogram = this.#currentHistogram();
        const attributes = this.#histogramAttributes(record.toolId, errorType);
        const seconds = record.duration / 1000;
        const n = weightedRepeats(weight, this.#random);
        for (let i = 0; i < n; i++) histogram.record(seconds, attributes, parent);
        this.#durationSamples += n;
      } catch (error) {
        this.#report(error);
      }
    }
  }

  #span(record: ToolExecutionMetrics, parent: Context, weight: number, timed: boolean, errorType: string | undefined): void {
    const attributes: Attributes = {
      [GenAiAttributes.OPERATION_NAME]: 'execute_tool',
      [GenAiAttributes.TOOL_NAME]: record.toolId,
      [GenAiAttributes.TOOL_CALL_ID]: record.callId ?? record.id,
      [GenAiAttributes.CONVERSATION_ID]: record.sessionId,
      [PerftrackAttributes.RECORD_ID]: record.id,
      [PerftrackAttributes.SAMPLE_WEIGHT]: weight,
    };
    if (this.#agentName !== undefined) attributes[GenAiAttributes.AGENT_NAME] = this.#agentName;
    if (this.#toolType !== undefined) attributes[GenAiAttributes.TOOL_TYPE] = this.#toolType;
    if (errorType !== undefined) attributes[GenAiAttributes.ERROR_TYPE] = errorType;
    if (typeof record.messageId === 'string') attributes[PerftrackAttributes.MESSAGE_ID] = record.messageId;
    if (Number.isFinite(record.memoryUsed)) attributes[PerftrackAttributes.MEMORY_DELTA] = record.memoryUsed;
    if (Number.isFinite(record.inputSize)) attributes[PerftrackAttributes.INPUT_SIZE] = record.inputSize;
    if (Number.isFinite(record.outputSize)) attributes[PerftrackAttributes.OUTPUT_SIZE] = record.outputSize;
    if (record.inputSizeCapped === true) attributes[PerftrackAttributes.INPUT_SIZE_CAPPED] = true;
    if (record.outputSizeCapped === true) attributes[PerftrackAttributes.OUTPUT_SIZE_CAPPED] = true;
    if (record.untimed === true) attributes[PerftrackAttributes.UNTIMED] = true;
    if (typeof record.runId === 'string') attributes[PerftrackAttributes.RUN_ID] = record.runId;
    if (typeof record.parentSessionId === 'string') attributes[PerftrackAttributes.PARENT_SESSION_ID] = record.parentSessionId;
    const parentCallId = typeof record.parentCallId === 'string' ? record.parentCallId : undefined;
    const callId = typeof record.callId === 'string' ? record.callId : undefined;
    // a parent call already exported is this span's parent; children exported earlier are linked from it
    let parentContext = parent;
    let parentSpan: SpanContext | undefined;
    if (parentCallId !== undefined) {
      attributes[PerftrackAttributes.PARENT_CALL_ID] = parentCallId;
      parentSpan = this.#links.spanOf(parentCallId);
      if (parentSpan !== undefined) parentContext = traceApi.setSpanContext(parent, parentSpan);
    }
    const children = callId === undefined ? undefined : this.#links.takeChildren(callId);
    const links: Link[] | undefined = children?.map((context) => ({
      context,
      attributes: { [PerftrackAttributes.PARENT_CALL_ID]: callId as string },
    }));

    const start = Number.isFinite(record.startTime) ? toHrTime(record.startTime) : undefined;
    const tracer = this.#currentTracer();
    const span = tracer.startSpan(
      `execute_tool ${record.toolId}`,
      { kind: SpanKind.INTERNAL, startTime: start, attributes, links },
      parentContext,
    );
    if (callId !== undefined) this.#links.remember(callId, span.spanContext());
    if (parentCallId !== undefined && parentSpan === undefined) this.#links.addOrphan(parentCallId, span.spanContext());
    if (!record.success) {
      span.setStatus(
        this.#errorMessages && typeof record.error === 'string'
          ? { code: SpanStatusCode.ERROR, message: record.error }
          : { code: SpanStatusCode.ERROR },
      );
    }
    // the span lasts exactly the record's duration, to the nanosecond
    const durationNs = timed ? Math.round(record.duration * 1e6) : 0;
    span.end(start === undefined ? undefined : addNanos(start, durationNs));
    this.#spanCount++;
  }

  /** The tracer of the provider in force now (the global one can be registered or replaced after construction). */
  #currentTracer(): Tracer {
    if (this.#fixedTracer !== undefined) return this.#fixedTracer;
    const provider = this.#tracerProvider ?? traceApi.getTracerProvider();
    if (this.#tracer === undefined || provider !== this.#tracerFrom) {
      this.#tracer = provider.getTracer(NAME, VERSION);
      this.#tracerFrom = provider;
    }
    return this.#tracer;
  }

  /** The duration histogram of the meter provider in force now. */
  #currentHistogram(): Histogram {
    const source = this.#fixedMeter ?? this.#meterProvider ?? metricsApi.getMeterProvider();
    if (this.#histogram === undefined || source !== this.#histogramFrom) {
      const meter = this.#fixedMeter ?? (source as MeterProvider).getMeter(NAME, VERSION);
      this.#histogram = meter.createHistogram(EXECUTE_TOOL_DURATION, {
        unit: 's',
        description: 'The duration of a single tool execution.',
        advice: { explicitBucketBoundaries: this.#buckets },
      });
      this.#histogramFrom = source;
    }
    return this.#histogram;
  }

  /** Histogram attributes per (tool, error type), built once each (bounded cache). */
  #histogramAttributes(toolId: string, errorType: string | undefined): Attributes {
    const key = errorType === undefined ? toolId : `${toolId}\u0000${errorType}`;
    let attributes = this.#metricAttributes.get(key);
    if (attributes === undefined) {
      attributes = { [GenAiAttributes.TOOL_NAME]: toolId };
      if (errorType !== undefined) attributes[GenAiAttributes.ERROR_TYPE] = errorType;
      if (this.#agentName !== undefined) attributes[GenAiAttributes.AGENT_NAME] = this.#agentName;
      if (this.#toolType !== undefined) attributes[GenAiAttributes.TOOL_TYPE] = this.#toolType;
      if (this.#metricAttributes.size >= 1_024) this.#metricAttributes.clear();
      this.#metricAttributes.set(key, attributes);
    }
    return attributes;
  }

  #report(error: unknown): void {
    this.#errors++;
    this.#diagnostics.report(
      error,
      'export',
      (e) => `OpenTelemetryExporter: export failed (${errorMessage(e)}); further errors go to onError when given`,
    );
  }
}

/** Epoch milliseconds (sub-millisecond precision) as an OpenTelemetry `[seconds, nanoseconds]`. */
export function toHrTime(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  const nanos = Math.round((epochMs - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}

function addNanos(time: HrTime, nanos: number): HrTime {
  const total = time[1] + nanos;
  return [time[0] + Math.floor(total / 1e9), total % 1e9];
}
