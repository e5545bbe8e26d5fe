import { FakeClock, InMemorySubscriber, MetricsCollector } from '@perftrack/core';
import { PerftrackCallbackHandler } from '@perftrack/langchain';
import { tool } from '@langchain/core/tools';
import { RunnableLambda } from '@langchain/core/runnables';
import { AIMessageChunk, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { FakeStreamingChatModel } from '@langchain/core/utils/testing';
import { describeScenarios, type LangChainCore } from './test-support/scenarios';

// The highest @langchain/core of the peer range (the devDependency); the lowest runs in
// callback-handler.lowest.test.ts.
describeScenarios({
  failureHasToolCallId: true,
  version: (require('@langchain/core/package.json') as { version: string }).version,
  tool: tool as unknown as LangChainCore['tool'],
  RunnableLambda: RunnableLambda as unknown as LangChainCore['RunnableLambda'],
  HumanMessage: HumanMessage as unknown as LangChainCore['HumanMessage'],
  ToolMessage: ToolMessage as unknown as LangChainCore['ToolMessage'],
  AIMessageChunk: AIMessageChunk as unknown as LangChainCore['AIMessageChunk'],
  FakeStreamingChatModel: FakeStreamingChatModel as unknown as LangChainCore['FakeStreamingChatModel'],
});

describe('PerftrackCallbackHandler bounds and options', () => {
  test('runs that never end are bounded by maxInFlight: 1,000,000 starts keep 1,000 open, the rest recorded as Abandoned', () => {
    const collector = new MetricsCollector({ maxMetrics: 1000, onWarning: () => {} });
    let abandonedRecords = 0;
    collector.subscribe({ onMetric: (m) => void (m.errorType === 'Abandoned' && abandonedRecords++) });
    const warnings: string[] = [];
    const handler = new PerftrackCallbackHandler({
      collector,
      maxInFlight: 1000,
      clock: new FakeClock(),
      onWarning: (m) => warnings.push(m),
    });
    const serialized = { lc: 1, type: 'not_implemented', id: ['tool'] } as never;
    for (let i = 0; i < 1_000_000; i++) handler.handleToolStart(serialized, '{"a":1}', `run-${i}`, undefined, undefined, undefined, 'read');
    global.gc?.();
    console.log(
      `heap ${global.gc ? 'after GC' : '(no --expose-gc: before GC)'} after 1,000,000 unended tool runs: ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MiB`,
    );
    expect(handler.stats()).toMatchObject({ inFlight: 1000, abandoned: 999_000 });
    expect(abandonedRecords).toBe(999_000);
    expect(handler.abandonInFlight()).toBe(1000);
    expect(handler.stats()).toMatchObject({ inFlight: 0, abandoned: 1_000_000 });
    expect(warnings).toHaveLength(1);
  });

  test('an end without a start is counted and warned about once; times come from the clock', () => {
    const collector = new MetricsCollector({ onWarning: () => {} });
    const sink = new InMemorySubscriber();
    collector.subscribe(sink);
    const clock = new FakeClock();
    const warnings: string[] = [];
    const handler = new PerftrackCallbackHandler({ collector, clock, onWarning: (m) => warnings.push(m) });
    handler.handleToolEnd('x', 'never-started');
    handler.handleToolError(new Error('x'), 'never-started-either');
    expect(handler.stats().unmatched).toBe(2);
    expect(warnings).toEqual([expect.stringMatching(/never saw start/)]);
    handler.handleToolStart({ lc: 1, type: 'not_implemented', id: ['x', 'grep'] } as never, '"pattern"', 'r1');
    clock.advance(12.5);
    handler.handleToolEnd('found', 'r1');
    expect(sink.records[0]).toMatchObject({ toolId: 'grep', duration: 12.5, callId: 'r1', runId: 'r1', success: true, inputSize: 9 });
    // the adapter's stamp for perftrack doctor
    expect(sink.records[0]!.metadata).toEqual({
      framework: 'langchain',
      adapterVersion: (require('../package.json') as { version: string }).version,
    });
  });

  test('bad options are refused with a clear TypeError', () => {
    expect(() => new PerftrackCallbackHandler({ sampleRatio: 1 } as never)).toThrow(/unknown option "sampleRatio"/);
    expect(() => new PerftrackCallbackHandler({ sampleRate: 2 })).toThrow(/sample rate of \(sampleRate\)/);
    expect(() => new PerftrackCallbackHandler({ sampleRates: { read: -1 } })).toThrow(/sample rate of read/);
    expect(() => new PerftrackCallbackHandler({ collector: {} as never })).toThrow(/collector must be a MetricsCollector/);
    expect(() => new PerftrackCallbackHandler({ maxInFlight: 0 })).toThrow(/maxInFlight/);
    expect(() => new PerftrackCallbackHandler({ sessionId: '' })).toThrow(/sessionId/);
  });
});
