import { createSeededRandom, type ToolExecutionMetrics } from '@perftrack/core';
import { compareRuns, formatComparison } from '@perftrack/analytics';
import { mannWhitney } from './compare';

interface ToolSpec {
  /** Median duration in ms (log-normal). */
  median: number;
  sigma?: number;
  errorRate?: number;
  calls: number;
  sampleWeight?: number;
}

/** A run of synthetic records: log-normal durations, Bernoulli failures, 10 calls per session. */
function run(seed: number, tools: Record<string, ToolSpec>): ToolExecutionMetrics[] {
  const random = createSeededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const out: ToolExecutionMetrics[] = [];
  let i = 0;
  for (const [toolId, spec] of Object.entries(tools)) {
    for (let k = 0; k < spec.calls; k++, i++) {
      const duration = spec.median * Math.exp((spec.sigma ?? 0.5) * normal());
      const success = random() >= (spec.errorRate ?? 0.05);
      out.push({
        id: `${seed}-${i}`,
        toolId,
        sessionId: `ses_${Math.floor(i / 10)}`,
        startTime: 1_000 + i,
        endTime: 1_000 + i + duration,
        duration,
        success,
        ...(success ? {} : { error: 'boom', errorType: 'Error' }),
        sampleWeight: spec.sampleWeight ?? 1,
      });
    }
  }
  return out;
}

