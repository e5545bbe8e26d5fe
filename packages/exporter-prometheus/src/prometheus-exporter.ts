import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, type RegistryContentType } from 'prom-client';
import {
  isTimed,
  isUsableRecord,
  weightOf,
  type MetricsCollector,
  type MetricsSubscriber,
  type RandomSource,
  type ToolExecutionMetrics,
} from '@perftrack/core';
import {
  BatchQueue,
  checkInteger,
  checkOptionKeys,
  batchQueueTuning,
  Diagnostics,
  errorMessage,
  weightedRepeats,
  type BatchQueueStats,
  type BatchQueueTuning,
} from '@perftrack/core/internal';
import type { BatchSink, RecordBatch } from '@perftrack/core';

/** Default histogram buckets, in seconds: 1 ms to 2 min, for tools from in-memory lookups to long shell commands. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
]);

/** The label value that stands for every tool (or error type) past the cardinality limit. */
export const OTHER_LABEL = 'other';

/** Options of {@link PrometheusExporter}. Every field is optional. */
export interface PrometheusExporterOptions {
  /** Subscribe to this collector now (shutdown unsubscribes) and export its drop and sampling counters as gauges. */
  readonly collector?: MetricsCollector;
  /** Where the metrics are registered. Default: a registry of this exporter's own; pass prom-client's `register` to serve them with your other metrics. */
  readonly registry?: Registry<RegistryContentType>;
  /** Prefix of every metric name. Default `perftrack_`. */
  readonly prefix?: string;
  /** Duration histogram buckets, in seconds, increasing. Default {@link DEFAULT_DURATION_BUCKETS}. */
  readonly buckets?: readonly number[];
  /** Distinct `tool` label values at most; later tools are counted under `other`. Default 100. */
  readonly maxTools?: number;
  /** Distinct `error_type` label values at most; later ones are counted under `other`. Default 50. */
  readonly maxErrorTypes?: number;
  /** The update queue: `capacity` (default 16,384), `batchSize` (default 1,024), `overflow` (`'handle-inline'` default, or `'drop'`). */
  readonly queue?: BatchQueueTuning;
  /** Randomness for rounding fractional sample weights into whole histogram observations. Default `Math.random`. */
  readonly random?: RandomSource;
  /** Receives errors from prom-client or the HTTP server. Default: the first one is warned about. */
  readonly onError?: (error: unknown) => void;
  /** One-time warnings (e.g. the first tool counted under `other`). Default `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
}

/** The part of Node's `ServerResponse` that {@link PrometheusExporter.metricsHandler} writes to. */
export interface MetricsResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/** Options of {@link PrometheusExporter.serve}. */
export interface ServeOptions {
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Interface to listen on. Default `127.0.0.1`; use `0.0.0.0` for a Prometheus on another host or container. */
  readonly host?: string;
  /** The scrape path. Default `/metrics`. */
  readonly path?: string;
}

/** A running metrics endpoint started by {@link PrometheusExporter.serve}. */
export interface MetricsServer {
  /** The scrape URL, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number;
  /** Stops listening. Safe to call twice. */
  close(): Promise<void>;
}

/** Counters of a {@link PrometheusExporter}. */
export interface PrometheusExporterStats {
  /** Records turned into metric updates. */
  readonly records: number;
  /** Records skipped because they lack string tool and session ids. */
  readonly invalid: number;
  /** Records whose tool was counted under `other` (past `maxTools`). */
  readonly otherTools: number;
  /** Failures whose error type was counted under `other` (past `maxErrorTypes`). */
  readonly otherErrorTypes: number;
  /** The update queue. */
  readonly queue: BatchQueueStats;
}

const KNOWN_OPTIONS: readonly string[] = [
  'collector',
  'registry',
  'prefix',
  'buckets',
  'maxTools',
  'maxErrorTypes',
  'queue',
  'random',
  'onError',
  'onWarning',
];

/** Admits up to `max` distinct label values; later ones map to {@link OTHER_LABEL}. */
class BoundedLabel {
  readonly #admitted = new Set<string>();
  readonly #max: number;
  readonly #onFirstFold: ((value: string) => void) | undefined;
  /** Values mapped to `other` so far. */
  folded = 0;

