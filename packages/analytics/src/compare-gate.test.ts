import { createSeededRandom, type ToolExecutionMetrics } from '@perftrack/core';
import { compareRuns, evaluateGate, formatComparisonJUnit, formatComparisonMarkdown, isGateCondition } from '@perftrack/analytics';

function run(seed: number, readMs: number, bashErrorRate: number, calls = 300): ToolExecutionMetrics[] {
  const random = createSeededRandom(seed);
  const jitter = () => Math.exp(0.3 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
  const out: ToolExecutionMetrics[] = [];
  for (let i = 0; i < calls; i++) {
    for (const [toolId, ms, errorRate] of [
      ['read', readMs, 0],
      ['bash', 200, bashErrorRate],
    ] as const) {
      const duration = ms * jitter();
      out.push({
        id: `${seed}-${out.length}`,
        toolId,
        sessionId: `s${Math.floor(i / 10)}`,
        startTime: out.length * 1000,
        endTime: out.length * 1000 + duration,
        duration,
        success: random() >= errorRate,
        sampleWeight: 1,
      });
    }
  }
  return out;
}

describe('evaluateGate', () => {
  const base = run(1, 20, 0.05);
  it('fails on the kind of significant regression asked for, and on nothing else', () => {
    const slower = compareRuns(base, run(2, 40, 0.05));
    expect(evaluateGate(slower, 'regression')).toMatchObject({
      passed: false,
      failures: [expect.objectContaining({ toolId: 'read', figure: 'latency', reason: expect.stringMatching(/^p50 rose/) })],
    });
    expect(evaluateGate(slower, 'error-rate').passed).toBe(true);
    expect(evaluateGate(slower, 'any').passed).toBe(false);
    const failing = compareRuns(base, run(3, 20, 0.3));
    expect(evaluateGate(failing, 'error-rate').failures.map((f) => `${f.toolId} ${f.figure}`)).toEqual(
      expect.arrayContaining(['bash error-rate']),
    );
    expect(evaluateGate(failing, 'regression').passed).toBe(true);
    // noise and improvements pass
    expect(evaluateGate(compareRuns(base, run(4, 20, 0.05)), 'any').passed).toBe(true);
    expect(evaluateGate(compareRuns(run(2, 40, 0.3), base), 'any').passed).toBe(true);
  });

  it('marks checks without enough data as undecided (skipped in JUnit), never failed', () => {
    const doc = compareRuns(run(1, 20, 0.05, 5), run(2, 80, 0.9, 5));
    const gate = evaluateGate(doc, 'any');
    expect(gate.passed).toBe(true);
    expect(gate.checks.every((c) => !c.decided && !c.failed)).toBe(true);
    expect(formatComparisonJUnit(doc, gate)).toMatch(/<skipped message="latency: 5 and 5 timed calls, 30 needed in each run"\/>/);
  });

  it('validates the condition and escapes names in Markdown and XML', () => {
    expect(isGateCondition('any')).toBe(true);
    expect(isGateCondition('latency')).toBe(false);
    expect(() => evaluateGate(compareRuns(base, base), 'latency' as never)).toThrow(/condition must be one of regression, error-rate, any/);
    const evil = base.map((r) => ({ ...r, toolId: r.toolId === 'read' ? 'a|b<script>&"x"\u001b' : r.toolId }));
    const doc = compareRuns(evil, evil, { labels: { a: 'A', b: 'B' } });
    const gate = evaluateGate(doc, 'any');
    const md = formatComparisonMarkdown(doc, gate);
    expect(md).toContain('| a\\|b&lt;script&gt;&"x"? |');
    const xml = formatComparisonJUnit(doc, gate);
    expect(xml).toContain('name="a|b&lt;script&gt;&amp;&quot;x&quot;? latency"');
    expect(xml).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });
});
