import { Agent, Runner, tool, setTraceProcessors, setTracingDisabled, Usage } from '@openai/agents';
import { FakeClock, InMemorySubscriber, MetricsCollector } from '@perftrack/core';
import { PerftrackTracingProcessor } from '@perftrack/openai-agents';
import { describeScenarios, versionOf, type AgentsSdk } from './test-support/scenarios';

// The highest @openai/agents of the peer range (the devDependency); the lowest in the .lowest test.
describeScenarios({
  version: versionOf('@openai/agents'),
  Agent,
  Runner,
  tool,
  setTraceProcessors,
  setTracingDisabled,
  Usage,
} as unknown as AgentsSdk);

describe('PerftrackTracingProcessor bounds and options', () => {
  test('1,000,000 function spans that never end keep 1,000 open; the rest are recorded as Abandoned', () => {
    const collector = new MetricsCollector({ maxMetrics: 1000, onWarning: () => {} });
    let abandoned = 0;
    collector.subscribe({ onMetric: (m) => void (m.errorType === 'Abandoned' && abandoned++) });
    const warnings: string[] = [];
    const p = new PerftrackTracingProcessor({ collector, maxInFlight: 1000, clock: new FakeClock(), onWarning: (w) => warnings.push(w) });
    for (let i = 0; i < 1_000_000; i++)
      void p.onSpanStart({ traceId: 't', spanId: `s${i}`, parentId: null, spanData: { type: 'function', name: 'read' }, error: null });
    global.gc?.();
    console.log(
      `heap${global.gc ? ' after GC' : ''} after 1,000,000 unended function spans: ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MiB`,
    );
    expect(p.stats()).toMatchObject({ inFlight: 1000, abandoned: 999_000 });
    expect(abandoned).toBe(999_000);
    void p.shutdown();
    expect(p.stats()).toMatchObject({ inFlight: 0, abandoned: 1_000_000 });
    expect(warnings).toHaveLength(1);
  });

  test('spans other than function spans are ignored; an end without a start is counted once; times come from the clock', async () => {
    const collector = new MetricsCollector({ onWarning: () => {} });
    const sink = new InMemorySubscriber();
    collector.subscribe(sink);
    const clock = new FakeClock();
    const warnings: string[] = [];
    const p = new PerftrackTracingProcessor({ collector, clock, onWarning: (w) => warnings.push(w), sessionId: 's' });
    await p.onSpanStart({ traceId: 't', spanId: 'a', parentId: null, spanData: { type: 'agent', name: 'x' }, error: null });
    await p.onSpanEnd({ traceId: 't', spanId: 'zz', parentId: null, spanData: { type: 'function', name: 'x' }, error: null });
    await p.onSpanStart({ traceId: 't', spanId: 'f', parentId: 'a', spanData: { type: 'function', name: 'grep', input: '' }, error: null });
    clock.advance(7.25);
    await p.onSpanEnd({
      traceId: 't',
      spanId: 'f',
      parentId: 'a',
      spanData: { type: 'function', name: 'grep', input: '{"p":1}', output: 'ok' },
      error: null,
    });
    expect(sink.records).toEqual([
      expect.objectContaining({
        toolId: 'grep',
        sessionId: 's',
        duration: 7.25,
        inputSize: 7,
        outputSize: 2,
        parentCallId: 'a',
        runId: 't',
      }),
    ]);
    // the adapter's stamp for perftrack doctor
    expect(sink.records[0]!.metadata).toEqual({
      framework: 'openai-agents',
      adapterVersion: (require('../package.json') as { version: string }).version,
    });
    expect(p.stats()).toMatchObject({ unmatched: 1, recorded: 1 });
    expect(warnings).toEqual([expect.stringMatching(/never saw start/)]);
  });

  test('bad options are refused with a clear TypeError', () => {
    expect(() => new PerftrackTracingProcessor({ sampleRatio: 1 } as never)).toThrow(/unknown option "sampleRatio"/);
    expect(() => new PerftrackTracingProcessor({ sampleRates: { x: 2 } })).toThrow(/sample rate of x/);
    expect(() => new PerftrackTracingProcessor({ maxInFlight: -1 })).toThrow(/maxInFlight/);
  });
});
