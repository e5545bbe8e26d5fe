import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Diagnostics } from '../internal/diagnostics';
import { coreGlobal, isCompatibleVersion } from '../internal/global';
import { heapSourceMoves, heapUsedSource } from './memory';
import { RingBuffer } from './ring-buffer';
import { SizeEstimator } from './size-estimator';
import { VERSION } from '../internal/version';
import { errorMessage, errorType } from '../internal/error-info';
import { provideDefaultRecorder } from '../api/default-recorder';
import { createDraft, RECORDER, type RecordDraft, type Recorder } from '../api/recorder';
import { checkInteger, describeValue as describe } from '../internal/option-checks';
import { SessionIdGuard } from './session-id-rule';
import { CollectorRecorder } from './collector-recorder';
import {
  resolveCollectorOptions,
  type CollectorErrorSource,
  type CollectorStats,
  type MetricsCollectorOptions,
  type MetricsFilter,
} from './collector-options';
import { checkExecutionInput, type InFlight } from './execution-input';
import type { Clock, MemorySource, MetricsSubscriber, RandomSource, ToolExecutionMetrics } from '../api/types';

/** Shared with every compatible copy of this package in the process: holds the default collector. */
const shared = coreGlobal();
/** On every collector's prototype: the version of the copy that made it. */
const COLLECTOR_BRAND = Symbol.for('perftrack.core.MetricsCollector');
/** "000" … "999": ids are a block prefix plus one of these, so no number is formatted per record. */
const ID_SUFFIXES: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * Collects tool-call records into a preallocated ring buffer and hands each one, synchronously,
 * to its subscribers (analytics, storage, exporters, or your own).
 *
 * Create your own (`new MetricsCollector({ maxMetrics })`) or use the process-wide default
 * through the static methods, which keep the seed's style.
 *
 * @example
 * const collector = new MetricsCollector({ maxMetrics: 5000 });
 * const stop = collector.subscribe({ onMetric: (m) => console.log(m.toolId, m.duration) });
 * const id = collector.startToolExecution('read', sessionId, messageId, input);
 * collector.completeToolExecution(id, true, output);
 */
export class MetricsCollector {
  readonly #options: MetricsCollectorOptions;
  readonly #buffer: RingBuffer<ToolExecutionMetrics>;
  readonly #inFlight: LRUCache<string, InFlight>;
  readonly #clock: Clock;
  readonly #timeOrigin: number;
  readonly #random: RandomSource;
  readonly #memory: MemorySource;
  readonly #sizer: SizeEstimator;
  readonly #idPrefix: string;
  readonly #diagnostics: Diagnostics<CollectorErrorSource>;
  readonly #sessionIds = new SessionIdGuard((key, message) => this.#diagnostics.warnOnce(key, message));
  readonly #trackMemory: boolean;
  readonly #allowMemory: boolean;
  readonly #memoryStill: boolean;
  readonly #trackInputOutput: boolean;
  /** Session id used when none is found for a call. */
  readonly defaultSessionId: string;
  readonly #recorder: CollectorRecorder;
  #subscribers: readonly MetricsSubscriber[] = [];
  #shutdown: Promise<void> | undefined;
  #seq = 0;
  #idBlock = '';
  #recorded = 0;
  #dropped = 0;
  #abandoned = 0;
  #unknown = 0;
  #errors = 0;

