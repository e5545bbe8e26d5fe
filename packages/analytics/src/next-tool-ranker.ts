/**
 * The ranker's side of next-tool prediction: the features a candidate tool is scored on, and
 * the position counts one of them needs. The weights are trained offline
 * (`bench/prediction-ranker.mjs`, softmax cross-entropy on cross-fitted features of real
 * sessions) and committed in `next-tool-ranker-weights.ts`.
 * @internal
 */

/** Context lengths that get their own count feature. @internal */
export const RANKER_ORDERS = 2;

/**
 * The features of one candidate tool `t`, in order (the layers are those of `NextToolPredictor`).
 * @internal
 */
export const RANKER_FEATURE_NAMES = [
  'log p(t): trained model adapted to the session',
  'log p(t): trained model alone',
  'log share of t after the last call (0 when that context was never seen)',
  'log share of t after the last 2 calls (0 when never seen)',
  'log(1 + decayed calls of t in the session)',
  'log(1 + decayed times t followed the last call in the session)',
  'log(1 + decayed times t followed the last two calls in the session)',
  't is the last call',
  't is the call before the last',
  '1 / calls since t was last called in the session',
  't not called in the session yet',
  'log(1 + position) when t was not called in the session yet',
  'log lift of t at this position of a session (bucketed) over its overall frequency',
  'log share of t after the last call, among calls where t was (or was not) one of the 16 before',
  'score of t under the log-linear model of the last calls (LogLinearNextTool)',
  'log share of t after the last call, among calls where t had (or had not) followed that tool earlier in the session',
] as const;

/** Number of features per candidate. @internal */
export const RANKER_FEATURES = RANKER_FEATURE_NAMES.length;

/** Position buckets: 0, 1, 2, 3, 4–7, 8–15, 16–31, 32–63, 64+. */
const BUCKETS = 9;

/** The position bucket (of {@link BUCKETS}) of the call made after `callsBefore` calls of its session. @internal */
export function positionBucketOf(callsBefore: number): number {
  if (callsBefore < 4) return callsBefore;
  if (callsBefore < 8) return 4;
  if (callsBefore < 16) return 5;
  if (callsBefore < 32) return 6;
  return callsBefore < 64 ? 7 : 8;
}

/**
 * Weighted count of each tool at each (bucketed) position of a session: what agents do first
 * and what they do late. Fixed size (`BUCKETS × maxTools`), O(1) per call.
 * @internal
 */
export class PositionFrequency {
  readonly #counts: Float64Array;
  readonly #totals = new Float64Array(BUCKETS);

  constructor(readonly maxTools: number) {
    this.#counts = new Float64Array(BUCKETS * maxTools);
  }

  /** The bucket of the call made after `callsBefore` calls of its session ({@link positionBucketOf}). */
  bucketOf(callsBefore: number): number {
    return positionBucketOf(callsBefore);
  }

  add(callsBefore: number, tool: number, weight: number): void {
    const bucket = this.bucketOf(callsBefore);
    this.#counts[bucket * this.maxTools + tool]! += weight;
    this.#totals[bucket]! += weight;
  }

  countOf(bucket: number, tool: number): number {
    return this.#counts[bucket * this.maxTools + tool]!;
  }

  totalOf(bucket: number): number {
    return this.#totals[bucket]!;
  }

  clear(): void {
    this.#counts.fill(0);
    this.#totals.fill(0);
  }
}
