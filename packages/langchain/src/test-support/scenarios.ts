import { randomUUID } from 'node:crypto';
import { InMemorySubscriber, MetricsCollector, wrapTools, type ToolExecutionMetrics } from '@perftrack/core';
import { PerftrackCallbackHandler } from '@perftrack/langchain';
import { z } from 'zod';

/** The parts of one `@langchain/core` copy the scenarios use: real tools, messages, runnables and the fake chat model. */
export interface LangChainCore {
  version: string;
  /** 1.0 passes callbacks no tool call id: a failed run (no ToolMessage) then has its run id as callId. */
  failureHasToolCallId: boolean;
  tool: (fn: (input: never, config?: unknown) => unknown, fields: { name: string; description: string; schema: unknown }) => LcTool;
  RunnableLambda: {
    from(fn: (input: string, config: unknown) => Promise<unknown>): {
      invoke(input: string, config?: Record<string, unknown>): Promise<unknown>;
    };
  };
  HumanMessage: new (text: string) => unknown;
  ToolMessage: new (fields: { content: string; tool_call_id: string; status?: string }) => unknown;
  AIMessageChunk: new (fields: {
    content: string;
    tool_calls?: { id: string; name: string; args: Record<string, unknown>; type?: string }[];
  }) => unknown;
  FakeStreamingChatModel: new (fields: {
    chunks?: unknown[];
    sleep?: number;
  }) => {
    bindTools(tools: unknown[]): {
      invoke(messages: unknown[], config?: unknown): Promise<{ tool_calls?: { id?: string; name: string; args: unknown }[] }>;
    };
  };
}

export interface LcTool {
  name: string;
  invoke(input: unknown, config?: Record<string, unknown>): Promise<unknown>;
  batch(inputs: unknown[], config?: Record<string, unknown>, options?: { returnExceptions?: boolean }): Promise<unknown[]>;
}

class QuotaError extends Error {
  override name = 'QuotaError';
}

function makeTools(lc: LangChainCore): LcTool[] {
  const weather = lc.tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
    name: 'weather',
    description: 'Weather in a city',
    schema: z.object({ city: z.string() }),
  });
  const search = lc.tool(
    async () => {
      throw new QuotaError('search quota exhausted');
    },
    { name: 'search', description: 'Web search (over quota)', schema: z.object({ query: z.string() }) },
  );
  const slow = lc.tool(async ({ ms }: { ms: number }) => new Promise<string>((r) => setTimeout(() => r(`slept ${ms}`), ms)), {
    name: 'slow',
    description: 'Sleeps',
    schema: z.object({ ms: z.number() }),
  });
  return [weather, search, slow];
}

type Turn = { id: string; name: string; args: Record<string, unknown> }[];

/** A real agent loop: the fake chat model (bound to the tools) proposes tool calls turn by turn; the tools run concurrently. */
function agentLoop(lc: LangChainCore, tools: LcTool[], turns: Turn[]) {
  const byName = new Map(tools.map((t) => [t.name, t]));
  return lc.RunnableLambda.from(async (question: string, config: unknown) => {
    const messages: unknown[] = [new lc.HumanMessage(question)];
    for (const calls of [...turns, []]) {
      const chunk = new lc.AIMessageChunk({
        content: calls.length === 0 ? 'done' : '',
        tool_calls: calls.map((c) => ({ ...c, type: 'tool_call' })),
      });
      const ai = await new lc.FakeStreamingChatModel({ chunks: [chunk], sleep: 0 }).bindTools(tools).invoke(messages, config);
      messages.push(ai);
      if (!ai.tool_calls?.length) break;
      const results = await Promise.all(
        ai.tool_calls.map((tc) =>
          byName
            .get(tc.name)!
            .invoke({ ...tc, type: 'tool_call' }, config as Record<string, unknown>)
            .catch((e: Error) => new lc.ToolMessage({ content: e.message, tool_call_id: tc.id!, status: 'error' })),
        ),
      );
      messages.push(...results);
    }
    return messages;
  });
}

const script = (tag: string): Turn[] => [
  [
    { id: `${tag}-w1`, name: 'weather', args: { city: 'Oslo' } },
    { id: `${tag}-w2`, name: 'weather', args: { city: 'Paris' } },
  ],
  [
    { id: `${tag}-s1`, name: 'search', args: { query: 'flights' } },
    { id: `${tag}-z1`, name: 'slow', args: { ms: 30 } },
  ],
];

function setup() {
  const collector = new MetricsCollector({ onWarning: () => {} });
  const sink = new InMemorySubscriber();
  collector.subscribe(sink);
  return { collector, records: () => sink.records as ToolExecutionMetrics[] };
}

const byCall = (records: ToolExecutionMetrics[]) => [...records].sort((a, b) => (a.callId ?? '').localeCompare(b.callId ?? ''));

