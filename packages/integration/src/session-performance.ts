import {
  isTimed,
  isUsableRecord,
  MetricsCollector,
  weightOf,
  type BatchSink,
  type MetricsSubscriber,
  type RecordBatch,
  type ToolExecutionMetrics,
} from '@perftrack/core';
import { checkInteger, sharedDefault } from '@perftrack/core/internal';
import { VERSION } from './version';

/** One tool's share of a session, as {@link SessionTracker.tools} gives it. */
export interface SessionToolSummary {
  /** Records seen. */
  readonly calls: number;
  /** Estimated calls (sum of sample weights). */
  readonly estimatedCalls: number;
  readonly failures: number;
  /** Estimated ms spent in the tool (timed calls, weighted). */
  readonly totalDuration: number;
}

/** The latest failure of a session. */
export interface SessionFailure {
  readonly toolId: string;
  readonly errorType: string | undefined;
  readonly message: string | undefined;
  /** Epoch ms of the call's end. */
  readonly at: number;
}

/** A plain, JSON-safe copy of a {@link SessionTracker} at one moment. */
export interface SessionTrackerSnapshot {
  readonly sessionId: string;
  readonly calls: number;
  readonly estimatedCalls: number;
  readonly failures: number;
  readonly errorRate: number;
  readonly totalDuration: number;
  readonly averageDuration: number;
  readonly firstCallAt: number | null;
  readonly lastCallAt: number | null;
  readonly lastTools: readonly string[];
  readonly lastFailure: SessionFailure | undefined;
  readonly tools: Readonly<Record<string, SessionToolSummary>>;
}

/** Options of {@link SessionPerformance}. */
export interface SessionPerformanceOptions {
  /** Sessions tracked at most; the least recently active is forgotten first. Default 1,000. */
  maxSessions?: number;
  /** Tool ids remembered in {@link SessionTracker.lastTools}. Default 10. */
  lastTools?: number;
  /** Distinct tools per session; further ones are counted under `"(other)"`. Default 100. */
  maxToolsPerSession?: number;
  /**
   * Runs before every read of a tracker, so a queue upstream can hand over what it holds first:
   * fed by a `RecordPipeline` ({@link SessionPerformance.onBatch}), `beforeRead: () => pipeline.deliver()`
   * keeps every tracker a live view of every call made so far.
   */
  beforeRead?: () => void;
}

const noop = (): void => {};

const OTHER = '(other)';

/**
 * A live view of one session: every tracked call updates it, so a reference kept by the agent
 * always shows the current figures. Get one from {@link SessionPerformance.getTracker}.
 */
export class SessionTracker {
  readonly sessionId: string;
  #calls = 0;
  #estimated = 0;
  #failures = 0;
  #failW = 0;
  #timeMs = 0;
  #timedW = 0;
  #first = Number.POSITIVE_INFINITY;
  #last = Number.NEGATIVE_INFINITY;
  readonly #recent: string[] = [];
  readonly #recentMax: number;
  readonly #maxTools: number;
  readonly #tools = new Map<string, { calls: number; estimatedCalls: number; failures: number; totalDuration: number }>();
  #lastFailure: SessionFailure | undefined;
  readonly #sync: () => void;

  /** @internal */
  constructor(sessionId: string, recentMax: number, maxTools: number, sync: () => void = noop) {
    this.sessionId = sessionId;
    this.#sync = sync;
    this.#recentMax = recentMax;
    this.#maxTools = maxTools;
  }

