import { QuantileSketch } from '@perftrack/analytics';

// The bucket rule written out plainly: the representative of the bucket holding the rank.
function expectedQuantile(values: number[], q: number, alpha = 0.01): number {
  const gamma = (1 + alpha) / (1 - alpha);
  const sorted = [...values].sort((a, b) => a - b);
  if (q === 0) return sorted[0]!;
  if (q === 1) return sorted[sorted.length - 1]!;
  const rank = q * values.length;
  const v = sorted[Math.ceil(rank) - 1]!;
  const i = Math.ceil(Math.log(v) / Math.log(gamma));
  return Math.min(Math.max((2 * gamma ** i) / (gamma + 1), sorted[0]!), sorted[sorted.length - 1]!);
}

describe('QuantileSketch with a handful of values (held before any bucket array exists)', () => {
  test('quantiles, excess and merge are those of the buckets, from 1 to 40 values', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let n = 1; n <= 40; n++) {
      const values = Array.from({ length: n }, () => Math.exp(3 + 2 * (rand() - 0.5) * 3));
      const one = new QuantileSketch();
      for (const v of values) one.add(v);
      const merged = new QuantileSketch();
      for (const v of values) {
        const s = new QuantileSketch();
        s.add(v);
        merged.merge(s);
      }
      for (const q of [0, 0.25, 0.5, 0.95, 0.99, 1]) {
        expect(one.quantile(q)).toBeCloseTo(expectedQuantile(values, q), 9);
        expect(merged.quantile(q)).toBe(one.quantile(q));
      }
      expect(merged.excessAbove(0.5, one.quantile(0.5))).toBeCloseTo(one.excessAbove(0.5, one.quantile(0.5)), 9);
      one.add(values[0]!); // adds after a read go on counting
      expect(one.count).toBe(n + 1);
    }
  });

  test('no bucket array is allocated for up to 8 values; reset forgets them', () => {
    const s = new QuantileSketch();
    for (let i = 1; i <= 8; i++) s.add(i * 10);
    expect(s.allocatedBins).toBe(0);
    s.reset();
    expect([s.count, s.quantile(0.5)]).toEqual([0, NaN]);
    s.add(5);
    expect(s.quantile(0.5)).toBeCloseTo(5, 1);
  });
});