  /** `onFirstFold` runs once, with the first value past the limit. */
  constructor(max: number, onFirstFold?: (value: string) => void) {
    this.#max = max;
    this.#onFirstFold = onFirstFold;
  }

  /** The label value for `value`: itself while there is room (or it was admitted before), else `other`. */
  value(value: string): string {
    if (this.#admitted.has(value)) return value;
    if (this.#admitted.size < this.#max) {
      this.#admitted.add(value);
      return value;
    }
    if (this.folded++ === 0) this.#onFirstFold?.(value);
    return OTHER_LABEL;
  }
}

/**
 * A core subscriber that keeps Prometheus metrics of tool calls with prom-client:
 *
 * - `perftrack_tool_duration_seconds{tool,outcome}`: histogram, sample-weighted (a call kept at
 *   sample rate r counts 1/r times);
 * - `perftrack_tool_calls_total{tool,outcome}` and `perftrack_tool_failures_total{tool,error_type}`:
 *   counters, sample-weighted (estimated true counts);
 * - `perftrack_dropped_records{source}` and `perftrack_sampled_out_calls`: gauges read at scrape time.
 *
 * Labels are bounded: tools past `maxTools` and error types past `maxErrorTypes` are counted under
 * `other`, and session ids are never labels. On the tool's call path it only enqueues the record;
 * the metrics are updated on a later event-loop turn and before every scrape.
 *
 * @example
 * ```ts
 * const exporter = new PrometheusExporter({ collector: MetricsCollector.default });
 * http.createServer((req, res) => void exporter.metricsHandler(req, res)).listen(9464);
 * ```
 */
export class PrometheusExporter implements MetricsSubscriber, BatchSink {
  /** The registry holding this exporter's metrics. */
  readonly registry: Registry<RegistryContentType>;
  readonly #queue: BatchQueue<ToolExecutionMetrics>;
  readonly #diagnostics: Diagnostics<'export'>;
  readonly #duration: Histogram<'tool' | 'outcome'>;
  readonly #calls: Counter<'tool' | 'outcome'>;
  readonly #failures: Counter<'tool' | 'error_type'>;
  readonly #tools: BoundedLabel;
  readonly #errorTypes: BoundedLabel;
  readonly #random: RandomSource;
  readonly #servers = new Set<MetricsServer>();
  #unsubscribe: (() => void) | undefined;
  #closed = false;
  #records = 0;
  #invalid = 0;

