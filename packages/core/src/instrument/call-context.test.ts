import { InMemorySubscriber, MetricsCollector, trackPerformance, wrapTools, type ToolExecutionMetrics } from '@perftrack/core';

// The default context resolver and input pick for the frameworks' call shapes (the real
// frameworks are exercised in their adapters' tests; these pin each shape's fields).

function setup(trackInputOutput = true) {
  const collector = new MetricsCollector({ onWarning: () => {} });
  const sink = new InMemorySubscriber();
  collector.subscribe(sink);
  const track = (fn: (...a: never[]) => unknown) =>
    trackPerformance({ collector, trackInputOutput, toolId: 't' })(fn as never) as (...a: unknown[]) => unknown;
  return { collector, track, records: () => sink.records as ToolExecutionMetrics[] };
}

const input = { city: 'Oslo' }; // 15 bytes as JSON
const ids = (r: ToolExecutionMetrics) => ({
  sessionId: r.sessionId,
  messageId: r.messageId,
  callId: r.callId,
  runId: r.runId,
  parentCallId: r.parentCallId,
  parentSessionId: r.parentSessionId,
});

describe('default context resolver', () => {
  test.each([
    [
      'opencode',
      [input, { sessionID: 's1', messageID: 'm1', callID: 'c1', abort: {} }],
      { sessionId: 's1', messageId: 'm1', callId: 'c1' },
    ],
    [
      'AI SDK options with experimental_context',
      [
        input,
        {
          toolCallId: 'call_1',
          messages: [{ role: 'user', content: 'x'.repeat(500) }],
          abortSignal: undefined,
          experimental_context: { sessionId: 'chat-9', runId: 'r-1' },
        },
      ],
      { sessionId: 'chat-9', callId: 'call_1', runId: 'r-1' },
    ],
    [
      'Mastra 1.x execution context',
      [
        input,
        {
          agent: { toolCallId: 'tc-2', threadId: 'thread-2', resourceId: 'user-2', messages: ['x'.repeat(800)] },
          requestContext: new Map(),
          workflow: { runId: 'run-2' },
        },
      ],
      { sessionId: 'thread-2', callId: 'tc-2', runId: 'run-2' },
    ],
    [
      'Mastra 0.x single argument',
      [
        { context: input, threadId: 'thread-3', resourceId: 'user-3', runId: 'run-3', runtimeContext: new Map(), mastra: {} },
        { toolCallId: 'tc-3', messages: [] },
      ],
      { sessionId: 'thread-3', callId: 'tc-3', runId: 'run-3' },
    ],
    [
      'LangChain tool call and run config',
      [
        { type: 'tool_call', id: 'lc-4', name: 't', args: input },
        { runId: 'run-4', configurable: { thread_id: 'thread-4' }, callbacks: [], metadata: {} },
      ],
      { sessionId: 'thread-4', callId: 'lc-4', runId: 'run-4' },
    ],
    [
      'generic ids with parent links',
      [input, { conversationId: 'conv-5', callId: 'c5', parentCallId: 'task-5', parentSessionId: 'root-5' }],
      { sessionId: 'conv-5', callId: 'c5', parentCallId: 'task-5', parentSessionId: 'root-5' },
    ],
  ])('%s: ids read, the input is only the tool input', (_name, args, expected) => {
    const { track, records } = setup();
    track(() => 'ok')(input); // the input alone: its size is the reference
    track(() => 'ok')(...args);
    const [alone, r] = records();
    expect(ids(r!)).toEqual({
      sessionId: expected.sessionId,
      messageId: undefined,
      callId: undefined,
      runId: undefined,
      parentCallId: undefined,
      parentSessionId: undefined,
      ...expected,
    });
    expect(r!.inputSize).toBe(alone!.inputSize);
    expect(r!.inputSize).toBeLessThan(20);
  });

  test('the basic configuration (no sizes) reads the same ids, parent links included', () => {
    const { track: _unused, collector, records } = setup(false);
    void _unused;
    const fn = trackPerformance({ collector, toolId: 'b' })((async () => 1) as never) as (...a: unknown[]) => Promise<unknown>;
    const sync = trackPerformance({ collector, toolId: 'b' })((() => 1) as never) as (...a: unknown[]) => unknown;
    sync(input, { threadId: 'th', toolCallId: 'tc' });
    sync(input, { sessionId: 's', callId: 'c', parentCallId: 'p', runId: 'r' });
    return fn(input, { agent: { threadId: 'th2', toolCallId: 'tc2' } }).then(() => {
      expect(records().map(ids)).toEqual([
        { sessionId: 'th', messageId: undefined, callId: 'tc', runId: undefined, parentCallId: undefined, parentSessionId: undefined },
        { sessionId: 's', messageId: undefined, callId: 'c', runId: 'r', parentCallId: 'p', parentSessionId: undefined },
        { sessionId: 'th2', messageId: undefined, callId: 'tc2', runId: undefined, parentCallId: undefined, parentSessionId: undefined },
      ]);
    });
  });

  test('a context without a session keeps its call id under the default session; plain arguments are all input', () => {
    const { collector, track, records } = setup();
    track(() => 1)(input, { toolCallId: 'only-call' });
    track(() => 1)(1, 2);
    track(() => 1)(input);
    track(() => 1)([1, 2]);
    const [withCall, plain, alone, pair] = records();
    expect(withCall).toMatchObject({ sessionId: collector.defaultSessionId, callId: 'only-call', inputSize: alone!.inputSize });
    expect(plain!.callId).toBeUndefined();
    expect(plain!.inputSize).toBe(pair!.inputSize);
  });

  test('hostile contexts (throwing getters, proxies) fall back to the default session and never reach the tool', () => {
    const { collector, track, records } = setup();
    const throwing = Object.defineProperty({}, 'sessionId', {
      get: () => {
        throw new Error('getter');
      },
    });
    const proxy = new Proxy(
      {},
      {
        has: () => {
          throw new Error('has');
        },
        get: () => {
          throw new Error('get');
        },
      },
    );
    expect(track(() => 'a')(input, throwing)).toBe('a');
    expect(track(() => 'b')(input, proxy)).toBe('b');
    expect(records().map((r) => r.sessionId)).toEqual([collector.defaultSessionId, collector.defaultSessionId]);
  });
});

