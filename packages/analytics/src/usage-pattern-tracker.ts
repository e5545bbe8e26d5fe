import { isUsableRecord, weightOf, type MetricsSubscriber, type ToolExecutionMetrics } from '@perftrack/core';
import { SessionLru, sharedDefault } from '@perftrack/core/internal';
import { VERSION } from './version';
import { ingestPrepared } from './prepared-ingest';
import { CallHistory, SequenceWalk } from './call-history';
import { CallReorderBuffer } from './call-reorder-buffer';
import { ContextChain } from './context-table';
import { SessionState } from './tracker-session-state';
import { ContextTrie, ToolFrequency } from './context-trie';
import { ErrorTextMemo, wilsonLowerBound } from './evidence';
import { NextToolPredictor, RecentCalls, type FeatureSink } from './next-tool-predictor';
import { LogLinearNextTool } from './next-tool-log-linear';
import { RecallCounts } from './next-tool-recall-counts';
import { PositionFrequency } from './next-tool-ranker';
import { EndingCall, SequenceTrie, type SequenceStats } from './sequence-trie';
import { SessionSequenceTable } from './session-sequence-table';
import { containsSequence, sessionPattern } from './session-patterns';
import { resolveTrackerOptions } from './usage-pattern-options';
import { ToolRegistry } from './tool-registry';
import { TopK, checkLimit } from './top-k';
import type {
  ErrorPatternQuery,
  ErrorPronePattern,
  PatternQuery,
  SequencePattern,
  SequenceStep,
  ToolPrediction,
  UsagePatternStats,
  UsagePatternTrackerOptions,
} from './usage-pattern-types';

/** The default instance, shared by every copy of this package of one version line (see core's `sharedDefault`). */
const defaultTracker = sharedDefault<UsagePatternTracker>('@perftrack/analytics:UsagePatternTracker', VERSION);

/**
 * Learns which tools follow which, per session and in call order, incrementally: every
 * contiguous sequence of 2..N calls is counted exactly once (weighted by the product of its
 * calls' `sampleWeight`s), next-tool predictions come from a variable-order model adapted to
 * the session's own recent calls and re-ranked by a small trained ranker, and sequences whose last call often fails are reported with
 * their evidence.
 *
 * It is a core subscriber: `collector.subscribe(tracker)`. Each record costs O(N) (N ≤ 8), with
 * no scan of history; a prediction costs O(N + `sessionHistory`) whatever the sequence length;
 * memory is bounded by the options.
 *
 * Sampling: a sampled-out call is invisible here, so its neighbours look adjacent and a
 * sequence through it is missed (and a phantom one counted). Keep tools whose sequences you
 * care about at `sampleRate` 1.
 *
 * @example
 * const tracker = new UsagePatternTracker();
 * collector.subscribe(tracker);
 * tracker.getMostCommonPatterns(10);
 * tracker.predictNextTools(['read', 'grep'], 3); // [{ toolId: 'edit', probability: 0.61, support: 40, order: 2 }, …]
 * tracker.getErrorPronePatterns(); // [{ kind: 'absolute', sequence: ['read', 'grep', 'edit'], errorRate: 0.33, … }]
 */
export class UsagePatternTracker implements MetricsSubscriber {
  readonly #maxLength: number;
  readonly #reorderWindow: number;
  readonly #maxSessionPatterns: number;
  readonly #historyLength: number;
  readonly #outcomeAware: boolean;

  readonly #tools: ToolRegistry;
  readonly #toolCalls: Float64Array;
  readonly #toolFailures: Float64Array;
  readonly #frequency: ToolFrequency;
  readonly #positions: PositionFrequency;
  readonly #recall: RecallCounts;
  readonly #followed: RecallCounts;
  readonly #logLinear: LogLinearNextTool;
  readonly #sequences: SequenceTrie;
  /** Contexts by tool only: what the seed's tool-names-only call uses. */
  readonly #contexts: ContextTrie;
  /** Contexts by tool and outcome (when `outcomeAware`). */
  readonly #outcomeContexts: ContextTrie | undefined;
  readonly #predictor: NextToolPredictor;
  readonly #recent: RecentCalls;
  readonly #walk: SequenceWalk;
  readonly #call = new EndingCall();
  readonly #errorTexts = new ErrorTextMemo();

