/**
 * Sessions active since the last analytics pass, bounded: a set of ids with a ring of their
 * arrival order, so evicting the oldest is O(1) (a `Set`'s `values().next()` walks the deleted
 * entries left at its front and grows with the number of sessions). Iterates in arrival order.
 * @internal
 */
export class ActiveSessions implements Iterable<string> {
  readonly capacity: number;
  readonly #ids = new Set<string>();
  readonly #order: string[];
  #head = 0;
  #evicted = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#order = new Array<string>(capacity).fill('');
  }

  /** Sessions held. */
  get size(): number {
    return this.#ids.size;
  }

  /** Sessions forgotten because more than `capacity` were active between two passes. */
  get evicted(): number {
    return this.#evicted;
  }

  has(sessionId: string): boolean {
    return this.#ids.has(sessionId);
  }

  /** Marks `sessionId` active; returns true when an older session had to be forgotten for it. */
  add(sessionId: string): boolean {
    const ids = this.#ids;
    if (ids.has(sessionId)) return false;
    const size = ids.size;
    if (size < this.capacity) {
      let slot = this.#head + size;
      if (slot >= this.capacity) slot -= this.capacity;
      this.#order[slot] = sessionId;
      ids.add(sessionId);
      return false;
    }
    ids.delete(this.#order[this.#head]!);
    this.#order[this.#head] = sessionId;
    this.#head = this.#head + 1 === this.capacity ? 0 : this.#head + 1;
    ids.add(sessionId);
    this.#evicted++;
    return true;
  }

  clear(): void {
    this.#ids.clear();
    this.#head = 0;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.#ids.values();
  }
}
