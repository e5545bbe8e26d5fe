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
  /** Distinct tool ids; calls of further tools are counted under `"(other)"`. Integer in [2, 100,000], default `1_000`. */
  maxTools?: number;
  /**
   * Calls held per session to order concurrent calls by start time before they are counted.
   * Reads (`getMostCommonPatterns`, …) count everything held first. `0` counts in arrival order.
   * Default `16`.
   */
  reorderWindow?: number;
  /**
   * Recent calls of a session (and of a sequence passed to `predictNextTools`) that the
   * session-aware part of prediction looks at: a bounded suffix, so a prediction costs the same
   * after 10 calls or 10,000. Integer in [1, 4,096], default `32`.
   */
  sessionHistory?: number;
  /** Distinct sequences kept per session for per-session views (`{ sessionId }`). Default `128`; `0` disables. */
  maxSessionPatterns?: number;
  /** Tuning of {@link UsagePatternTracker.predictNextTools}. */
  prediction?: PredictionOptions;
}

/**
 * How predictions are made: interpolated absolute discounting over contexts of length
 * 0..N−1 (the trained model), adapted to the session's own recent calls (Dirichlet estimates
 * of its tool frequencies, of what followed its last call and of what followed its last two,
 * each with the layer below as prior). Defaults were chosen on k-fold cross-validation of real
 * agent sessions (see README, "Prediction").
 */
export interface PredictionOptions {
  /** Absolute discount in (0, 1) taken from each seen count and given to shorter contexts. Default `0.75`. */
  discount?: number;
  /** Whether the session's own recent calls adapt the prediction. Default `true`. */
  sessionAdaptation?: boolean;
  /** Weight of a call relative to the one after it, in (0, 1]: older calls count less. Default `0.97`. */
  sessionDecay?: number;
  /** Prior strength (in calls) of the trained model against the session's tool frequencies. Default `50`. */
  sessionUnigramPrior?: number;
  /** Prior strength against what followed the last call earlier in the session. Default `20`. */
  sessionBigramPrior?: number;
  /** Prior strength against what followed the last two calls earlier in the session. Default `20`. */
  sessionTrigramPrior?: number;
  /**
   * Whether a failed call is a different context from a successful one. When `true` (default) a
   * second context model keyed by outcome is kept and used for sequences whose steps all give
   * `success` (and for live sessions); tool names alone use the outcome-free model.
   */
  outcomeAware?: boolean;
  /**
   * Weights of the ranker that re-scores the most likely candidates (13 numbers, one per
   * feature), or `null` to rank by the layered probability alone. Default: weights trained by
   * cross-validation on real agent sessions (see README, "Prediction"). Mostly for
   * retraining on your own sessions with `bench/prediction-ranker.mjs`.
   */
  rankerWeights?: readonly number[] | null;
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
  /**
   * Distinct sessions in which it occurred (since the tracker, or the session's state, was
   * created), however sessions interleave. Exact while each session's own view holds the
   * sequence (`maxSessionPatterns`); one evicted from it and seen again counts its session again.
   */
  readonly sessions: number;
  /** Mean over timed occurrences of the summed duration of its calls, in ms; `null` when none was timed. */
  readonly avgDuration: number | null;
  /** Share of occurrences (weighted) in which every call succeeded. */
  readonly successRate: number;
}

/**
 * A sequence whose last call often fails: either often in absolute terms (`kind: "absolute"`:
 * the Wilson 95% lower bound of its failure rate is over a threshold) or much more often than
 * that tool usually fails (`kind: "lift"`).
 */
export interface ErrorPronePattern {
  /** Which ranking found it. */
  readonly kind: ErrorPatternKind;
  /** Tool ids in call order; the last one is the call that fails. */
  readonly sequence: readonly string[];
  /** Weighted failure rate of the last call after this context. */
  readonly errorRate: number;
  /** Estimated occurrences of the sequence. */
  readonly count: number;
  /** Occurrences observed. */
  readonly occurrences: number;
  /** Distinct sessions it occurred in. */
  readonly sessions: number;
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

/** `"absolute"`: ranked by the failure rate's Wilson lower bound; `"lift"`: by how much more than the tool's base rate. */
export type ErrorPatternKind = 'absolute' | 'lift';

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
  /**
   * Leave out a sequence when a longer one containing it (one more call before or after) was
   * seen exactly as often: it adds nothing. Default `false`.
   */
  maximalOnly?: boolean;
}

/** Options of {@link UsagePatternTracker.getErrorPronePatterns}. */
export interface ErrorPatternQuery {
  /** `"absolute"` (default): failure rate's Wilson lower bound ≥ `minLowerBound`, ranked by it. `"lift"`: failure rate significantly above the tool's base rate (the lower bound over it) and `lift ≥ minLift`, ranked by `wilsonLowerBound / baseRate`. */
  kind?: ErrorPatternKind;
  /** At most this many patterns, strongest evidence first (default 20). */
  limit?: number;
  /** Minimum observed occurrences of the sequence (default 5). */
  minOccurrences?: number;
  /** Minimum failures of the last call after the context (default 2). */
  minFailures?: number;
  /** `"absolute"` only: least Wilson lower bound of the failure rate, in [0, 1] (default `0.1`). */
  minLowerBound?: number;
  /** `"lift"` only: least `errorRate / baseRate` (default `1.5`). */
  minLift?: number;
  /** Leave out a sequence when one with a call more before it has the same occurrences and failures (default `true`). */
  maximalOnly?: boolean;
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
  /**
   * Counts of a (last call, tool) pair that prediction's two recall tables could not keep, each
   * holding 49,152 pairs (3/4 of 65,536 slots): a call makes up to 17 such counts in the first
   * (tools of the 16 calls before) and up to 32 in the second (tools that followed an earlier call
   * of the last call's tool within the 32 before); prediction reads a pair it does not hold as never seen.
   */
  readonly uncountedRecallPairs: number;
  /**
   * Calls the prediction ranker's log-linear model never learnt from: predictions learn the calls
   * taken (a bounded amount each, about 1,000 calls), and at most 65,536 wait (the oldest go).
   */
  readonly unlearnedCalls: number;
  /** Calls taken that the log-linear model has yet to learn (each prediction learns a bounded share of them). */
  readonly learningBacklog: number;
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