  readonly #sessions: SessionLru<SessionState>;
  readonly #withPending = new Set<SessionState>();
  #sessionSerial = 0;
  /** The last evicted session, whose history and table the next new session reuses. */
  #spare: SessionState | undefined;
  #lastSession: SessionState | undefined;

  #records = 0;
  #lateRecords = 0;
  #duplicates = 0;
  #invalid = 0;
  #beforeRead: (() => void) | undefined;
  /** The record an engine has just prepared, and its normalised error text (see `[ingestPrepared]`). */
  #preparedRecord: ToolExecutionMetrics | undefined;
  #preparedText = '';

  constructor(options: UsagePatternTrackerOptions = {}) {
    const o = resolveTrackerOptions(options);
    const { maxPatterns, maxTools, sessionHistory, settings } = o;
    this.#maxLength = o.maxSequenceLength;
    this.#sessions = new SessionLru<SessionState>('UsagePatternTracker', o.maxSessions, (session) => this.#forget(session));
    this.#reorderWindow = o.reorderWindow;
    this.#maxSessionPatterns = o.maxSessionPatterns;
    this.#outcomeAware = o.outcomeAware;
    this.#historyLength = Math.max(sessionHistory, this.#maxLength - 1);
    this.#tools = new ToolRegistry(maxTools);
    this.#toolCalls = new Float64Array(maxTools);
    this.#toolFailures = new Float64Array(maxTools);
    this.#frequency = new ToolFrequency(maxTools);
    this.#positions = new PositionFrequency(maxTools);
    this.#recall = new RecallCounts(maxTools);
    this.#followed = new RecallCounts(maxTools, 'followedLast');
    this.#logLinear = new LogLinearNextTool(maxTools);
    this.#sequences = new SequenceTrie(maxPatterns, this.#maxLength - 1);
    // the outcome-free contexts' counts are the sequence trie's weighted counts: one table serves both
    this.#contexts = new ContextTrie(this.#sequences.table);
    this.#outcomeContexts = this.#outcomeAware ? ContextTrie.create(maxPatterns, true, this.#maxLength - 1) : undefined;
    this.#predictor = new NextToolPredictor(maxTools, sessionHistory, settings, this.#recall, this.#followed, this.#logLinear);
    this.#recent = new RecentCalls(sessionHistory, maxTools);
    this.#walk = new SequenceWalk(this.#maxLength - 1);
  }

  // ---- default instance (the seed's static style) ----

  /** The instance the static methods use; created on first use. */
  static get default(): UsagePatternTracker {
    let tracker = defaultTracker.get();
    if (tracker === undefined) defaultTracker.set((tracker = new UsagePatternTracker()));
    return tracker;
  }
  /** Replaces the default instance (e.g. with one configured by the integration). */
  static setDefault(tracker: UsagePatternTracker): void {
    if (!(tracker instanceof UsagePatternTracker)) throw new TypeError('UsagePatternTracker.setDefault: expected a UsagePatternTracker');
    defaultTracker.set(tracker);
  }
  /** Clears the default instance's state (for tests). */
  static reset(): void {
    defaultTracker.get()?.reset();
  }
  /** {@link UsagePatternTracker.getMostCommonPatterns} on the default instance. */
  static getMostCommonPatterns(limit?: number, query?: PatternQuery): SequencePattern[] {
    return UsagePatternTracker.default.getMostCommonPatterns(limit, query);
  }
  /** {@link UsagePatternTracker.predictNextTools} on the default instance. */
  static predictNextTools(sequence: readonly SequenceStep[], limit?: number): ToolPrediction[] {
    return UsagePatternTracker.default.predictNextTools(sequence, limit);
  }
  /** {@link UsagePatternTracker.getErrorPronePatterns} on the default instance. */
  static getErrorPronePatterns(query?: ErrorPatternQuery): ErrorPronePattern[] {
    return UsagePatternTracker.default.getErrorPronePatterns(query);
  }

  /** The longest sequence length counted (N). */
  get maxSequenceLength(): number {
    return this.#maxLength;
  }

  // ---- ingestion ----

  /**
   * @internal The normalised error text of a failed record its engine hands to {@link onMetric}
   * next; it then travels with the record until it is committed, so the message is normalised once.
   */
  [ingestPrepared](metric: ToolExecutionMetrics, errorText: string): void {
    this.#preparedRecord = metric;
    this.#preparedText = errorText;
  }

