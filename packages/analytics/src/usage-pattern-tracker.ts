import { isUsableRecord, weightOf, type MetricsSubscriber, type ToolExecutionMetrics } from '@perftrack/core';
import { ErrorTally, normalizeErrorMessage, wilsonLowerBound } from './evidence';
import type { CommonError } from './evidence';

/** Options of a {@link UsagePatternTracker}. Every bound is enforced; what is evicted is counted in `stats()`. */
export interface UsagePatternTrackerOptions {
  /** Longest tool sequence counted (N): sequences of length 2..N. Integer in [2, 8], default `5`. */
  maxSequenceLength?: number;
  /**
   * Bound on distinct sequences kept (and, separately, on distinct prediction contexts).
   * When exceeded, the least frequent half is evicted (counted in `stats().evictedPatterns`),
   * so frequent sequences survive. Default `100_000` (roughly 20 MB at the bound).
   */
  maxPatterns?: number;
  /** Sessions with live state (call history, pending calls, per-session sequences); least recently active evicted first. Default `1_000`. */
  maxSessions?: number;
  /** Distinct tool ids; calls of further tools are counted under `"(other)"`. Default `1_000` (max 65,000). */
  maxTools?: number;
  /**
   * Calls held per session to order concurrent calls by start time before they are counted.
   * Reads (`getMostCommonPatterns`, …) count everything held first. `0` counts in arrival order.
   * Default `16`.
   */
  reorderWindow?: number;
  /** Recent calls kept per session for the session-aware part of prediction. Default `256`. */
  sessionHistory?: number;
  /** Distinct sequences kept per session for per-session views (`{ sessionId }`). Default `128`; `0` disables. */
  maxSessionPatterns?: number;
  /** Tuning of {@link UsagePatternTracker.predictNextTools}. */
  prediction?: PredictionOptions;
}

/**
 * How predictions are made: interpolated absolute discounting over contexts of length
 * 0..N−1 (the model), mixed with the session's own recent behaviour (the cache).
 */
export interface PredictionOptions {
  /** Absolute discount in (0, 1) taken from each seen count and given to shorter contexts. Default `0.75`. */
  discount?: number;
  /** Weight in [0, 1) of the session cache once the session is long. Default `0.5`. */
  cacheWeight?: number;
  /** Session length at which the cache gets half of `cacheWeight`. Default `5`. */
  cacheHalfLength?: number;
  /** Share in [0, 1] of the cache given to "what followed the last call earlier in this session". Default `0.8`. */
  cacheBigramShare?: number;
  /** Whether a failed call is a different context from a successful one. Default `true`. */
  outcomeAware?: boolean;
}

/** One step of a sequence passed to {@link UsagePatternTracker.predictNextTools}. */
export type SequenceStep = string | { readonly toolId: string; readonly success?: boolean };

/** A tool sequence seen in the data, with what happened when it ran. */
export interface SequencePattern {
  /** Tool ids in call order. */
  readonly sequence: readonly string[];
  /** Estimated occurrences: each occurrence counts the product of its calls' `sampleWeight`s. */
  readonly count: number;
  /** Occurrences actually observed. */
  readonly occurrences: number;
  /** Distinct sessions in which it occurred (since the tracker, or the session's state, was created). */
  readonly sessions: number;
  /** Mean over timed occurrences of the summed duration of its calls, in ms; `null` when none was timed. */
  readonly avgDuration: number | null;
  /** Share of occurrences (weighted) in which every call succeeded. */
  readonly successRate: number;
}

/** A sequence after which the next call fails more often than that tool usually does. */
export interface ErrorPronePattern {
  /** Tool ids in call order; the last one is the call that fails. */
  readonly sequence: readonly string[];
  /** Weighted failure rate of the last call after this context. */
  readonly errorRate: number;
  /** Estimated occurrences of the sequence. */
  readonly count: number;
  /** Failures of the last call after this context. */
  readonly failures: number;
  /** Lower bound of the 95% Wilson interval of `errorRate`, over the observed occurrences. */
  readonly wilsonLowerBound: number;
  /** The last tool's failure rate over all its calls. */
  readonly baseRate: number;
  /** `errorRate / baseRate` (`Infinity` when the tool never fails otherwise). */
  readonly lift: number;
  /** Most frequent failures of the last call here, messages normalised (ids, paths, numbers removed). */
  readonly commonErrors: readonly CommonError[];
}

/** One predicted next tool. */
export interface ToolPrediction {
  readonly toolId: string;
  /** Probability in (0, 1]; the probabilities of one prediction sum to at most 1. */
  readonly probability: number;
  /** Weighted observations of this tool after the longest matching context that contains it (its overall count when `order` is 0). */
  readonly support: number;
  /** Length of that context (0: overall frequency). */
  readonly order: number;
}

/** Filters for the pattern queries. */
export interface PatternQuery {
  /** Only this session's sequences (kept while the session is live, bounded by `maxSessionPatterns`). */
  sessionId?: string;
  /** Shortest sequence returned (default 2). */
  minLength?: number;
  /** Longest sequence returned (default N). */
  maxLength?: number;
}