  /** Records seen (sampled-out successes are not seen; see {@link estimatedCalls}). */
  get calls(): number {
    this.#sync();
    return this.#calls;
  }
  /** Estimated calls: each record weighs `1 / sampleRate`. */
  get estimatedCalls(): number {
    this.#sync();
    return this.#estimated;
  }
  /** Failed calls (failures are never sampled out). */
  get failures(): number {
    this.#sync();
    return this.#failures;
  }
  /** Estimated share of calls that failed, 0..1. */
  get errorRate(): number {
    this.#sync();
    return this.#estimated === 0 ? 0 : this.#failW / this.#estimated;
  }
  /** Estimated ms spent in tools (timed calls, weighted). */
  get totalDuration(): number {
    this.#sync();
    return this.#timeMs;
  }
  /** Mean ms per timed call. */
  get averageDuration(): number {
    this.#sync();
    return this.#timedW === 0 ? 0 : this.#timeMs / this.#timedW;
  }
  /** Epoch ms of the first call's start, or `null` before any call. */
  get firstCallAt(): number | null {
    this.#sync();
    return this.#calls === 0 ? null : this.#first;
  }
  /** Epoch ms of the latest call's end, or `null` before any call. */
  get lastCallAt(): number | null {
    this.#sync();
    return this.#calls === 0 ? null : this.#last;
  }
  /** The most recent tool ids, oldest first. */
  get lastTools(): readonly string[] {
    this.#sync();
    return [...this.#recent];
  }
  /** The latest failure, if any. */
  get lastFailure(): SessionFailure | undefined {
    this.#sync();
    return this.#lastFailure;
  }
  /** Per-tool figures, most called first. */
  get tools(): Readonly<Record<string, SessionToolSummary>> {
    this.#sync();
    const sorted = [...this.#tools.entries()].sort((a, b) => b[1].estimatedCalls - a[1].estimatedCalls);
    return Object.fromEntries(sorted.map(([k, v]) => [k, { ...v }]));
  }

  /** A plain copy of every figure, safe to serialise. */
  snapshot(): SessionTrackerSnapshot {
    return {
      sessionId: this.sessionId,
      calls: this.calls,
      estimatedCalls: this.estimatedCalls,
      failures: this.failures,
      errorRate: this.errorRate,
      totalDuration: this.totalDuration,
      averageDuration: this.averageDuration,
      firstCallAt: this.firstCallAt,
      lastCallAt: this.lastCallAt,
      lastTools: this.lastTools,
      lastFailure: this.lastFailure,
      tools: this.tools,
    };
  }

  /** `JSON.stringify(tracker)` gives the snapshot. */
  toJSON(): SessionTrackerSnapshot {
    return this.snapshot();
  }

  /** @internal */
  _add(m: ToolExecutionMetrics): void {
    this._addPrepared(m, m.success === true ? weightOf(m) : 1, isTimed(m));
  }

  /** @internal A usable record whose weight and timed flag a record batch already worked out. */
  _addPrepared(m: ToolExecutionMetrics, w: number, timed: boolean): void {
    const ok = m.success === true;
    this.#calls++;
    this.#estimated += w;
    if (timed) {
      this.#timeMs += m.duration * w;
      this.#timedW += w;
    }
    if (m.startTime < this.#first) this.#first = m.startTime;
    if (m.endTime > this.#last) this.#last = m.endTime;
    let toolId = m.toolId;
    let t = this.#tools.get(toolId);
    if (t === undefined) {
      if (this.#tools.size >= this.#maxTools - 1) toolId = OTHER;
      t = this.#tools.get(toolId);
      if (t === undefined) this.#tools.set(toolId, (t = { calls: 0, estimatedCalls: 0, failures: 0, totalDuration: 0 }));
    }
    t.calls++;
    t.estimatedCalls += w;
    if (timed) t.totalDuration += m.duration * w;
    if (!ok) {
      this.#failures++;
      this.#failW += w;
      t.failures++;
      this.#lastFailure = { toolId: m.toolId, errorType: m.errorType, message: m.error, at: m.endTime };
    }
    if (this.#recentMax > 0) {
      if (this.#recent.length >= this.#recentMax) this.#recent.shift();
      this.#recent.push(m.toolId);
    }
  }
}

const positiveInt = (name: string, v: unknown, fallback: number, min = 1): number =>
  v === undefined ? fallback : checkInteger('SessionPerformance', name, v, min);

/**
 * The default instance (and, when it subscribed itself to the default collector, how to detach
 * it), shared by every copy of this package of one version line (see core's `sharedDefault`).
 */
const defaultSessions = sharedDefault<{ readonly sessions: SessionPerformance; readonly detach?: () => void }>(
  '@perftrack/integration:SessionPerformance',
  VERSION,
);

/**
 * Per-session live views, as the seed's `SessionPerformance` module gave them: subscribe it to
 * a collector (the integration does) and every tracked call updates its session's
 * {@link SessionTracker}. Bounded: the least recently active sessions are forgotten first.
 *
 * @example
 * const tracker = SessionPerformance.getTracker(sessionId);
 * // … tools run …
 * console.log(tracker.calls, tracker.errorRate, tracker.lastTools);
 */
export class SessionPerformance implements MetricsSubscriber, BatchSink {
  readonly #trackers = new Map<string, SessionTracker>();
  readonly #max: number;
  readonly #recent: number;
  readonly #maxTools: number;
  #evicted = 0;
  #last: SessionTracker | undefined;
  readonly #sync: () => void;
  #reading = false;

  constructor(options: SessionPerformanceOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('SessionPerformance: options must be an object');
    this.#max = positiveInt('maxSessions', options.maxSessions, 1000);
    this.#recent = positiveInt('lastTools', options.lastTools, 10, 0);
    this.#maxTools = positiveInt('maxToolsPerSession', options.maxToolsPerSession, 100, 2);
    const beforeRead = options.beforeRead;
    if (beforeRead !== undefined && typeof beforeRead !== 'function')
      throw new TypeError('SessionPerformance: beforeRead must be a function');
    this.#sync =
      beforeRead === undefined
        ? noop
        : () => {
            if (this.#reading) return;
            this.#reading = true;
            try {
              beforeRead();
            } finally {
              this.#reading = false;
            }
          };
  }

  /**
   * The instance the static methods use. Created on first use and subscribed to
   * {@link MetricsCollector.default}; `PerformanceIntegration.initialize()` replaces it with its own.
   */
  static get default(): SessionPerformance {
    let entry = defaultSessions.get();
    if (entry === undefined) {
      const sessions = new SessionPerformance();
      defaultSessions.set((entry = { sessions, detach: MetricsCollector.default.subscribe(sessions) }));
    }
    return entry.sessions;
  }

  /** Replaces the default instance (subscribing it is the caller's business); returns the previous one. */
  static setDefault(sessions: SessionPerformance | undefined): SessionPerformance | undefined {
    if (sessions !== undefined && !(sessions instanceof SessionPerformance))
      throw new TypeError('SessionPerformance.setDefault: expected a SessionPerformance');
    const previous = defaultSessions.get();
    previous?.detach?.();
    defaultSessions.set(sessions === undefined ? undefined : { sessions });
    return previous?.sessions;
  }

  /** {@link SessionPerformance.getTracker} on the default instance. */
  static getTracker(sessionId: string): SessionTracker {
    return SessionPerformance.default.getTracker(sessionId);
  }

  /** Forgets the default instance's sessions; for tests' teardown. */
  static reset(): void {
    defaultSessions.get()?.sessions.reset();
  }

  /** Updates the record's session (subscriber entry point). */
  onMetric(m: ToolExecutionMetrics): void {
    if (!isUsableRecord(m)) return;
    const last = this.#last;
    (last !== undefined && last.sessionId === m.sessionId ? last : this.#touch(m.sessionId))._add(m);
  }

  /** Updates the sessions of a batch a `RecordPipeline` prepared (sink entry point): one tracker lookup per session and batch. */
  onBatch(batch: RecordBatch): void {
    const { records, weights, timed, sessionIndex } = batch;
    // A tracker found earlier in this batch is still current unless the batch alone touches more sessions than are kept.
    const cached: (SessionTracker | undefined)[] | undefined =
      batch.sessions.length <= this.#max ? new Array<SessionTracker | undefined>(batch.sessions.length) : undefined;
    for (let i = 0; i < batch.length; i++) {
      const m = records[i]!;
      let tracker: SessionTracker | undefined;
      if (cached !== undefined) {
        const s = sessionIndex[i]!;
        tracker = cached[s];
        if (tracker === undefined) tracker = cached[s] = this.#touch(m.sessionId);
      } else {
        const last = this.#last;
        tracker = last !== undefined && last.sessionId === m.sessionId ? last : this.#touch(m.sessionId);
      }
      // failures always weigh 1 here, as in onMetric
      tracker._addPrepared(m, m.success === true ? weights[i]! : 1, timed[i] === 1);
    }
  }

  /** The live view of `sessionId`, created empty when the session has no call yet (it fills in as calls come). */
  getTracker(sessionId: string): SessionTracker {
    if (typeof sessionId !== 'string' || sessionId.length === 0) {
      throw new TypeError(
        `SessionPerformance.getTracker: sessionId must be a non-empty string, got ${typeof sessionId === 'string' ? '""' : typeof sessionId}`,
      );
    }
    this.#sync();
    return this.#touch(sessionId);
  }

  /** Whether `sessionId` is tracked now. */
  has(sessionId: string): boolean {
    this.#sync();
    return this.#trackers.has(sessionId);
  }

  /** Tracked session ids, least recently active first. */
  sessions(): string[] {
    this.#sync();
    return [...this.#trackers.keys()];
  }

  /** Sessions tracked and forgotten. */
  stats(): { sessions: number; evicted: number } {
    this.#sync();
    return { sessions: this.#trackers.size, evicted: this.#evicted };
  }

  /** Forgets every session. */
  reset(): void {
    this.#trackers.clear();
    this.#last = undefined;
    this.#evicted = 0;
  }

  #touch(sessionId: string): SessionTracker {
    let t = this.#trackers.get(sessionId);
    if (t === undefined) {
      t = new SessionTracker(sessionId, this.#recent, this.#maxTools, this.#sync);
      if (this.#trackers.size >= this.#max) {
        this.#trackers.delete(this.#trackers.keys().next().value as string);
        this.#evicted++;
      }
    } else {
      this.#trackers.delete(sessionId);
    }
    this.#trackers.set(sessionId, t);
    this.#last = t;
    return t;
  }
}