describe('LangChain-shaped tools ({ name, invoke })', () => {
  test('trackPerformance and wrapTools wrap invoke under the name; a ToolMessage result is sized by its content', async () => {
    const collector = new MetricsCollector({ onWarning: () => {} });
    const sink = new InMemorySubscriber();
    collector.subscribe(sink);
    const langchainLike = {
      name: 'weather',
      async invoke(call: { args: { city: string }; id: string }) {
        return { tool_call_id: call.id, content: `sunny in ${call.args.city}`, lc_kwargs: { big: 'x'.repeat(1000) } };
      },
    };
    const one = trackPerformance({ collector, trackInputOutput: true })(langchainLike);
    const [two] = wrapTools([langchainLike], { collector, trackInputOutput: true });
    expect(langchainLike.invoke).not.toBe(one.invoke); // the original is untouched
    await one.invoke({ type: 'tool_call', id: 'a', args: { city: 'Oslo' } } as never);
    await two!.invoke({ type: 'tool_call', id: 'b', args: { city: 'Oslo' } } as never);
    const records = sink.records;
    expect(records.map((r) => [r.toolId, r.callId])).toEqual([
      ['weather', 'a'],
      ['weather', 'b'],
    ]);
    for (const r of records) {
      expect(r.inputSize).toBeLessThan(20); // { city: 'Oslo' }, not the envelope
      expect(r.outputSize).toBeGreaterThanOrEqual('sunny in Oslo'.length);
      expect(r.outputSize).toBeLessThan(20); // the content, not the message
    }
  });
});
