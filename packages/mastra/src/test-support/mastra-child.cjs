// Runs one scenario with a real Mastra Agent in a plain Node process (Mastra loads ES modules and
// dynamic imports that jest's CommonJS runtime cannot) and prints what was recorded as JSON.
// Usage: node mastra-child.cjs <@mastra/core | mastra-core-low> <scenario>
'use strict';
const { join } = require('node:path');
const pkg = process.argv[2];
const scenario = process.argv[3];
const { Agent } = require(`${pkg}/agent`);
const { createTool } = require(`${pkg}/tools`);
const { z } = require('zod');
const { MetricsCollector, InMemorySubscriber, wrapTools } = require('@perftrack/core');
const { trackMastraTools } = require(join(__dirname, '..', '..', 'dist', 'index.js'));

// A scripted model: the AI SDK's LanguageModelV2 interface (what Mastra calls), playing a plan
// of parallel tool calls turn by turn, then a final text. (The AI SDK's MockLanguageModelV2 in
// ai@5's `ai/test` needs msw at load time; this is the same contract.)
const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };
function scriptedModel(turns) {
  const contentFor = (prompt) => {
    // the turn: Mastra splits parallel calls into one assistant message each, so count the calls made
    let made = Array.isArray(prompt)
      ? prompt.flatMap((m) => (m.role === 'assistant' && Array.isArray(m.content) ? m.content.filter((c) => c.type === 'tool-call') : []))
          .length
      : 0;
    let turn = 0;
    while (turn < turns.length && made >= turns[turn].length) made -= turns[turn++].length;
    const calls = turns[turn];
    if (calls === undefined) return { content: [{ type: 'text', text: 'All done.' }], finishReason: 'stop' };
    return {
      content: calls.map((c) => ({ type: 'tool-call', toolCallId: c.id, toolName: c.tool, input: JSON.stringify(c.input) })),
      finishReason: 'tool-calls',
    };
  };
  return {
    specificationVersion: 'v2',
    provider: 'scripted',
    modelId: 'planner',
    supportedUrls: {},
    async doGenerate({ prompt }) {
      return { ...contentFor(prompt), usage, warnings: [] };
    },
    async doStream({ prompt }) {
      const { content, finishReason } = contentFor(prompt);
      const parts = [{ type: 'stream-start', warnings: [] }];
      for (const c of content) {
        if (c.type === 'text')
          parts.push({ type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: c.text }, { type: 'text-end', id: 't' });
        else parts.push(c);
      }
      parts.push({ type: 'finish', finishReason, usage });
      return {
        stream: new ReadableStream({
          start: (ctl) => {
            for (const p of parts) ctl.enqueue(p);
            ctl.close();
          },
        }),
      };
    },
  };
}

class QuotaError extends Error {
  name = 'QuotaError';
}

const received = [];
function makeTools() {
  return {
    weather: createTool({
      id: 'weather',
      description: 'Weather in a city',
      inputSchema: z.object({ city: z.string() }),
      execute: async (...args) => {
        received.push(JSON.stringify(args[0]).length);
        const city = args[0].context?.city ?? args[0].city;
        return { city, forecast: 'sunny' };
      },
    }),
    search: createTool({
      id: 'search',
      description: 'Web search (over quota)',
      inputSchema: z.object({ query: z.string() }),
      execute: async () => {
        throw new QuotaError('search quota exhausted');
      },
    }),
    slow: createTool({
      id: 'slow',
      description: 'Sleeps',
      inputSchema: z.object({ ms: z.number() }),
      execute: async (...args) => {
        const ms = args[0].context?.ms ?? args[0].ms ?? 0;
        await new Promise((r) => setTimeout(r, ms));
        return `slept ${ms}`;
      },
    }),
  };
}

const plan = (tag) => [
  [
    { id: `${tag}-w1`, tool: 'weather', input: { city: 'Oslo' } },
    { id: `${tag}-w2`, tool: 'weather', input: { city: 'Paris' } },
  ],
  [
    { id: `${tag}-s1`, tool: 'search', input: { query: 'flights' } },
    { id: `${tag}-z1`, tool: 'slow', input: { ms: 30 } },
  ],
];

async function main() {
  const collector = new MetricsCollector({ onWarning: () => {} });
  const sink = new InMemorySubscriber();
  collector.subscribe(sink);
  const warnings = [];
  // core's own wrapTools reads Mastra's context by default too
  const tools =
    scenario === 'core-wrap'
      ? wrapTools(makeTools(), { collector, trackInputOutput: true })
      : trackMastraTools(makeTools(), { collector, onWarning: (w) => warnings.push(w) });
  const texts = [];
  if (scenario === 'one-run' || scenario === 'core-wrap') {
    const agent = new Agent({ name: 'planner', instructions: 'Plan a trip.', model: scriptedModel(plan('a')), tools });
    texts.push(
      (await agent.generate('Plan a trip to Oslo', { maxSteps: 5, threadId: 'thread-1', resourceId: 'user-1', runId: 'run-1' })).text,
    );
  } else if (scenario === 'concurrent') {
    const runs = Array.from({ length: 10 }, (_, i) =>
      new Agent({ name: 'p', instructions: 'x', model: scriptedModel(plan(`r${i}`)), tools }).generate('go', {
        maxSteps: 5,
        threadId: `t-${i}`,
        resourceId: 'u',
      }),
    );
    for (const r of await Promise.all(runs)) texts.push(r.text);
    const agent = new Agent({
      name: 'p',
      instructions: 'x',
      model: scriptedModel([[{ id: 'x1', tool: 'weather', input: { city: 'Rome' } }]]),
      tools,
    });
    texts.push((await agent.generate('go', { maxSteps: 3, resourceId: 'user-9' })).text);
  } else {
    throw new Error(`unknown scenario ${scenario}`);
  }
  const version = require(`${pkg}/package.json`).version;
  process.stdout.write('PERFTRACK_RESULT ' + JSON.stringify({ version, texts, warnings, received, records: sink.records }) + '\n');
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(String(e?.stack ? e.stack : e) + '\n');
    process.exit(1);
  },
);
