// The lowest release of each AI SDK major in the peer range (`ai` 5.0.0 and 6.0.0, installed
// under npm aliases), driven by its own mock model through a real generateText tool loop: every
// executed call is recorded with its toolCallId and session, a throwing tool is a failure, and the
// SDK sees the same result and the same error object. (track-tools.test.ts covers the newest 6.x.)
import { InMemorySubscriber, MetricsCollector, type ToolExecutionMetrics } from '@perftrack/core';
import { trackTools } from '@perftrack/ai-sdk';
import * as ai5 from 'ai-v5-lowest';
import { MockLanguageModelV2 } from 'ai-v5-lowest/test';
import * as ai6 from 'ai-v6-lowest';
import { MockLanguageModelV3 } from 'ai-v6-lowest/test';
import { z } from 'zod';

class QuotaError extends Error {
  override name = 'QuotaError';
}

const call = (toolCallId: string, toolName: string, input: unknown) => ({
  type: 'tool-call' as const,
  toolCallId,
  toolName,
  input: JSON.stringify(input),
});

/** The model's two steps in each spec version: two tool calls, then the answer. */
const steps = {
  v2: [
    {
      content: [call('call-w1', 'weather', { city: 'Oslo' }), call('call-s1', 'search', { query: 'fjords' })],
      finishReason: 'tool-calls',
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
      warnings: [],
    },
    {
      content: [{ type: 'text', text: 'It is sunny in Oslo.' }],
      finishReason: 'stop',
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
      warnings: [],
    },
  ],
  v3: [
    {
      content: [call('call-w1', 'weather', { city: 'Oslo' }), call('call-s1', 'search', { query: 'fjords' })],
      finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
      usage: {
        inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: 5, text: 5, reasoning: undefined },
      },
      warnings: [],
    },
    {
      content: [{ type: 'text', text: 'It is sunny in Oslo.' }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: {
        inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: 5, text: 5, reasoning: undefined },
      },
      warnings: [],
    },
  ],
};

interface Sdk {
  generateText(
    options: Record<string, unknown>,
  ): Promise<{ text: string; steps: { content: { type: string; toolCallId?: string; output?: unknown; error?: unknown }[] }[] }>;
  stepCountIs(n: number): unknown;
  tool(definition: Record<string, unknown>): unknown;
}

// ai 5.0.0 has no `experimental_context` (later 5.x releases added it): there the session comes
// from the `sessionId` option, the way README tells users of such releases to pass it.
const versions: [string, Sdk, () => unknown, 'option' | 'context'][] = [
  [
    'ai 5.0.0',
    ai5 as unknown as Sdk,
    () => {
      let i = 0;
      return new MockLanguageModelV2({ doGenerate: async () => steps.v2[i++] as never });
    },
    'option',
  ],
  [
    'ai 6.0.0',
    ai6 as unknown as Sdk,
    () => {
      let i = 0;
      return new MockLanguageModelV3({ doGenerate: async () => steps.v3[i++] as never });
    },
    'context',
  ],
];

describe.each(versions)('trackTools with %s', (_name, sdk, model, sessionFrom) => {
  test('records each executed call with its toolCallId and session; a throwing tool is a failure the SDK still sees', async () => {
    const collector = new MetricsCollector({ onWarning: () => {} });
    const sink = new InMemorySubscriber();
    collector.subscribe(sink);
    const quota = new QuotaError('search quota exhausted');
    const tools = {
      weather: sdk.tool({
        description: 'Weather',
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }: { city: string }) => ({ city, forecast: 'sunny' }),
      }),
      search: sdk.tool({
        description: 'Search',
        inputSchema: z.object({ query: z.string() }),
        execute: async (): Promise<string> => {
          throw quota;
        },
      }),
    };
    const tracked = trackTools(tools as never, sessionFrom === 'option' ? { collector, sessionId: 'chat-42' } : { collector });
    const context = sessionFrom === 'context' ? { experimental_context: { sessionId: 'chat-42' } } : {};
    const result = await sdk.generateText({
      model: model(),
      tools: tracked,
      prompt: 'Weather in Oslo?',
      stopWhen: sdk.stepCountIs(3),
      ...context,
    });
    expect(result.text).toBe('It is sunny in Oslo.');
    const content = result.steps[0]!.content;
    expect(content.find((p) => p.type === 'tool-result')).toMatchObject({
      toolCallId: 'call-w1',
      output: { city: 'Oslo', forecast: 'sunny' },
    });
    expect(content.find((p) => p.type === 'tool-error')?.error).toBe(quota);
    const records = sink.records as ToolExecutionMetrics[];
    const byCall = new Map(records.map((r) => [r.callId, r]));
    expect(records).toHaveLength(2);
    expect(byCall.get('call-w1')).toMatchObject({ toolId: 'weather', sessionId: 'chat-42', success: true });
    expect(byCall.get('call-s1')).toMatchObject({
      toolId: 'search',
      sessionId: 'chat-42',
      success: false,
      error: 'search quota exhausted',
      errorType: 'QuotaError',
    });
    expect(byCall.get('call-w1')!.inputSize).toBeLessThan(40); // the tool's input, not the SDK's messages
  });
});