  constructor(options: MetricsCollectorOptions = {}) {
    const resolved = resolveCollectorOptions(options);
    this.#options = options;
    const { maxMetrics, maxInFlight, ttl, session, clock } = resolved;
    this.#clock = clock;
    this.#timeOrigin = clock.timeOrigin;
    this.#random = resolved.random;
    this.#memory = resolved.memory;
    this.#diagnostics = new Diagnostics({ onError: options.onError, onWarning: options.onWarning }, 'MetricsCollector');
    this.#sizer = new SizeEstimator(options.maxSizeNodes === undefined ? {} : { maxNodes: options.maxSizeNodes });
    // The default heap source stands still under Bun: leave memoryUsed out rather than write 0.
    this.#memoryStill = this.#memory === heapUsedSource && (options.allowMemory ?? true) && !heapSourceMoves();
    this.#allowMemory = (options.allowMemory ?? true) && !this.#memoryStill;
    this.#trackMemory = this.#allowMemory && (options.trackMemory ?? false);
    if (this.#memoryStill && options.trackMemory === true) this.#warnMemoryStill();
    this.#trackInputOutput = options.trackInputOutput ?? true;
    this.defaultSessionId = session;
    this.#buffer = new RingBuffer(maxMetrics);
    this.#inFlight = new LRUCache<string, InFlight>({
      max: maxInFlight,
      ttl,
      ttlAutopurge: false,
      ttlResolution: 0, // read our (injectable) clock on every check, not a cached time
      updateAgeOnGet: false,
      // lru-cache reads a start time of 0 as "no TTL"; only differences matter, so shift by 1 ms.
      perf: { now: () => clock.now() + 1 },
      dispose: (_value, _key, reason) => {
        if (reason === 'evict' || reason === 'expire') this.#abandoned++;
      },
    });
    this.#idPrefix = randomBytes(6).toString('hex') + '-';
    this.#idBlock = this.#idPrefix + '0';
    this.#recorder = new CollectorRecorder({
      enabled: options.enabled ?? true,
      defaultSessionId: session,
      clock,
      random: this.#random,
      sizer: this.#sizer,
      diagnostics: this.#diagnostics,
      heapSize: () => this.#heapSize(),
      reportError: (error, source) => this.#reportError(error, source),
      publish: (draft) => this.#publish(this.#build(draft)),
    });
  }

  /** What instrumentation records through (see {@link Recorder}); not for applications. */
  get [RECORDER](): Recorder {
    return this.#recorder;
  }

  // ---- default instance and the seed's static style -------------------------------------

  /**
   * The process-wide default collector, created on first use. Process-wide means every copy of
   * `@perftrack/core` in the process that has a compatible version (see {@link VERSION}): it
   * lives on a versioned global, as OpenTelemetry's API keeps its providers.
   */
  static get default(): MetricsCollector {
    return (shared.collector ??= new MetricsCollector()) as MetricsCollector;
  }

  /** Replaces the default collector (e.g. with configured options); returns the previous one. */
  static setDefault(collector: MetricsCollector): MetricsCollector | undefined {
    if (!(collector instanceof MetricsCollector)) {
      throw new TypeError('MetricsCollector.setDefault: expected a MetricsCollector');
    }
    const previous = shared.collector as MetricsCollector | undefined;
    shared.collector = collector;
    return previous;
  }

  /**
   * `instanceof MetricsCollector` also holds for a collector of another compatible copy of this
   * package, which the default may be: options and `setDefault` accept it.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (this !== MetricsCollector || typeof value !== 'object' || value === null) return false;
    const version = (value as { [COLLECTOR_BRAND]?: unknown })[COLLECTOR_BRAND];
    return typeof version === 'string' && isCompatibleVersion(VERSION, version);
  }

  /** {@link MetricsCollector.startToolExecution} on the default collector. */
  static startToolExecution(toolId: string, sessionId?: string, messageId?: string, input?: unknown): string {
    return MetricsCollector.default.startToolExecution(toolId, sessionId, messageId, input);
  }

  /** {@link MetricsCollector.completeToolExecution} on the default collector. */
  static completeToolExecution(executionId: string, success: boolean, output?: unknown, error?: unknown): ToolExecutionMetrics | undefined {
    return MetricsCollector.default.completeToolExecution(executionId, success, output, error);
  }

  /** {@link MetricsCollector.subscribe} on the default collector. */
  static subscribe(subscriber: MetricsSubscriber): () => void {
    return MetricsCollector.default.subscribe(subscriber);
  }

  /** {@link MetricsCollector.getMetrics} on the default collector. */
  static getMetrics(filter?: MetricsFilter): ToolExecutionMetrics[] {
    return MetricsCollector.default.getMetrics(filter);
  }

  /** {@link MetricsCollector.stats} on the default collector. */
  static stats(): CollectorStats {
    return MetricsCollector.default.stats();
  }

  /** {@link MetricsCollector.flush} on the default collector. */
  static flush(): Promise<void> {
    return MetricsCollector.default.flush();
  }

  /** {@link MetricsCollector.shutdown} on the default collector. */
  static shutdown(): Promise<void> {
    return MetricsCollector.default.shutdown();
  }

  /** Resets the default collector: data, counters, subscribers; for tests' teardown. */
  static reset(): void {
    (shared.collector as MetricsCollector | undefined)?.reset();
  }

  // ---- state ------------------------------------------------------------------------------

  /** Whether calls are tracked. `false`: tracked code is a pure pass-through. */
  get enabled(): boolean {
    return this.#recorder.enabled;
  }

  set enabled(value: boolean) {
    if (typeof value !== 'boolean') throw new TypeError(`MetricsCollector: enabled must be a boolean, got ${describe(value)}`);
    this.#recorder.enabled = value;
  }

  /** Capacity of the ring buffer (`maxMetrics`). */
  get maxMetrics(): number {
    return this.#buffer.capacity;
  }

  /**
   * Adds a subscriber; returns its unsubscribe function (safe to call twice).
   * Subscribers are called in subscription order, synchronously, for every record.
   */
  subscribe(subscriber: MetricsSubscriber): () => void {
    if (typeof subscriber !== 'object' || subscriber === null || typeof subscriber.onMetric !== 'function') {
      throw new TypeError('MetricsCollector.subscribe: expected an object with an onMetric(metric) method');
    }
    this.#subscribers = [...this.#subscribers, subscriber];
    return () => {
      this.#subscribers = this.#subscribers.filter((s) => s !== subscriber);
    };
  }

  /** Records held in memory, oldest first, optionally filtered. A copy: safe to keep. */
  getMetrics(filter?: MetricsFilter): ToolExecutionMetrics[] {
    if (filter === undefined) return this.#buffer.toArray();
    const { toolId, sessionId, success, since, until } = filter;
    return this.#buffer.toArray(
      (m) =>
        (toolId === undefined || m.toolId === toolId) &&
        (sessionId === undefined || m.sessionId === sessionId) &&
        (success === undefined || m.success === success) &&
        (since === undefined || m.startTime >= since) &&
        (until === undefined || m.startTime < until),
    );
  }

  /** Counters since creation or the last {@link reset}. */
  stats(): CollectorStats {
    return {
      recorded: this.#recorded,
      dropped: this.#dropped,
      sampledOut: this.#recorder.sampledOutCalls,
      inFlight: this.#inFlight.size + this.#recorder.pendingCalls,
      abandoned: this.#abandoned,
      unknownCompletions: this.#unknown,
      errors: this.#errors,
      buffered: this.#buffer.size,
    };
  }

  /** Asks every subscriber to flush; resolves when all have (a failing one goes to the error handler). */
  async flush(): Promise<void> {
    await this.#each('flush', 'subscriber-flush');
  }

  /**
   * Flushes and shuts down every subscriber, then stops tracking (calls become pass-through).
   * Safe to call twice: the second call returns the first one's promise.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      await this.#each('flush', 'subscriber-flush');
      await this.#each('shutdown', 'subscriber-shutdown');
      this.#recorder.enabled = false;
    })();
    return this.#shutdown;
  }

  /** Clears records, in-flight executions, counters and subscribers, and re-applies the constructor's `enabled`. */
  reset(): void {
    this.#buffer.clear();
    this.#inFlight.clear();
    this.#subscribers = [];
    this.#recorded = this.#dropped = this.#recorder.sampledOutCalls = this.#recorder.pendingCalls = 0;
    this.#abandoned = this.#unknown = this.#errors = 0;
    this.#diagnostics.reset();
    this.#shutdown = undefined;
    this.#recorder.enabled = this.#options.enabled ?? true;
  }

  async #each(method: 'flush' | 'shutdown', source: CollectorErrorSource): Promise<void> {
    const results = await Promise.allSettled(
      this.#subscribers.map(async (s) => {
        const fn = s[method];
        if (typeof fn === 'function') await fn.call(s);
      }),
    );
    for (const r of results) if (r.status === 'rejected') this.#reportError(r.reason, source);
  }

  // ---- the seed's manual API --------------------------------------------------------------

  /**
   * Starts timing a tool call by hand; returns the id to complete it with. Executions never
   * completed are abandoned after `inFlightTtlMs` or when more than `maxInFlight` are open.
   * When the collector is disabled, returns an id whose completion is ignored.
   */
  startToolExecution(toolId: string, sessionId?: string, messageId?: string, input?: unknown): string {
    if (typeof toolId !== 'string' || toolId.length === 0) {
      throw new TypeError(`startToolExecution: toolId must be a non-empty string, got ${describe(toolId)}`);
    }
    const id = this.#nextId();
    if (!this.#recorder.enabled) return id;
    let inputSize: number | undefined;
    let inputSizeCapped: boolean | undefined;
    if (this.#trackInputOutput && input !== undefined) {
      inputSize = this.#sizer.estimate(input);
      if (this.#sizer.capped) inputSizeCapped = true;
    }
    this.#inFlight.set(id, {
      toolId,
      sessionId: typeof sessionId === 'string' && sessionId.length > 0 ? sessionId : this.defaultSessionId,
      messageId: typeof messageId === 'string' ? messageId : undefined,
      inputSize,
      inputSizeCapped,
      memoryStart: this.#trackMemory ? this.#memory() : undefined,
      start: this.#clock.now(),
    });
    return id;
  }

  /**
   * Completes an execution started with {@link startToolExecution}; returns its record, or
   * `undefined` when the id is unknown (never started, completed already, or abandoned).
   */
  completeToolExecution(executionId: string, success: boolean, output?: unknown, error?: unknown): ToolExecutionMetrics | undefined {
    const end = this.#clock.now();
    const f = this.#inFlight.get(executionId);
    if (f === undefined) {
      if (this.#recorder.enabled) this.#unknown++;
      return undefined;
    }
    this.#inFlight.delete(executionId);
    const memoryUsed = f.memoryStart === undefined ? undefined : this.#memory() - f.memoryStart;
    let outputSize: number | undefined;
    let outputSizeCapped: boolean | undefined;
    if (this.#trackInputOutput && output !== undefined && output !== null) {
      outputSize = this.#sizer.estimate(output);
      if (this.#sizer.capped) outputSizeCapped = true;
    }
    const ok = success === true;
    const d = createDraft();
    d.id = executionId;
    d.toolId = f.toolId;
    d.sessionId = f.sessionId;
    d.messageId = f.messageId;
    d.start = f.start;
    d.end = end;
    d.success = ok;
    d.failure = ok ? undefined : error === undefined ? new Error('failed') : error;
    d.inputSize = f.inputSize;
    d.inputSizeCapped = f.inputSizeCapped;
    d.outputSize = outputSize;
    d.outputSizeCapped = outputSizeCapped;
    d.memoryUsed = memoryUsed;
    const record = this.#build(d);
    this.#publish(record);
    return record;
  }

  /**
   * Records a call measured elsewhere (e.g. from a framework's own timestamps). Times are epoch
   * milliseconds; `duration` defaults to `endTime - startTime`.
   */
  recordExecution(
    input: Omit<ToolExecutionMetrics, 'id' | 'sampleWeight' | 'duration'> & { duration?: number; sampleWeight?: number },
  ): ToolExecutionMetrics | undefined {
    checkExecutionInput(input);
    if (!this.#recorder.enabled) return undefined;
    const d = createDraft();
    d.toolId = input.toolId;
    d.sessionId = input.sessionId || this.defaultSessionId;
    d.messageId = input.messageId;
    d.callId = input.callId;
    d.start = input.startTime;
    d.end = input.endTime;
    d.timeOrigin = 0;
    d.duration = input.duration;
    d.success = input.success;
    d.preformatted = true;
    d.error = input.error;
    d.errorType = input.errorType;
    d.inputSize = input.inputSize;
    d.inputSizeCapped = input.inputSizeCapped;
    d.outputSize = input.outputSize;
    d.outputSizeCapped = input.outputSizeCapped;
    d.inputHash = input.inputHash;
    d.memoryUsed = input.memoryUsed;
    d.sampleWeight = input.sampleWeight ?? 1;
    d.untimed = input.untimed;
    d.metadata = input.metadata;
    d.links = input;
    const record = this.#build(d);
    this.#publish(record);
    return record;
  }

  /**
   * Counts calls that an integration sampled out itself (one that records framework events with
   * {@link recordExecution} and decides sampling there); they show in `stats().sampledOut`.
   */
  countSampledOut(calls = 1): void {
    checkInteger('countSampledOut', 'calls', calls, 0);
    if (this.#recorder.enabled) this.#recorder.sampledOutCalls += calls;
  }

  // ---- the recorder instrumentation records through (kept off the class's public surface) ---

  /** The heap size, or NaN when `allowMemory` is false or the heap source stands still (no memory recorded). */
  #heapSize(): number {
    if (this.#allowMemory) return this.#memory();
    if (this.#memoryStill) this.#warnMemoryStill();
    return Number.NaN;
  }

  #warnMemoryStill(): void {
    this.#diagnostics.warnOnce(
      'memory-still',
      `trackMemory: the heap size does not move in this runtime (${typeof process.versions.bun === 'string' ? `Bun ${process.versions.bun}` : 'v8.getHeapStatistics() is constant'}); records leave memoryUsed out instead of reporting 0`,
    );
  }

  #reportError(error: unknown, source: CollectorErrorSource): void {
    this.#errors++;
    this.#diagnostics.report(
      error,
      source,
      (e) =>
        `perftrack: a ${source} failed (${errorType(e)}: ${errorMessage(e)}); the tool was not affected. ` +
        'Further errors of this kind are counted in stats().errors without a warning.',
    );
  }

  /**
   * The one record builder: every record (tracked calls, manual completions, calls recorded
   * elsewhere) is made here from its draft. Two object shapes, each built field by field in one
   * order so subscribers' property reads stay monomorphic: the compact one when the draft carries
   * no measurement beyond time and outcome (the default configuration's, small and fast to make),
   * else the full one. The draft is read before any user code runs (an error's `message` getter),
   * since instrumentation may reuse one draft object for every call.
   */
  #build(d: RecordDraft): ToolExecutionMetrics {
    // The session id rule, checked where the record is built so the warning names its source.
    if (d.sessionId !== this.#sessionIds.lastGood) this.#sessionIds.check(d.sessionId, d.toolId, d);
    const start = d.start;
    const end = d.end;
    if (
      end - start >= 0 &&
      end - start < Infinity &&
      d.preformatted !== true &&
      d.untimed === undefined &&
      d.links === undefined &&
      d.inputSize === undefined &&
      d.outputSize === undefined &&
      d.memoryUsed === undefined &&
      d.inputHash === undefined
    ) {
      return this.#compactRecord(d);
    }
    return this.#fullRecord(d);
  }

  /** The compact shape: time and outcome only (the default configuration's records). */
  #compactRecord(d: RecordDraft): ToolExecutionMetrics {
    const { toolId, sessionId, messageId, callId, success, failure, sampleWeight, metadata } = d;
    const id = d.id ?? this.#nextId();
    const origin = d.timeOrigin ?? this.#timeOrigin;
    const startTime = origin + d.start;
    const endTime = origin + d.end;
    const duration = d.duration ?? d.end - d.start;
    if (success) return { id, toolId, sessionId, messageId, callId, startTime, endTime, duration, success, sampleWeight, metadata };
    return {
      id,
      toolId,
      sessionId,
      messageId,
      callId,
      startTime,
      endTime,
      duration,
      success,
      error: errorMessage(failure),
      errorType: errorType(failure),
      sampleWeight,
      metadata,
    };
  }

  /** The full shape: every measurement, links, preformatted errors and the clock rule. */
  #fullRecord(d: RecordDraft): ToolExecutionMetrics {
    const { toolId, sessionId, messageId, callId, success, failure, sampleWeight, metadata } = d;
    const { inputSize, inputSizeCapped, outputSize, outputSizeCapped, inputHash, memoryUsed, links } = d;
    const formatted = d.preformatted === true;
    const error = formatted ? d.error : undefined;
    const type = formatted ? d.errorType : undefined;
    const id = d.id ?? this.#nextId();
    let start = d.start;
    let end = d.end;
    let untimed = d.untimed;
    if (!(end - start >= 0 && end - start < Infinity)) {
      // The clock misbehaved (NaN, Infinity, or it went backwards): see #finiteReading.
      start = end = this.#finiteReading(start, end);
      untimed = true;
    }
    const origin = d.timeOrigin ?? this.#timeOrigin;
    const duration = d.duration ?? end - start;
    return {
      id,
      toolId,
      sessionId,
      messageId,
      callId,
      startTime: origin + start,
      endTime: origin + end,
      duration,
      success,
      error: formatted ? error : success ? undefined : errorMessage(failure),
      errorType: formatted ? type : success ? undefined : errorType(failure),
      inputSize,
      inputSizeCapped,
      outputSize,
      outputSizeCapped,
      inputHash,
      memoryUsed,
      sampleWeight,
      untimed,
      metadata,
      parentCallId: links?.parentCallId,
      parentSessionId: links?.parentSessionId,
      runId: links?.runId,
    };
  }

  #publish(record: ToolExecutionMetrics): void {
    this.#recorded++;
    if (this.#buffer.push(record)) {
      if (this.#dropped++ === 0) {
        this.#diagnostics.warnOnce(
          'dropped',
          `perftrack: more than maxMetrics (${this.#buffer.capacity}) records; the oldest are being overwritten ` +
            '(counted in stats().dropped). Subscribers still receive every record.',
        );
      }
    }
    const subs = this.#subscribers;
    for (let i = 0; i < subs.length; i++) {
      try {
        (subs[i] as MetricsSubscriber).onMetric(record);
      } catch (e) {
        this.#reportError(e, 'subscriber');
      }
    }
  }

  /**
   * The rule for a clock reading that cannot time a call (a custom clock returning NaN or
   * Infinity, or stepping backwards): the record is kept as `untimed` (duration 0, endTime =
   * startTime), started at the first finite reading (else the wall clock now), and one warning
   * says so. Durations therefore never go negative and every number stays finite.
   */
  #finiteReading(start: number, end: number): number {
    this.#diagnostics.warnOnce(
      'clock',
      `perftrack: the clock gave a reading that cannot time a call (start ${start}, end ${end}); such calls are recorded as untimed with duration 0`,
    );
    if (Number.isFinite(start)) return start;
    if (Number.isFinite(end)) return end;
    return Date.now() - this.#timeOrigin;
  }

  /** `<random prefix>-<block><3 digits>`: unique per collector, never reused, no number formatting per id. */
  #nextId(): string {
    const i = this.#seq++ % 1000;
    if (i === 0 && this.#seq > 1) this.#idBlock = this.#idPrefix + String((this.#seq - 1) / 1000);
    return this.#idBlock + (ID_SUFFIXES[i] as string);
  }
}

Object.defineProperty(MetricsCollector.prototype, COLLECTOR_BRAND, { value: VERSION });
// Tracked calls made before anyone asks for the default collector create it, as the static API does.
provideDefaultRecorder(() => MetricsCollector.default);
