import { checkInteger } from '@perftrack/core/internal';

/** Options of a {@link QuantileSketch}. */
export interface QuantileSketchOptions {
  /**
   * Relative accuracy α in (0, 0.5): every quantile returned is within a factor (1 ± α) of a
   * value whose rank is the one asked for. Default `0.01` (1%).
   */
  relativeAccuracy?: number;
  /**
   * Bound on the number of buckets (memory is at most 8 bytes each). When values span more
   * than this, the lowest buckets are merged, so low quantiles lose accuracy first and p50 and
   * above keep it. Default `2048`: with α = 1% that spans 1 µs to over 10⁸ ms without merging.
   */
  maxBins?: number;
  /** Values at or below this (and negative ones) count as 0. Default `1e-6` (1 ns in ms). */
  minValue?: number;
}

/** Adds held as (bucket, weight) pairs before a bucket array is allocated. */
const PENDING_ADDS = 8;
/** The bins of every sketch that has none yet (never written: its length is 0). */
const NO_BINS = new Float64Array(0);

/**
 * A streaming, mergeable quantile sketch with a relative-error guarantee (the DDSketch
 * construction: logarithmic buckets of ratio γ = (1+α)/(1−α)). `add` is O(1) amortised with no
 * allocation once the range of values is covered; memory is bounded by `maxBins`. Weighted
 * values (a sampled call's `sampleWeight`) are counted with their weight.
 *
 * Error bound: for any q, `quantile(q)` is within relative error α of the exact q-quantile of
 * the values added (while no bucket merge has happened below that rank).
 */
export class QuantileSketch {
  readonly relativeAccuracy: number;
  readonly #maxBins: number;
  readonly #minValue: number;
  readonly #invLnGamma: number;
  readonly #gamma: number;
  #bins: Float64Array = NO_BINS;
  /** Bucket index held by `#bins[0]`. */
  #offset = 0;
  #lo = 0; // lowest and highest bucket index in use (valid when #binCount > 0)
  #hi = -1;
  #binCount = 0;
  /**
   * The first adds' bucket indices and weights (pairs), before any bucket array exists: most
   * per-session sketches hold a handful of values, and replaying these adds into buckets when
   * more come (or at the first read) gives exactly the buckets adding them directly would have.
   * `null` once the buckets hold everything.
   */
  #pending: number[] | null = [];
  #zero = 0;
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;
  #collapsed = 0;

