/**
 * A fixed-capacity ring buffer: storage is allocated once, a push past capacity overwrites the
 * oldest item. No `shift()`, no regrowth.
 */
export class RingBuffer<T> {
  readonly capacity: number;
  readonly #items: (T | undefined)[];
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new TypeError(`RingBuffer: capacity must be a positive integer, got ${String(capacity)}`);
    }
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity).fill(undefined);
  }

  /** Number of items held. */
  get size(): number {
    return this.#size;
  }

  /** Appends an item; returns true when it overwrote the oldest one. */
  push(item: T): boolean {
    const items = this.#items;
    items[this.#head] = item;
    const next = this.#head + 1;
    this.#head = next === this.capacity ? 0 : next;
    if (this.#size < this.capacity) {
      this.#size++;
      return false;
    }
    return true;
  }

  /** Items from oldest to newest, optionally filtered. */
  toArray(predicate?: (item: T) => boolean): T[] {
    const out: T[] = [];
    const n = this.#size;
    let i = this.#size < this.capacity ? 0 : this.#head;
    for (let k = 0; k < n; k++) {
      const item = this.#items[i] as T;
      if (predicate === undefined || predicate(item)) out.push(item);
      i = i + 1 === this.capacity ? 0 : i + 1;
    }
    return out;
  }

  /** Drops every item (capacity is kept). */
  clear(): void {
    this.#items.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }
}