  constructor(options: PrometheusExporterOptions = {}) {
    checkOptionKeys(options, KNOWN_OPTIONS, 'PrometheusExporter');
    const limit = (key: 'maxTools' | 'maxErrorTypes', fallback: number): number =>
      checkInteger('PrometheusExporter', key, options[key] ?? fallback, 1, 10_000);
    const maxTools = limit('maxTools', 100);
    this.#tools = new BoundedLabel(maxTools, (tool) =>
      this.#diagnostics.warnOnce(
        'tools',
        `PrometheusExporter: more than ${maxTools} distinct tools; "${tool}" and later ones are counted under tool="${OTHER_LABEL}" (raise maxTools to keep them apart)`,
      ),
    );
    this.#errorTypes = new BoundedLabel(limit('maxErrorTypes', 50));
    const prefix = options.prefix ?? 'perftrack_';
    if (typeof prefix !== 'string' || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
      throw new TypeError(`PrometheusExporter: prefix must match [a-zA-Z_:][a-zA-Z0-9_:]* (or be empty), got ${JSON.stringify(prefix)}`);
    }
    const buckets = options.buckets ?? DEFAULT_DURATION_BUCKETS;
    if (
      !Array.isArray(buckets) ||
      buckets.length === 0 ||
      buckets.some((b, i) => typeof b !== 'number' || !(b > 0) || !Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] as number)))
    ) {
      throw new TypeError('PrometheusExporter: buckets must be a non-empty array of positive finite numbers in increasing order');
    }
    if (
      options.registry !== undefined &&
      !(typeof options.registry === 'object' && options.registry !== null && typeof options.registry.registerMetric === 'function')
    ) {
      throw new TypeError('PrometheusExporter: registry must be a prom-client Registry');
    }
    if (options.random !== undefined && typeof options.random !== 'function')
      throw new TypeError('PrometheusExporter: random must be a function');
    this.#random = options.random ?? Math.random;
    const onError = options.onError;
    this.#diagnostics = new Diagnostics<'export'>(
      { onError: onError === undefined ? undefined : (error) => onError(error), onWarning: options.onWarning },
      'PrometheusExporter',
    );
    this.#queue = new BatchQueue<ToolExecutionMetrics>({
      ...batchQueueTuning(options.queue, 'PrometheusExporter'),
      handle: (record) => this.#update(record),
      onError: (error) => this.#report(error),
      onWarning: options.onWarning,
    });

    const registry: Registry<RegistryContentType> = options.registry ?? new Registry();
    this.registry = registry;
    // OpenMetrics output appends `_total` to counters itself
    const total = registry.contentType === Registry.OPENMETRICS_CONTENT_TYPE ? '' : '_total';
    const queue = this.#queue;
    const collector = options.collector;
    const register = <M>(name: string, make: () => M): M => {
      if (registry.getSingleMetric(name) !== undefined) {
        throw new Error(`PrometheusExporter: the registry already has a metric named "${name}"; pass another prefix or registry`);
      }
      return make();
    };
    // Registered first, so a scrape drains the queue before any of these metrics is read.
    this.#duration = register(
      `${prefix}tool_duration_seconds`,
      () =>
        new Histogram({
          name: `${prefix}tool_duration_seconds`,
          help: 'Tool call duration in seconds, sample-weighted: a call kept at sample rate r is observed about 1/r times.',
          labelNames: ['tool', 'outcome'] as const,
          buckets: [...buckets],
          registers: [registry],
          collect() {
            queue.drain();
          },
        }),
    );
    this.#calls = register(
      `${prefix}tool_calls${total}`,
      () =>
        new Counter({
          name: `${prefix}tool_calls${total}`,
          help: 'Tool calls by outcome (success|failure), sample-weighted: estimated true counts.',
          labelNames: ['tool', 'outcome'] as const,
          registers: [registry],
        }),
    );
    this.#failures = register(
      `${prefix}tool_failures${total}`,
      () =>
        new Counter({
          name: `${prefix}tool_failures${total}`,
          help: 'Failed tool calls by error type (error.code, else the error name).',
          labelNames: ['tool', 'error_type'] as const,
          registers: [registry],
        }),
    );
    register(
      `${prefix}dropped_records`,
      () =>
        new Gauge({
          name: `${prefix}dropped_records`,
          help: "Records lost or discarded, by source: collector_buffer (overwritten in the collector's ring buffer before being read from it), exporter_queue (dropped by this exporter's full queue).",
          labelNames: ['source'] as const,
          registers: [registry],
          collect() {
            if (collector !== undefined) this.set({ source: 'collector_buffer' }, collector.stats().dropped);
            this.set({ source: 'exporter_queue' }, queue.stats().dropped);
          },
        }),
    );
    if (collector !== undefined) {
      register(
        `${prefix}sampled_out_calls`,
        () =>
          new Gauge({
            name: `${prefix}sampled_out_calls`,
            help: 'Calls skipped by sampling (not timed); the weighted histogram and counters already stand for them.',
            registers: [registry],
            collect() {
              this.set(collector.stats().sampledOut);
            },
          }),
      );
      this.#unsubscribe = collector.subscribe(this);
    }
  }

  /** Queues the record; the metrics are updated on a later turn, and before every scrape. */
  onMetric(metric: ToolExecutionMetrics): void {
    if (!this.#closed) this.#queue.push(metric);
  }

  /** Updates the metrics from a batch a `RecordPipeline` prepared (sink entry point); no private queue is involved. */
  onBatch(batch: RecordBatch): void {
    if (this.#closed) return;
    const { records, weights } = batch;
    for (let i = 0; i < batch.length; i++) this.#updatePrepared(records[i]!, weights[i]!);
  }

  /** The `Content-Type` of {@link metricsHandler}'s text (the registry's). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Brings the metrics up to date and returns the registry's exposition text. Given a response
   * (`(req, res)` of `http.createServer`, Express, …), it also answers the request: 200 with the
   * text, or 500 when collecting fails (reported, never thrown at the server).
   *
   * @example
   * ```ts
   * const text = await exporter.metricsHandler();
   * http.createServer((req, res) => void exporter.metricsHandler(req, res));
   * ```
   */
  readonly metricsHandler = async (_request?: unknown, response?: MetricsResponse): Promise<string> => {
    this.#queue.drain();
    if (response === undefined) return this.registry.metrics();
    try {
      const text = await this.registry.metrics();
      response.statusCode = 200;
      response.setHeader('Content-Type', this.registry.contentType);
      response.end(text);
      return text;
    } catch (error) {
      this.#report(error);
      response.statusCode = 500;
      response.setHeader('Content-Type', 'text/plain; charset=utf-8');
      response.end('collecting metrics failed\n');
      return '';
    }
  };

  /**
   * Serves the metrics over HTTP at `http://<host>:<port><path>` (GET or HEAD), for scripts and
   * small services; use {@link metricsHandler} in your own server otherwise. Rejects when the
   * port cannot be bound. {@link shutdown} closes it.
   */
  async serve(options: ServeOptions): Promise<MetricsServer> {
    if (typeof options !== 'object' || options === null) throw new TypeError('PrometheusExporter.serve: expected { port }');
    const { port, host = '127.0.0.1', path = '/metrics' } = options;
    checkInteger('PrometheusExporter.serve', 'port', port, 0, 65_535);
    if (typeof host !== 'string' || host.length === 0) throw new TypeError('PrometheusExporter.serve: host must be a non-empty string');
    if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError('PrometheusExporter.serve: path must start with "/"');
    const server: Server = createServer((request, response) => {
      const url = (request.url ?? '/').split('?')[0];
      if (url !== path) {
        response.statusCode = 404;
        response.end('not found\n');
      } else if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.statusCode = 405;
        response.setHeader('Allow', 'GET, HEAD');
        response.end();
      } else {
        void this.metricsHandler(request, response);
      }
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) =>
        reject(new Error(`PrometheusExporter.serve: cannot listen on ${host}:${port} (${error.message})`, { cause: error }));
      server.once('error', fail);
      server.listen(port, host, () => {
        server.off('error', fail);
        resolve();
      });
    });
    // Only once listening: a failure to listen is the rejection above, not a second report.
    server.on('error', (error) => this.#report(error));
    const address = server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    let closing: Promise<void> | undefined;
    const handle: MetricsServer = {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}${path}`,
      port: bound,
      close: () => {
        this.#servers.delete(handle);
        closing ??= new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        return closing;
      },
    };
    this.#servers.add(handle);
    return handle;
  }

  /** Applies every queued record now. */
  async flush(): Promise<void> {
    this.#queue.drain();
  }

  /** Applies what is queued, closes servers started by {@link serve}, and unsubscribes. The metrics stay registered. Safe to call twice. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#queue.drain();
    await Promise.all([...this.#servers].map((s) => s.close()));
  }

  /** Counters since creation. */
  stats(): PrometheusExporterStats {
    return {
      records: this.#records,
      invalid: this.#invalid,
      otherTools: this.#tools.folded,
      otherErrorTypes: this.#errorTypes.folded,
      queue: this.#queue.stats(),
    };
  }

  #update(record: ToolExecutionMetrics): void {
    if (!isUsableRecord(record)) {
      this.#invalid++;
      return;
    }
    this.#updatePrepared(record, weightOf(record));
  }

  #updatePrepared(record: ToolExecutionMetrics, weight: number): void {
    const tool = this.#tools.value(record.toolId);
    const outcome = record.success ? 'success' : 'failure';
    this.#records++;
    this.#calls.inc({ tool, outcome }, weight);
    if (!record.success) {
      const errorType = typeof record.errorType === 'string' && record.errorType.length > 0 ? record.errorType : 'unknown';
      this.#failures.inc({ tool, error_type: this.#errorTypes.value(errorType) }, weight);
    }
    if (isTimed(record)) {
      const labels = { tool, outcome };
      const seconds = record.duration / 1000;
      for (let n = weightedRepeats(weight, this.#random); n > 0; n--) this.#duration.observe(labels, seconds);
    }
  }

  #report(error: unknown): void {
    this.#diagnostics.report(error, 'export', (e) => `PrometheusExporter: ${errorMessage(e)}; further errors go to onError when given`);
  }
}
