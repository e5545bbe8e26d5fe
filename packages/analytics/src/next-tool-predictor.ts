import type { ContextNode, ContextTrie, ToolFrequency } from './context-trie';
import { fastLog } from './fast-log';
import type { LogLinearNextTool } from './next-tool-log-linear';
import { FOLLOWED_WINDOW, RECALL_WINDOW, type RecallCounts } from './next-tool-recall-counts';
import { RANKER_FEATURES, RANKER_ORDERS, type PositionFrequency } from './next-tool-ranker';
import type { ToolRegistry } from './tool-registry';
import type { ToolPrediction } from './usage-pattern-types';

/** Resolved prediction settings. @internal */
export interface PredictorSettings {
  readonly discount: number;
  readonly sessionAdaptation: boolean;
  readonly sessionDecay: number;
  readonly sessionUnigramPrior: number;
  readonly sessionBigramPrior: number;
  readonly sessionTrigramPrior: number;
  /** Weights of the ranker over the candidates' features ({@link RANKER_FEATURES} of them), or `null` to rank by the layered probability alone. */
  readonly rankerWeights: Float64Array | null;
}

/** Receives each ranked candidate's features (training the ranker offline). @internal */
export type FeatureSink = (toolId: string, features: Float64Array) => void;

/** Candidates the ranker scores: the most likely under the layered model. */
const RANKED_CANDIDATES = 6;
const LOG_FLOOR = 1e-4;
/** A module-level copy: read in the hottest loops, where a property of the imported module would be loaded each time. */
const ORDERS = RANKER_ORDERS;
/** `log(c + 0.1)` for whole counts below its length (the usual case: unsampled calls weigh 1). */
const LOG_COUNT = Float64Array.from({ length: 4096 }, (_, c) => Math.log(c + 0.1));
const logCount = (c: number): number => (c < 4096 && c === Math.floor(c) ? LOG_COUNT[c]! : fastLog(c + 0.1));

/**
 * The recent calls a prediction is made from, oldest first, at most the tracker's
 * `sessionHistory`: `tools[i]` is a tool index, or `maxTools + j` for the j-th tool the model
 * has never seen (named `unseenNames[j]`: the session itself can still show it is likely);
 * `outcomes[i]` is `1` succeeded, `0` failed, `-1` not given. Filled in place by the tracker.
 * @internal
 */
export class RecentCalls {
  readonly tools: Int32Array;
  readonly outcomes: Int8Array;
  length = 0;
  /** Calls in the whole sequence (or session) the recent calls end, for the position feature. */
  position = 0;
  readonly unseenNames: string[] = [];
  readonly #unseenIndex = new Map<string, number>();

  constructor(
    capacity: number,
    readonly maxTools: number,
  ) {
    this.tools = new Int32Array(capacity);
    this.outcomes = new Int8Array(capacity);
  }

  /** Starts a new fill. */
  clear(): void {
    this.length = 0;
    this.position = 0;
    if (this.unseenNames.length > 0) {
      this.unseenNames.length = 0;
      this.#unseenIndex.clear();
    }
  }

  /** The index standing for a tool the model has never seen, in this fill. */
  unseen(toolId: string): number {
    let j = this.#unseenIndex.get(toolId);
    if (j === undefined) {
      j = this.unseenNames.length;
      this.unseenNames.push(toolId);
      this.#unseenIndex.set(toolId, j);
    }
    return this.maxTools + j;
  }
}

