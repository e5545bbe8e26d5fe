import { InMemorySubscriber, MetricsCollector, type ToolExecutionMetrics } from '@perftrack/core';
import { instrumentMcpServer } from '@perftrack/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

// A real MCP client and server, connected by the SDK's in-memory transport.

function setup() {
  const collector = new MetricsCollector({ onWarning: () => {} });
  const sink = new InMemorySubscriber();
  collector.subscribe(sink);
  return { collector, records: () => sink.records as ToolExecutionMetrics[] };
}

const files: Record<string, string> = { 'a.txt': 'hello world' };

/** Registers the same tools on any server, so instrumented and plain servers can be compared. */
function registerTools(server: McpServer, which: 'early' | 'late' | 'all'): void {
  if (which !== 'late') {
    server.registerTool('read', { description: 'Read a file', inputSchema: { path: z.string() } }, async ({ path }) => {
      const text = files[path];
      if (text === undefined) return { content: [{ type: 'text', text: `ENOENT: no such file ${path}` }], isError: true };
      return { content: [{ type: 'text', text }] };
    });
  }
  if (which !== 'early') {
    server.registerTool('crash', { description: 'Always throws', inputSchema: { why: z.string() } }, () => {
      throw new RangeError('crashed on purpose');
    });
    server.tool('now', 'No arguments', async () => ({ content: [{ type: 'text', text: '2026-11-25' }] }));
  }
}

async function connect(server: McpServer): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return client;
}

const calls = [
  { name: 'read', arguments: { path: 'a.txt' } },
  { name: 'read', arguments: { path: 'missing.txt' } },
  { name: 'crash', arguments: { why: 'test' } },
  { name: 'now', arguments: {} },
];

