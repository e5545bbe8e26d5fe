import { BatchQueue, type BatchQueueOverflow, type BatchQueueStats } from '../internal/batch-queue';
import { Diagnostics } from '../internal/diagnostics';
import { errorMessage } from '../internal/error-info';
import type { MetricsSubscriber, ToolExecutionMetrics } from '../api/types';
import { RecordBatchBuilder, type RecordBatch } from './record-batch';

/**
 * Receives prepared batches from a {@link RecordPipeline}: analytics, session views, storage,
 * exporters and the dashboard are sinks. `onBatch` runs off the tool's call path; it must not
 * keep the batch object (it is reused) and should not throw (a throw is reported and the other
 * sinks still run). `flush` and `shutdown` are optional, asynchronous and safe to call twice.
 */
export interface BatchSink {
  onBatch(batch: RecordBatch): void;
  /** Writes out whatever the sink buffers. */
  flush?(): Promise<void>;
  /** Flushes and releases resources. */
  shutdown?(): Promise<void>;
}

/** Options of a {@link RecordPipeline}. */
export interface RecordPipelineOptions {
  /** Sinks from the start (more with {@link RecordPipeline.addSink}). */
  readonly sinks?: readonly BatchSink[];
  /** Records queued at most. Default 16,384. */
  readonly capacity?: number;
  /** Records per batch. Default 1,024. */
  readonly batchSize?: number;
  /**
   * A record arriving at a full queue: `'handle-inline'` (default) prepares and delivers one batch
   * on the caller's path, losing nothing; `'drop'` discards the record and counts it.
   */
  readonly overflow?: BatchQueueOverflow;
  /** Runs a delivery later. Default `setImmediate`. */
  readonly schedule?: (run: () => void) => void;
  /** Receives a sink's error. Default: the first of each kind is warned about. */
  readonly onError?: (error: unknown, source: RecordPipelineErrorSource) => void;
  /** One-time warnings (first drop, first record after shutdown). Default `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
  /** Names the pipeline in messages. Default `RecordPipeline`. */
  readonly name?: string;
}

/** What failed inside a {@link RecordPipeline}. */
export type RecordPipelineErrorSource = 'sink' | 'sink-flush' | 'sink-shutdown';

/** Counters of a {@link RecordPipeline}. */
export interface RecordPipelineStats {
  /** Records waiting in the queue. */
  readonly queued: number;
  /** Usable records handed to the sinks. */
  readonly delivered: number;
  /** Batches handed to the sinks. */
  readonly batches: number;
  /** Records discarded: queue full with `overflow: 'drop'`, arriving after shutdown, or pushed by a sink into a full queue while it held a batch. */
  readonly dropped: number;
  /** Records left out as unusable (no string `toolId` / `sessionId`). */
  readonly unusable: number;
  /** Errors thrown by sinks. */
  readonly sinkErrors: number;
  /** Batches prepared on a caller's path because the queue was full. */
  readonly inlineBatches: number;
  /** Whether {@link RecordPipeline.shutdown} has run. */
  readonly closed: boolean;
}

/**
 * The one path between a collector and every consumer of its records, in the shape of
 * OpenTelemetry's `BatchSpanProcessor`: `onMetric` (the collector's subscriber call) only
 * enqueues into one bounded {@link BatchQueue}; on a later turn each batch is prepared once
 * ({@link RecordBatch}) and handed to every {@link BatchSink}. This class alone owns flushing,
 * shutting down once, counting drops and the closed flag; sinks only receive batches.
 *
 * A plain {@link MetricsSubscriber} (one `onMetric` per record) joins as a sink through
 * {@link subscriberSink}.
 *
 * @example
 * ```ts
 * const pipeline = new RecordPipeline({ sinks: [analytics, storageSink] });
 * collector.subscribe(pipeline);
 * // … calls …
 * await pipeline.flush(); // every record delivered, every sink flushed
 * ```
 */
export class RecordPipeline implements MetricsSubscriber {
  readonly #queue: BatchQueue<ToolExecutionMetrics>;
  readonly #batch: RecordBatchBuilder;
  readonly #diagnostics: Diagnostics<RecordPipelineErrorSource>;
  readonly #name: string;
  #sinks: readonly BatchSink[];
  #dispatching = false;
  #delivered = 0;
  #batches = 0;
  #unusable = 0;
  #droppedClosed = 0;
  #droppedReentrant = 0;
  #sinkErrors = 0;
  #closed = false;
  #shutdown: Promise<void> | undefined;