/**
 * Next-tool prediction in three layers, all bounded whatever the sequence length:
 *
 * 1. **The trained model**: interpolated absolute discounting over contexts of 0..N−1 calls
 *    (`P_k(t) = max(c_k(t) − D, 0) / T_k + λ_k P_{k−1}(t)`, `λ_k = D·|next_k| / T_k`), from the
 *    longest context that was seen.
 * 2. **The session's own habits**: counts over the recent calls (each older call weighs
 *    `sessionDecay` less) of every tool, of what followed the last call, and of what followed the
 *    last two calls, each a Dirichlet estimate whose prior is the layer below:
 *    `p₀ = (u(t) + a₀·P(t)) / (U + a₀)`, `p₁ = (b(t) + a₁·p₀) / (B + a₁)`, `p₂ = (c(t) + a₂·p₁) / (C + a₂)`.
 * 3. **A ranker**: the {@link RANKED_CANDIDATES} most likely tools under layer 2 are re-scored by a
 *    linear model over their features (see `next-tool-ranker.ts`: both layers' log-probabilities,
 *    per-order counts, session recency, position in the session, what followed the last call
 *    split by the candidate's recent use and by whether it had followed that tool before, from two
 *    `RecallCounts`, and its score under `LogLinearNextTool`), trained offline by
 *    cross-validation on real sessions; `probability` is the softmax of those scores.
 *
 * Cost: O(N + recent calls + tools in the matched contexts); scratch arrays are reused.
 * @internal
 */
export class NextToolPredictor {
  readonly #model: Float64Array;
  readonly #support: Float64Array;
  readonly #order: Int32Array;
  readonly #unigram: Float64Array;
  readonly #bigram: Float64Array;
  readonly #trigram: Float64Array;
  readonly #lastSeen: Int32Array;
  /** `c_k(t)` of the matched context of k calls, at `(k − 1) · size + t`. */
  readonly #orderCounts: Float64Array;
  readonly #touched: Int32Array;
  readonly #touchedMark: Uint32Array;
  /** Marks the tools that followed an earlier call of the last call's tool within the last {@link FOLLOWED_WINDOW} calls. */
  readonly #followedMark: Uint32Array;
  readonly #size: number;
  #mark = 1;
  #touchedCount = 0;
  readonly #nodes: ContextNode[] = [];
  readonly #features = new Float64Array(RANKER_FEATURES);
  readonly #logTotals = new Float64Array(RANKER_ORDERS + 1);
  #candidates = new Int32Array(RANKED_CANDIDATES);
  #candidateScores = new Float64Array(RANKED_CANDIDATES);
  /** The results being kept (tool indices and probabilities, best first), at most `#resultLimit`. */
  #resultTools = new Int32Array(8);
  #resultScores = new Float64Array(8);
  #resultCount = 0;
  #resultLimit = 0;
  #held = 0;
  #wanted = 0;

  readonly #maxTools: number;

  // Per-prediction state read by the helpers below. The helpers are methods (and one callback
  // made once here), not closures made in `predict`: a bundler keeping function names wraps every
  // closure in a property definition, which cost about a quarter of a prediction.
  #frequencyCounts: Float64Array = new Float64Array(0);
  #rootScale = 0;
  #unigramTotal = 0;
  #perUnigram = 0;
  #perBigram = 0;
  #perTrigram = 0;
  #trainedShare = 0;
  #unigramShare = 0;
  #bigramShare = 0;
  #visitScale = 0;
  #visitBase = -1;
  #visitOrder = 0;
  /** Σ min(c, D) over the next tools of the context being visited. */
  #discounted = 0;
  #recent: RecentCalls | undefined;
  #tools: ToolRegistry | undefined;
  #matched = 0;
  #last = -1;
  #beforeLast = -1;
  #bucket = 0;
  #bucketTotal = 0;
  #positionScale = 0;
  #logPosition = 0;
  #positions: PositionFrequency | undefined;
  readonly #visit: (count: number, tool: number) => void;

