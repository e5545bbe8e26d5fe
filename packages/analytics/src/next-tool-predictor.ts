import type { ContextNode, ContextTrie, ToolFrequency } from './context-trie';
import type { ToolRegistry } from './tool-registry';
import { TopK } from './top-k';
import type { ToolPrediction } from './usage-pattern-types';

/** Resolved prediction settings. @internal */
export interface PredictorSettings {
  readonly discount: number;
  readonly sessionAdaptation: boolean;
  readonly sessionDecay: number;
  readonly sessionUnigramPrior: number;
  readonly sessionBigramPrior: number;
  readonly sessionTrigramPrior: number;
}

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
 * Next-tool prediction in two layers, both bounded whatever the sequence length:
 *
 * 1. **The trained model**: interpolated absolute discounting over contexts of 0..N−1 calls
 *    (`P_k(t) = max(c_k(t) − D, 0) / T_k + λ_k P_{k−1}(t)`, `λ_k = D·|next_k| / T_k`), from the
 *    longest context that was seen.
 * 2. **The session's own habits**: counts over the recent calls (each older call weighs
 *    `sessionDecay` less) of every tool, of what followed the last call, and of what followed the
 *    last two calls, each a Dirichlet estimate whose prior is the layer below:
 *    `p₀ = (u(t) + a₀·P(t)) / (U + a₀)`, `p₁ = (b(t) + a₁·p₀) / (B + a₁)`, `p₂ = (c(t) + a₂·p₁) / (C + a₂)`.
 *    A short session leaves the trained model almost as is; a long one with its own pattern
 *    (or tools the model never saw) is followed.
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
  readonly #touched: Int32Array;
  readonly #touchedMark: Uint32Array;
  #mark = 1;
  readonly #nodes: ContextNode[] = [];

  readonly #maxTools: number;

  constructor(
    maxTools: number,
    maxRecent: number,
    readonly settings: PredictorSettings,
  ) {
    this.#maxTools = maxTools;
    // indices past maxTools stand for tools only the sequence itself shows
    const size = maxTools + maxRecent;
    this.#model = new Float64Array(size);
    this.#support = new Float64Array(size);
    this.#order = new Int32Array(size);
    this.#unigram = new Float64Array(size);
    this.#bigram = new Float64Array(size);
    this.#trigram = new Float64Array(size);
    this.#touched = new Int32Array(size);
    this.#touchedMark = new Uint32Array(size);
  }

  predict(trie: ContextTrie, frequency: ToolFrequency, tools: ToolRegistry, recent: RecentCalls, maxContext: number, limit: number): ToolPrediction[] {
    if (frequency.total <= 0 || limit === 0) return [];
    const { discount, sessionAdaptation, sessionDecay } = this.settings;
    const model = this.#model;
    const support = this.#support;
    const order = this.#order;
    const unigram = this.#unigram;
    const bigram = this.#bigram;
    const trigram = this.#trigram;
    const touched = this.#touched;
    const touchedMark = this.#touchedMark;
    const mark = this.#nextMark();
    let touchedCount = 0;
    const touch = (t: number): void => {
      if (touchedMark[t] === mark) return;
      touchedMark[t] = mark;
      touched[touchedCount++] = t;
      model[t] = 0;
      support[t] = 0;
      order[t] = 0;
      unigram[t] = 0;
      bigram[t] = 0;
      trigram[t] = 0;
    };

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
    let k = 0;
    let total = 0;
    // forEach, not for…of: no [key, value] array per entry on this path
    const visit = (c: number, t: number): void => {
      touch(t);
      if (c > discount) model[t]! += (scale * (c - discount)) / total;
      if (order[t] === 0 && support[t] === 0) {
        support[t] = c;
        order[t] = k;
      }
    };
    for (k = nodes.length - 1; k >= 1; k--) {
      const node = nodes[k]!;
      total = node.total;
      node.next.forEach(visit);
      scale *= Math.min(1, (discount * node.next.size) / node.total);
    }
    const rootScale = scale / frequency.total;

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
        touch(t);
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
    const { sessionUnigramPrior: a0, sessionBigramPrior: a1, sessionTrigramPrior: a2 } = this.settings;
    const maxTools = this.#maxTools;
    const probabilityOf = (t: number, touchedHere: boolean): number => {
      const trained = t >= maxTools ? 0 : (touchedHere ? model[t]! : 0) + rootScale * frequency.counts[t]!;
      if (unigramTotal === 0) return trained;
      const p0 = ((touchedHere ? unigram[t]! : 0) + a0 * trained) / (unigramTotal + a0);
      const p1 = ((touchedHere ? bigram[t]! : 0) + a1 * p0) / (bigramTotal + a1);
      return ((touchedHere ? trigram[t]! : 0) + a2 * p1) / (trigramTotal + a2);
    };

    const top = new TopK<ToolPrediction>(limit);
    for (let i = 0; i < touchedCount; i++) {
      const t = touched[i]!;
      const probability = probabilityOf(t, true);
      if (probability <= 0 || !top.wants(probability)) continue;
      const unseen = t >= maxTools;
      const toolId = unseen ? recent.unseenNames[t - maxTools]! : tools.nameOf(t);
      top.add(probability, toolId, () => ({ toolId, probability, support: unseen ? 0 : support[t]! > 0 ? support[t]! : frequency.counts[t]!, order: unseen ? 0 : order[t]! }));
    }
    // tools nothing above touched rank by overall frequency (their probability is monotone in it)
    let taken = 0;
    for (let i = 0; i < frequency.order.length && taken < limit; i++) {
      const t = frequency.order[i]!;
      if (touchedMark[t] === mark) continue;
      const probability = probabilityOf(t, false);
      if (probability <= 0) break;
      taken++;
      if (!top.wants(probability)) break;
      const toolId = tools.nameOf(t);
      top.add(probability, toolId, () => ({ toolId, probability, support: frequency.counts[t]!, order: 0 }));
    }
    return top.sorted();
  }

  #nextMark(): number {
    if (++this.#mark === 0xffffffff) {
      this.#touchedMark.fill(0);
      this.#mark = 1;
    }
    return this.#mark;
  }
}
