import type { ToolExecutionMetrics } from '@perftrack/core';
import { ToolTimeline } from '@perftrack/analytics';

let n = 0;
function rec(toolId: string, endTime: number, duration: number, extra: Partial<ToolExecutionMetrics> = {}): ToolExecutionMetrics {
  return {
    id: `r${n++}`,
    toolId,
    sessionId: 's',
    startTime: endTime - duration,
    endTime,
    duration,
    success: true,
    sampleWeight: 1,
    ...extra,
  };
}

describe('ToolTimeline', () => {
  it('buckets calls per second, failures and p95 per tool by end time', () => {
    const t = new ToolTimeline({ bucketMs: 1000, maxBuckets: 5 });
    for (let i = 1; i <= 100; i++) t.onMetric(rec('read', 10_000 + i, i)); // bucket 10: durations 1..100
    t.onMetric(rec('read', 11_500, 7, { success: false, error: 'x' }));
    t.onMetric(rec('grep', 12_200, 3, { sampleWeight: 4 }));
    const s = t.series();
    expect(s.times).toEqual([8000, 9000, 10000, 11000, 12000]);
    const read = s.tools.find((x) => x.toolId === 'read')!;
    expect(read.callsPerSecond).toEqual([0, 0, 100, 1, 0]);
    expect(read.failures).toEqual([0, 0, 0, 1, 0]);
    expect(Math.abs(read.p95[2]! - 95) / 95).toBeLessThan(0.02);
    expect(read.p95[3]).toBeCloseTo(7, 0);
    expect(read.p95[0]).toBeNull();
    const grep = s.tools.find((x) => x.toolId === 'grep')!;
    expect(grep.callsPerSecond[4]).toBe(4); // sample-weighted
    expect(s.tools.map((x) => x.toolId)).toEqual(['read', 'grep']); // most called first
  });

  it('scales calls to per-second rates for buckets other than one second', () => {
    const t = new ToolTimeline({ bucketMs: 500, maxBuckets: 2 });
    t.onMetric(rec('a', 1000, 1));
    t.onMetric(rec('a', 1100, 1));
    expect(t.series().tools[0]!.callsPerSecond).toEqual([0, 4]);
  });

  it('moves the window with `until` so a chart keeps scrolling while nothing arrives', () => {
    const t = new ToolTimeline({ bucketMs: 1000, maxBuckets: 3 });
    t.onMetric(rec('a', 5_000, 1));
    const s = t.series({ until: 6_500 });
    expect(s.times).toEqual([4000, 5000, 6000]);
    expect(s.tools[0]!.callsPerSecond).toEqual([0, 1, 0]);
    expect(t.series({ until: 60_000 }).tools).toEqual([]); // the call left the window
  });

  it('recycles old buckets and counts records older than the window as late', () => {
    const t = new ToolTimeline({ bucketMs: 1000, maxBuckets: 3 });
    t.onMetric(rec('a', 1_000, 1));
    t.onMetric(rec('a', 4_000, 1)); // same slot as bucket 1: recycled
    t.onMetric(rec('a', 1_500, 1)); // now older than the window
    const s = t.series();
    expect(s.times).toEqual([2000, 3000, 4000]);
    expect(s.tools[0]!.callsPerSecond).toEqual([0, 0, 1]);
    expect(s.late).toBe(1);
  });

  it('keeps out-of-order records that are still inside the window', () => {
    const t = new ToolTimeline({ bucketMs: 1000, maxBuckets: 3 });
    t.onMetric(rec('a', 3_000, 1));
    t.onMetric(rec('a', 2_000, 1));
    expect(t.series().tools[0]!.callsPerSecond).toEqual([0, 1, 1]);
  });

  it('limits and picks tools', () => {
    const t = new ToolTimeline();
    for (const [tool, k] of [
      ['a', 3],
      ['b', 2],
      ['c', 1],
    ] as const)
      for (let i = 0; i < k; i++) t.onMetric(rec(tool, 1000, 1));
    expect(t.series({ limit: 2 }).tools.map((x) => x.toolId)).toEqual(['a', 'b']);
    expect(t.series({ tools: ['c'] }).tools.map((x) => x.toolId)).toEqual(['c']);
  });

  it('stays bounded over 2 million calls with a million distinct tools and a moving clock', () => {
    const t = new ToolTimeline({ bucketMs: 1000, maxBuckets: 60, maxTools: 20 });
    const r = rec('x', 0, 1);
    const m = r as { -readonly [K in keyof ToolExecutionMetrics]: ToolExecutionMetrics[K] };
    for (let i = 0; i < 2_000_000; i++) {
      m.toolId = i % 2 === 0 ? 'hot' : `tool-${i % 1_000_000}`;
      m.endTime = i; // 1 ms apart: 2,000 s in all, far past the window
      m.startTime = i - 1;
      t.onMetric(m);
    }
    const s = t.series();
    expect(s.tools.length).toBeLessThanOrEqual(20);
    expect(s.tools.map((x) => x.toolId)).toContain('(other)');
    expect(s.times.length).toBe(60);
    const hot = s.tools.find((x) => x.toolId === 'hot')!;
    expect(hot.callsPerSecond.slice(0, 59).every((v) => v === 500)).toBe(true);
  });

  it('ignores malformed records and rejects bad options', () => {
    const t = new ToolTimeline();
    t.onMetric({ toolId: 'a' } as unknown as ToolExecutionMetrics);
    expect(t.series().tools).toEqual([]);
    expect(() => new ToolTimeline({ bucketMs: 0 })).toThrow(/bucketMs must be an integer/);
    expect(() => new ToolTimeline({ maxBuckets: 1.5 })).toThrow(/maxBuckets/);
    expect(() => new ToolTimeline({ bucket: 1 } as never)).toThrow(/bucket/);
    t.reset();
    expect(t.series().times).toEqual([]);
  });
});
