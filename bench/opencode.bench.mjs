// What the perftrack opencode plugin costs opencode per tool call: the hooks and events opencode
// 1.18 delivers for one call (as logged from the real binary: a pending part, tool.execute.before,
// a running part, two running updates as bash streams output, tool.execute.after, the completed
// part, plus six unrelated events: step parts, message and status updates, text deltas), driven
// through each case's real hook functions. Cases, interleaved round by round (bench/rounds.mjs):
// - bare: the events are built, no plugin at all;
// - empty-plugin: a plugin whose hooks do nothing (what any plugin costs in opencode's API);
// - perftrack-plugin: @perftrack/opencode (recorder, collector, storage queue, deferred analytics);
// - peer otel-span-plugin: the plugin a user would write by hand, one OpenTelemetry SDK span per
//   tool call from the same events (started on running, ended on completed/error).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createPerftrackPlugin } from '@perftrack/opencode';
import { METHOD, measureInterleaved } from './rounds.mjs';

let seq = 0;

/** One tool call as opencode delivers it to a plugin's hooks. Returns a number so nothing is optimised away. */
function drive(hooks, ctx) {
  const sessionID = ctx.sessionID;
  const callID = `call_${seq++}`;
  const part = (state) => ({
    type: 'message.part.updated',
    properties: { part: { id: `prt_${callID}`, messageID: 'msg_1', sessionID, type: 'tool', tool: 'bash', callID, state }, time: 0 },
  });
  const input = { command: 'ls -la', description: 'List files' };
  const start = Date.now();
  const ev = hooks.event;
  if (ev) {
    ev({ event: { type: 'session.status', properties: { sessionID, status: { type: 'busy' } } } });
    ev({ event: { type: 'message.part.updated', properties: { part: { id: 'p', messageID: 'msg_1', sessionID, type: 'step-start' } } } });
    ev({ event: part({ status: 'pending', input: {}, raw: '' }) });
  }
  hooks['tool.execute.before']?.({ tool: 'bash', sessionID, callID }, { args: input });
  if (ev) {
    ev({ event: part({ status: 'running', input, time: { start } }) });
    ev({ event: part({ status: 'running', input, metadata: { output: '' }, time: { start } }) });
    ev({ event: part({ status: 'running', input, metadata: { output: 'a\nb\n' }, time: { start } }) });
  }
  const output = { title: 'ls -la', output: 'a\nb\n', metadata: { output: 'a\nb\n', exit: 0, truncated: false } };
  hooks['tool.execute.after']?.({ tool: 'bash', sessionID, callID, args: input }, output);
  if (ev) {
    ev({
      event: part({
        status: 'completed',
        input,
        output: output.output,
        metadata: output.metadata,
        title: output.title,
        time: { start, end: start + 3 },
      }),
    });
    ev({ event: { type: 'message.part.delta', properties: { sessionID, messageID: 'msg_1', partID: 'p2', field: 'text', delta: 'ok' } } });
    ev({ event: { type: 'message.updated', properties: { sessionID, info: { id: 'msg_1', role: 'assistant' } } } });
    ev({ event: { type: 'session.status', properties: { sessionID, status: { type: 'busy' } } } });
  }
  return callID.length;
}

