import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { foldToolId, OTHER_TOOL, SessionLru } from '@perftrack/core/internal';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const heapMiB = (): number => {
  gc();
  return process.memoryUsage().heapUsed / 1048576;
};

describe('SessionLru', () => {
  test('keeps the most recently used, forgets the least recently used first and counts it', () => {
    const seen: string[] = [];
    const lru = new SessionLru<{ n: number }>('Test', 2, (_value, key) => seen.push(key));
    lru.set('a', { n: 1 });
    lru.set('b', { n: 2 });
    expect(lru.get('a')).toEqual({ n: 1 }); // a is now the most recent
    lru.set('c', { n: 3 });
    expect(lru.keys()).toEqual(['a', 'c']);
    expect(seen).toEqual(['b']);
    expect(lru.peek('a')).toEqual({ n: 1 });
    lru.set('d', { n: 4 }); // peek did not refresh a
    expect(lru.keys()).toEqual(['c', 'd']);
    expect(lru.evicted).toBe(2);
    expect(lru.delete('c')).toBe(true);
    expect(seen).toEqual(['b', 'a']); // a delete is not an eviction
    expect(lru.getOrCreate('e', () => ({ n: 5 }))).toEqual({ n: 5 });
    expect(lru.getOrCreate('e', () => ({ n: 6 }))).toEqual({ n: 5 });
    lru.clear();
    expect([lru.size, lru.evicted, lru.has('e')]).toEqual([0, 0, false]);
  });

  test('refuses a missing or bad bound', () => {
    expect(() => new SessionLru('Where', 0)).toThrow('Where: maxSessions must be an integer >= 1');
    expect(() => new SessionLru('Where', Number.NaN)).toThrow(TypeError);
  });

  test('bounded: 3 M new keys through a bound of 10,000 hold 10,000 entries; heap after GC is flat', () => {
    const lru = new SessionLru<number[]>('Test', 10_000);
    const heaps: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1_000_000; i++) {
        lru.getOrCreate(`s${round}-${i}`, () => [i]);
      }
      heaps.push(heapMiB());
    }
    console.log(`SessionLru after 1/2/3 M keys (bound 10,000): heap ${heaps.map((h) => h.toFixed(1)).join(' / ')} MiB`);
    expect(lru.size).toBe(10_000);
    expect(lru.evicted).toBe(3_000_000 - 10_000);
    expect(heaps[2]! - heaps[0]!).toBeLessThan(8);
  });
});

describe('foldToolId', () => {
  test('a tool is its own key while held or while there is room (one slot is kept for "(other)")', () => {
    const held = new Map<string, number>();
    const keys: string[] = [];
    for (const tool of ['a', 'b', 'c', 'a', 'd']) {
      const key = foldToolId(held, tool, 3);
      keys.push(key);
      held.set(key, (held.get(key) ?? 0) + 1);
    }
    expect(keys).toEqual(['a', 'b', OTHER_TOOL, 'a', OTHER_TOOL]);
    expect(OTHER_TOOL).toBe('(other)');
  });
});
