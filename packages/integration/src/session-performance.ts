import { AnalyticsEngine, type SessionFigures } from '@perftrack/analytics';
import { MetricsCollector, type BatchSink, type MetricsSubscriber, type RecordBatch, type ToolExecutionMetrics } from '@perftrack/core';
import { checkInteger, foldToolId, SessionLru, sharedDefault } from '@perftrack/core/internal';
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
  /**
   * Sessions tracked at most; the least recently active is forgotten first. Default 1,000. With
   * `engine`, the engine's own `maxSessions` bounds the figures, and this the tracker objects kept.
   */
  maxSessions?: number;
  /** Tool ids remembered in {@link SessionTracker.lastTools}. Default 10. With `engine`, the engine's `sessionRecentTools` (not allowed here). */
  lastTools?: number;
  /** Distinct tools per session; further ones are counted under `"(other)"`. Default 100. */
  maxToolsPerSession?: number;
  /**
   * Runs before every read of a tracker, so a queue upstream can hand over what it holds first:
   * fed by a `RecordPipeline` ({@link SessionPerformance.onBatch}), `beforeRead: () => pipeline.deliver()`
   * keeps every tracker a live view of every call made so far. Not with `engine` (give the engine its own).
   */
  beforeRead?: () => void;
  /**
   * The analytics engine whose per-session figures the trackers show (the integration passes its
   * own): the trackers are then a view over it, nothing is counted twice, and this instance's
   * `onMetric`/`onBatch` do nothing (the engine is fed where it is subscribed). Default: an engine
   * of its own (no sequence analysis), fed by `onMetric`/`onBatch`.
   */
  engine?: AnalyticsEngine;
}

/**
 * A live view of one session: every tracked call updates it, so a reference kept by the agent
 * always shows the current figures. Get one from {@link SessionPerformance.getTracker}. It holds
 * no figures of its own: each read is one of the analytics engine's per-session figures.
 */
export class SessionTracker {
  readonly sessionId: string;
  readonly #engine: AnalyticsEngine;
  readonly #maxTools: number;

  /** @internal */
  constructor(sessionId: string, engine: AnalyticsEngine, maxTools: number) {
    this.sessionId = sessionId;
    this.#engine = engine;
    this.#maxTools = maxTools;
  }

