import type { ToolExecutionMetrics } from '@perftrack/core';
import {
  AnalyticsEngine,
  compareRuns,
  compileCostModel,
  estimateCosts,
  formatComparison,
  formatSessionReport,
  type CostModel,
} from '@perftrack/analytics';

let n = 0;
function rec(toolId: string, extra: Partial<ToolExecutionMetrics> = {}): ToolExecutionMetrics {
  return {
    id: `c${n++}`,
    toolId,
    sessionId: 's1',
    messageId: 'm1',
    startTime: 0,
    endTime: 2000,
    duration: 2000,
    success: true,
    sampleWeight: 1,
    ...extra,
  };
}

const model: CostModel = {
  currency: 'EUR',
  default: { perSecond: 0.01 },
  tools: { webfetch: { perCall: 0.5, perOutputKB: 0.1 } },
  tokenPrices: { 'big-model': { inputPerMillion: 10, outputPerMillion: 30 }, '*': { inputPerMillion: 1, outputPerMillion: 2 } },
};

describe('cost model', () => {
  it('prices fixed, runtime, I/O and token costs per call, weighted by sample weight', () => {
    const r = estimateCosts(
      [
        rec('read'), // 2 s × 0.01 = 0.02
        rec('read', { sampleWeight: 4 }), // stands for 4 calls: 0.08
        rec('webfetch', { outputSize: 2048, messageId: 'm2' }), // 0.5 + 2 KB × 0.1 = 0.7 (its own rates: no runtime)
        rec('llm', { metadata: { tokens: { input: 1000, output: 500 }, model: 'big-model' }, duration: 0, sessionId: 's2' }), // 0.01 + 0.015
        rec('llm', { metadata: { 'tokens.input': 1_000_000 }, duration: 0, sessionId: 's2' }), // flat key, fallback price: 1
      ],
      model,
    );
    expect(r.currency).toBe('EUR');
    const by = Object.fromEntries(r.tools.map((t) => [t.toolId, t]));
    expect(by.read!.total).toBeCloseTo(0.1, 10);
    expect(by.read!.calls).toBe(5);
    expect(by.read!.perCall).toBeCloseTo(0.02, 10);
    expect(by.webfetch).toMatchObject({ fixed: 0.5, runtime: 0 });
    expect(by.webfetch!.io).toBeCloseTo(0.2, 10);
    expect(by.llm!.tokens).toBeCloseTo(1.025, 10);
    expect(r.total.total).toBeCloseTo(0.1 + 0.7 + 1.025, 10);
    expect(r.tasks.count).toBe(3); // s1/m1, s1/m2, s2/m1
    expect(r.sessions.map((s) => s.sessionId)).toEqual(['s2', 's1']);
  });

  it('counts token records without a price instead of guessing one, and never charges runtime for an untimed failure', () => {
    const r = estimateCosts(
      [
        rec('llm', { metadata: { tokens: { input: 5 }, model: 'x' } }),
        rec('bash', { success: false, untimed: true, duration: 0 } as Partial<ToolExecutionMetrics>),
      ],
      { default: { perCall: 1, perSecond: 100 } },
    );
    expect(r.unpricedTokenRecords).toBe(1);
    expect(r.tools.find((t) => t.toolId === 'bash')!.total).toBe(1);
  });

  it('rejects a bad model with the field named', () => {
    expect(() => compileCostModel({ default: { perSecnd: 1 } as never })).toThrow(/unknown rate "perSecnd"/);
    expect(() => compileCostModel({ tools: { a: { perCall: -1 } } })).toThrow(/tools\["a"\]\.perCall must be a finite number >= 0/);
    expect(() => compileCostModel({ tokenPrices: { x: { inputPerMillion: 1 } as never } })).toThrow(/outputPerMillion/);
    expect(() => compileCostModel({ price: 1 } as never)).toThrow(/unknown field "price"/);
  });

  it('is carried by AnalyticsEngine reports: per tool, per session, per task', () => {
    const engine = new AnalyticsEngine({ costModel: model });
    engine.ingest([
      rec('read'),
      rec('read', { messageId: 'm2' }),
      rec('read', { sessionId: 's2', messageId: 'm1' }),
      rec('webfetch', { sessionId: 's2', messageId: 'm1' }),
    ]);
    const all = engine.analyze();
    expect(all.summary.tasks).toBe(3);
    expect(all.summary.cost!.total).toBeCloseTo(0.06 + 0.5, 10);
    expect(all.summary.cost!.perTask).toBeCloseTo(0.56 / 3, 10);
    expect(all.tools.find((t) => t.toolId === 'read')!.cost!.perCall).toBeCloseTo(0.02, 10);
    expect(engine.analyze('s2').summary.cost!.total).toBeCloseTo(0.52, 10);
    expect(formatSessionReport(engine.overallReport())).toMatch(/cost 0\.560 EUR: 0\.140 per call, 0\.187 per task \(3 tasks\)/);
    expect(new AnalyticsEngine().analyze().summary.cost).toBeNull();
  });

  it('is carried by comparisons: cost per task of each run and its change', () => {
    const a = [rec('read', { sessionId: 'a1' }), rec('read', { sessionId: 'a2' })];
    const b = [rec('read', { sessionId: 'b1', duration: 4000 })];
    const doc = compareRuns(a, b, { costModel: model });
    expect(doc.overall.a.costPerTask).toBeCloseTo(0.02, 10);
    expect(doc.overall.b.costPerTask).toBeCloseTo(0.04, 10);
    expect(doc.overall.costPerTask!.relative).toBeCloseTo(1, 10);
    expect(formatComparison(doc)).toContain('cost/task');
    expect(compareRuns(a, b).overall.costPerTask).toBeNull();
  });
});