/** Options of {@link UsagePatternTracker.getErrorPronePatterns}. */
export interface ErrorPatternQuery {
  /** At most this many patterns, strongest evidence first (default 20). */
  limit?: number;
  /** Minimum observed occurrences of the sequence (default 5). */
  minOccurrences?: number;
  /** Minimum failures of the last call after the context (default 2). */
  minFailures?: number;
}

/** Counters of a tracker. */
export interface UsagePatternStats {
  /** Records counted into sequences. */
  readonly records: number;
  /** Records held for ordering, not yet counted. */
  readonly pending: number;
  readonly liveSessions: number;
  readonly evictedSessions: number;
  /** Distinct sequences (length ≥ 2) kept. */
  readonly patterns: number;
  readonly evictedPatterns: number;
  readonly predictionContexts: number;
  readonly evictedContexts: number;
  readonly tools: number;
  /** Records whose tool went to `"(other)"` because `maxTools` was reached. */
  readonly otherToolRecords: number;
  /** Records that arrived after a later-started call of their session had been counted (counted in arrival order). */
  readonly lateRecords: number;
  /** Records seen twice in a row (same id), ignored. */
  readonly duplicates: number;
  /** Records without a string toolId/sessionId, ignored. */
  readonly invalid: number;
}

const OTHER_TOOL = '(other)';

/** Stats of one sequence = one context followed by one tool. */
class SequenceStats {
  w = 0;
  n = 0;
  sessions = 0;
  lastSession = -1;
  durW = 0;
  timedW = 0;
  okW = 0;
  failW = 0;
  failN = 0;
  errors: ErrorTally | undefined;
}

class PatternNode {
  readonly next = new Map<number, SequenceStats>();
  children: Map<number, PatternNode> | undefined;
  constructor(
    readonly tool: number,
    readonly parent: PatternNode | undefined,
  ) {}
}

class PredictNode {
  readonly next = new Map<number, number>();
  total = 0;
  children: Map<number, PredictNode> | undefined;
}

interface LocalStats {
  w: number;
  n: number;
  durW: number;
  timedW: number;
  okW: number;
}

class SessionState {
  readonly pending: ToolExecutionMetrics[] = [];
  lastStart = -Infinity;
  lastId = '';
  // committed history ring of the last N-1 calls
  readonly tools: Int32Array;
  readonly ok: Uint8Array;
  readonly timed: Uint8Array;
  readonly dur: Float64Array;
  readonly weight: Float64Array;
  histLen = 0;
  histPos = 0;
  // recent prediction tokens (tool*2 + failed), a ring that grows up to sessionHistory
  tokens: Int32Array = new Int32Array(16);
  tokenCount = 0;
  readonly local: Map<string, LocalStats> | undefined;

  constructor(
    readonly serial: number,
    readonly name: string,
    depth: number,
    localPatterns: boolean,
  ) {
    this.tools = new Int32Array(depth);
    this.ok = new Uint8Array(depth);
    this.timed = new Uint8Array(depth);
    this.dur = new Float64Array(depth);
    this.weight = new Float64Array(depth);
    this.local = localPatterns ? new Map() : undefined;
  }
}

const DEFAULTS = {
  maxSequenceLength: 5,
  maxPatterns: 100_000,
  maxSessions: 1_000,
  maxTools: 1_000,
  reorderWindow: 16,
  sessionHistory: 256,
  maxSessionPatterns: 128,
};
const PREDICTION_DEFAULTS: Required<PredictionOptions> = { discount: 0.75, cacheWeight: 0.5, cacheHalfLength: 5, cacheBigramShare: 0.8, outcomeAware: true };

function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`UsagePatternTracker: ${name} must be an integer in [${min}, ${max}], got ${typeof value === 'number' ? value : typeof value}`);
  }
  return value;
}
function checkUnit(name: string, value: unknown, min: number, max: number, openMin: boolean, openMax: boolean): number {
  if (typeof value !== 'number' || Number.isNaN(value) || (openMin ? value <= min : value < min) || (openMax ? value >= max : value > max)) {
    throw new TypeError(`UsagePatternTracker: prediction.${name} must be a number in ${openMin ? '(' : '['}${min}, ${max}${openMax ? ')' : ']'}, got ${String(value)}`);
  }
  return value;
}

