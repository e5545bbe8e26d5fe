import { createSeededRandom } from '@perftrack/core';
import { QuantileSketch, normalizeErrorMessage, wilsonLowerBound } from '@perftrack/analytics';

function exact(sorted: Float64Array, q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

describe('QuantileSketch', () => {
  test('every quantile is within the stated relative error of the exact one (1 M log-normal latencies)', () => {
    const rand = createSeededRandom(7);
    const sketch = new QuantileSketch({ relativeAccuracy: 0.01 });
    const values = new Float64Array(1_000_000);
    for (let i = 0; i < values.length; i++) {
      const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      values[i] = Math.exp(3 + 1.5 * z); // median ~20 ms, long tail
      sketch.add(values[i]!);
    }
    values.sort();
    for (const q of [0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999]) {
      const truth = exact(values, q);
      expect(Math.abs(sketch.quantile(q) - truth) / truth).toBeLessThanOrEqual(0.01 + 1e-9);
    }
    expect(sketch.quantile(0)).toBe(values[0]);
    expect(sketch.quantile(1)).toBe(values[values.length - 1]);
    expect(sketch.count).toBe(1_000_000);
    expect(sketch.allocatedBins).toBeLessThanOrEqual(2048);
  });

  test('weights count as repeated values, zero and negative durations count as 0, junk is ignored', () => {
    const s = new QuantileSketch();
    s.add(10, 9);
    s.add(1000, 1);
    expect(s.quantile(0.5)).toBeCloseTo(10, 0);
    expect(s.quantile(0.95)).toBeCloseTo(1000, -1);
    const z = new QuantileSketch();
    z.add(0);
    z.add(-3);
    z.add(NaN);
    z.add(5, 0);
    expect(z.count).toBe(2);
    expect(z.quantile(0.5)).toBe(0);
    expect(new QuantileSketch().quantile(0.5)).toBeNaN();
    expect(() => s.quantile(1.5)).toThrow(RangeError);
  });

  test('memory stays bounded over values spanning 20 orders of magnitude; high quantiles stay accurate', () => {
    const s = new QuantileSketch({ maxBins: 256 });
    for (let i = 0; i < 2_000_000; i++) s.add(10 ** ((i % 2000) / 100));
    expect(s.allocatedBins).toBeLessThanOrEqual(256);
    expect(s.collapsedWeight).toBeGreaterThan(0);
    const truth = 10 ** (1980 / 100);
    expect(Math.abs(s.quantile(0.99) - truth) / truth).toBeLessThan(0.02);
  });

  test('merging two sketches equals one sketch of all values', () => {
    const a = new QuantileSketch();
    const b = new QuantileSketch();
    const all = new QuantileSketch();
    for (let i = 1; i <= 10_000; i++) {
      (i % 2 ? a : b).add(i);
      all.add(i);
    }
    a.merge(b);
    for (const q of [0.1, 0.5, 0.99]) expect(a.quantile(q)).toBe(all.quantile(q));
    expect(() => a.merge(new QuantileSketch({ relativeAccuracy: 0.05 }))).toThrow(TypeError);
  });

  test('rejects bad options', () => {
    expect(() => new QuantileSketch({ relativeAccuracy: 0 })).toThrow(/relativeAccuracy/);
    expect(() => new QuantileSketch({ maxBins: 4 })).toThrow(/maxBins/);
  });
});

describe('evidence helpers', () => {
  test('Wilson lower bound: one failure in one call proves little, many do', () => {
    expect(wilsonLowerBound(1, 1)).toBeCloseTo(0.2065, 3);
    expect(wilsonLowerBound(0.5, 100)).toBeCloseTo(0.4038, 3);
    expect(wilsonLowerBound(0.3, 10_000)).toBeGreaterThan(0.29);
    expect(wilsonLowerBound(0, 0)).toBe(0);
  });

  test('error messages are normalised so paths, ids, numbers and URLs do not split groups', () => {
    expect(normalizeErrorMessage("ENOENT: no such file or directory, open '/tmp/a/b.ts'")).toBe(
      'ENOENT: no such file or directory, open <path>',
    );
    expect(normalizeErrorMessage('ENOENT: no such file or directory, open /src/x.ts')).toBe(
      'ENOENT: no such file or directory, open <path>',
    );
    expect(normalizeErrorMessage('Request 3fa85f64-5717-4562-b3fc-2c963f66afa6 failed after 1500ms')).toBe(
      'Request <uuid> failed after <n>',
    );
    expect(normalizeErrorMessage('timeout of 30000ms exceeded at https://api.example.com/v1/x?y=1')).toBe(
      'timeout of <n> exceeded at <url>',
    );
    expect(normalizeErrorMessage('commit deadbeef1234 not found in src/lib/a.ts')).toBe('commit <hex> not found in <path>');
    expect(normalizeErrorMessage('I/O error on C:\\Users\\bob\\file.txt line 42')).toBe('I/O error on <path> line <n>');
    expect(normalizeErrorMessage('x'.repeat(5000)).length).toBeLessThanOrEqual(160);
  });
});