describe('compareRuns', () => {
  it('does not call noise a change: two runs from one distribution are unchanged in at least 95% of seeds', () => {
    const spec = { read: { median: 4, calls: 150 }, bash: { median: 120, sigma: 0.8, errorRate: 0.1, calls: 150 } };
    let changed = 0;
    const seeds = 200;
    for (let seed = 1; seed <= seeds; seed++) {
      const doc = compareRuns(run(seed * 2, spec), run(seed * 2 + 1, spec), { seed });
      const verdicts = [doc.overall, ...doc.tools].map((t) => t.verdict);
      expect(verdicts.every((v) => v !== 'insufficient-data')).toBe(true);
      if (verdicts.some((v) => v === 'improved' || v === 'regressed')) changed++;
    }
    expect(changed / seeds).toBeLessThanOrEqual(0.05);
  });

  it('finds a latency regression and an improvement, with intervals that exclude zero', () => {
    const a = run(1, { read: { median: 4, calls: 200 }, grep: { median: 10, calls: 200 } });
    const b = run(2, { read: { median: 6, calls: 200 }, grep: { median: 6, calls: 200 } });
    const doc = compareRuns(a, b, { labels: { a: 'gen-7', b: 'gen-8' } });
    const read = doc.tools.find((t) => t.toolId === 'read')!;
    const grep = doc.tools.find((t) => t.toolId === 'grep')!;
    expect(read.verdict).toBe('regressed');
    expect(read.p50!.relative!).toBeGreaterThan(0.3);
    expect(read.p50!.interval![0]).toBeGreaterThan(0);
    expect(read.latencyTest!.pValue).toBeLessThan(0.001);
    expect(read.reasons[0]).toMatch(/^p50 rose/);
    expect(grep.verdict).toBe('improved');
    expect(grep.p50!.interval![1]).toBeLessThan(0);
    expect(doc.labels).toEqual({ a: 'gen-7', b: 'gen-8' });
    expect(doc.schema).toBe('perftrack.compare/1');
  });

  it('finds an error-rate regression with a two-proportion test, even at equal latency', () => {
    const a = run(3, { bash: { median: 50, errorRate: 0.05, calls: 400 } });
    const b = run(4, { bash: { median: 50, errorRate: 0.25, calls: 400 } });
    const bash = compareRuns(a, b).tools[0]!;
    expect(bash.verdict).toBe('regressed');
    expect(bash.errorRate!.absolute).toBeCloseTo(bash.b.errorRate - bash.a.errorRate, 10);
    expect(bash.errorRate!.interval![0]).toBeGreaterThan(0);
    expect(bash.errorRate!.pValue).toBeLessThan(0.001);
    expect(bash.reasons.some((r) => r.startsWith('error rate rose'))).toBe(true);
  });

  it('a regression on one axis wins over an improvement on the other', () => {
    const a = run(5, { edit: { median: 20, errorRate: 0.02, calls: 400 } });
    const b = run(6, { edit: { median: 10, errorRate: 0.3, calls: 400 } });
    expect(compareRuns(a, b).tools[0]!.verdict).toBe('regressed');
  });

  it('says insufficient-data rather than guessing from a handful of calls', () => {
    const a = run(7, { webfetch: { median: 300, calls: 8 } });
    const b = run(8, { webfetch: { median: 900, calls: 8 } });
    const t = compareRuns(a, b).tools[0]!;
    expect(t.verdict).toBe('insufficient-data');
    expect(t.p50).toBeNull();
    expect(t.reasons[0]).toContain('30 needed in each run');
    // a tool only in the new run is reported, not compared
    const fresh = compareRuns(
      run(9, { read: { median: 4, calls: 50 } }),
      run(10, { read: { median: 4, calls: 50 }, glob: { median: 2, calls: 50 } }),
    );
    expect(fresh.tools.find((x) => x.toolId === 'glob')!.verdict).toBe('insufficient-data');
  });

  it('weighs sampled records: calls, error rates and calls per task are estimates of the true counts', () => {
    const a = run(11, { read: { median: 4, calls: 100, errorRate: 0, sampleWeight: 10 } });
    const doc = compareRuns(a, a);
    expect(doc.tools[0]!.a.calls).toBe(1_000);
    expect(doc.tools[0]!.a.callsPerTask).toBe(100); // 10 sessions
    expect(doc.runs.a).toEqual({ records: 100, tasks: 10 });
    expect(doc.tools[0]!.verdict).toBe('unchanged');
    const byTask = compareRuns(a, a, { taskOf: (r) => (Number(r.id.split('-')[1]) < 50 ? 'task-1' : 'task-2') });
    expect(byTask.tools[0]!.a.callsPerTask).toBe(500);
  });

  it('is reproducible for a seed, and bounded by maxSamples per tool', () => {
    const a = run(12, { read: { median: 4, calls: 3_000 } });
    const b = run(13, { read: { median: 4.4, calls: 3_000 } });
    const one = compareRuns(a, b, { seed: 5, maxSamples: 500 });
    const two = compareRuns(a, b, { seed: 5, maxSamples: 500 });
    expect(one).toEqual(two);
    expect(one.tools[0]!.a.timedCalls).toBe(3_000);
  });

  it('formats a readable table with the changes and verdicts', () => {
    const a = run(1, { read: { median: 4, calls: 200 }, grep: { median: 10, calls: 200 } });
    const b = run(2, { read: { median: 6, calls: 200 }, grep: { median: 6, calls: 200 } });
    const text = formatComparison(compareRuns(a, b, { labels: { a: 'gen-7', b: 'gen-8' } }));
    const lines = text.split('\n');
    expect(lines[0]).toBe('gen-7 → gen-8 (400 → 400 records, confidence 0.95)');
    expect(lines[1]).toMatch(/^tool\s+calls\s+failed\s+error rate\s+p50 ms\s+p95 ms\s+verdict$/);
    expect(lines.find((l) => l.startsWith('read'))).toMatch(/200 → 200 .*\(\+\d+%\).*regressed$/);
    expect(lines.find((l) => l.startsWith('grep'))).toMatch(/improved$/);
    expect(lines.find((l) => l.startsWith('all tools'))).toBeDefined();
  });

  it('prints hostile tool names and labels terminal-safe', () => {
    const evil = 'grep\u001b[2J\nrm -rf';
    const a = run(1, { [evil]: { median: 4, calls: 50 } });
    const b = run(2, { [evil]: { median: 4, calls: 50 } });
    const text = formatComparison(compareRuns(a, b, { labels: { a: 'a\u001b]0;x\u0007', b: 'b' } }));
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(text).toContain('grep?[2J?rm -rf');
    expect(text.split('\n')[0]).toMatch(/^a\?\]0;x\? → b /);
  });

  it('rejects bad options', () => {
    expect(() => compareRuns([], [], { confidence: 2 })).toThrow('confidence must be in (0.5, 1)');
    expect(() => compareRuns([], [], { minSamples: 1 })).toThrow('minSamples must be an integer >= 5');
    expect(() => compareRuns([], [], { minLatencyChange: -1 })).toThrow('minLatencyChange must be a finite number >= 0');
    expect(() => compareRuns([], [], { taskOf: 'session' as never })).toThrow('taskOf must be a function');
  });
});

describe('mannWhitney', () => {
  it('matches the textbook value for fully separated samples and finds nothing in identical ones', () => {
    const r = mannWhitney([1, 2, 3], [4, 5, 6]);
    expect(r.u).toBe(0);
    expect(r.z).toBeCloseTo(-1.964, 3); // (0 − 4.5) / √5.25
    expect(r.pValue).toBeCloseTo(0.0495, 3);
    expect(mannWhitney([1, 2, 3, 4], [1, 2, 3, 4]).pValue).toBeCloseTo(1, 6);
    expect(mannWhitney([5, 5, 5], [5, 5, 5]).pValue).toBe(1); // all tied: no evidence
  });
});