  constructor(options: QuantileSketchOptions = {}) {
    const alpha = options.relativeAccuracy ?? 0.01;
    const maxBins = options.maxBins ?? 2048;
    const minValue = options.minValue ?? 1e-6;
    if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 0.5))
      throw new TypeError(`QuantileSketch: relativeAccuracy must be a number in (0, 0.5), got ${String(alpha)}`);
    checkInteger('QuantileSketch', 'maxBins', maxBins, 16);
    if (typeof minValue !== 'number' || !(minValue > 0) || !Number.isFinite(minValue))
      throw new TypeError(`QuantileSketch: minValue must be a positive finite number, got ${String(minValue)}`);
    this.relativeAccuracy = alpha;
    this.#maxBins = maxBins;
    this.#minValue = minValue;
    this.#gamma = (1 + alpha) / (1 - alpha);
    this.#invLnGamma = 1 / Math.log(this.#gamma);
  }

  /** Total weight added. */
  get count(): number {
    return this.#count;
  }
  /** Weighted sum of the values added. */
  get sum(): number {
    return this.#sum;
  }
  /** Smallest value added (exact); `NaN` when empty. */
  get min(): number {
    return this.#count > 0 ? this.#min : NaN;
  }
  /** Largest value added (exact); `NaN` when empty. */
  get max(): number {
    return this.#count > 0 ? this.#max : NaN;
  }
  /** Buckets currently allocated (memory is 8 bytes each). */
  get allocatedBins(): number {
    return this.#bins.length;
  }
  /** Weight merged into a lower bucket because the range exceeded `maxBins`. */
  get collapsedWeight(): number {
    return this.#collapsed;
  }

  /** Adds `value` with `weight` (default 1). Non-finite values and non-positive weights are ignored. */
  add(value: number, weight = 1): void {
    if (!Number.isFinite(value) || !(weight > 0) || !Number.isFinite(weight)) return;
    this.#count += weight;
    this.#sum += value * weight;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    if (value <= this.#minValue) {
      this.#zero += weight;
      return;
    }
    const index = Math.ceil(Math.log(value) * this.#invLnGamma);
    const pending = this.#pending;
    if (pending !== null) {
      if (pending.length < 2 * PENDING_ADDS) {
        pending.push(index, weight);
        return;
      }
      this.#settle();
    }
    this.#addToBin(index, weight);
  }

  /** Moves the pending adds into the buckets, in the order they came. */
  #settle(): void {
    const pending = this.#pending;
    if (pending === null) return;
    this.#pending = null;
    for (let i = 0; i < pending.length; i += 2) this.#addToBin(pending[i]!, pending[i + 1]!);
  }

  #addToBin(index: number, weight: number): void {
    if (this.#binCount === 0) {
      if (this.#bins.length === 0) this.#bins = new Float64Array(Math.min(8, this.#maxBins)); // 64 bytes: kept in the V8 heap, cheap for the many small sketches of per-session figures;
      this.#offset = index - (this.#bins.length >> 1);
      this.#lo = this.#hi = index;
    } else if (index < this.#lo || index > this.#hi) {
      const lo = Math.min(index, this.#lo);
      const hi = Math.max(index, this.#hi);
      if (hi - lo + 1 > this.#maxBins) {
        // merge the lowest buckets so that the span fits
        const newLo = hi - this.#maxBins + 1;
        if (index < newLo) {
          this.#collapsed += weight;
          index = newLo;
        }
        this.#collapseBelow(newLo);
        this.#ensure(newLo, hi);
        this.#lo = Math.min(this.#lo, newLo);
      } else {
        this.#ensure(lo, hi);
        this.#lo = lo;
      }
      if (index > this.#hi) this.#hi = index;
      if (index < this.#lo) this.#lo = index;
    }
    this.#bins[index - this.#offset]! += weight;
    this.#binCount++;
  }

  /** Moves all weight in buckets below `newLo` into bucket `newLo`. */
  #collapseBelow(newLo: number): void {
    if (this.#lo >= newLo) return;
    let moved = 0;
    const end = Math.min(newLo - 1, this.#hi);
    for (let i = this.#lo; i <= end; i++) {
      const j = i - this.#offset;
      moved += this.#bins[j]!;
      this.#bins[j] = 0;
    }
    this.#collapsed += moved;
    this.#ensure(newLo, Math.max(newLo, this.#hi));
    this.#bins[newLo - this.#offset]! += moved;
    this.#lo = newLo;
    if (this.#hi < newLo) this.#hi = newLo;
  }

  /** Makes sure indices lo..hi fit in the array, reallocating (span doubled, capped) if needed. */
  #ensure(lo: number, hi: number): void {
    const len = this.#bins.length;
    if (lo >= this.#offset && hi < this.#offset + len) return;
    const span = hi - lo + 1;
    let size = Math.max(len, 64);
    while (size < span) size *= 2;
    size = Math.min(Math.max(size * 2, span), Math.max(this.#maxBins, span));
    const next = new Float64Array(size);
    const offset = lo - ((size - span) >> 1);
    if (this.#binCount > 0) {
      for (let i = Math.max(this.#lo, lo); i <= Math.min(this.#hi, hi); i++) next[i - offset] = this.#bins[i - this.#offset]!;
    }
    this.#bins = next;
    this.#offset = offset;
  }

  /**
   * The value at quantile `q` in [0, 1] (`0.5` median, `0.99` p99), within relative error α;
   * exact at 0 and 1 (min and max). `NaN` when empty.
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`QuantileSketch.quantile: q must be in [0, 1], got ${String(q)}`);
    if (this.#count <= 0) return NaN;
    if (q === 0) return this.#min;
    if (q === 1) return this.#max;
    this.#settle();
    const rank = q * this.#count;
    let cumulative = this.#zero;
    if (cumulative >= rank) return Math.max(0, Math.min(this.#min, this.#max));
    for (let i = this.#lo; i <= this.#hi; i++) {
      cumulative += this.#bins[i - this.#offset]!;
      if (cumulative >= rank) {
        const value = (2 * this.#gamma ** i) / (this.#gamma + 1);
        return Math.min(Math.max(value, this.#min), this.#max);
      }
    }
    return this.#max;
  }

  /**
   * Weighted sum of `max(0, value − baseline)` over the values above quantile `q`: e.g. with
   * `q = 0.5` and `baseline = p50`, the time that would be saved if every call slower than the
   * median took the median. Within relative error α, like the quantiles.
   */
  excessAbove(q: number, baseline: number): number {
    if (this.#count <= 0) return 0;
    this.#settle();
    const rank = q * this.#count;
    let cumulative = this.#zero;
    let excess = 0;
    for (let i = this.#lo; i <= this.#hi; i++) {
      const w = this.#bins[i - this.#offset]!;
      if (w === 0) continue;
      const before = cumulative;
      cumulative += w;
      if (cumulative <= rank) continue;
      const value = Math.min((2 * this.#gamma ** i) / (this.#gamma + 1), this.#max);
      const share = before >= rank ? w : cumulative - rank;
      if (value > baseline) excess += share * (value - baseline);
    }
    return excess;
  }

  /** Adds every value of `other` (same relative accuracy required). */
  merge(other: QuantileSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy)
      throw new TypeError('QuantileSketch.merge: sketches must have the same relativeAccuracy');
    if (other.#count <= 0) return;
    other.#settle();
    this.#settle();
    this.#count += other.#count;
    this.#sum += other.#sum;
    this.#zero += other.#zero;
    this.#collapsed += other.#collapsed;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
    if (other.#binCount === 0) return;
    for (let i = other.#lo; i <= other.#hi; i++) {
      const w = other.#bins[i - other.#offset]!;
      if (w > 0) this.#addToBin(i, w);
    }
  }

  /** Forgets every value (keeps the allocated buckets). */
  reset(): void {
    if (this.#pending !== null) this.#pending.length = 0;
    this.#bins.fill(0);
    this.#binCount = 0;
    this.#lo = 0;
    this.#hi = -1;
    this.#zero = this.#count = this.#sum = this.#collapsed = 0;
    this.#min = Infinity;
    this.#max = -Infinity;
  }
}