  constructor(
    maxTools: number,
    maxRecent: number,
    readonly settings: PredictorSettings,
    /** The tracker's tables the ranker reads beside the tries: what follows a call by the candidate's recent use, by whether it followed that tool before, and the log-linear model. */
    readonly recall: RecallCounts,
    readonly followed: RecallCounts,
    readonly logLinear: LogLinearNextTool,
  ) {
    this.#maxTools = maxTools;
    // indices past maxTools stand for tools only the sequence itself shows
    const size = maxTools + maxRecent;
    this.#size = size;
    this.#model = new Float64Array(size);
    this.#support = new Float64Array(size);
    this.#order = new Int32Array(size);
    this.#unigram = new Float64Array(size);
    this.#bigram = new Float64Array(size);
    this.#trigram = new Float64Array(size);
    this.#lastSeen = new Int32Array(size);
    this.#orderCounts = new Float64Array(size * RANKER_ORDERS);
    this.#touched = new Int32Array(size);
    this.#touchedMark = new Uint32Array(size);
    this.#followedMark = new Uint32Array(size);
    const discount = settings.discount;
    // forEach, not for…of: no [key, value] array per entry on this path
    this.#visit = (c: number, t: number): void => {
      this.#touch(t);
      if (c > discount) this.#model[t]! += (c - discount) * this.#visitScale;
      // biome-ignore lint/complexity/useMathMinMax: a comparison, not a Math call (a runtime call under jest) on the hottest path
      this.#discounted += c > discount ? discount : c;
      if (this.#visitBase >= 0) this.#orderCounts[this.#visitBase + t] = c;
      if (this.#order[t] === 0 && this.#support[t] === 0) {
        this.#support[t] = c;
        this.#order[t] = this.#visitOrder;
      }
    };
  }