  /** Counts one record (subscriber entry point). Never throws for a malformed record: it is counted in `stats().invalid`. */
  onMetric(metric: ToolExecutionMetrics): void {
    if (!isUsableRecord(metric)) {
      this.#invalid++;
      return;
    }
    let errorText: string | undefined;
    if (metric === this.#preparedRecord) {
      errorText = this.#preparedText;
      this.#preparedRecord = undefined;
    }
    this.#accept(metric, errorText);
  }

  /** A usable record, with its normalised error text when known. */
  #accept(metric: ToolExecutionMetrics, errorText: string | undefined): void {
    const session = this.#session(metric.sessionId);
    if (metric.id !== undefined && metric.id === session.lastId) {
      this.#duplicates++;
      return;
    }
    session.lastId = metric.id;
    const pending = session.pending;
    if (pending === undefined) {
      this.#commit(session, metric, errorText);
      return;
    }
    if (pending.size === 0) this.#withPending.add(session);
    const released = pending.push(metric, errorText);
    if (released !== undefined) this.#commit(session, released, pending.releasedText);
  }

  /** @internal Runs before every read, so an owner that defers records (a deferred AnalyticsEngine) can catch up first. */
  _onBeforeRead(hook: (() => void) | undefined): void {
    this.#beforeRead = hook;
  }

  /** Counts every call still held for ordering. Reads do this themselves. */
  settle(): void {
    // clear() allocates a new table even when empty, and every read (each prediction) settles first
    if (this.#withPending.size === 0) return;
    for (const session of this.#withPending) this.#drain(session);
    this.#withPending.clear();
  }

  #drain(session: SessionState): void {
    session.pending?.drain((call, errorText) => this.#commit(session, call, errorText));
  }

  #session(name: string): SessionState {
    const last = this.#lastSession;
    if (last !== undefined && last.name === name) return last;
    let session = this.#sessions.get(name);
    if (session === undefined) {
      // an evicted session's arrays serve the next new one: no allocation per session at steady state
      const spare = this.#spare;
      this.#spare = undefined;
      spare?.history.clear();
      spare?.sequences?.clear();
      spare?.sequenceChain.reset();
      spare?.outcomeChain?.reset();
      session = new SessionState(
        this.#sessionSerial++,
        name,
        spare?.history ?? new CallHistory(this.#historyLength),
        this.#reorderWindow > 0 ? new CallReorderBuffer(this.#reorderWindow) : undefined,
        this.#maxSessionPatterns > 0
          ? (spare?.sequences ?? new SessionSequenceTable(this.#maxSessionPatterns, this.#maxLength))
          : undefined,
        spare?.sequenceChain ?? new ContextChain(this.#maxLength - 1),
        this.#outcomeAware ? (spare?.outcomeChain ?? new ContextChain(this.#maxLength - 1)) : undefined,
      );
      this.#sessions.set(name, session); // past the bound, the least recently active session goes (#forget)
    }
    this.#lastSession = session;
    return session;
  }

  /** A session forgotten for room: its pending calls are counted, its arrays serve the next new session. */
  #forget(session: SessionState): void {
    if (session.pending !== undefined && session.pending.size > 0) {
      this.#drain(session);
      this.#withPending.delete(session);
    }
    if (this.#lastSession === session) this.#lastSession = undefined;
    this.#spare = session;
  }

  #tool(toolId: string): number {
    const before = this.#tools.size;
    const tool = this.#tools.intern(toolId);
    if (this.#tools.size > before) this.#frequency.addTool(tool);
    return tool;
  }

  #commit(session: SessionState, m: ToolExecutionMetrics, preparedError: string | undefined): void {
    this.#records++;
    if (m.startTime < session.lastStart) this.#lateRecords++;
    else session.lastStart = m.startTime;
    const tool = this.#tool(m.toolId);
    const succeeded = m.success === true;
    const timed = m.untimed !== true && Number.isFinite(m.duration);
    const duration = timed ? m.duration : 0;
    const weight = weightOf(m);
    this.#toolCalls[tool]! += weight;
    if (!succeeded) this.#toolFailures[tool]! += weight;

    const history = session.history;
    const depth = Math.min(history.length, this.#maxLength - 1);
    if (depth > 0) {
      const errorText = succeeded || !m.error ? '' : (preparedError ?? this.#errorTexts.normalize(m.error));
      const call = this.#call.set(tool, succeeded, timed, duration, weight, m.errorType, errorText);
      this.#walk.prepare(history, depth, call);
      // the session's own table first: what is new there is a sequence's first time in this session
      const firstInSession = session.sequences?.countEndingWith(this.#walk, call);
      // also the outcome-free contexts' counts (the same table)
      this.#sequences.countEndingWith(session.sequenceChain, history, this.#walk, call, session.serial, firstInSession);
    }
    this.#frequency.add(tool, weight);
    this.#logLinear.enqueue(history, session.calls, tool, weight);
    this.#positions.add(session.calls++, tool, weight);
    this.#recall.count(history, tool, weight);
    this.#followed.count(history, tool, weight);
    if (session.outcomeChain !== undefined) this.#outcomeContexts?.count(session.outcomeChain, history, depth, tool, weight);
    history.push(tool, succeeded, timed, duration, weight);
  }

  // ---- queries ----

  /**
   * The most frequent tool sequences (length 2..N), by estimated count, with the sessions they
   * occurred in, their mean total duration and how often every call in them succeeded.
   */
  getMostCommonPatterns(limit = 10, query: PatternQuery = {}): SequencePattern[] {
    this.#beforeRead?.();
    checkLimit('getMostCommonPatterns', limit);
    const minLength = query.minLength ?? 2;
    const maxLength = query.maxLength ?? this.#maxLength;
    const maximalOnly = query.maximalOnly ?? false;
    this.settle();
    const top = new TopK<SequencePattern>(limit);
    if (query.sessionId !== undefined) {
      const entries = this.#sessions.peek(query.sessionId)?.sequences?.entries() ?? [];
      for (const e of entries) {
        const length = e.tools.length;
        if (length < minLength || length > maxLength || !top.wants(e.weightedCount)) continue;
        if (
          maximalOnly &&
          entries.some(
            (other) => other.tools.length === length + 1 && other.occurrences === e.occurrences && containsSequence(other.tools, e.tools),
          )
        )
          continue;
        const sequence = this.#names(e.tools);
        top.add(e.weightedCount, sequence.join('\u0000'), () => sessionPattern(sequence, e));
      }
      return top.sorted();
    }
    const trie = this.#sequences;
    trie.forEach(minLength, maxLength, (node, last, stats) => {
      if (!top.wants(stats.weightedCount)) return;
      if (maximalOnly && trie.hasEquivalentExtension(node, last, stats, true)) return;
      const sequence = this.#names(trie.sequenceOf(node, last));
      top.add(stats.weightedCount, sequence.join('\u0000'), () => ({
        sequence,
        count: stats.weightedCount,
        occurrences: stats.occurrences,
        sessions: stats.sessions,
        avgDuration: stats.timedWeight > 0 ? stats.weightedDurationSum / stats.timedWeight : null,
        successRate: stats.allSucceededWeight / stats.weightedCount,
      }));
    });
    return top.sorted();
  }

  /**
   * Sequences whose last call often fails, strongest evidence first, each with its rate, the
   * rate's Wilson lower bound, the tool's base rate, the lift and the most common (normalised)
   * errors. By default (`kind: "absolute"`) those whose failure rate is at least
   * `minLowerBound` with 95% confidence, ranked by that bound; with `kind: "lift"` those whose
   * last call fails significantly more often than that tool does overall, ranked by
   * `wilsonLowerBound / baseRate`. A sequence is left out when one with a call more before it
   * has the same occurrences and failures (`maximalOnly`, default on).
   */
  getErrorPronePatterns(query: ErrorPatternQuery = {}): ErrorPronePattern[] {
    this.#beforeRead?.();
    const kind = query.kind ?? 'absolute';
    if (kind !== 'absolute' && kind !== 'lift')
      throw new TypeError(`getErrorPronePatterns: kind must be "absolute" or "lift", got ${String(kind)}`);
    const limit = query.limit ?? 20;
    checkLimit('getErrorPronePatterns', limit);
    const minOccurrences = query.minOccurrences ?? 5;
    const minFailures = query.minFailures ?? 2;
    const minLowerBound = query.minLowerBound ?? 0.1;
    const minLift = query.minLift ?? 1.5;
    const maximalOnly = query.maximalOnly ?? true;
    this.settle();
    const trie = this.#sequences;
    const top = new TopK<ErrorPronePattern>(limit);
    trie.forEach(2, this.#maxLength, (node, last, stats) => {
      if (stats.lastFailures < minFailures || stats.occurrences < minOccurrences) return;
      const errorRate = stats.lastFailedWeight / stats.weightedCount;
      const lower = wilsonLowerBound(errorRate, stats.occurrences);
      const baseRate = this.#toolFailures[last]! / this.#toolCalls[last]!;
      const lift = baseRate > 0 ? errorRate / baseRate : Infinity;
      let score: number;
      if (kind === 'absolute') {
        if (lower < minLowerBound) return;
        score = lower;
      } else {
        if (!(lower > baseRate) || lift < minLift) return;
        score = baseRate > 0 ? lower / baseRate : Infinity;
      }
      if (!top.wants(score)) return;
      if (maximalOnly && trie.hasEquivalentExtension(node, last, stats, false)) return;
      const sequence = this.#names(trie.sequenceOf(node, last));
      top.add(score, sequence.join('\u0000'), () => this.#errorPattern(kind, sequence, stats, errorRate, lower, baseRate, lift));
    });
    return top.sorted();
  }

  #errorPattern(
    kind: ErrorPronePattern['kind'],
    sequence: string[],
    stats: SequenceStats,
    errorRate: number,
    lower: number,
    baseRate: number,
    lift: number,
  ): ErrorPronePattern {
    return {
      kind,
      sequence,
      errorRate,
      count: stats.weightedCount,
      occurrences: stats.occurrences,
      sessions: stats.sessions,
      failures: stats.lastFailures,
      wilsonLowerBound: lower,
      baseRate,
      lift,
      commonErrors: stats.errors?.top(3) ?? [],
    };
  }

  #names(tools: readonly number[]): string[] {
    return tools.map((t) => this.#tools.nameOf(t));
  }

  /**
   * The most likely next tools after `sequence` (oldest first; any length, unknown tools
   * allowed). Tool names alone (the seed's call) use the outcome-free model; steps given as
   * `{ toolId, success }` all through use the outcome-aware one (a failed call is its own
   * context). Only the last `sessionHistory` steps (and the sequence's length, a feature of the
   * ranker) are read, so a long sequence costs no more than a short one. Probabilities sum to at most 1.
   */
  predictNextTools(sequence: readonly SequenceStep[], limit = 5): ToolPrediction[] {
    this.#beforeRead?.();
    checkLimit('predictNextTools', limit);
    if (!Array.isArray(sequence)) throw new TypeError('predictNextTools: sequence must be an array');
    this.settle();
    return this.#predict(this.#fillRecent(sequence), limit);
  }

  /**
   * @internal The ranker's features of each candidate next tool after `sequence` (as
   * {@link predictNextTools} would score them), for training the ranker offline.
   */
  _predictionFeatures(sequence: readonly SequenceStep[]): Array<{ toolId: string; features: number[] }> {
    this.#beforeRead?.();
    this.settle();
    const out: Array<{ toolId: string; features: number[] }> = [];
    this.#predict(this.#fillRecent(sequence), 0, (toolId, features) => out.push({ toolId, features: Array.from(features) }));
    return out;
  }

  /** Loads the last `sessionHistory` steps of `sequence` into the scratch; whether all of them (within the context length) give an outcome. */
  #fillRecent(sequence: readonly SequenceStep[]): boolean {
    const recent = this.#recent;
    recent.clear();
    recent.position = sequence.length;
    const count = Math.min(sequence.length, recent.tools.length);
    const start = sequence.length - count;
    let outcomesGiven = count > 0;
    // the last two distinct names and their indices: sequences repeat and alternate, and a
    // comparison of the same string is cheaper than a map lookup
    let lastId: string | undefined;
    let lastIndex = 0;
    let otherId: string | undefined;
    let otherIndex = 0;
    for (let i = 0; i < count; i++) {
      const step = sequence[start + i];
      const id = typeof step === 'string' ? step : step?.toolId;
      const success = typeof step === 'object' && step !== null ? step.success : undefined;
      if (typeof id !== 'string')
        throw new TypeError(
          `predictNextTools: step ${start + i} must be a tool id or { toolId, success? }, got ${step === null ? 'null' : typeof step}`,
        );
      let index: number;
      if (id === lastId) index = lastIndex;
      else {
        if (id === otherId) index = otherIndex;
        else index = this.#tools.find(id) ?? recent.unseen(id);
        otherId = lastId;
        otherIndex = lastIndex;
        lastId = id;
        lastIndex = index;
      }
      recent.tools[i] = index;
      recent.outcomes[i] = success === true ? 1 : success === false ? 0 : -1;
      if (typeof success !== 'boolean' && i >= count - (this.#maxLength - 1)) outcomesGiven = false;
    }
    recent.length = count;
    return outcomesGiven;
  }

  /** Predicts the next tools of a live session from its own recent calls and their outcomes (see {@link predictNextTools}). */
  predictNextForSession(sessionId: string, limit = 5): ToolPrediction[] {
    this.#beforeRead?.();
    checkLimit('predictNextForSession', limit);
    this.settle();
    const recent = this.#recent;
    recent.clear();
    const history = this.#sessions.peek(sessionId)?.history;
    const count = history === undefined ? 0 : Math.min(history.length, recent.tools.length);
    for (let i = 0; i < count; i++) {
      const slot = history!.slot(count - i);
      recent.tools[i] = history!.tools[slot]!;
      recent.outcomes[i] = history!.succeeded[slot]!;
    }
    recent.length = count;
    recent.position = this.#sessions.peek(sessionId)?.calls ?? 0;
    return this.#predict(true, limit);
  }

  #predict(outcomesGiven: boolean, limit: number, sink?: FeatureSink): ToolPrediction[] {
    const trie = outcomesGiven && this.#outcomeContexts !== undefined ? this.#outcomeContexts : this.#contexts;
    // the log-linear model learns what was taken since the last prediction (only the ranker reads it)
    if (this.#predictor.settings.rankerWeights !== null || sink !== undefined)
      this.#logLinear.learnPending(this.#frequency.order, this.#tools.size);
    return this.#predictor.predict(trie, this.#frequency, this.#positions, this.#tools, this.#recent, this.#maxLength - 1, limit, sink);
  }

  /** Per-tool totals seen by the tracker: estimated calls and failure rate. */
  toolBaseRates(): Array<{ toolId: string; count: number; errorRate: number }> {
    this.#beforeRead?.();
    this.settle();
    return this.#tools.names().map((toolId, t) => ({
      toolId,
      count: this.#toolCalls[t]!,
      errorRate: this.#toolCalls[t]! > 0 ? this.#toolFailures[t]! / this.#toolCalls[t]! : 0,
    }));
  }

  /** Whether the tracker holds live state for `sessionId`. */
  hasSession(sessionId: string): boolean {
    this.#beforeRead?.();
    return this.#sessions.has(sessionId);
  }

  /** Counters: records, bounds reached, what was evicted. */
  stats(): UsagePatternStats {
    this.#beforeRead?.();
    let pending = 0;
    for (const session of this.#withPending) pending += session.pending?.size ?? 0;
    return {
      records: this.#records,
      pending,
      liveSessions: this.#sessions.size,
      evictedSessions: this.#sessions.evicted,
      patterns: this.#sequences.size,
      evictedPatterns: this.#sequences.evicted,
      predictionContexts: this.#contexts.size,
      evictedContexts: this.#contexts.evicted + (this.#outcomeContexts?.evicted ?? 0),
      uncountedRecallPairs: this.#recall.dropped + this.#followed.dropped,
      unlearnedCalls: this.#logLinear.unlearned,
      learningBacklog: this.#logLinear.pending,
      tools: this.#tools.size,
      otherToolRecords: this.#tools.otherToolCalls,
      lateRecords: this.#lateRecords,
      duplicates: this.#duplicates,
      invalid: this.#invalid,
    };
  }

  /** Counts everything held. Nothing is buffered for I/O, so this only settles pending calls. */
  async flush(): Promise<void> {
    this.#beforeRead?.();
    this.settle();
  }

  /** Same as {@link flush}; the tracker keeps answering queries afterwards. */
  async shutdown(): Promise<void> {
    this.settle();
  }

  /** Forgets everything learned. */
  reset(): void {
    this.#tools.clear();
    this.#toolCalls.fill(0);
    this.#toolFailures.fill(0);
    this.#frequency.clear();
    this.#positions.clear();
    this.#recall.clear();
    this.#followed.clear();
    this.#logLinear.clear();
    this.#sequences.clear(); // and the outcome-free contexts, which share its table
    this.#outcomeContexts?.clear();
    this.#sessions.clear();
    this.#withPending.clear();
    this.#lastSession = undefined;
    this.#spare = undefined;
    this.#preparedRecord = undefined;
    this.#records = this.#lateRecords = this.#duplicates = this.#invalid = 0;
  }
}