function otelPlugin(tracer) {
  const spans = new Map();
  return {
    event: async ({ event }) => {
      if (event.type !== 'message.part.updated') return;
      const p = event.properties.part;
      if (p.type !== 'tool') return;
      const key = `${p.sessionID}:${p.callID}`;
      const s = p.state;
      if (s.status === 'running' && !spans.has(key)) {
        spans.set(
          key,
          tracer.startSpan(`execute_tool ${p.tool}`, {
            startTime: s.time.start,
            attributes: { 'gen_ai.tool.name': p.tool, 'gen_ai.tool.call.id': p.callID, 'gen_ai.conversation.id': p.sessionID },
          }),
        );
      } else if (s.status === 'completed' || s.status === 'error') {
        const span = spans.get(key);
        if (span === undefined) return;
        spans.delete(key);
        if (s.status === 'error') span.setStatus({ code: 2, message: s.error });
        span.end(s.time.end);
      }
    },
  };
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-bench-opencode-'));
  try {
    const input = { directory: dir, worktree: dir, client: {} };
    const plugin = await createPerftrackPlugin({ env: {} })(input, { historySessions: 0, reportOnIdle: false });
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new BatchSpanProcessor({ export: (_s, done) => done({ code: 0 }), shutdown: async () => {} }, { maxQueueSize: 65_536 }),
      ],
    });
    const peer = otelPlugin(provider.getTracer('bench'));
    const noop = async () => {};
    const empty = { event: noop, 'tool.execute.before': noop, 'tool.execute.after': noop };
    const entries = [
      { name: 'empty-plugin', note: 'hooks that do nothing (the cost of any plugin)', execute: (_a, c) => drive(empty, c) },
      { name: 'bare', note: 'no plugin: the events are built, nothing handles them', execute: (_a, c) => drive({}, c) },
      {
        name: 'perftrack-plugin',
        note: '@perftrack/opencode: every call recorded to storage and live analytics',
        execute: (_a, c) => drive(plugin, c),
      },
      {
        name: 'otel-span-plugin',
        note: 'peer: a hand-written plugin making one OpenTelemetry SDK span per tool call',
        execute: (_a, c) => drive(peer, c),
      },
    ];
    const results = await measureInterleaved(entries);
    const base = results[0].nsPerCall;
    const cases = {};
    for (const [i, e] of entries.entries()) {
      cases[e.name] = {
        note: e.note,
        ...results[i],
        baseline: entries[0].name,
        vsBaseline: Number((results[i].nsPerCall / base).toFixed(2)),
      };
      const c = cases[e.name];
      process.stdout.write(
        `  ${e.name.padEnd(20)} ${c.nsPerCall.toFixed(0).padStart(8)} ns/tool call  + ${c.backgroundNsPerCall.toFixed(0).padStart(6)} ns background  ${c.vsBaseline.toFixed(2)}x empty-plugin\n`,
      );
    }
    const added = cases['perftrack-plugin'].nsPerCall - cases['empty-plugin'].nsPerCall;
    const peerAdded = cases['otel-span-plugin'].nsPerCall - cases['empty-plugin'].nsPerCall;
    console.log(
      `  perftrack adds ${added.toFixed(0)} ns per tool call over an empty plugin (the OpenTelemetry-span peer adds ${peerAdded.toFixed(0)} ns)`,
    );
    await plugin.dispose();
    await provider.shutdown();
    return {
      method: `${METHOD}; one "call" is the 13 hook and event calls opencode makes for one bash tool call`,
      addedNsPerToolCall: Math.round(added),
      peerAddedNsPerToolCall: Math.round(peerAdded),
      cases,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function readmeTable(doc) {
  const rows = Object.entries(doc.cases).map(
    ([name, x]) =>
      `| ${name} | ${x.nsPerCall.toFixed(0)} | ${x.backgroundNsPerCall.toFixed(0)} | ${x.vsBaseline.toFixed(2)}× | ${x.note} |`,
  );
  return [
    `Measured ${doc.date.slice(0, 10)} on ${doc.machine.cpu} (${doc.machine.cpus} cores), Node ${doc.machine.node}; ${doc.method}.`,
    '',
    '| case | ns per tool call | ns per tool call in the background | vs empty-plugin | what |',
    '|---|---:|---:|---|---|',
    ...rows,
    '',
    `perftrack adds **${doc.addedNsPerToolCall} ns** per tool call over an empty plugin; the hand-written OpenTelemetry-span peer adds ${doc.peerAddedNsPerToolCall} ns.`,
  ].join('\n');
}