  constructor(options: RecordPipelineOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('RecordPipeline: options must be an object');
    const name = options.name ?? 'RecordPipeline';
    this.#name = name;
    const sinks = options.sinks ?? [];
    if (!Array.isArray(sinks)) throw new TypeError(`${name}: sinks must be an array`);
    for (const sink of sinks) checkSink(sink, name);
    this.#sinks = [...sinks];
    this.#diagnostics = new Diagnostics<RecordPipelineErrorSource>({ onError: options.onError, onWarning: options.onWarning }, name);
    if (options.schedule !== undefined && typeof options.schedule !== 'function')
      throw new TypeError(`${name}: schedule must be a function`);
    const schedule = options.schedule ?? setImmediate;
    this.#queue = new BatchQueue<ToolExecutionMetrics>({
      name: `${name} queue`,
      capacity: options.capacity,
      batchSize: options.batchSize,
      overflow: options.overflow,
      handle: (record) => {
        const batch = this.#batch;
        if (this.#dispatching) {
          // pushed by a sink into a full queue while a batch is out: the batch cannot grow under the sinks' feet
          this.#droppedReentrant++;
          return;
        }
        batch.add(record);
        if (batch.size >= batch.capacity) this.#dispatch();
      },
      // each scheduled turn handles up to one batch; hand it on at the end of the turn
      schedule: (run) =>
        schedule(() => {
          run();
          this.#dispatch();
        }),
      onWarning: options.onWarning,
    });
    this.#batch = new RecordBatchBuilder(this.#queue.batchSize);
  }

  /** Queues one record (the collector calls this on the tool's call path: an enqueue, nothing more). */
  onMetric(record: ToolExecutionMetrics): void {
    if (this.#closed) {
      if (this.#droppedClosed++ === 0) {
        this.#diagnostics.warnOnce('closed', `${this.#name}: a record arrived after shutdown; it is dropped (counted in stats().dropped)`);
      }
      return;
    }
    this.#queue.push(record);
  }

  /** Adds a sink; returns its removal function (safe to call twice). */
  addSink(sink: BatchSink): () => void {
    checkSink(sink, this.#name);
    this.#sinks = [...this.#sinks, sink];
    return () => {
      this.#sinks = this.#sinks.filter((s) => s !== sink);
    };
  }

  /**
   * Prepares and delivers every queued record now, synchronously: what a read calls first so it
   * sees every call made so far. A no-op when called from inside a sink's `onBatch`.
   */
  deliver(): void {
    if (this.#dispatching) return;
    while (this.#queue.size > 0 || this.#batch.size > 0) {
      this.#queue.drain();
      this.#dispatch();
    }
  }

  /** Delivers everything queued, then flushes every sink. Errors go to `onError`, never to the caller. */
  async flush(): Promise<void> {
    this.deliver();
    await this.#each('flush', 'sink-flush');
    this.deliver(); // records a sink's flush produced
  }

  /** Flushes, closes (later records are counted as dropped) and shuts every sink down. Runs once; later calls return the same promise. */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      await this.flush();
      this.#closed = true;
      this.deliver();
      await this.#each('shutdown', 'sink-shutdown');
    })();
    return this.#shutdown;
  }

  /** Counters since creation. */
  stats(): RecordPipelineStats {
    const q: BatchQueueStats = this.#queue.stats();
    return {
      queued: q.queued + this.#batch.size,
      delivered: this.#delivered,
      batches: this.#batches,
      dropped: q.dropped + this.#droppedClosed + this.#droppedReentrant,
      unusable: this.#unusable,
      sinkErrors: this.#sinkErrors,
      inlineBatches: q.inlineBatches,
      closed: this.#closed,
    };
  }

  #dispatch(): void {
    const batch = this.#batch;
    if (batch.size === 0 || this.#dispatching) return;
    this.#dispatching = true;
    try {
      if (batch.unusable > 0) {
        this.#unusable += batch.unusable;
        this.#diagnostics.warnOnce(
          'unusable',
          `${this.#name}: records without a string toolId and sessionId are left out (counted in stats().unusable)`,
        );
      }
      if (batch.length > 0) {
        this.#batches++;
        this.#delivered += batch.length;
        for (const sink of this.#sinks) {
          try {
            sink.onBatch(batch);
          } catch (error) {
            this.#sinkErrors++;
            this.#diagnostics.report(
              error,
              'sink',
              (e) => `${this.#name}: a sink threw (${errorMessage(e)}); further errors are counted in stats().sinkErrors`,
            );
          }
        }
      }
    } finally {
      batch.reset();
      this.#dispatching = false;
    }
  }

  async #each(method: 'flush' | 'shutdown', source: RecordPipelineErrorSource): Promise<void> {
    await Promise.all(
      this.#sinks.map(async (sink) => {
        try {
          await sink[method]?.();
        } catch (error) {
          this.#sinkErrors++;
          this.#diagnostics.report(error, source, (e) => `${this.#name}: a sink's ${method} failed (${errorMessage(e)})`);
        }
      }),
    );
  }
}

function checkSink(sink: BatchSink, name: string): void {
  if (typeof sink !== 'object' || sink === null || typeof sink.onBatch !== 'function') {
    throw new TypeError(`${name}: a sink must be an object with an onBatch(batch) method`);
  }
}

/**
 * A {@link MetricsSubscriber} (a user's own `onMetric`, an exporter written for the collector) as
 * a {@link BatchSink}: each usable record of a batch is handed to `onMetric` in order; `flush` and
 * `shutdown` pass through. A record it throws on does not stop the others: the batch's first
 * error is reported by the pipeline once the batch is done.
 */
export function subscriberSink(subscriber: MetricsSubscriber): BatchSink {
  if (typeof subscriber !== 'object' || subscriber === null || typeof subscriber.onMetric !== 'function') {
    throw new TypeError('subscriberSink: expected an object with an onMetric(metric) method');
  }
  return {
    onBatch(batch) {
      const records = batch.records;
      let failed = false;
      let first: unknown;
      for (let i = 0; i < batch.length; i++) {
        try {
          subscriber.onMetric(records[i]!);
        } catch (error) {
          if (!failed) first = error;
          failed = true;
        }
      }
      if (failed) throw first;
    },
    flush: subscriber.flush === undefined ? undefined : () => subscriber.flush!(),
    shutdown: subscriber.shutdown === undefined ? undefined : () => subscriber.shutdown!(),
  };
}
