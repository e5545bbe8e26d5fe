import { InMemorySubscriber, MetricsCollector, type ToolExecutionMetrics } from '@perftrack/core';
import { PerftrackTracingProcessor } from '@perftrack/openai-agents';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/** The installed version of an SDK copy (its package.json is not among its exports). */
export function versionOf(pkg: string): string {
  return (JSON.parse(readFileSync(join(dirname(require.resolve(pkg)), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** The parts of one `@openai/agents` copy the scenarios use. */
export interface AgentsSdk {
  version: string;
  Agent: new (config: { name: string; instructions: string; tools: unknown[]; model: unknown }) => unknown;
  Runner: new (config?: { groupId?: string }) => { run(agent: unknown, input: string): Promise<{ finalOutput?: unknown }> };
  tool: (config: { name: string; description: string; parameters: unknown; execute: (input: never) => Promise<unknown> }) => unknown;
  setTraceProcessors: (processors: unknown[]) => void;
  setTracingDisabled: (disabled: boolean) => void;
  Usage: new (fields: Record<string, number>) => unknown;
}

interface PlannedCall {
  callId: string;
  name: string;
  args: Record<string, unknown>;
}

/** A scripted model (the SDK's `Model` interface): each turn answers the next planned tool calls, then a final message. */
function scriptedModel(sdk: AgentsSdk, turns: PlannedCall[][]) {
  let turn = 0;
  const usage = () => new sdk.Usage({ requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15 });
  return {
    async getResponse() {
      const calls = turns[turn++];
      if (calls === undefined)
        return {
          usage: usage(),
          output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'All done.' }] }],
        };
      return {
        usage: usage(),
        output: calls.map((c) => ({
          type: 'function_call',
          callId: c.callId,
          name: c.name,
          arguments: JSON.stringify(c.args),
          status: 'completed',
        })),
      };
    },
    // biome-ignore lint/correctness/useYield: a model that refuses to stream; the generator only throws
    async *getStreamedResponse(): AsyncGenerator<never> {
      throw new Error('the scripted model does not stream');
    },
  };
}

class QuotaError extends Error {
  override name = 'QuotaError';
}

function makeTools(sdk: AgentsSdk) {
  return [
    sdk.tool({
      name: 'weather',
      description: 'Weather in a city',
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }: { city: string }) => `sunny in ${city}`,
    }),
    sdk.tool({
      name: 'search',
      description: 'Web search (over quota)',
      parameters: z.object({ query: z.string() }),
      execute: async () => {
        throw new QuotaError('search quota exhausted');
      },
    }),
    sdk.tool({
      name: 'slow',
      description: 'Sleeps',
      parameters: z.object({ ms: z.number() }),
      execute: async ({ ms }: { ms: number }) => new Promise((r) => setTimeout(() => r(`slept ${ms}`), ms)),
    }),
  ];
}

const plan = (tag: string): PlannedCall[][] => [
  [
    { callId: `${tag}-w1`, name: 'weather', args: { city: 'Oslo' } },
    { callId: `${tag}-w2`, name: 'weather', args: { city: 'Paris' } },
  ],
  [
    { callId: `${tag}-s1`, name: 'search', args: { query: 'flights' } },
    { callId: `${tag}-z1`, name: 'slow', args: { ms: 30 } },
  ],
];

function setup(sdk: AgentsSdk) {
  const collector = new MetricsCollector({ onWarning: () => {} });
  const sink = new InMemorySubscriber();
  collector.subscribe(sink);
  const warnings: string[] = [];
  const processor = new PerftrackTracingProcessor({ collector, onWarning: (w) => warnings.push(w) });
  // only ours: the SDK's default exporter would try to reach OpenAI
  sdk.setTraceProcessors([processor]);
  sdk.setTracingDisabled(false);
  return { collector, processor, warnings, records: () => sink.records as ToolExecutionMetrics[] };
}

export function describeScenarios(sdk: AgentsSdk): void {
  describe(`PerftrackTracingProcessor with @openai/agents ${sdk.version} (offline, scripted model)`, () => {
    test('every function tool call of a run: timing, failures, sizes, trace as runId, group as session, agent span as parent', async () => {
      const { processor, warnings, records } = setup(sdk);
      const agent = new sdk.Agent({
        name: 'planner',
        instructions: 'Plan a trip.',
        tools: makeTools(sdk),
        model: scriptedModel(sdk, plan('a')),
      });
      const result = await new sdk.Runner({ groupId: 'chat-1' }).run(agent, 'Plan a trip to Oslo');
      expect(result.finalOutput).toBe('All done.');
      const got = [...records()].sort((x, y) => x.toolId.localeCompare(y.toolId) || (x.inputSize ?? 0) - (y.inputSize ?? 0));
      expect(got.map((r) => [r.toolId, r.success, r.errorType ?? null, r.sessionId])).toEqual([
        ['search', false, 'ToolError', 'chat-1'],
        ['slow', true, null, 'chat-1'],
        ['weather', true, null, 'chat-1'],
        ['weather', true, null, 'chat-1'],
      ]);
      const runIds = new Set(got.map((r) => r.runId));
      expect(runIds.size).toBe(1);
      expect([...runIds][0]).toMatch(/^trace_/);
      for (const r of got) {
        expect(r.callId).toMatch(/^span_/);
        expect(r.parentCallId).toMatch(/^span_/);
        expect(r.metadata).toEqual({
          framework: 'openai-agents',
          adapterVersion: (require('../../package.json') as { version: string }).version,
        });
      }
      expect(got[2]!.inputSize).toBe(JSON.stringify({ city: 'Oslo' }).length);
      expect(got[2]!.outputSize).toBe('sunny in Oslo'.length);
      expect(got[1]!.duration).toBeGreaterThanOrEqual(25);
      expect(got[0]!.outputSize).toBeUndefined();
      expect(processor.stats()).toMatchObject({ recorded: 4, inFlight: 0, unmatched: 0, traces: 1 });
      expect(warnings).toEqual([]);
    });

    test('10 concurrent runs: each call once, in its own group and trace', async () => {
      const { records } = setup(sdk);
      const tools = makeTools(sdk);
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          new sdk.Runner({ groupId: `g-${i}` }).run(
            new sdk.Agent({ name: 'p', instructions: 'x', tools, model: scriptedModel(sdk, plan(`r${i}`)) }),
            'go',
          ),
        ),
      );
      expect(records()).toHaveLength(40);
      for (let i = 0; i < 10; i++) {
        const mine = records().filter((r) => r.sessionId === `g-${i}`);
        expect(mine.map((r) => r.toolId).sort()).toEqual(['search', 'slow', 'weather', 'weather']);
        expect(new Set(mine.map((r) => r.runId)).size).toBe(1);
      }
    });
  });
}
