import type { CallHistory } from './call-history';
import { positionBucketOf } from './next-tool-ranker';

/** Calls back the model reads: the bag of recent tools, their recency and their counts. @internal */
export const LOG_LINEAR_WINDOW = 16;
/** Output tools a learning step scores: the most frequent ones (plus the answer and the window's tools). */
const OUTPUT_TOOLS = 32;
/** Weights (hashed by feature and tool): 2^18 float32, 1 MiB. */
const WEIGHT_BITS = 18;
/** Per-feature step sizes (hashed by feature): 2^14 doubles, 128 KiB. */
const RATE_BITS = 14;
/** Calls waiting to be learnt, at most (oldest dropped first, counted): 2.4 MiB of 16-bit rows (4.75 MiB past 65,536 tools), plus their weights. */
const MAX_PENDING = 1 << 16;
/**
 * Work one prediction learns at most, in weights read (features × tools scored, summed over the
 * calls learnt): about 1,000 typical calls, 5–10 ms here whatever the number of tools, so even a
 * few predictions in one synchronous operation stay within a 50 ms pause of the event loop.
 */
export const LEARN_WORK_PER_CALL = 1_000_000;
/** Pending row: position, next tool, tools in the window, then the window oldest first. */
const ROW = 3 + LOG_LINEAR_WINDOW;
const LEARNING_RATE = 0.2;
/** Features of one prediction, at most: bias, 4 last calls, 2 contexts, 2 positions, 3 per windowed tool. */
const MAX_FEATURES = 9 + 3 * LOG_LINEAR_WINDOW;

/** One step of a feature hash: exact in doubles (a 32-bit value times a 20-bit odd constant), no `Math.imul` (a runtime call under jest). */
const mix = (h: number, v: number): number => (((h ^ v) >>> 0) * 1000003) >>> 0;
const WEIGHT_MASK = (1 << WEIGHT_BITS) - 1;
/** A feature's row: the top bits of its hash. The weight of tool `t` is at `(row + t · 40503) mod 2^18` (40503 is odd: a feature's tools never collide). */
const ROW_SHIFT = 32 - WEIGHT_BITS;
const toolOffset = (t: number): number => (t * 40503) & WEIGHT_MASK;
/** A feature's step size: the top bits of its row. */
const RATE_SHIFT = WEIGHT_BITS - RATE_BITS;

const recencyBucket = (back: number): number => (back === 1 ? 0 : back === 2 ? 1 : back <= 4 ? 2 : 3);

/**
 * A log-linear model of the next tool, learnt from every call the tracker takes: `score(t) = Σ w(f, t)`
 * over the features `f` of the calls before it: each of the last 4 calls by its position, the
 * last two and last three calls together, the position in the session (alone and with the last
 * call), and for each tool among the last {@link LOG_LINEAR_WINDOW} calls, that it is there, how
 * recently (1, 2, 3–4, 5+ calls back) and how often (2+, 4+, 8+). So it weighs evidence the
 * count model cannot: the tool three calls back, or one used a while ago, whatever lies between.
 * It gives the ranker one feature, `score(t)` (the softmax's normaliser is the same for every
 * candidate, so the ranker does not need it).
 *
 * Learning is one pass of softmax cross-entropy, in arrival order, with a per-feature AdaGrad
 * step, over the most frequent {@link OUTPUT_TOOLS} tools plus the answer and the window's tools.
 * It is deferred: a taken call costs a copy of its window and sample weight into a pending ring
 * (so a tracker nobody asks for predictions pays no more), and the pending calls are learnt by
 * the next predictions, {@link LEARN_WORK_PER_CALL} of work at most each. Bounded: weights and
 * step sizes are hashed into fixed tables (1.1 MiB), plus 24 bytes of scratch a tool; at most
 * {@link MAX_PENDING} calls wait (the oldest past that are dropped, counted in {@link unlearned}).
 * @internal
 */
export class LogLinearNextTool {
  /** Calls dropped from the pending ring before they were learnt (no prediction was asked for that long). */
  unlearned = 0;
  /** Calls learnt. */
  learnt = 0;
  #weights = new Float32Array(1 << WEIGHT_BITS);
  #squares = new Float64Array(1 << RATE_BITS);
  /** Pending rows, grown on demand up to {@link MAX_PENDING}: 16-bit when every tool index fits (2.4 MiB at most). */
  #pending: Uint16Array | Int32Array;
  /** Each pending call's sample weight, at the same index as its row. */
  #pendingWeights: Float64Array = new Float64Array(0);
  #pendingStart = 0;
  #pendingCount = 0;
  readonly #features = new Int32Array(MAX_FEATURES);
  #featureCount = 0;
  readonly #window = new Int32Array(LOG_LINEAR_WINDOW);
  readonly #counts: Float64Array;
  readonly #recency: Int32Array;
  readonly #scores: Float64Array;
  readonly #outputs: Int32Array;
  readonly #outputMark: Uint32Array;
  #epoch = 0;