describe('instrumentMcpServer (real client and server, in-memory transport)', () => {
  test('tracks tools registered before and after, with isError results and thrown errors as failures; clients see the same results', async () => {
    const { collector, records } = setup();
    const server = new McpServer({ name: 'files', version: '1.0.0' });
    registerTools(server, 'early');
    instrumentMcpServer(server, { collector, sessionId: 'agent-run-1' });
    registerTools(server, 'late');
    const plain = new McpServer({ name: 'files', version: '1.0.0' });
    registerTools(plain, 'all');
    const [client, plainClient] = [await connect(server), await connect(plain)];

    const seen = [];
    for (const c of calls) {
      const [got, expected] = [await client.callTool(c), await plainClient.callTool(c)];
      expect(got).toEqual(expected);
      seen.push(got);
    }
    expect(seen[2]).toMatchObject({ isError: true, content: [{ type: 'text', text: 'crashed on purpose' }] });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['crash', 'now', 'read']);

    expect(records().map((r) => [r.toolId, r.success, r.error ?? null, r.errorType ?? null])).toEqual([
      ['read', true, null, null],
      ['read', false, 'ENOENT: no such file missing.txt', 'McpToolError'],
      ['crash', false, 'crashed on purpose', 'RangeError'],
      ['now', true, null, null],
    ]);
    for (const r of records()) {
      expect(r.sessionId).toBe('agent-run-1');
      expect(r.callId).toMatch(/^\d+$/); // the JSON-RPC request id
      expect(r.duration).toBeGreaterThanOrEqual(0);
    }
    expect(new Set(records().map((r) => r.callId)).size).toBe(4);
    const [ok, , , now] = records();
    expect(ok!.inputSize).toBeGreaterThanOrEqual(JSON.stringify({ path: 'a.txt' }).length); // the arguments only, not the SDK's extra
    expect(ok!.inputSize).toBeLessThan(40);
    expect(ok!.outputSize).toBeGreaterThan('hello world'.length);
    expect(now!.inputSize).toBe(0); // a tool without an input schema gets only `extra`: no arguments
    await Promise.all([client.close(), plainClient.close()]);
  });

  test('records carry the adapter stamp (framework and version), one object shared by every record', async () => {
    const { version: adapterVersion } = require('../package.json') as { version: string };
    const { collector, records } = setup();
    const server = new McpServer({ name: 'files', version: '1.0.0' });
    registerTools(server, 'all');
    const client = await connect(instrumentMcpServer(server, { collector }));
    for (const call of calls) await client.callTool(call);
    await client.close();
    expect(records()).toHaveLength(calls.length);
    for (const m of records()) expect(m.metadata).toEqual({ framework: 'mcp', adapterVersion });
    expect(records()[0]!.metadata).toBe(records()[1]!.metadata);
  });

  test('a server connected with no tool registered warns once that there is nothing to wrap; one with tools does not', async () => {
    const warnings: string[] = [];
    const empty = instrumentMcpServer(new McpServer({ name: 'none', version: '1.0.0' }), { onWarning: (w) => warnings.push(w) });
    const client = await connect(empty);
    expect(warnings).toEqual([expect.stringContaining('connected with no tool registered: nothing to wrap')]);
    await client.close();
    const full = new McpServer({ name: 'files', version: '1.0.0' });
    registerTools(full, 'all');
    const fullClient = await connect(instrumentMcpServer(full, { onWarning: (w) => warnings.push(w) }));
    await fullClient.close();
    expect(warnings).toHaveLength(1);
  });

  test('input that fails validation and unknown tools never reach a handler, so nothing is recorded for them', async () => {
    const { collector, records } = setup();
    const server = instrumentMcpServer(new McpServer({ name: 's', version: '1' }), { collector });
    registerTools(server, 'all');
    const client = await connect(server);
    const bad = await client.callTool({ name: 'read', arguments: { path: 42 } });
    expect(bad.isError).toBe(true);
    const unknown = await client.callTool({ name: 'nope', arguments: {} });
    expect(unknown.isError).toBe(true);
    expect(records()).toHaveLength(0);
    await client.close();
  });

  test('update({ callback }) and renames stay tracked under the current name; the default session is used without one', async () => {
    const { collector, records } = setup();
    const server = instrumentMcpServer(new McpServer({ name: 's', version: '1' }), { collector });
    const t = server.registerTool('v1', { inputSchema: { n: z.number() } }, async ({ n }) => ({
      content: [{ type: 'text', text: String(n) }],
    }));
    const client = await connect(server);
    await client.callTool({ name: 'v1', arguments: { n: 1 } });
    t.update({ callback: async ({ n }: { n: number }) => ({ content: [{ type: 'text', text: String(n * 2) }] }) } as never);
    expect(await client.callTool({ name: 'v1', arguments: { n: 2 } })).toMatchObject({ content: [{ text: '4' }] });
    t.update({ name: 'v2' });
    expect(await client.callTool({ name: 'v2', arguments: { n: 3 } })).toMatchObject({ content: [{ text: '6' }] });
    expect(records().map((r) => [r.toolId, r.sessionId])).toEqual([
      ['v1', collector.defaultSessionId],
      ['v1', collector.defaultSessionId],
      ['v2', collector.defaultSessionId],
    ]);
    await client.close();
  });

  test('sampling keeps every failure; sessionId functions see the request; instrumenting twice records once', async () => {
    const { collector, records } = setup();
    const server = new McpServer({ name: 's', version: '1' });
    instrumentMcpServer(server, { collector, sampleRates: { read: 0 }, sessionId: (c) => `${c.toolName}@${String(c.requestId)}` });
    instrumentMcpServer(server, { collector });
    registerTools(server, 'all');
    const client = await connect(server);
    for (const c of calls) await client.callTool(c);
    expect(records().map((r) => [r.toolId, r.success, r.untimed ?? false])).toEqual([
      ['read', false, true], // sampled out, but an isError result is kept
      ['crash', false, false],
      ['now', true, false],
    ]);
    expect(records()[2]!.sessionId).toBe(`now@${records()[2]!.callId}`);
    expect(collector.stats().sampledOut).toBe(2);
    await client.close();
  });

  test('bad arguments are refused with a clear TypeError', () => {
    expect(() => instrumentMcpServer({} as never)).toThrow(/expected an McpServer/);
    const server = new McpServer({ name: 's', version: '1' });
    // @ts-expect-error -- unknown option
    expect(() => instrumentMcpServer(server, { sampleRatio: 1 })).toThrow(/unknown option "sampleRatio"/);
    // @ts-expect-error -- wrong type
    expect(() => instrumentMcpServer(server, { sessionId: 7 })).toThrow(/sessionId must be/);
    expect(() => instrumentMcpServer(server, { collector: {} as never })).toThrow(/collector must be a MetricsCollector/);
    expect(() => instrumentMcpServer(server, { sampleRates: { read: 2 } })).toThrow(
      /sample rate of read must be a number from 0 to 1, got 2/,
    );
    expect(() => instrumentMcpServer(server, { sampleRate: -1 })).toThrow(/sample rate of \(sampleRate\)/);
  });
});
