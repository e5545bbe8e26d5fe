import { InMemorySubscriber, MetricsCollector, type ToolExecutionMetrics } from '@perftrack/core';
import { trackTools } from '@perftrack/ai-sdk';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { MockLanguageModelV3, convertArrayToReadableStream } from 'ai/test';
import type { LanguageModelV3GenerateResult, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { z } from 'zod';

// Real AI SDK runs (generateText / streamText with tool loops) driven by the SDK's own mock model.

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

const quiet = (): void => {};

function setup() {
  const collector = new MetricsCollector({ onWarning: () => {} });
  const sink = new InMemorySubscriber();
  collector.subscribe(sink);
  return { collector, records: () => sink.records as ToolExecutionMetrics[] };
}

class QuotaError extends Error {
  override name = 'QuotaError';
}

function makeTools() {
  const quota = new QuotaError('search quota exhausted');
  const tools = {
    weather: tool({
      description: 'Weather in a city',
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => ({ city, forecast: 'sunny', celsius: 21 }),
    }),
    search: tool({
      description: 'Web search (always over quota here)',
      inputSchema: z.object({ query: z.string() }),
      execute: async (): Promise<string> => {
        throw quota;
      },
    }),
    // client-side tool: no execute, must be kept untouched
    askUser: tool({ description: 'Ask the user', inputSchema: z.object({ question: z.string() }) }),
  };
  return { tools, quota };
}

function toolCall(toolCallId: string, toolName: string, input: unknown) {
  return { type: 'tool-call' as const, toolCallId, toolName, input: JSON.stringify(input) };
}

describe('trackTools with generateText (AI SDK mock model)', () => {
  test('records every executed tool call with its toolCallId and the session from experimental_context; a throwing tool is a failure', async () => {
    const { collector, records } = setup();
    const { tools, quota } = makeTools();
    const warnings: string[] = [];
    const tracked = trackTools(tools, { collector, onWarning: (w) => warnings.push(w) });
    expect(tracked.askUser).toBe(tools.askUser);
    // a tool it cannot track is named once
    expect(warnings).toEqual([expect.stringContaining('cannot track "askUser": no execute()')]);
    const steps: LanguageModelV3GenerateResult[] = [
      {
        content: [toolCall('call-w1', 'weather', { city: 'Oslo' }), toolCall('call-s1', 'search', { query: 'fjords' })],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage,
        warnings: [],
      },
      { content: [{ type: 'text', text: 'It is sunny in Oslo.' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] },
    ];
    const model = new MockLanguageModelV3({ doGenerate: steps });
    const result = await generateText({
      model,
      tools: tracked,
      prompt: 'Weather in Oslo? And search fjords.',
      stopWhen: stepCountIs(3),
      experimental_context: { sessionId: 'chat-42', runId: 'agent-run-7', parentCallId: 'step-1' },
    });
    expect(result.text).toBe('It is sunny in Oslo.');
    for (const r of records()) expect(r).toMatchObject({ runId: 'agent-run-7', parentCallId: 'step-1' });
    // the AI SDK saw the same result and the very same error object
    const content = result.steps[0]!.content;
    expect(content.find((p) => p.type === 'tool-result')).toMatchObject({
      toolCallId: 'call-w1',
      output: { city: 'Oslo', forecast: 'sunny', celsius: 21 },
    });
    expect(content.find((p) => p.type === 'tool-error')).toMatchObject({ toolCallId: 'call-s1', error: quota });

    const byCall = new Map(records().map((r) => [r.callId, r]));
    expect(records()).toHaveLength(2);
    expect(byCall.get('call-w1')).toMatchObject({ toolId: 'weather', sessionId: 'chat-42', success: true, sampleWeight: 1 });
    expect(byCall.get('call-s1')).toMatchObject({
      toolId: 'search',
      sessionId: 'chat-42',
      success: false,
      error: 'search quota exhausted',
      errorType: 'QuotaError',
    });
    const w = byCall.get('call-w1')!;
    expect(w.duration).toBeGreaterThanOrEqual(0);
    // sizes are of the tool's input and output only, not of the AI SDK's options (messages)
    expect(w.inputSize).toBeGreaterThanOrEqual(JSON.stringify({ city: 'Oslo' }).length);
    expect(w.inputSize).toBeLessThan(40);
    expect(w.outputSize).toBeGreaterThan(0);
    expect(w.outputSize).toBeLessThan(100);
  });

  test('a sessionId string or function names the conversation; without one, the default session', async () => {
    const { collector, records } = setup();
    const { tools } = makeTools();
    const run = async (t: typeof tools) => {
      const model = new MockLanguageModelV3({
        doGenerate: [
          {
            content: [toolCall('c1', 'weather', { city: 'Rome' })],
            finishReason: { unified: 'tool-calls', raw: undefined },
            usage,
            warnings: [],
          },
          { content: [{ type: 'text', text: 'ok' }], finishReason: { unified: 'stop', raw: undefined }, usage, warnings: [] },
        ],
      });
      await generateText({ model, tools: t, prompt: 'x', stopWhen: stepCountIs(2) });
    };
    await run(trackTools(tools, { collector, onWarning: quiet, sessionId: 'fixed' }));
    await run(
      trackTools(tools, {
        collector,
        onWarning: quiet,
        sessionId: (call) => `${call.toolName}:${String((call.input as { city: string }).city)}:${call.toolCallId}`,
      }),
    );
    await run(trackTools(tools, { collector, onWarning: quiet }));
    expect(records().map((r) => r.sessionId)).toEqual(['fixed', 'weather:Rome:c1', collector.defaultSessionId]);
  });
});

describe('trackTools with streamText (AI SDK mock model)', () => {
  test('a streaming run records each tool once it ends, including an async *execute that streams preliminary results', async () => {
    const { collector, records } = setup();
    const progress: unknown[] = [];
    const tools = trackTools(
      {
        build: tool({
          description: 'Build the project, streaming progress',
          inputSchema: z.object({ target: z.string() }),
          async *execute({ target }) {
            for (const pct of [25, 50, 100]) {
              await new Promise((r) => setTimeout(r, 5));
              yield { target, pct };
            }
          },
        }),
        lint: tool({
          description: 'Lint',
          inputSchema: z.object({}),
          execute: () => {
            throw new TypeError('linter crashed');
          },
        }),
      },
      { collector, sessionId: 'stream-1' },
    );
    const streams: LanguageModelV3StreamPart[][] = [
      [
        { type: 'stream-start', warnings: [] },
        { type: 'tool-call', toolCallId: 'b1', toolName: 'build', input: JSON.stringify({ target: 'web' }) },
        { type: 'tool-call', toolCallId: 'l1', toolName: 'lint', input: '{}' },
        { type: 'finish', finishReason: { unified: 'tool-calls', raw: undefined }, usage },
      ],
      [
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'Built.' },
        { type: 'text-end', id: 't' },
        { type: 'finish', finishReason: { unified: 'stop', raw: undefined }, usage },
      ],
    ];
    let step = 0;
    const model = new MockLanguageModelV3({ doStream: async () => ({ stream: convertArrayToReadableStream(streams[step++]!) }) });
    const result = streamText({ model, tools, prompt: 'build and lint', stopWhen: stepCountIs(3) });
    for await (const part of result.fullStream) {
      if (part.type === 'tool-result' && part.preliminary) progress.push(part.output);
    }
    expect(await result.text).toBe('Built.');
    expect(progress).toEqual([
      { target: 'web', pct: 25 },
      { target: 'web', pct: 50 },
      { target: 'web', pct: 100 },
    ]);
    const byCall = new Map(records().map((r) => [r.callId, r]));
    expect(records()).toHaveLength(2);
    expect(byCall.get('b1')).toMatchObject({ toolId: 'build', sessionId: 'stream-1', success: true });
    expect(byCall.get('b1')!.duration).toBeGreaterThanOrEqual(10); // three 5 ms waits, timed first value to last
    expect(byCall.get('l1')).toMatchObject({ toolId: 'lint', success: false, error: 'linter crashed', errorType: 'TypeError' });
  });
});

describe('trackTools options', () => {
  test('per-tool sample rates: successes sampled and weighted, failures always kept', async () => {
    const { collector, records } = setup();
    const { tools } = makeTools();
    const t = trackTools(tools, { collector, onWarning: quiet, sampleRates: { weather: 0 } });
    const opts = { toolCallId: 'x', messages: [] };
    await t.weather.execute!({ city: 'A' }, opts);
    await expect(t.search.execute!({ query: 'q' }, opts)).rejects.toThrow('search quota exhausted');
    expect(records().map((r) => [r.toolId, r.success])).toEqual([['search', false]]);
    expect(collector.stats().sampledOut).toBe(1);
  });

  test('bad options are refused with a clear TypeError, and misuse fails to compile', () => {
    const { tools } = makeTools();
    // @ts-expect-error -- not a tool of the record
    expect(() => trackTools(tools, { sampleRates: { wether: 0.5 } })).toThrow(/sampleRates names "wether"/);
    // @ts-expect-error -- unknown option
    expect(() => trackTools(tools, { sampleRatio: 1 })).toThrow(/unknown option "sampleRatio"/);
    // @ts-expect-error -- wrong type
    expect(() => trackTools(tools, { sessionId: 42 })).toThrow(/sessionId must be/);
    expect(() => trackTools(null as never)).toThrow(/record of AI SDK tools/);
    expect(() => trackTools(tools, { sampleRate: 2 })).toThrow(/sampleRate/);
  });

  test('records carry the adapter stamp (framework and version), one shared object; a customMetadata object is merged, a function kept', async () => {
    const { version: adapterVersion } = require('../package.json') as { version: string };
    const { collector, records } = setup();
    const { tools } = makeTools();
    const t = trackTools(tools, { collector, onWarning: quiet });
    const opts = { toolCallId: 'x', messages: [] };
    await t.weather.execute!({ city: 'A' }, opts);
    await t.weather.execute!({ city: 'B' }, opts);
    await expect(t.search.execute!({ query: 'q' }, opts)).rejects.toThrow('search quota exhausted');
    const stamp = { framework: 'ai-sdk', adapterVersion };
    expect(records().map((r) => r.metadata)).toEqual([stamp, stamp, stamp]);
    // no per-call allocation: every record of a tool shares the one frozen object
    expect(records()[0]!.metadata).toBe(records()[1]!.metadata);
    const merged = trackTools(tools, { collector, onWarning: quiet, customMetadata: { team: 'search' } });
    await merged.weather.execute!({ city: 'C' }, opts);
    expect(records()[3]!.metadata).toEqual({ team: 'search', ...stamp });
    const fn = trackTools(tools, { collector, onWarning: quiet, customMetadata: () => ({ team: 'fn' }) });
    await fn.weather.execute!({ city: 'D' }, opts);
    expect(records()[4]!.metadata).toEqual({ team: 'fn' });
  });

  test('an empty tools record is returned as it is, with one warning that there is nothing to wrap', () => {
    const warnings: string[] = [];
    expect(trackTools({}, { onWarning: (w) => warnings.push(w) })).toEqual({});
    expect(warnings).toEqual([expect.stringContaining('empty tools record: nothing to wrap')]);
  });

  test('tools named like Object.prototype members (constructor, toString) are tracked like any other', async () => {
    const { collector, records } = setup();
    const t = trackTools(
      {
        constructor: tool({ inputSchema: z.object({}), execute: async () => 1 }),
        toString: tool({ inputSchema: z.object({}), execute: async () => 2 }),
      },
      { collector, sampleRates: { toString: 1 } },
    );
    await t.constructor.execute!({}, { toolCallId: 'a', messages: [] });
    await t.toString.execute!({}, { toolCallId: 'b', messages: [] });
    expect(records().map((r) => [r.toolId, r.sampleWeight])).toEqual([
      ['constructor', 1],
      ['toString', 1],
    ]);
  });

  test('the original tools are untouched and wrapping twice does not record twice', async () => {
    const { collector, records } = setup();
    const { tools } = makeTools();
    const original = tools.weather.execute;
    const twice = trackTools(trackTools(tools, { collector, onWarning: quiet }), { collector, onWarning: quiet });
    expect(tools.weather.execute).toBe(original);
    await twice.weather.execute!({ city: 'B' }, { toolCallId: 'y', messages: [] });
    expect(records()).toHaveLength(1);
  });
});
