import { InMemorySubscriber, MetricsCollector, type ToolExecutionMetrics } from '@perftrack/core';
import { instrumentMcpServer, type McpCallInfo } from '@perftrack/mcp';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z as z4 } from 'zod';
import { z as z3 } from 'zod-v3';

// The lowest (1.17.0, installed as `mcp-sdk-low`, which keeps a tool's function in `callback`)
// and the highest (the `@modelcontextprotocol/sdk` devDependency, which keeps it in `handler`)
// SDK of the declared peer range `^1.17.0`, each with a real client, server and in-memory transport.

interface Sdk {
  McpServer: new (info: { name: string; version: string }) => McpServer;
  Client: new (info: {
    name: string;
    version: string;
  }) => {
    connect(t: unknown): Promise<void>;
    callTool(req: {
      name: string;
      arguments: Record<string, unknown>;
      _meta?: Record<string, unknown>;
    }): Promise<{ isError?: boolean; content?: unknown }>;
    close(): Promise<void>;
  };
  InMemoryTransport: { createLinkedPair(): [unknown, unknown] };
  z: typeof z3 | typeof z4;
  version: string;
}

function load(pkg: string, z: typeof z3 | typeof z4): Sdk {
  return {
    McpServer: require(`${pkg}/server/mcp.js`).McpServer,
    Client: require(`${pkg}/client/index.js`).Client,
    InMemoryTransport: require(`${pkg}/inMemory.js`).InMemoryTransport,
    z,
    version: require(`${pkg}/package.json`).version,
  };
}

const sdks: [string, Sdk][] = [
  ['lowest (1.17.0)', load('mcp-sdk-low', z3)],
  ['highest', load('@modelcontextprotocol/sdk', z4)],
];

describe.each(sdks)('instrumentMcpServer with SDK %s', (_label, sdk) => {
  function setup() {
    const warnings: string[] = [];
    const collector = new MetricsCollector({ onWarning: () => {} });
    const sink = new InMemorySubscriber();
    collector.subscribe(sink);
    return { collector, warnings, records: () => sink.records as ToolExecutionMetrics[] };
  }

  async function connect(server: McpServer) {
    const [clientSide, serverSide] = sdk.InMemoryTransport.createLinkedPair();
    const client = new sdk.Client({ name: 'range-client', version: '9.9.9' });
    await Promise.all([server.connect(serverSide as never), client.connect(clientSide)]);
    return client;
  }

  test('records every call (before and after instrumenting, update({ callback }), failures) and warns about nothing', async () => {
    const { collector, warnings, records } = setup();
    const z = sdk.z as typeof z4;
    const server = new sdk.McpServer({ name: 's', version: '1' });
    const early = server.registerTool(
      'echo',
      { inputSchema: { text: z.string() } } as never,
      (async ({ text }: { text: string }) => ({
        content: [{ type: 'text', text }],
      })) as never,
    );
    instrumentMcpServer(server, { collector, sessionId: 'conv-1', onWarning: (m) => warnings.push(m) });
    server.registerTool(
      'fail',
      { inputSchema: { why: z.string() } } as never,
      (async ({ why }: { why: string }) => ({
        content: [{ type: 'text', text: why }],
        isError: true,
      })) as never,
    );
    server.tool('boom', 'throws', () => {
      throw new TypeError('boom');
    });
    const client = await connect(server);
    expect(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).toMatchObject({ content: [{ type: 'text', text: 'hi' }] });
    expect(await client.callTool({ name: 'fail', arguments: { why: 'nope' } })).toMatchObject({ isError: true });
    expect(await client.callTool({ name: 'boom', arguments: {} })).toMatchObject({ isError: true, content: [{ text: 'boom' }] });
    early.update({
      callback: (async ({ text }: { text: string }) => ({ content: [{ type: 'text', text: text.toUpperCase() }] })) as never,
    });
    expect(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).toMatchObject({ content: [{ text: 'HI' }] });
    expect(records().map((r) => [r.toolId, r.success, r.errorType ?? null, r.sessionId])).toEqual([
      ['echo', true, null, 'conv-1'],
      ['fail', false, 'McpToolError', 'conv-1'],
      ['boom', false, 'TypeError', 'conv-1'],
      ['echo', true, null, 'conv-1'],
    ]);
    for (const r of records()) expect(r.callId).toMatch(/^\d+$/);
    expect(records()[0]!.inputSize).toBeGreaterThanOrEqual(JSON.stringify({ text: 'hi' }).length); // the arguments, not extra
    expect(records()[0]!.inputSize).toBeLessThan(30);
    expect(warnings).toEqual([]);
    await client.close();
  });

  test('a session function sees the request _meta and the client info; _meta.sessionId is the default session', async () => {
    const { collector, records } = setup();
    const seen: McpCallInfo[] = [];
    const z = sdk.z as typeof z4;
    const withFn = instrumentMcpServer(new sdk.McpServer({ name: 's', version: '1' }), {
      collector,
      sessionId: (call) => {
        seen.push(call);
        return typeof call.meta?.conversation === 'string' ? call.meta.conversation : undefined;
      },
    });
    withFn.registerTool('t', { inputSchema: { n: z.number() } } as never, (async () => ({ content: [] })) as never);
    const byDefault = instrumentMcpServer(new sdk.McpServer({ name: 's', version: '1' }), { collector });
    byDefault.registerTool('u', { inputSchema: { n: z.number() } } as never, (async () => ({ content: [] })) as never);
    const [a, b] = [await connect(withFn), await connect(byDefault)];
    await a.callTool({ name: 't', arguments: { n: 1 }, _meta: { conversation: 'chat-42' } });
    await b.callTool({ name: 'u', arguments: { n: 1 }, _meta: { sessionId: 'chat-43' } });
    await b.callTool({ name: 'u', arguments: { n: 2 } });
    expect(seen[0]).toMatchObject({
      toolName: 't',
      meta: { conversation: 'chat-42' },
      clientInfo: { name: 'range-client', version: '9.9.9' },
    });
    expect(records().map((r) => r.sessionId)).toEqual(['chat-42', 'chat-43', collector.defaultSessionId]);
    await Promise.all([a.close(), b.close()]);
  });

  test('a tool whose function cannot be found warns once, naming it, and still works', async () => {
    const { collector, records } = setup();
    const warnings: string[] = [];
    const server = new sdk.McpServer({ name: 's', version: '1' });
    const registered = server.tool('odd', 'no function yet', async () => ({
      content: [{ type: 'text', text: 'ok' }],
    })) as unknown as Record<string, unknown>;
    // a tool shaped like neither field (as a future SDK might be): nothing to wrap
    const saved = { handler: registered.handler, callback: registered.callback };
    delete registered.handler;
    delete registered.callback;
    instrumentMcpServer(server, { collector, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringMatching(/MCP tool "odd" is not tracked: .*neither `handler` nor `callback`/)]);
    Object.assign(registered, Object.fromEntries(Object.entries(saved).filter(([, v]) => v !== undefined)));
    const client = await connect(server);
    expect(await client.callTool({ name: 'odd', arguments: {} })).toMatchObject({ content: [{ text: 'ok' }] });
    expect(records()).toHaveLength(0);
    await client.close();
  });
});