  predict(
    trie: ContextTrie,
    frequency: ToolFrequency,
    positions: PositionFrequency,
    tools: ToolRegistry,
    recent: RecentCalls,
    maxContext: number,
    limit: number,
    sink?: FeatureSink,
  ): ToolPrediction[] {
    if (frequency.total <= 0 || (limit === 0 && sink === undefined)) return [];
    const { sessionAdaptation, sessionDecay } = this.settings;
    const unigram = this.#unigram;
    const bigram = this.#bigram;
    const trigram = this.#trigram;
    const lastSeen = this.#lastSeen;
    const size = this.#size;
    const touched = this.#touched;
    const touchedMark = this.#touchedMark;
    const mark = this.#nextMark();
    this.#touchedCount = 0;
    this.#recent = recent;
    this.#tools = tools;
    this.#frequencyCounts = frequency.counts;

    // 1. the longest context of the recent calls that the model has seen
    const nodes = this.#nodes;
    nodes.length = 0;
    nodes.push(trie.root);
    const count = recent.length;
    for (let back = 1; back <= Math.min(count, maxContext); back++) {
      const i = count - back;
      const tool = recent.tools[i]!;
      if (tool >= this.#maxTools) break;
      const child = nodes[back - 1]!.children?.get(trie.tokenOf(tool, recent.outcomes[i] !== 0));
      if (child === undefined || child.total <= 0) break;
      nodes.push(child);
    }
    let scale = 1;
    const visit = this.#visit;
    for (let k = nodes.length - 1; k >= 1; k--) {
      const node = nodes[k]!;
      this.#visitScale = scale / node.total;
      this.#visitBase = k <= ORDERS ? (k - 1) * size : -1;
      this.#visitOrder = k;
      this.#discounted = 0;
      node.next.forEach(visit);
      // the mass the discount took (D a tool, or the whole count when a weighted count is below D):
      // D·|next| alone would hand back more than was taken, and the probabilities would sum past 1
      scale *= Math.min(1, this.#discounted / node.total);
    }
    this.#rootScale = scale / frequency.total;

    // 2. the session's own habits over its recent calls, newest weighing most
    let unigramTotal = 0;
    let bigramTotal = 0;
    let trigramTotal = 0;
    if (sessionAdaptation && count > 0) {
      const last = recent.tools[count - 1]!;
      const beforeLast = count > 1 ? recent.tools[count - 2]! : -1;
      let weight = 1;
      for (let i = count - 1; i >= 0; i--, weight *= sessionDecay) {
        const t = recent.tools[i]!;
        this.#touch(t);
        if (lastSeen[t] === 0) lastSeen[t] = count - i;
        unigram[t]! += weight;
        unigramTotal += weight;
        if (i > 0 && recent.tools[i - 1] === last) {
          bigram[t]! += weight;
          bigramTotal += weight;
          if (i > 1 && recent.tools[i - 2] === beforeLast) {
            trigram[t]! += weight;
            trigramTotal += weight;
          }
        }
      }
    }
    const { sessionUnigramPrior: a0, sessionBigramPrior: a1, sessionTrigramPrior: a2, rankerWeights } = this.settings;
    // p₀ = (u + a₀·P) / (U + a₀) and so on, as multiplications
    this.#unigramTotal = unigramTotal;
    this.#perUnigram = 1 / (unigramTotal + a0);
    this.#perBigram = 1 / (bigramTotal + a1);
    this.#perTrigram = 1 / (trigramTotal + a2);
    this.#trainedShare = a0 * this.#perUnigram;
    this.#unigramShare = a1 * this.#perBigram;
    this.#bigramShare = a2 * this.#perTrigram;
    const touchedCount = this.#touchedCount;

    if (rankerWeights === null && sink === undefined) {
      this.#startResults(limit);
      for (let i = 0; i < touchedCount; i++) {
        const t = touched[i]!;
        const probability = this.#probabilityOf(t, true);
        if (probability > 0) this.#offerResult(t, probability);
      }
      // tools nothing above touched rank by overall frequency (their probability is monotone in it)
      let taken = 0;
      for (let i = 0; i < frequency.order.length && taken < limit; i++) {
        const t = frequency.order[i]!;
        if (touchedMark[t] === mark) continue;
        const probability = this.#probabilityOf(t, false);
        if (probability <= 0) break;
        taken++;
        if (!this.#offerResult(t, probability)) break;
      }
      return this.#results(mark);
    }

    // 3. the ranker, over the most likely candidates of layer 2; the ones after them keep their layer-2 probability
    const wanted = RANKED_CANDIDATES + limit;
    if (this.#candidates.length < wanted) {
      this.#candidates = new Int32Array(wanted);
      this.#candidateScores = new Float64Array(wanted);
    }
    this.#held = 0;
    this.#wanted = wanted;
    for (let i = 0; i < touchedCount; i++) this.#offerCandidate(touched[i]!, this.#probabilityOf(touched[i]!, true));
    const candidates = this.#candidates;
    const scores = this.#candidateScores;
    let taken = 0;
    for (let i = 0; i < frequency.order.length && taken < wanted; i++) {
      const t = frequency.order[i]!;
      if (touchedMark[t] === mark) continue;
      taken++;
      const probability = this.#probabilityOf(t, false);
      // untouched tools' probability falls with their overall frequency: the rest cannot enter
      if (this.#held === wanted && probability <= scores[wanted - 1]!) break;
      this.#offerCandidate(t, probability);
    }
    const held = this.#held;

    const features = this.#features;
    const featureCount = features.length;
    const position = Math.max(recent.position, count);
    const bucket = positions.bucketOf(position);
    this.#bucket = bucket;
    this.#bucketTotal = positions.totalOf(bucket);
    this.#logPosition = fastLog(1 + position);
    this.#positionScale = (frequency.total + 1) / (this.#bucketTotal + 1);
    this.#last = count > 0 ? recent.tools[count - 1]! : -1;
    this.#beforeLast = count > 1 ? recent.tools[count - 2]! : -1;
    const matched = Math.min(nodes.length - 1, ORDERS);
    this.#matched = matched;
    const logTotals = this.#logTotals;
    for (let j = 1; j <= matched; j++) logTotals[j] = fastLog(nodes[j]!.total + 1);
    this.#positions = positions;
    this.logLinear.prepare(recent.tools, count, position);
    // what followed the last call's tool earlier, within the window the table counted (see RecallCounts)
    const followedMark = this.#followedMark;
    for (let i = count - 1; i >= Math.max(1, count - FOLLOWED_WINDOW + 1); i--) {
      if (recent.tools[i - 1] === this.#last) followedMark[recent.tools[i]!] = mark;
    }
    let best = -Infinity;
    const ranked = Math.min(held, RANKED_CANDIDATES);
    let rankedMass = 0;
    for (let c = 0; c < ranked; c++) rankedMass += scores[c]!;
    for (let c = 0; c < ranked; c++) {
      const t = candidates[c]!;
      this.#writeFeatures(t, scores[c]!, touchedMark[t] === mark);
      if (sink !== undefined) sink(this.#nameOf(t), features);
      if (rankerWeights === null) continue;
      let score = 0;
      for (let f = 0; f < featureCount; f++) score += rankerWeights[f]! * features[f]!;
      scores[c] = score;
      if (score > best) best = score;
    }
    if (rankerWeights === null || limit === 0) return [];
    let partition = 0;
    for (let c = 0; c < ranked; c++) partition += scores[c] = Math.exp(scores[c]! - best);
    this.#startResults(limit);
    for (let c = 0; c < held; c++) {
      // the ranked candidates share their layer-2 mass by the ranker's softmax
      const probability = c < ranked ? (rankedMass * scores[c]!) / partition : scores[c]!;
      this.#offerResult(candidates[c]!, probability);
    }
    return this.#results(mark);
  }

  /** The ranker's features of candidate `t` (layer-2 probability `probability`) into `#features`, from the per-prediction state. */
  #writeFeatures(t: number, probability: number, touchedHere: boolean): void {
    const features = this.#features;
    const lastSeen = this.#lastSeen;
    const unigram = this.#unigram;
    const bigram = this.#bigram;
    const trigram = this.#trigram;
    const matched = this.#matched;
    features[0] = fastLog(probability + LOG_FLOOR);
    features[1] = fastLog(this.#trainedOf(t, touchedHere) + LOG_FLOOR);
    for (let j = 1; j <= ORDERS; j++) {
      features[1 + j] = j <= matched ? logCount(touchedHere ? this.#orderCounts[(j - 1) * this.#size + t]! : 0) - this.#logTotals[j]! : 0;
    }
    const inSession = touchedHere && lastSeen[t]! > 0;
    features[4] = inSession ? fastLog(1 + unigram[t]!) : 0;
    features[5] = inSession && bigram[t]! > 0 ? fastLog(1 + bigram[t]!) : 0;
    features[6] = inSession && trigram[t]! > 0 ? fastLog(1 + trigram[t]!) : 0;
    features[7] = t === this.#last ? 1 : 0;
    features[8] = t === this.#beforeLast ? 1 : 0;
    features[9] = inSession ? 1 / lastSeen[t]! : 0;
    features[10] = inSession ? 0 : 1;
    features[11] = inSession ? 0 : this.#logPosition;
    // log of (share of t at this position) / (share of t overall)
    features[12] =
      t < this.#maxTools && this.#bucketTotal > 0
        ? fastLog(((this.#positions!.countOf(this.#bucket, t) + 0.5) * this.#positionScale) / (this.#frequencyCounts[t]! + 0.5))
        : 0;
    features[13] = this.recall.logShare(this.#last, t, inSession && lastSeen[t]! <= RECALL_WINDOW);
    features[14] = this.logLinear.score(t);
    features[15] = this.followed.logShare(this.#last, t, this.#followedMark[t] === this.#mark);
  }

  /** Keeps `t` among the `#wanted` likeliest candidates for the ranker, by layer-2 probability. */
  #offerCandidate(t: number, probability: number): void {
    const scores = this.#candidateScores;
    const candidates = this.#candidates;
    const held = this.#held;
    const wanted = this.#wanted;
    if (probability <= 0 || (held === wanted && probability <= scores[held - 1]!)) return;
    let i = held < wanted ? this.#held++ : held - 1;
    while (i > 0 && scores[i - 1]! < probability) {
      scores[i] = scores[i - 1]!;
      candidates[i] = candidates[i - 1]!;
      i--;
    }
    scores[i] = probability;
    candidates[i] = t;
  }

  #touch(t: number): void {
    const touchedMark = this.#touchedMark;
    if (touchedMark[t] === this.#mark) return;
    touchedMark[t] = this.#mark;
    this.#touched[this.#touchedCount++] = t;
    this.#model[t] = 0;
    this.#support[t] = 0;
    this.#order[t] = 0;
    this.#unigram[t] = 0;
    this.#bigram[t] = 0;
    this.#trigram[t] = 0;
    this.#lastSeen[t] = 0;
    const size = this.#size;
    for (let k = 0; k < ORDERS; k++) this.#orderCounts[k * size + t] = 0;
  }

  /** Layer 1: the trained model's probability of `t`. */
  #trainedOf(t: number, touchedHere: boolean): number {
    return t >= this.#maxTools ? 0 : (touchedHere ? this.#model[t]! : 0) + this.#rootScale * this.#frequencyCounts[t]!;
  }

  /** Layer 2: the trained model adapted to the session. */
  #probabilityOf(t: number, touchedHere: boolean): number {
    const trained = this.#trainedOf(t, touchedHere);
    if (this.#unigramTotal === 0) return trained;
    if (!touchedHere) return trained * this.#trainedShare * this.#unigramShare * this.#bigramShare;
    const p0 = this.#unigram[t]! * this.#perUnigram + trained * this.#trainedShare;
    const p1 = this.#bigram[t]! * this.#perBigram + p0 * this.#unigramShare;
    return this.#trigram[t]! * this.#perTrigram + p1 * this.#bigramShare;
  }

  #nameOf(t: number): string {
    return t >= this.#maxTools ? this.#recent!.unseenNames[t - this.#maxTools]! : this.#tools!.nameOf(t);
  }

  #startResults(limit: number): void {
    if (this.#resultTools.length < limit) {
      this.#resultTools = new Int32Array(limit);
      this.#resultScores = new Float64Array(limit);
    }
    this.#resultCount = 0;
    this.#resultLimit = limit;
  }

  /**
   * Keeps `t` among the best `limit` results (ties by name, ascending, so results are
   * deterministic); whether a result of this probability could still enter.
   */
  #offerResult(t: number, probability: number): boolean {
    const limit = this.#resultLimit;
    const tools = this.#resultTools;
    const scores = this.#resultScores;
    let n = this.#resultCount;
    if (limit === 0 || (n === limit && probability < scores[n - 1]!)) return false;
    let i = n;
    while (i > 0 && (scores[i - 1]! < probability || (scores[i - 1] === probability && this.#nameOf(tools[i - 1]!) > this.#nameOf(t)))) i--;
    if (i >= limit) return true;
    if (n === limit) n--;
    for (let j = n; j > i; j--) {
      tools[j] = tools[j - 1]!;
      scores[j] = scores[j - 1]!;
    }
    tools[i] = t;
    scores[i] = probability;
    this.#resultCount = n + 1;
    return true;
  }

  #results(mark: number): ToolPrediction[] {
    const maxTools = this.#maxTools;
    const out: ToolPrediction[] = [];
    for (let i = 0; i < this.#resultCount; i++) {
      const t = this.#resultTools[i]!;
      const unseen = t >= maxTools;
      const touchedHere = this.#touchedMark[t] === mark;
      out.push({
        toolId: this.#nameOf(t),
        probability: this.#resultScores[i]!,
        support: unseen ? 0 : touchedHere && this.#support[t]! > 0 ? this.#support[t]! : this.#frequencyCounts[t]!,
        order: unseen || !touchedHere ? 0 : this.#order[t]!,
      });
    }
    return out;
  }

  #nextMark(): number {
    if (++this.#mark === 0xffffffff) {
      this.#touchedMark.fill(0);
      this.#followedMark.fill(0);
      this.#mark = 1;
    }
    return this.#mark;
  }
}
