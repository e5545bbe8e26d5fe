import { LRUCache } from 'lru-cache';
import { checkInteger } from './option-checks';

/**
 * The one bounded map of per-session (or per-key) state in perftrack: at most `max` entries,
 * the least recently used forgotten first and counted, in O(1) (node-lru-cache: a doubly linked
 * list over typed arrays, so eviction never walks deleted entries as `Map#keys().next()` does).
 * `onEvict` sees each entry forgotten for room (not those deleted or cleared), e.g. to recycle it.
 */
export class SessionLru<V extends {}> {
  readonly #cache: LRUCache<string, V>;
  #evicted = 0;

  constructor(where: string, max: number, onEvict?: (value: V, key: string) => void) {
    checkInteger(where, 'maxSessions', max, 1);
    this.#cache = new LRUCache<string, V>({
      max,
      dispose: (value, key, reason) => {
        if (reason !== 'evict') return;
        this.#evicted++;
        onEvict?.(value, key);
      },
      noDisposeOnSet: true,
    });
  }

  /** Entries held. */
  get size(): number {
    return this.#cache.size;
  }

  /** Entries forgotten for room since construction or {@link clear}. */
  get evicted(): number {
    return this.#evicted;
  }

  /** The entry, made the most recently used. */
  get(key: string): V | undefined {
    return this.#cache.get(key);
  }

  /** The entry, its recency unchanged. */
  peek(key: string): V | undefined {
    return this.#cache.peek(key);
  }

  has(key: string): boolean {
    return this.#cache.has(key);
  }

  /** Adds or replaces an entry as the most recently used, forgetting the least recently used past the bound. */
  set(key: string, value: V): void {
    this.#cache.set(key, value);
  }

  /** The entry, created by `create` (and added as the most recently used) when missing. */
  getOrCreate(key: string, create: () => V): V {
    let value = this.#cache.get(key);
    if (value === undefined) this.#cache.set(key, (value = create()));
    return value;
  }

  delete(key: string): boolean {
    return this.#cache.delete(key);
  }

  /** Keys, least recently used first. */
  keys(): string[] {
    return [...this.#cache.rkeys()];
  }

  /** Forgets every entry and the eviction count. */
  clear(): void {
    this.#cache.clear();
    this.#evicted = 0;
  }
}

/** Name under which a bounded tool table counts the tools past its bound. */
export const OTHER_TOOL = '(other)';

/**
 * The one "(other)" fold: the key `toolId` is counted under in a table that `held` tools so far
 * and may hold `maxTools` (one slot kept for {@link OTHER_TOOL}): `toolId` itself while it is
 * held or there is room, otherwise {@link OTHER_TOOL}.
 */
export function foldToolId(held: { has(toolId: string): boolean; readonly size: number }, toolId: string, maxTools: number): string {
  return held.size < maxTools - 1 || held.has(toolId) ? toolId : OTHER_TOOL;
}
