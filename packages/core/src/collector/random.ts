import type { RandomSource } from '../api/types';

/**
 * A seeded pseudo-random source (mulberry32) for exact, repeatable sampling in tests.
 *
 * @example
 * new MetricsCollector({ random: createSeededRandom(42) })
 */
export function createSeededRandom(seed: number): RandomSource {
  if (!Number.isFinite(seed)) throw new TypeError(`createSeededRandom: seed must be a finite number, got ${String(seed)}`);
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
