/** Slots a table starts with. */
const INITIAL_SLOTS = 1 << 10;

/**
 * A bounded open-addressing table of weighted counts keyed by a whole number below 2^53 (a pair
 * or triple of tool indices): each key has `columns` counts. It doubles from 1,024 slots up to
 * `maxSlots` and then takes no new key past 3/4 full (the caller counts what it could not
 * keep); a key it does not hold reads as 0. Keys are never removed, only cleared all at once.
 * @internal
 */
export class CountTable {
  #keys = new Float64Array(INITIAL_SLOTS);
  #values: Float64Array[];
  #used = 0;
  readonly #shift: number;

  constructor(
    readonly columns: number,
    readonly maxSlots: number,
  ) {
    if (!(maxSlots >= INITIAL_SLOTS && (maxSlots & (maxSlots - 1)) === 0 && maxSlots <= 2 ** 30))
      throw new RangeError('CountTable: maxSlots must be a power of two from 1,024 to 2^30');
    this.#values = Array.from({ length: columns }, () => new Float64Array(INITIAL_SLOTS));
    this.#shift = 32 - Math.log2(maxSlots);
  }

  /** Keys held. */
  get size(): number {
    return this.#used;
  }

  /** The count of `key` in `column` (0 when the key is not held). */
  get(key: number, column: number): number {
    const slot = this.find(key);
    return slot < 0 ? 0 : this.#values[column]![slot]!;
  }

  /** The slot of `key`, or −1 when it is not held. */
  find(key: number): number {
    const keys = this.#keys;
    const m = keys.length - 1;
    for (let i = this.#hash(key); ; i++) {
      const k = keys[i & m]!;
      if (k === key) return i & m;
      if (k === 0) return -1;
    }
  }

  /** The counts of one column, indexed by slot (valid until the next {@link slotFor} or {@link clear}). */
  column(column: number): Float64Array {
    return this.#values[column]!;
  }

  /** The slot of `key` (a positive whole number), inserted (growing the table) if needed; −1 when the table is full. */
  slotFor(key: number): number {
    let keys = this.#keys;
    let m = keys.length - 1;
    let i = this.#hash(key);
    for (; ; i++) {
      const k = keys[i & m]!;
      if (k === key) return i & m;
      if (k === 0) break;
    }
    if (this.#used * 4 >= keys.length * 3) {
      if (keys.length >= this.maxSlots) return -1;
      this.#grow();
      keys = this.#keys;
      m = keys.length - 1;
      for (i = this.#hash(key); keys[i & m] !== 0; i++);
    }
    keys[i & m] = key;
    this.#used++;
    return i & m;
  }

  /** Adds `weight` to `column` of `key`; false (nothing added) when the key is new and the table full. */
  add(key: number, column: number, weight: number): boolean {
    const slot = this.slotFor(key);
    if (slot < 0) return false;
    this.#values[column]![slot]! += weight;
    return true;
  }

  clear(): void {
    this.#keys = new Float64Array(INITIAL_SLOTS);
    this.#values = this.#values.map(() => new Float64Array(INITIAL_SLOTS));
    this.#used = 0;
  }

  /**
   * Multiplicative hashing of the key's two 32-bit halves folded together, by a 20-bit odd
   * constant (exact in doubles: no `Math.imul`, a runtime call under jest); the top bits of the
   * low word, as many as the largest table needs (a smaller table masks them).
   */
  #hash(key: number): number {
    return (((((key / 4294967296) ^ key) >>> 0) * 1040483) >>> 0) >>> this.#shift;
  }

  #grow(): void {
    const keys = this.#keys;
    const values = this.#values;
    const size = keys.length * 2;
    const grownKeys = new Float64Array(size);
    const grown = values.map(() => new Float64Array(size));
    const m = size - 1;
    for (let s = 0; s < keys.length; s++) {
      const key = keys[s]!;
      if (key === 0) continue;
      let i = this.#hash(key);
      while (grownKeys[i & m] !== 0) i++;
      grownKeys[i & m] = key;
      for (let c = 0; c < values.length; c++) grown[c]![i & m] = values[c]![s]!;
    }
    this.#keys = grownKeys;
    this.#values = grown;
  }
}