  constructor(readonly maxTools: number) {
    this.#pending = this.#rows(0);
    this.#counts = new Float64Array(maxTools);
    this.#recency = new Int32Array(maxTools);
    this.#scores = new Float64Array(maxTools);
    this.#outputs = new Int32Array(OUTPUT_TOOLS + 1 + LOG_LINEAR_WINDOW);
    this.#outputMark = new Uint32Array(maxTools);
  }

  /** Calls waiting to be learnt. */
  get pending(): number {
    return this.#pendingCount;
  }

  /** Queues `tool` (called after `position` calls of its session, sample weight `weight`) as the call after those held in `history`. */
  enqueue(history: CallHistory, position: number, tool: number, weight: number): void {
    if (this.#pendingCount === this.#pending.length / ROW) {
      if (this.#pendingCount < MAX_PENDING) this.#growPending();
      else {
        // full: the oldest waiting call goes
        this.#pendingStart = (this.#pendingStart + 1) % MAX_PENDING;
        this.#pendingCount--;
        this.unlearned++;
      }
    }
    const rows = this.#pending.length / ROW;
    const index = (this.#pendingStart + this.#pendingCount) % rows;
    const row = index * ROW;
    const pending = this.#pending;
    this.#pendingWeights[index] = weight;
    const held = Math.min(history.length, LOG_LINEAR_WINDOW);
    pending[row] = Math.min(position, 0xffff); // only its bucket (64+ the last) is read
    pending[row + 1] = tool;
    pending[row + 2] = held;
    for (let back = 1; back <= held; back++) pending[row + 3 + held - back] = history.tools[history.slot(back)]!;
    this.#pendingCount++;
  }

  /**
   * Learns pending calls, oldest first, up to {@link LEARN_WORK_PER_CALL} of work (a bounded pause;
   * a backlog drains over the next predictions). `order` is the tools by overall frequency (most
   * frequent first): a step scores the first {@link OUTPUT_TOOLS} of them.
   */
  learnPending(order: Int32Array | readonly number[], toolCount: number): void {
    if (this.#pendingCount === 0) return;
    const pending = this.#pending;
    const rows = pending.length / ROW;
    const window = this.#window;
    for (let work = 0; work < LEARN_WORK_PER_CALL && this.#pendingCount > 0; ) {
      const row = this.#pendingStart * ROW;
      const held = pending[row + 2]!;
      for (let i = 0; i < held; i++) window[i] = pending[row + 3 + i]!;
      const weight = this.#pendingWeights[this.#pendingStart]!;
      work += this.#learn(window, held, pending[row]!, pending[row + 1]!, weight, order, toolCount);
      this.#pendingStart = this.#pendingStart + 1 === rows ? 0 : this.#pendingStart + 1;
      this.#pendingCount--;
    }
    if (this.#pendingCount === 0) this.#pendingStart = 0;
  }

  /**
   * Prepares the features of the calls `tools[0..count)` (oldest first; indices at or past
   * `maxTools` are tools the model has never seen), the last of a sequence of `position` calls.
   */
  prepare(tools: Int32Array, count: number, position: number): void {
    const start = Math.max(0, count - LOG_LINEAR_WINDOW);
    const window = this.#window;
    for (let i = start; i < count; i++) window[i - start] = tools[i]!;
    this.#featuresOf(window, count - start, position);
  }

  /** The score of tool `t` for the prepared (or, while learning, the learnt call's) features (`0` for a tool the model has never seen). */
  score(t: number): number {
    if (t >= this.maxTools) return 0;
    const weights = this.#weights;
    const rows = this.#features;
    const count = this.#featureCount;
    const offset = toolOffset(t);
    let score = 0;
    for (let i = 0; i < count; i++) score += weights[(rows[i]! + offset) & WEIGHT_MASK]!;
    return score;
  }

  clear(): void {
    this.#weights = new Float32Array(1 << WEIGHT_BITS);
    this.#squares = new Float64Array(1 << RATE_BITS);
    this.#pending = this.#rows(0);
    this.#pendingWeights = new Float64Array(0);
    this.#pendingStart = 0;
    this.#pendingCount = 0;
    this.unlearned = 0;
    this.learnt = 0;
  }

  #rows(count: number): Uint16Array | Int32Array {
    return this.maxTools <= 0x10000 ? new Uint16Array(count * ROW) : new Int32Array(count * ROW);
  }

  #growPending(): void {
    const rows = this.#pending.length / ROW;
    const size = Math.min(MAX_PENDING, Math.max(1024, rows * 2));
    const grown = this.#rows(size);
    const grownWeights = new Float64Array(size);
    // unrolled from the ring's start, so the ring starts at 0
    for (let i = 0; i < this.#pendingCount; i++) {
      const from = (this.#pendingStart + i) % rows;
      grown.set(this.#pending.subarray(from * ROW, from * ROW + ROW), i * ROW);
      grownWeights[i] = this.#pendingWeights[from]!;
    }
    this.#pending = grown;
    this.#pendingWeights = grownWeights;
    this.#pendingStart = 0;
  }

  /** Fills `#features` for `window[0..held)` (oldest first), the last calls of `position`. */
  #featuresOf(window: Int32Array, held: number, position: number): void {
    const features = this.#features;
    const maxTools = this.maxTools;
    let n = 0;
    features[n++] = 0x2545f491; // bias
    const bucket = positionBucketOf(position);
    features[n++] = mix(0x27d4eb2f, bucket);
    const last = held > 0 ? window[held - 1]! : -1;
    if (last >= 0) features[n++] = mix(mix(0x165667b1, bucket), last);
    for (let back = 1; back <= 4 && back <= held; back++) features[n++] = mix(0x61c88647 + back, window[held - back]!);
    if (held >= 2) features[n++] = mix(mix(0x7f4a7c15, last), window[held - 2]!);
    if (held >= 3) features[n++] = mix(mix(mix(0x3c6ef372, last), window[held - 2]!), window[held - 3]!);
    // the window's tools: there, how recently, how often (a tool never seen has no index to count by)
    const counts = this.#counts;
    const recency = this.#recency;
    for (let i = 0; i < held; i++) {
      const t = window[i]!;
      if (t < maxTools) {
        counts[t] = 0;
        recency[t] = 0;
      }
    }
    for (let i = held - 1; i >= 0; i--) {
      const t = window[i]!;
      if (t >= maxTools) continue;
      counts[t]!++;
      if (recency[t] === 0) recency[t] = held - i;
    }
    for (let i = held - 1; i >= 0; i--) {
      const t = window[i]!;
      if (t >= maxTools || recency[t] !== held - i) continue; // once per tool, at its latest call
      features[n++] = mix(0x1b873593, t);
      features[n++] = mix(mix(0x5bd1e995, recencyBucket(held - i)), t);
      const c = counts[t]!;
      if (c >= 2) features[n++] = mix(mix(0x68e31da4, c >= 8 ? 2 : c >= 4 ? 1 : 0), t);
    }
    // each feature by its row (the top bits of its hash): a weight is then one add and mask away
    for (let i = 0; i < n; i++) features[i] = features[i]! >>> ROW_SHIFT;
    this.#featureCount = n;
  }

  /** One step of softmax cross-entropy towards `next` after `window[0..held)`, weighted by `weight`; the work done (weights read). */
  #learn(
    window: Int32Array,
    held: number,
    position: number,
    next: number,
    weight: number,
    order: Int32Array | readonly number[],
    toolCount: number,
  ): number {
    this.#featuresOf(window, held, position);
    // the outputs scored: the most frequent tools, the answer, the window's tools
    const outputs = this.#outputs;
    const mark = this.#outputMark;
    if (++this.#epoch === 0xffffffff) {
      mark.fill(0);
      this.#epoch = 1;
    }
    const epoch = this.#epoch;
    let outputCount = 0;
    const frequent = Math.min(OUTPUT_TOOLS, order.length, toolCount);
    for (let i = 0; i < frequent; i++) {
      const t = order[i]!;
      mark[t] = epoch;
      outputs[outputCount++] = t;
    }
    if (next < this.maxTools && mark[next] !== epoch) {
      mark[next] = epoch;
      outputs[outputCount++] = next;
    }
    for (let i = 0; i < held; i++) {
      const t = window[i]!;
      if (t >= this.maxTools || mark[t] === epoch) continue;
      mark[t] = epoch;
      outputs[outputCount++] = t;
    }
    const weights = this.#weights;
    const features = this.#features;
    const featureCount = this.#featureCount;
    const scores = this.#scores;
    let best = -Infinity;
    for (let o = 0; o < outputCount; o++) {
      const t = outputs[o]!;
      const s = this.score(t);
      scores[t] = s;
      if (s > best) best = s;
    }
    let partition = 0;
    for (let o = 0; o < outputCount; o++) {
      const t = outputs[o]!;
      partition += scores[t] = Math.exp(scores[t]! - best);
    }
    // gradient per output, times the call's sample weight: w·(p(t) − [t = next]); its squared norm
    // grows each feature's AdaGrad sum first, so a heavy call's step stays bounded
    let squared = 0;
    for (let o = 0; o < outputCount; o++) {
      const t = outputs[o]!;
      const g = weight * (scores[t]! / partition - (t === next ? 1 : 0));
      scores[t] = g;
      squared += g * g;
    }
    const squares = this.#squares;
    for (let i = 0; i < featureCount; i++) {
      const row = features[i]!;
      const r = row >>> RATE_SHIFT;
      squares[r]! += squared;
      const step = LEARNING_RATE / Math.sqrt(squares[r]! + 1);
      for (let o = 0; o < outputCount; o++) {
        const t = outputs[o]!;
        const g = scores[t]!;
        if (g > 1e-4 || g < -1e-4) weights[(row + toolOffset(t)) & WEIGHT_MASK]! -= step * g;
      }
    }
    this.learnt++;
    return outputCount * featureCount;
  }
}
