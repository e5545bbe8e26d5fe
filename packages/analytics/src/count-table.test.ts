import { CountTable } from './count-table';

describe('CountTable', () => {
  test('adds weighted counts per key and column, reads 0 for a key it does not hold', () => {
    const table = new CountTable(2, 1 << 10);
    expect(table.add(5, 0, 1)).toBe(true);
    expect(table.add(5, 0, 2.5)).toBe(true);
    expect(table.add(5, 1, 1)).toBe(true);
    // keys past 2^32 (pairs and triples of tool indices) keep apart
    const big = 99_999 * 100_000 * 100_000 + 7;
    expect(table.add(big, 1, 4)).toBe(true);
    expect(table.get(5, 0)).toBe(3.5);
    expect(table.get(5, 1)).toBe(1);
    expect(table.get(big, 1)).toBe(4);
    expect(table.get(big, 0)).toBe(0);
    expect(table.get(6, 0)).toBe(0);
    expect(table.find(6)).toBe(-1);
    expect(table.size).toBe(2);
  });

  test('grows to its bound, keeps every count while it grows, then takes no new key', () => {
    const table = new CountTable(1, 1 << 12);
    let kept = 0;
    for (let key = 1; key <= 10_000; key++) if (table.add(key * 7919, 0, key)) kept++;
    // 3/4 of 4,096 slots
    expect(kept).toBe(3072);
    expect(table.size).toBe(3072);
    for (let key = 1; key <= kept; key++) expect(table.get(key * 7919, 0)).toBe(key);
    expect(table.get(10_000 * 7919, 0)).toBe(0);
    // a key already held still counts when full
    expect(table.add(7919, 0, 1)).toBe(true);
    expect(table.get(7919, 0)).toBe(2);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get(7919, 0)).toBe(0);
  });

  test('rejects a bound that is not a power of two from 1,024', () => {
    expect(() => new CountTable(1, 1000)).toThrow(RangeError);
    expect(() => new CountTable(1, 512)).toThrow(RangeError);
  });
});
