import { SizeEstimator } from '@perftrack/core/internal';

describe('SizeEstimator', () => {
  const est = new SizeEstimator();

  test('approximates JSON size for JSON-like data', () => {
    const value = { path: '/src/a.ts', lines: [1, 2, 3], nested: { ok: true, note: null, text: 'hello world' } };
    const json = JSON.stringify(value).length;
    const size = est.estimate(value);
    expect(size).toBeGreaterThan(json * 0.8);
    expect(size).toBeLessThan(json * 1.3);
    expect(est.capped).toBe(false);
  });

  test('primitives, binary data, maps, sets and dates', () => {
    expect(est.estimate('abc')).toBe(5);
    expect(est.estimate(12)).toBe(8);
    expect(est.estimate(undefined)).toBe(0);
    expect(est.estimate(Buffer.alloc(1000))).toBe(1000);
    expect(est.estimate(new Map([['k', 'v']]))).toBeGreaterThan(4);
    expect(est.estimate(new Set([1, 2]))).toBeGreaterThan(4);
    expect(est.estimate(new Date())).toBe(26);
  });

  test('cycles end, and shared sub-objects count once', () => {
    const a: Record<string, unknown> = { x: 'abc' };
    a.self = a;
    expect(est.estimate(a)).toBeLessThan(40);
    expect(est.capped).toBe(false);
    const many = Array.from({ length: 100 }, (_, i) => ({ i }));
    const loop: unknown[] = [...many];
    loop.push(loop);
    expect(est.estimate(loop)).toBeGreaterThan(100);
    expect(est.capped).toBe(false);
  });

  test('work is capped: a huge value is a lower bound, marked capped, and the next estimate is clean', () => {
    const small = new SizeEstimator({ maxNodes: 100 });
    expect(small.estimate(Array.from({ length: 10_000 }, (_, i) => i))).toBeLessThan(2000);
    expect(small.capped).toBe(true);
    expect(small.estimate({ a: 1 })).toBe(15); // braces 2, key 1 + quotes/colon 4, number 8
    expect(small.capped).toBe(false);
  });

  test('a throwing getter or proxy trap ends the estimate without throwing', () => {
    const trap = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('trap');
        },
      },
    );
    expect(() => est.estimate({ inner: trap })).not.toThrow();
    expect(est.capped).toBe(true);
  });

  test('refuses a nonsense limit', () => {
    expect(() => new SizeEstimator({ maxNodes: 0 })).toThrow('SizeEstimator: maxNodes must be a positive integer, got 0');
  });
});