/** Every scenario, against one `@langchain/core` copy. */
export function describeScenarios(lc: LangChainCore): void {
  describe(`PerftrackCallbackHandler with @langchain/core ${lc.version}`, () => {
    test('records every tool run of a real agent loop: ids, parent and root runs, thread, sizes, failures', async () => {
      const { collector, records } = setup();
      const warnings: string[] = [];
      const handler = new PerftrackCallbackHandler({ collector, onWarning: (m) => warnings.push(m) });
      const runId = randomUUID();
      const messages = (await agentLoop(lc, makeTools(lc), script('a')).invoke('plan a trip', {
        callbacks: [handler],
        runId,
        metadata: { thread_id: 'thread-1' },
      })) as unknown[];
      expect(messages.length).toBe(1 + 2 * 3 + 1); // question, 3 model turns, 4 tool messages
      const got = byCall(
        records().map((r) => (!r.success && !lc.failureHasToolCallId ? { ...r, callId: r.callId?.replace(/^[0-9a-f-]{36}$/, 'a-s1') } : r)),
      );
      expect(got.map((r) => [r.callId, r.toolId, r.success, r.errorType ?? null, r.error ?? null])).toEqual([
        ['a-s1', 'search', false, 'QuotaError', 'search quota exhausted'],
        ['a-w1', 'weather', true, null, null],
        ['a-w2', 'weather', true, null, null],
        ['a-z1', 'slow', true, null, null],
      ]);
      for (const r of got) {
        expect(r).toMatchObject({ sessionId: 'thread-1', parentCallId: runId, runId, sampleWeight: 1 });
        expect(r.metadata).toEqual({
          framework: 'langchain',
          adapterVersion: (require('../../package.json') as { version: string }).version,
        });
      }
      const oslo = got[1]!;
      expect(oslo.inputSize).toBe(JSON.stringify({ city: 'Oslo' }).length); // the arguments, not the ToolCall envelope
      expect(oslo.outputSize).toBeGreaterThanOrEqual('sunny in Oslo'.length);
      expect(oslo.outputSize).toBeLessThan(30); // the content, not the ToolMessage
      expect(got[3]!.duration).toBeGreaterThanOrEqual(25);
      expect(got[3]!.duration).toBeLessThan(1000);
      expect(handler.stats()).toEqual({ recorded: 4, sampledOut: 0, inFlight: 0, abandoned: 0, unmatched: 0 });
      expect(warnings).toEqual([]);
    });

    test('20 concurrent agent runs: each call lands in its own thread and run, exactly once', async () => {
      const { collector, records } = setup();
      const handler = new PerftrackCallbackHandler({ collector });
      const tools = makeTools(lc);
      const runs = Array.from({ length: 20 }, (_, i) => ({ i, runId: randomUUID() }));
      await Promise.all(
        runs.map(({ i, runId }) =>
          agentLoop(lc, tools, script(`r${i}`)).invoke('go', { callbacks: [handler], runId, metadata: { thread_id: `t-${i}` } }),
        ),
      );
      expect(records()).toHaveLength(80);
      for (const { i, runId } of runs) {
        const mine = records().filter((r) => r.sessionId === `t-${i}`);
        const expected = [`r${i}-s1`, `r${i}-w1`, `r${i}-w2`, `r${i}-z1`];
        if (!lc.failureHasToolCallId) expected[0] = mine.find((r) => !r.success)!.callId!;
        expect(mine.map((r) => r.callId).sort()).toEqual(expected.sort());
        for (const r of mine) expect(r.runId).toBe(runId);
      }
      expect(handler.stats().inFlight).toBe(0);
    });

    test('batch(): one record per input, a failing input among them; sampling keeps failures', async () => {
      const { collector, records } = setup();
      const [weather, search] = makeTools(lc);
      const handler = new PerftrackCallbackHandler({ collector, sampleRates: { weather: 0 }, sessionId: 'batch-session' });
      const out = await weather!.batch([{ city: 'A' }, { city: 'B' }, { city: 'C' }], { callbacks: [handler] });
      expect(out).toHaveLength(3);
      const failed = await search!.batch([{ query: 'x' }, { query: 'y' }], { callbacks: [handler] }, { returnExceptions: true });
      expect(failed.every((e) => e instanceof Error)).toBe(true);
      expect(records().map((r) => [r.toolId, r.success, r.sessionId])).toEqual([
        ['search', false, 'batch-session'],
        ['search', false, 'batch-session'],
      ]);
      expect(handler.stats()).toMatchObject({ recorded: 2, sampledOut: 3, inFlight: 0 });
      expect(collector.stats().sampledOut).toBe(3);
    });

    test("core's wrapTools tracks the same tools directly: tool call ids, thread, the tool's own input and output", async () => {
      const { collector, records } = setup();
      const tools = wrapTools(makeTools(lc) as never, { collector, trackInputOutput: true }) as unknown as LcTool[];
      await agentLoop(lc, tools, script('w')).invoke('go', { configurable: { thread_id: 'thread-w' } });
      // input that fails the schema never reaches the tool's function, but the wrapper sees invoke throw
      await expect(tools[0]!.invoke({ type: 'tool_call', id: 'bad', name: 'weather', args: { city: 7 } })).rejects.toThrow();
      const got = byCall(records());
      expect(got.map((r) => [r.callId, r.toolId, r.success, r.sessionId])).toEqual([
        ['bad', 'weather', false, collector.defaultSessionId],
        ['w-s1', 'search', false, 'thread-w'],
        ['w-w1', 'weather', true, 'thread-w'],
        ['w-w2', 'weather', true, 'thread-w'],
        ['w-z1', 'slow', true, 'thread-w'],
      ]);
      expect(got[2]!.inputSize).toBeLessThan(20);
      expect(got[2]!.outputSize).toBeLessThan(30);
    });
  });
}
