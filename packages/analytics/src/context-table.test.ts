import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { UsagePatternTracker } from '@perftrack/analytics';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMiB = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
};

const rec = (i: number, sessionId: string, toolId: string, success = true): ToolExecutionMetrics => ({
  id: `r${i}`,
  toolId,
  sessionId,
  startTime: i,
  endTime: i + 1,
  duration: 1,
  success,
  ...(success ? {} : { error: `failed at step ${i % 3}`, errorType: 'Error' }),
  sampleWeight: 1,
});

describe('the sequence and context tables are bounded', () => {
  test('1 M calls of ever new sequences keep maxPatterns entries; heap after GC is flat', () => {
    const tracker = new UsagePatternTracker({ maxPatterns: 2_000, maxTools: 500, reorderWindow: 0 });
    // a seeded walk over 400 tools in sessions of 50 calls: far more distinct sequences than the bound
    let seed = 12345;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const heaps: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = round * 500_000; i < (round + 1) * 500_000; i++) {
        const r = next();
        tracker.onMetric(rec(i, `s${Math.floor(i / 50)}`, `t${r % 400}`, r % 11 !== 0));
      }
      const s = tracker.stats();
      expect(s.patterns).toBeLessThanOrEqual(2_000 + 4);
      expect(s.predictionContexts).toBeLessThanOrEqual(2_000 + 4);
      heaps.push(heapMiB());
    }
    console.log(
      `UsagePatternTracker, 0.5/1 M calls of new sequences (maxPatterns 2,000): heap ${heaps.map((h) => h.toFixed(1)).join(' / ')} MiB`,
    );
    const s = tracker.stats();
    expect(s.evictedPatterns).toBeGreaterThan(100_000);
    expect(s.evictedContexts).toBeGreaterThan(100_000);
    expect(heaps[1]! - heaps[0]!).toBeLessThan(4);
    // what is left still answers, from the heaviest sequences
    expect(tracker.getMostCommonPatterns(5).length).toBe(5);
    expect(tracker.predictNextTools(['t1', 't2'], 3).length).toBe(3);
  });

  test('a session going on across prunes: the heaviest sequences keep the counts of an unbounded tracker', () => {
    // the same calls into a tracker that prunes often and one that never does: after each prune the
    // session's next calls find their contexts again (the links of before the prune are stale), so
    // what the small tracker keeps must match the large one
    const small = new UsagePatternTracker({ maxPatterns: 64, reorderWindow: 0 });
    const large = new UsagePatternTracker({ maxPatterns: 1_000_000, reorderWindow: 0 });
    const tools = ['read', 'grep', 'edit', 'bash'];
    for (let i = 0; i < 20_000; i++) {
      // one long session over a few tools, plus noise tools that force evictions
      const toolId = i % 5 === 4 ? `noise${i}` : tools[(i * 7) % 4]!;
      for (const t of [small, large]) t.onMetric(rec(i, 'long', toolId));
    }
    const kept = small.getMostCommonPatterns(20);
    const all = new Map(large.getMostCommonPatterns(1_000).map((p) => [p.sequence.join(' '), p]));
    expect(kept.length).toBeGreaterThan(5);
    for (const p of kept) {
      const full = all.get(p.sequence.join(' '));
      expect(full).toBeDefined();
      if (!p.sequence.some((t) => t.startsWith('noise'))) expect(p.occurrences).toBe(full!.occurrences);
    }
  });
});