  /** The engine's figures of this session now (after upstream queues delivered), or `undefined` before its first call. */
  #figures(): SessionFigures | undefined {
    return this.#engine.sessionFigures(this.sessionId);
  }

  /** Records seen (sampled-out successes are not seen; see {@link estimatedCalls}). */
  get calls(): number {
    return this.#figures()?.count ?? 0;
  }
  /** Estimated calls: each record weighs `1 / sampleRate`. */
  get estimatedCalls(): number {
    return this.#figures()?.weighted ?? 0;
  }
  /** Failed calls (failures are never sampled out). */
  get failures(): number {
    return this.#figures()?.failures ?? 0;
  }
  /** Estimated share of calls that failed, 0..1. */
  get errorRate(): number {
    const f = this.#figures();
    return f === undefined || f.weighted === 0 ? 0 : f.failW / f.weighted;
  }
  /** Estimated ms spent in tools (timed calls, weighted). */
  get totalDuration(): number {
    return this.#figures()?.busyMs ?? 0;
  }
  /** Mean ms per timed call. */
  get averageDuration(): number {
    const f = this.#figures();
    return f === undefined || f.timedW === 0 ? 0 : f.busyMs / f.timedW;
  }
  /** Epoch ms of the first call's start, or `null` before any call. */
  get firstCallAt(): number | null {
    const f = this.#figures();
    return f === undefined || f.count === 0 || !Number.isFinite(f.firstStart) ? null : f.firstStart;
  }
  /** Epoch ms of the latest call's end, or `null` before any call. */
  get lastCallAt(): number | null {
    const f = this.#figures();
    return f === undefined || f.count === 0 || !Number.isFinite(f.lastEnd) ? null : f.lastEnd;
  }
  /** The most recent tool ids, oldest first. */
  get lastTools(): readonly string[] {
    return this.#figures()?.recentTools() ?? [];
  }
  /** The latest failure, if any. */
  get lastFailure(): SessionFailure | undefined {
    const m = this.#figures()?.lastFailed;
    return m === undefined ? undefined : { toolId: m.toolId, errorType: m.errorType, message: m.error, at: m.endTime };
  }
  /** Per-tool figures, most called first; past `maxToolsPerSession` (first seen kept) under `"(other)"`. */
  get tools(): Readonly<Record<string, SessionToolSummary>> {
    const folded = new Map<string, { calls: number; estimatedCalls: number; failures: number; totalDuration: number }>();
    for (const [toolId, t] of this.#figures()?.tools ?? []) {
      const key = foldToolId(folded, toolId, this.#maxTools);
      const into = folded.get(key);
      if (into === undefined) {
        folded.set(key, { calls: t.count, estimatedCalls: t.weighted, failures: t.failures, totalDuration: t.totalMs });
      } else {
        into.calls += t.count;
        into.estimatedCalls += t.weighted;
        into.failures += t.failures;
        into.totalDuration += t.totalMs;
      }
    }
    return Object.fromEntries([...folded.entries()].sort((a, b) => b[1].estimatedCalls - a[1].estimatedCalls));
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
 * Per-session live views, as the seed's `SessionPerformance` module gave them, over an analytics
 * engine's per-session figures: subscribe it to a collector (then it feeds an engine of its own),
 * or give it the engine that is fed (the integration does). Bounded: the least recently active
 * sessions are forgotten first.
 *
 * @example
 * const tracker = SessionPerformance.getTracker(sessionId);
 * // … tools run …
 * console.log(tracker.calls, tracker.errorRate, tracker.lastTools);
 */
export class SessionPerformance implements MetricsSubscriber, BatchSink {
  readonly #engine: AnalyticsEngine;
  /** Whether {@link #engine} is this instance's own (fed and reset by it). */
  readonly #owned: boolean;
  /** Tracker objects handed out, so `getTracker` gives the same one while the session is live. */
  readonly #trackers: SessionLru<SessionTracker>;
  readonly #maxTools: number;

  constructor(options: SessionPerformanceOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('SessionPerformance: options must be an object');
    const max = positiveInt('maxSessions', options.maxSessions, 1000);
    const recent = positiveInt('lastTools', options.lastTools, 10, 0);
    this.#maxTools = positiveInt('maxToolsPerSession', options.maxToolsPerSession, 100, 2);
    const { beforeRead, engine } = options;
    if (beforeRead !== undefined && typeof beforeRead !== 'function')
      throw new TypeError('SessionPerformance: beforeRead must be a function');
    if (engine !== undefined) {
      if (!(engine instanceof AnalyticsEngine)) throw new TypeError('SessionPerformance: engine must be an AnalyticsEngine');
      if (options.lastTools !== undefined || beforeRead !== undefined)
        throw new TypeError("SessionPerformance: with engine, lastTools and beforeRead are the engine's options");
    }
    this.#owned = engine === undefined;
    this.#engine =
      engine ??
      new AnalyticsEngine({
        patterns: false,
        maxSessions: max,
        sessionRecentTools: recent,
        ...(beforeRead !== undefined ? { beforeRead } : {}),
      });
    this.#trackers = new SessionLru<SessionTracker>('SessionPerformance', max);
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

  /** Updates the record's session (subscriber entry point); nothing with a given `engine`. */
  onMetric(m: ToolExecutionMetrics): void {
    if (this.#owned) this.#engine.onMetric(m);
  }

  /** Updates the sessions of a batch a `RecordPipeline` prepared (sink entry point); nothing with a given `engine`. */
  onBatch(batch: RecordBatch): void {
    if (this.#owned) this.#engine.onBatch(batch);
  }

  /** The live view of `sessionId`, empty while the session has no call yet (it fills in as calls come). */
  getTracker(sessionId: string): SessionTracker {
    if (typeof sessionId !== 'string' || sessionId.length === 0) {
      throw new TypeError(
        `SessionPerformance.getTracker: sessionId must be a non-empty string, got ${typeof sessionId === 'string' ? '""' : typeof sessionId}`,
      );
    }
    return this.#trackers.getOrCreate(sessionId, () => new SessionTracker(sessionId, this.#engine, this.#maxTools));
  }

  /** Whether `sessionId` has figures now. */
  has(sessionId: string): boolean {
    return this.#engine.hasSession(sessionId);
  }

  /** Tracked session ids, least recently active first. */
  sessions(): string[] {
    return this.#engine.sessions();
  }

  /** Sessions tracked and forgotten. */
  stats(): { sessions: number; evicted: number } {
    const s = this.#engine.stats();
    return { sessions: s.liveSessions, evicted: s.evictedSessions };
  }

  /** Forgets every session (and, when the engine is this instance's own, its figures). */
  reset(): void {
    this.#trackers.clear();
    if (this.#owned) this.#engine.reset();
  }
}
