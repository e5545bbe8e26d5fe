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

/** Throws the public API's error for a bad `limit`. @internal */
export function checkLimit(method: string, limit: unknown): void {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)
    throw new TypeError(`${method}: limit must be a non-negative integer, got ${String(limit)}`);
}
