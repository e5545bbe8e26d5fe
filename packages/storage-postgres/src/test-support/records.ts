import type { ToolExecutionMetrics } from '@perftrack/core';

/** A small seeded generator (mulberry32), so a failing case is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One valid record. */
export function record(over: Partial<ToolExecutionMetrics> & { id: string }): ToolExecutionMetrics {
  const startTime = over.startTime ?? 1_764_633_600_000;
  const duration = over.duration ?? 5;
  return { toolId: 'read', sessionId: 's1', startTime, endTime: startTime + duration, duration, success: true, sampleWeight: 1, ...over };
}

/**
 * `count` varied records: several sessions and tools, failures with and without error types,
 * untimed failures, sample weights, sub-ms times over a few months (so several partitions), and
 * ties on startTime (so stored order matters).
 */
export function fleetRecords(count: number, seed = 1, sessions = 12): ToolExecutionMetrics[] {
  const random = seeded(seed);
  const tools = ['read', 'grep', 'edit', 'bash', 'web_fetch', 'glob'];
  const errors = ['ENOENT', 'TypeError', 'Timeout', undefined];
  const out: ToolExecutionMetrics[] = [];
  const base = Date.UTC(2026, 9, 20);
  const lastStart = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const s = Math.floor(random() * sessions);
    const toolId = tools[Math.floor(random() * random() * tools.length)]!;
    const success = random() > 0.15;
    const untimed = !success && random() < 0.2;
    const duration = untimed ? 0 : Math.round(random() * random() * 400 * 1000) / 1000;
    // one in five starts at the same time as the session's previous record (a tie)
    const previous = lastStart.get(s);
    const startTime =
      previous !== undefined && random() < 0.2 ? previous : base + (s * 9 + Math.floor(i / 10)) * 3_600_000 + random() * 1000;
    lastStart.set(s, startTime);
    const errorType = success ? undefined : errors[Math.floor(random() * errors.length)];
    out.push({
      id: `r${seed}-${i}`,
      toolId,
      sessionId: `session-${s}`,
      startTime,
      endTime: startTime + duration,
      duration,
      success,
      ...(untimed ? { untimed: true } : {}),
      ...(success ? {} : { error: 'failed', ...(errorType !== undefined ? { errorType } : {}) }),
      sampleWeight: random() < 0.1 ? 4 : 1,
      ...(i % 7 === 0 ? { inputSize: 120, metadata: { model: 'm', nested: { n: i } } } : {}),
    });
  }
  return out;
}