/** Orders calls of one session by start time, then tool id, then record id: deterministic whatever the arrival order. */
function callOrder(a: ToolExecutionMetrics, b: ToolExecutionMetrics): number {
  return a.startTime - b.startTime || (a.toolId < b.toolId ? -1 : a.toolId > b.toolId ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Learns which tools follow which, per session and in call order, incrementally: every
 * contiguous sequence of 2..N calls is counted exactly once (weighted by the product of its
 * calls' `sampleWeight`s), next-tool predictions come from a variable-order model, and
 * sequences after which a call fails more than usual are reported with evidence.
 *
 * It is a core subscriber: `collector.subscribe(tracker)`. Each record costs O(N) (N ≤ 8),
 * with no scan of history; memory is bounded by the options.
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
 */
export class UsagePatternTracker implements MetricsSubscriber {
  static #default: UsagePatternTracker | undefined;

  readonly #n: number;
  readonly #maxPatterns: number;
  readonly #maxSessions: number;
  readonly #maxTools: number;
  readonly #reorder: number;
  readonly #historyCap: number;
  readonly #maxLocal: number;
  readonly #prediction: Required<PredictionOptions>;

  // tools
  readonly #toolIds = new Map<string, number>();
  readonly #toolNames: string[] = [];
  #otherTool = -1;
  // per-tool totals (sequence length 1), indexed by tool
  #toolW: Float64Array;
  #toolFailW: Float64Array;
  readonly #toolOrder: number[] = []; // tools by descending #predRoot count
  #toolRank: Int32Array;
  #predRootCount: Float64Array;
  #predRootTotal = 0;

  #patterns = new PatternNode(-1, undefined);
  #patternCount = 0;
  #predict = new PredictNode();
  #contextCount = 0;

  readonly #sessions = new Map<string, SessionState>();
  readonly #withPending = new Set<SessionState>();
  #serial = 0;
  #lastSession: SessionState | undefined;

  // counters
  #records = 0;
  #evictedSessions = 0;
  #evictedPatterns = 0;
  #evictedContexts = 0;
  #otherRecords = 0;
  #late = 0;
  #duplicates = 0;
  #invalid = 0;

  // scratch for prediction (sized to maxTools + 1)
  #scratchModel: Float64Array;
  #scratchUni: Float64Array;
  #scratchBi: Float64Array;
  #scratchSupport: Float64Array;
  #scratchTokens: Int32Array;
  #touched: Int32Array;
  #touchedMark: Uint32Array;
  #mark = 1;

  #beforeRead: (() => void) | undefined;

  constructor(options: UsagePatternTrackerOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('UsagePatternTracker: options must be an object');
    const known = new Set([...Object.keys(DEFAULTS), 'prediction']);
    for (const key of Object.keys(options)) if (!known.has(key)) throw new TypeError(`UsagePatternTracker: unknown option "${key}"`);
    this.#n = checkInt('maxSequenceLength', options.maxSequenceLength ?? DEFAULTS.maxSequenceLength, 2, 8);
    this.#maxPatterns = checkInt('maxPatterns', options.maxPatterns ?? DEFAULTS.maxPatterns, 16, 10_000_000);
    this.#maxSessions = checkInt('maxSessions', options.maxSessions ?? DEFAULTS.maxSessions, 1, 10_000_000);
    this.#maxTools = checkInt('maxTools', options.maxTools ?? DEFAULTS.maxTools, 2, 65_000);
    this.#reorder = checkInt('reorderWindow', options.reorderWindow ?? DEFAULTS.reorderWindow, 0, 10_000);
    this.#historyCap = checkInt('sessionHistory', options.sessionHistory ?? DEFAULTS.sessionHistory, 1, 1_000_000);
    this.#maxLocal = checkInt('maxSessionPatterns', options.maxSessionPatterns ?? DEFAULTS.maxSessionPatterns, 0, 1_000_000);
    const p = options.prediction ?? {};
    if (p === null || typeof p !== 'object') throw new TypeError('UsagePatternTracker: prediction must be an object');
    for (const key of Object.keys(p)) if (!(key in PREDICTION_DEFAULTS)) throw new TypeError(`UsagePatternTracker: unknown option "prediction.${key}"`);
    const outcomeAware = p.outcomeAware ?? PREDICTION_DEFAULTS.outcomeAware;
    if (typeof outcomeAware !== 'boolean') throw new TypeError(`UsagePatternTracker: prediction.outcomeAware must be a boolean, got ${typeof outcomeAware}`);
    this.#prediction = {
      discount: checkUnit('discount', p.discount ?? PREDICTION_DEFAULTS.discount, 0, 1, true, true),
      cacheWeight: checkUnit('cacheWeight', p.cacheWeight ?? PREDICTION_DEFAULTS.cacheWeight, 0, 1, false, true),
      cacheHalfLength: checkUnit('cacheHalfLength', p.cacheHalfLength ?? PREDICTION_DEFAULTS.cacheHalfLength, 0, 1e9, false, false),
      cacheBigramShare: checkUnit('cacheBigramShare', p.cacheBigramShare ?? PREDICTION_DEFAULTS.cacheBigramShare, 0, 1, false, false),
      outcomeAware,
    };
    const size = this.#maxTools + 1;
    this.#toolW = new Float64Array(size);
    this.#toolFailW = new Float64Array(size);
    this.#toolRank = new Int32Array(size);
    this.#predRootCount = new Float64Array(size);
    this.#scratchModel = new Float64Array(size);
    this.#scratchUni = new Float64Array(size);
    this.#scratchBi = new Float64Array(size);
    this.#scratchSupport = new Float64Array(size);
    this.#scratchTokens = new Int32Array(size);
    this.#touched = new Int32Array(size);
    this.#touchedMark = new Uint32Array(size);
  }

  // ---- default instance (the seed's static style) ----

  /** The instance the static methods use; created on first use. */
  static get default(): UsagePatternTracker {
    return (UsagePatternTracker.#default ??= new UsagePatternTracker());
  }
  /** Replaces the default instance (e.g. with one configured by the integration). */
  static setDefault(tracker: UsagePatternTracker): void {
    if (!(tracker instanceof UsagePatternTracker)) throw new TypeError('UsagePatternTracker.setDefault: expected a UsagePatternTracker');
    UsagePatternTracker.#default = tracker;
  }
  /** Clears the default instance's state (for tests). */
  static reset(): void {
    UsagePatternTracker.#default?.reset();
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
    return this.#n;
  }

  // ---- ingestion ----

  /** Counts one record (subscriber entry point). Never throws for a malformed record: it is counted in `stats().invalid`. */
  onMetric(metric: ToolExecutionMetrics): void {
    if (!isUsableRecord(metric)) {
      this.#invalid++;
      return;
    }
    const st = this.#session(metric.sessionId);
    if (metric.id !== undefined && metric.id === st.lastId) {
      this.#duplicates++;
      return;
    }
    st.lastId = metric.id;
    if (this.#reorder === 0) {
      this.#commit(st, metric);
      return;
    }
    const pending = st.pending;
    let i = pending.length;
    pending.push(metric);
    while (i > 0 && callOrder(pending[i - 1]!, metric) > 0) {
      pending[i] = pending[i - 1]!;
      i--;
    }
    pending[i] = metric;
    if (pending.length === 1) this.#withPending.add(st);
    if (pending.length > this.#reorder) this.#commit(st, pending.shift()!);
  }

  /** @internal Runs before every read, so an owner that defers records (a deferred AnalyticsEngine) can catch up first. */
  _onBeforeRead(hook: (() => void) | undefined): void {
    this.#beforeRead = hook;
  }

  /** Counts every call still held for ordering. Reads do this themselves. */
  settle(): void {
    for (const st of this.#withPending) this.#drain(st);
    this.#withPending.clear();
  }

  #drain(st: SessionState): void {
    const pending = st.pending;
    for (let i = 0; i < pending.length; i++) this.#commit(st, pending[i]!);
    pending.length = 0;
  }

  #session(name: string): SessionState {
    const last = this.#lastSession;
    if (last !== undefined && last.name === name) return last;
    let st = this.#sessions.get(name);
    if (st === undefined) {
      st = new SessionState(this.#serial++, name, this.#n - 1, this.#maxLocal > 0);
      this.#sessions.set(name, st);
      if (this.#sessions.size > this.#maxSessions) this.#evictSession();
    } else {
      // keep Map order = least recently active first
      this.#sessions.delete(name);
      this.#sessions.set(name, st);
    }
    this.#lastSession = st;
    return st;
  }

  #evictSession(): void {
    const oldest = this.#sessions.keys().next().value as string;
    const st = this.#sessions.get(oldest)!;
    if (st.pending.length > 0) {
      this.#drain(st);
      this.#withPending.delete(st);
    }
    this.#sessions.delete(oldest);
    this.#evictedSessions++;
  }

  #tool(toolId: string): number {
    let t = this.#toolIds.get(toolId);
    if (t !== undefined) return t;
    if (this.#toolNames.length >= this.#maxTools - 1) {
      this.#otherRecords++;
      if (this.#otherTool < 0) this.#otherTool = this.#addTool(OTHER_TOOL);
      return this.#otherTool;
    }
    return this.#addTool(toolId);
  }

  #addTool(name: string): number {
    const t = this.#toolNames.length;
    this.#toolNames.push(name);
    this.#toolIds.set(name, t);
    this.#toolRank[t] = this.#toolOrder.length;
    this.#toolOrder.push(t);
    return t;
  }

  #commit(st: SessionState, m: ToolExecutionMetrics): void {
    this.#records++;
    if (m.startTime < st.lastStart) this.#late++;
    else st.lastStart = m.startTime;
    const t = this.#tool(m.toolId);
    const ok = m.success === true;
    const timed = m.untimed !== true && Number.isFinite(m.duration);
    const dur = timed ? m.duration : 0;
    const w = weightOf(m);

    this.#toolW[t]! += w;
    if (!ok) this.#toolFailW[t]! += w;

    // sequences ending with this call: walk back through the last N-1 calls
    const depth = st.histLen;
    const cap = this.#n - 1;
    let node = this.#patterns;
    let wProd = w;
    let durSum = dur;
    let allTimed = timed;
    let allOk = ok;
    let key = this.#maxLocal > 0 ? String.fromCharCode(t) : '';
    const errorText = ok || depth === 0 ? '' : m.error ? normalizeErrorMessage(m.error) : '';
    for (let k = 1; k <= depth; k++) {
      const j = (st.histPos - k + cap) % cap;
      const pt = st.tools[j]!;
      let children = node.children;
      if (children === undefined) children = node.children = new Map();
      let child = children.get(pt);
      if (child === undefined) {
        child = new PatternNode(pt, node);
        children.set(pt, child);
      }
      node = child;
      wProd *= st.weight[j]!;
      durSum += st.dur[j]!;
      allTimed &&= st.timed[j] === 1;
      allOk &&= st.ok[j] === 1;
      let s = node.next.get(t);
      if (s === undefined) {
        s = new SequenceStats();
        node.next.set(t, s);
        this.#patternCount++;
      }
      s.w += wProd;
      s.n++;
      if (s.lastSession !== st.serial) {
        s.lastSession = st.serial;
        s.sessions++;
      }
      if (allTimed) {
        s.durW += wProd * durSum;
        s.timedW += wProd;
      }
      if (allOk) s.okW += wProd;
      if (!ok) {
        s.failW += wProd;
        s.failN++;
        (s.errors ??= new ErrorTally(5)).add(m.errorType, errorText, 1);
      }
      if (st.local !== undefined) {
        key = String.fromCharCode(pt) + key;
        let l = st.local.get(key);
        if (l === undefined) {
          l = { w: 0, n: 0, durW: 0, timedW: 0, okW: 0 };
          st.local.set(key, l);
          if (st.local.size > this.#maxLocal) this.#pruneLocal(st.local);
        }
        l.w += wProd;
        l.n++;
        if (allTimed) {
          l.durW += wProd * durSum;
          l.timedW += wProd;
        }
        if (allOk) l.okW += wProd;
      }
    }

    // prediction model: this call as the "next" of every context ending just before it
    let pnode = this.#predict;
    const tokens = st.tokens;
    const tokenCap = tokens.length;
    const ctxDepth = Math.min(st.tokenCount, cap);
    this.#bumpRoot(t, w);
    let pw = w;
    for (let k = 1; k <= ctxDepth; k++) {
      const token = tokens[(st.tokenCount - k) % tokenCap]!;
      let children = pnode.children;
      if (children === undefined) children = pnode.children = new Map();
      let child = children.get(token);
      if (child === undefined) {
        child = new PredictNode();
        children.set(token, child);
      }
      pnode = child;
      pw *= st.weight[(st.histPos - k + cap) % cap]!;
      const before = pnode.next.get(t);
      if (before === undefined) this.#contextCount++;
      pnode.next.set(t, (before ?? 0) + pw);
      pnode.total += pw;
    }

    // push into the history rings
    const pos = st.histPos;
    st.tools[pos] = t;
    st.ok[pos] = ok ? 1 : 0;
    st.timed[pos] = timed ? 1 : 0;
    st.dur[pos] = dur;
    st.weight[pos] = w;
    st.histPos = (pos + 1) % cap;
    if (st.histLen < cap) st.histLen++;
    this.#pushToken(st, this.#token(t, ok));

    if (this.#patternCount > this.#maxPatterns) this.#prunePatterns();
    if (this.#contextCount > this.#maxPatterns) this.#pruneContexts();
  }

  #token(tool: number, ok: boolean): number {
    return this.#prediction.outcomeAware ? tool * 2 + (ok ? 0 : 1) : tool * 2;
  }

  #pushToken(st: SessionState, token: number): void {
    let tokens = st.tokens;
    if (st.tokenCount >= tokens.length && tokens.length < this.#historyCap) {
      // grow the ring (it is still in order while it has never wrapped)
      const grown = new Int32Array(Math.min(this.#historyCap, tokens.length * 2));
      grown.set(tokens);
      st.tokens = tokens = grown;
    }
    tokens[st.tokenCount % tokens.length] = token;
    st.tokenCount++;
  }

  #bumpRoot(t: number, w: number): void {
    const counts = this.#predRootCount;
    counts[t]! += w;
    this.#predRootTotal += w;
    // keep #toolOrder sorted by count, descending: bubble t up
    const order = this.#toolOrder;
    const rank = this.#toolRank;
    let i = rank[t]!;
    while (i > 0 && counts[order[i - 1]!]! < counts[t]!) {
      const other = order[i - 1]!;
      order[i] = other;
      rank[other] = i;
      i--;
    }
    order[i] = t;
    rank[t] = i;
  }

  #pruneLocal(local: Map<string, LocalStats>): void {
    const weights = Float64Array.from(local.values(), (l) => l.w).sort();
    const threshold = weights[Math.floor(weights.length / 2)]!;
    let remove = local.size - Math.floor((this.#maxLocal * 3) / 4);
    for (const [key, l] of local) {
      if (remove <= 0) break;
      if (l.w <= threshold) {
        local.delete(key);
        remove--;
      }
    }
  }

  /**
   * Evicts the least frequent entries until half of the budget is free: O(P log P) every P/2
   * new entries, so O(log P) amortised per record. Deeper (longer) entries go first at equal weight.
   */
  #prunePatterns(): void {
    const weights = this.#collect(this.#patterns, this.#patternCount, (node) => node.next.values(), (s) => s.w);
    const threshold = this.#threshold(weights, this.#patternCount - (this.#maxPatterns >> 1));
    const removed = this.#pruneTree(this.#patterns, this.#patternCount - (this.#maxPatterns >> 1), (node, remove) => {
      let n = 0;
      for (const [tool, s] of node.next) {
        if (n >= remove) break;
        if (s.w <= threshold) {
          node.next.delete(tool);
          n++;
        }
      }
      return n;
    });
    this.#patternCount -= removed;
    this.#evictedPatterns += removed;
  }

  #pruneContexts(): void {
    const weights = this.#collect(this.#predict, this.#contextCount, (node) => node.next.values(), (w) => w);
    const threshold = this.#threshold(weights, this.#contextCount - (this.#maxPatterns >> 1));
    const removed = this.#pruneTree(this.#predict, this.#contextCount - (this.#maxPatterns >> 1), (node, remove) => {
      let n = 0;
      for (const [tool, w] of node.next) {
        if (n >= remove) break;
        if (w <= threshold) {
          node.next.delete(tool);
          node.total -= w;
          n++;
        }
      }
      return n;
    });
    this.#contextCount -= removed;
    this.#evictedContexts += removed;
  }

  /** Weights of every entry below the root, into a typed array. */
  #collect<Node extends { children: Map<number, Node> | undefined }, V>(root: Node, size: number, entries: (node: Node) => Iterable<V>, weight: (v: V) => number): Float64Array {
    const out = new Float64Array(size);
    let n = 0;
    const stack: Node[] = [];
    if (root.children) for (const c of root.children.values()) stack.push(c);
    while (stack.length > 0) {
      const node = stack.pop()!;
      for (const v of entries(node)) if (n < size) out[n++] = weight(v);
      if (node.children) for (const c of node.children.values()) stack.push(c);
    }
    return out.subarray(0, n);
  }

  /** The weight at or below which `remove` entries lie. */
  #threshold(weights: Float64Array, remove: number): number {
    if (remove <= 0 || weights.length === 0) return -Infinity;
    weights.sort();
    return weights[Math.min(remove, weights.length) - 1]!;
  }

  /** Lets `pruneNode` remove up to `remove` entries, deepest nodes first; drops emptied nodes. Returns how many went. */
  #pruneTree<Node extends { children: Map<number, Node> | undefined; next: Map<number, unknown> }>(root: Node, remove: number, pruneNode: (node: Node, remove: number) => number): number {
    if (remove <= 0) return 0;
    let removed = 0;
    const visit = (node: Node): void => {
      if (node.children) {
        for (const [key, c] of node.children) {
          if (removed < remove) visit(c);
          if (c.next.size === 0 && (c.children === undefined || c.children.size === 0)) node.children.delete(key);
        }
      }
      if (removed < remove && node !== root) removed += pruneNode(node, remove - removed);
    };
    visit(root);
    return removed;
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
    const maxLength = query.maxLength ?? this.#n;
    this.settle();
    const top = new TopK<SequencePattern>(limit);
    if (query.sessionId !== undefined) {
      const st = this.#sessions.get(query.sessionId);
      if (st?.local === undefined) return [];
      for (const [key, l] of st.local) {
        if (key.length < minLength || key.length > maxLength || !top.wants(l.w)) continue;
        const sequence: string[] = [];
        for (let i = 0; i < key.length; i++) sequence.push(this.#toolNames[key.charCodeAt(i)]!);
        top.add(l.w, sequence.join('\u0000'), () => ({ sequence, count: l.w, occurrences: l.n, sessions: 1, avgDuration: l.timedW > 0 ? l.durW / l.timedW : null, successRate: l.okW / l.w }));
      }
      return top.sorted();
    }
    const visit = (node: PatternNode, depth: number): void => {
      const length = depth + 1;
      if (length >= minLength && length <= maxLength) {
        for (const [next, s] of node.next) {
          if (!top.wants(s.w)) continue;
          const sequence = this.#sequenceOf(node, next);
          top.add(s.w, sequence.join('\u0000'), () => ({ sequence, count: s.w, occurrences: s.n, sessions: s.sessions, avgDuration: s.timedW > 0 ? s.durW / s.timedW : null, successRate: s.okW / s.w }));
        }
      }
      if (node.children && length < maxLength) for (const c of node.children.values()) visit(c, depth + 1);
    };
    for (const c of this.#patterns.children?.values() ?? []) visit(c, 1);
    return top.sorted();
  }

  #sequenceOf(node: PatternNode, next: number): string[] {
    const sequence: string[] = [];
    for (let n: PatternNode | undefined = node; n !== undefined && n.tool >= 0; n = n.parent) sequence.push(this.#toolNames[n.tool]!);
    sequence.push(this.#toolNames[next]!);
    return sequence;
  }

  /**
   * Sequences after which the last call fails more often than that tool does overall, strongest
   * evidence first (by the Wilson lower bound of the failure rate), each with its most common
   * (normalised) errors.
   */
  getErrorPronePatterns(query: ErrorPatternQuery = {}): ErrorPronePattern[] {
    this.#beforeRead?.();
    const limit = query.limit ?? 20;
    checkLimit('getErrorPronePatterns', limit);
    const minOccurrences = query.minOccurrences ?? 5;
    const minFailures = query.minFailures ?? 2;
    this.settle();
    const top = new TopK<ErrorPronePattern>(limit);
    const visit = (node: PatternNode): void => {
      for (const [next, s] of node.next) {
        if (s.failN < minFailures || s.n < minOccurrences) continue;
        const errorRate = s.failW / s.w;
        const baseRate = this.#toolFailW[next]! / this.#toolW[next]!;
        if (!(errorRate > baseRate)) continue;
        const lower = wilsonLowerBound(errorRate, s.n);
        if (!top.wants(lower)) continue;
        const sequence = this.#sequenceOf(node, next);
        top.add(lower, sequence.join('\u0000'), () => ({
          sequence,
          errorRate,
          count: s.w,
          failures: s.failN,
          wilsonLowerBound: lower,
          baseRate,
          lift: baseRate > 0 ? errorRate / baseRate : Infinity,
          commonErrors: s.errors?.top(3) ?? [],
        }));
      }
      if (node.children) for (const c of node.children.values()) visit(c);
    };
    for (const c of this.#patterns.children?.values() ?? []) visit(c);
    return top.sorted();
  }

  /**
   * The most likely next tools after `sequence` (oldest first; any length, unknown tools
   * allowed; a step may be `{ toolId, success }` so a failed call is its own context, a plain
   * string counts as a success). The model backs off from the longest matching context (up to
   * N−1 calls) to shorter ones and to overall frequency by interpolated absolute discounting,
   * then mixes in what this sequence itself shows (its tool frequencies, and what followed its
   * last call earlier in it). Probabilities sum to at most 1.
   */
  predictNextTools(sequence: readonly SequenceStep[], limit = 5): ToolPrediction[] {
    this.#beforeRead?.();
    checkLimit('predictNextTools', limit);
    if (!Array.isArray(sequence)) throw new TypeError('predictNextTools: sequence must be an array');
    this.settle();
    const start = Math.max(0, sequence.length - this.#historyCap);
    const count = sequence.length - start;
    const tokens = this.#scratchTokens.length >= count ? this.#scratchTokens : new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const step = sequence[start + i];
      const id = typeof step === 'string' ? step : step?.toolId;
      const ok = typeof step === 'string' || step?.success !== false;
      const t = typeof id === 'string' ? this.#toolIds.get(id) : undefined;
      tokens[i] = t === undefined ? -1 : this.#token(t, ok);
    }
    return this.#predictFrom(tokens, 0, count, limit);
  }

  /** Predicts the next tools of a live session from its own recent calls (see {@link predictNextTools}). */
  predictNextForSession(sessionId: string, limit = 5): ToolPrediction[] {
    this.#beforeRead?.();
    checkLimit('predictNextForSession', limit);
    this.settle();
    const st = this.#sessions.get(sessionId);
    if (st === undefined) return this.#predictFrom(this.#scratchTokens, 0, 0, limit);
    const n = Math.min(st.tokenCount, st.tokens.length);
    const tokens = new Int32Array(n);
    for (let i = 0; i < n; i++) tokens[i] = st.tokens[(st.tokenCount - n + i) % st.tokens.length]!;
    return this.#predictFrom(tokens, 0, n, limit);
  }

  #predictFrom(tokens: Int32Array, from: number, count: number, limit: number): ToolPrediction[] {
    if (this.#predRootTotal <= 0) return [];
    const { discount: D, cacheWeight, cacheHalfLength, cacheBigramShare } = this.#prediction;
    const model = this.#scratchModel;
    const support = this.#scratchSupport;
    const mark = this.#nextMark();
    const touchedMark = this.#touchedMark;
    const touched = this.#touched;
    let touchedCount = 0;
    const orderOf = this.#orderScratch();
    const touch = (t: number): void => {
      if (touchedMark[t] !== mark) {
        touchedMark[t] = mark;
        touched[touchedCount++] = t;
        model[t] = 0;
        support[t] = 0;
        orderOf[t] = 0;
        this.#scratchUni[t] = 0;
        this.#scratchBi[t] = 0;
      }
    };

    // longest matching context: nodes[1..depth]
    const nodes: PredictNode[] = [this.#predict];
    const maxDepth = Math.min(count, this.#n - 1);
    for (let k = 1; k <= maxDepth; k++) {
      const token = tokens[from + count - k]!;
      if (token < 0) break;
      const child = nodes[k - 1]!.children?.get(token);
      if (child === undefined || child.total <= 0) break;
      nodes.push(child);
    }
    // interpolation: P_k(t) = max(c_k(t) - D, 0) / T_k + λ_k P_{k-1}(t), λ_k = D |next_k| / T_k
    // => P(t) = Σ_k scale_k max(c_k(t) - D, 0) / T_k + scale_0 P_0(t), scale_k = Π_{i>k} λ_i
    let scale = 1;
    for (let k = nodes.length - 1; k >= 1; k--) {
      const node = nodes[k]!;
      for (const [t, c] of node.next) {
        touch(t);
        if (c > D) model[t]! += (scale * (c - D)) / node.total;
        if (orderOf[t] === 0 && support[t] === 0) {
          support[t] = c;
          orderOf[t] = k;
        }
      }
      scale *= Math.min(1, (D * node.next.size) / node.total);
    }
    const rootScale = scale / this.#predRootTotal;

    // the session cache: what this sequence itself shows
    let beta = 0;
    let biTotal = 0;
    let known = 0;
    if (count > 0 && cacheWeight > 0) {
      const last = tokens[from + count - 1]!;
      for (let i = 0; i < count; i++) {
        const token = tokens[from + i]!;
        if (token < 0) continue;
        const t = token >> 1;
        touch(t);
        known++;
        this.#scratchUni[t]! += 1;
        if (i > 0 && last >= 0 && tokens[from + i - 1] === last) {
          this.#scratchBi[t]! += 1;
          biTotal++;
        }
      }
    }
    // the cache's weight grows with the session's length (unknown tools say nothing)
    if (known > 0) beta = cacheHalfLength > 0 ? (cacheWeight * known) / (known + cacheHalfLength) : cacheWeight;
    const biShare = biTotal > 0 ? cacheBigramShare : 0;
    const finalOf = (t: number, touchedHere: boolean): number => {
      const p = (touchedHere ? model[t]! : 0) + rootScale * this.#predRootCount[t]!;
      if (!touchedHere || beta === 0) return (1 - beta) * p;
      const local = ((1 - biShare) * this.#scratchUni[t]!) / known + (biShare > 0 ? (biShare * this.#scratchBi[t]!) / biTotal : 0);
      return (1 - beta) * p + beta * local;
    };

    const top = new TopK<ToolPrediction>(limit);
    for (let i = 0; i < touchedCount; i++) {
      const t = touched[i]!;
      const probability = finalOf(t, true);
      if (probability <= 0 || !top.wants(probability)) continue;
      top.add(probability, this.#toolNames[t]!, () => ({ toolId: this.#toolNames[t]!, probability, support: support[t]! > 0 ? support[t]! : this.#predRootCount[t]!, order: orderOf[t]! }));
    }
    // untouched tools rank by overall frequency: take them from the sorted root order
    let taken = 0;
    for (let i = 0; i < this.#toolOrder.length && taken < limit; i++) {
      const t = this.#toolOrder[i]!;
      if (touchedMark[t] === mark) continue;
      const probability = finalOf(t, false);
      if (probability <= 0) break;
      taken++;
      if (!top.wants(probability)) break;
      top.add(probability, this.#toolNames[t]!, () => ({ toolId: this.#toolNames[t]!, probability, support: this.#predRootCount[t]!, order: 0 }));
    }
    return top.sorted();
  }

  #orderBuf: Int32Array | undefined;
  #orderScratch(): Int32Array {
    return (this.#orderBuf ??= new Int32Array(this.#maxTools + 1));
  }

  #nextMark(): number {
    if (++this.#mark === 0xffffffff) {
      this.#touchedMark.fill(0);
      this.#mark = 1;
    }
    return this.#mark;
  }

  /** Per-tool totals seen by the tracker: estimated calls and failure rate. */
  toolBaseRates(): Array<{ toolId: string; count: number; errorRate: number }> {
    this.#beforeRead?.();
    this.settle();
    return this.#toolNames.map((toolId, t) => ({ toolId, count: this.#toolW[t]!, errorRate: this.#toolW[t]! > 0 ? this.#toolFailW[t]! / this.#toolW[t]! : 0 }));
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
    for (const st of this.#withPending) pending += st.pending.length;
    return {
      records: this.#records,
      pending,
      liveSessions: this.#sessions.size,
      evictedSessions: this.#evictedSessions,
      patterns: this.#patternCount,
      evictedPatterns: this.#evictedPatterns,
      predictionContexts: this.#contextCount,
      evictedContexts: this.#evictedContexts,
      tools: this.#toolNames.length,
      otherToolRecords: this.#otherRecords,
      lateRecords: this.#late,
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
    this.#toolIds.clear();
    this.#toolNames.length = 0;
    this.#toolOrder.length = 0;
    this.#otherTool = -1;
    this.#toolW.fill(0);
    this.#toolFailW.fill(0);
    this.#predRootCount.fill(0);
    this.#predRootTotal = 0;
    this.#patterns = new PatternNode(-1, undefined);
    this.#predict = new PredictNode();
    this.#patternCount = this.#contextCount = 0;
    this.#sessions.clear();
    this.#withPending.clear();
    this.#lastSession = undefined;
    this.#records = this.#evictedSessions = this.#evictedPatterns = this.#evictedContexts = 0;
    this.#otherRecords = this.#late = this.#duplicates = this.#invalid = 0;
  }
}

function checkLimit(method: string, limit: unknown): void {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) throw new TypeError(`${method}: limit must be a non-negative integer, got ${String(limit)}`);
}

/**
 * Keeps the `k` items of highest score, ties broken by key (ascending) so results are
 * deterministic. Items are built only when they make the cut.
 * @internal
 */
export class TopK<T> {
  readonly #k: number;
  readonly #scores: number[] = [];
  readonly #keys: string[] = [];
  readonly #items: T[] = [];

  constructor(k: number) {
    this.#k = k;
  }

  /** Whether an item with this score could enter. */
  wants(score: number): boolean {
    if (this.#k === 0) return false;
    return this.#scores.length < this.#k || score >= this.#scores[this.#scores.length - 1]!;
  }

  add(score: number, key: string, build: () => T): void {
    if (!this.wants(score)) return;
    let i = this.#scores.length;
    while (i > 0 && (this.#scores[i - 1]! < score || (this.#scores[i - 1] === score && this.#keys[i - 1]! > key))) i--;
    if (i >= this.#k) return;
    this.#scores.splice(i, 0, score);
    this.#keys.splice(i, 0, key);
    this.#items.splice(i, 0, build());
    if (this.#scores.length > this.#k) {
      this.#scores.pop();
      this.#keys.pop();
      this.#items.pop();
    }
  }

  sorted(): T[] {
    return this.#items.slice();
  }
}
