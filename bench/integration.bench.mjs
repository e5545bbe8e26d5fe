// What README's setup costs a tool call, next to core alone and the peers, in one process.
//
// Method (the issue "One record pipeline"): cases are interleaved sample by sample, so drift on a
// shared machine hits them alike and their ratios hold. One sample of a case is a run of rounds;
// a round is N calls (the call path) followed by a drain that waits until every queue of that
// case is empty (the collector's subscribers flushed, storage written, spans exported). Measured
// per call: wall time of the call path (hrtime), and process CPU (`process.cpuUsage()`, user +
// system, every thread: libuv's file writes included) of the call path and of the drain. N is
// 4,096 (bursts) or 256, 16 or 1 (sparse: an agent making a call a second flushes about one call
// at a time). The axes: sessions the calls rotate over (1, 1,000, 100,000) and distinct tools
// (10, 10,000). Medians over samples.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import client from 'prom-client';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MetricsCollector, PerformanceIntegration, wrapTools } from '@perftrack/integration';

const SAMPLES = Number(process.env.PERFTRACK_BENCH_SAMPLES ?? 15);
/** Calls per sample: enough that a sample's CPU reading (microsecond resolution) is well above its noise. */
const CALLS_PER_SAMPLE = 4096;
const BURST = [4096, 256, 16, 1];
const ARGS = { pattern: 'function\\s+\\w+', path: '/repo/src' };

export const METHOD =
  `median of ${SAMPLES} interleaved samples of ${CALLS_PER_SAMPLE} calls; each round of N calls is followed by a drain that waits until every queue is empty; ` +
  'CPU = process.cpuUsage() (user+system, all threads) around the call path and around the drain';

/** `count` opencode-style tools `{ id, execute(args, ctx) }`, each cheap. */
function makeTools(count) {
  const tools = [];
  for (let t = 0; t < count; t++) tools.push({ id: `tool_${t}`, execute: (args, _ctx) => args.pattern.length });
  return tools;
}

/** `count` call contexts, one per session. */
function makeContexts(count) {
  const out = [];
  for (let s = 0; s < count; s++) out.push({ sessionID: `ses_${s.toString(36).padStart(6, '0')}`, messageID: 'msg_1', callID: 'call_1' });
  return out;
}

/**
 * A case: `setup(tools)` returns `{ call(tool index, args, ctx), drain(), close() }` where `call`
 * makes one tracked call of tool i.
 */
function cases(dir) {
  let n = 0;
  const quiet = { analyticsInterval: 0, flushOnExit: false, onWarning: () => {} };
  const integration = (options) => (tools) => {
    const perf = new PerformanceIntegration({ ...quiet, storageDir: join(dir, `i${n++}`), ...options });
    const wrapped = perf.wrapTools(tools);
    return {
      call: (i, a, c) => wrapped[i].execute(a, c),
      drain: async () => {
        await perf.collector.flush();
        if (perf.storage.stats().queued !== 0) throw new Error('storage still has queued records after a flush');
      },
      close: () => perf.shutdown(),
    };
  };
  const core = (options) => (tools) => {
    const collector = new MetricsCollector({ maxMetrics: 1000, onWarning: () => {} });
    const wrapped = wrapTools(tools, { collector, ...options });
    return { call: (i, a, c) => wrapped[i].execute(a, c), drain: () => collector.flush(), close: () => collector.shutdown() };
  };
  return {
    bare: {
      note: 'the untracked tool',
      setup: (tools) => ({ call: (i, a, c) => tools[i].execute(a, c), drain: async () => {}, close: async () => {} }),
    },
    'clock-reads': {
      note: 'two performance.now() reads around the call: the floor of any timer',
      setup: (tools) => {
        let sink = 0;
        return {
          call: (i, a, c) => {
            const t0 = performance.now();
            const r = tools[i].execute(a, c);
            sink += performance.now() - t0;
            return r;
          },
          drain: async () => {
            if (sink === -1) console.log(sink);
          },
          close: async () => {},
        };
      },
    },
    'core-timing': { note: 'core alone (wrapTools), timing only, no subscriber', setup: core({}) },
    'core-defaults-options': {
      note: "core alone with the integration defaults' options (trackMemory + trackInputOutput)",
      setup: core({ trackMemory: true, trackInputOutput: true }),
    },
    'integration-defaults': {
      note: "README's setup: PerformanceIntegration({ storageDir }) defaults + wrapTools (file storage, session views, analytics, memory + I/O sizes)",
      setup: integration({}),
    },
    'integration-timing-only': {
      note: 'the same with trackMemory and trackInputOutput off',
      setup: integration({ trackMemory: false, trackInputOutput: false }),
    },
    'otel-span': {
      note: 'peer: one OpenTelemetry SDK span per call (BasicTracerProvider, BatchSpanProcessor, no-op exporter)',
      setup: (tools) => {
        const provider = new BasicTracerProvider({
          spanProcessors: [new BatchSpanProcessor({ export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} })],
        });
        const tracer = provider.getTracer('bench');
        return {
          call: (i, a, c) => {
            const span = tracer.startSpan(`execute_tool ${tools[i].id}`, { attributes: { 'gen_ai.tool.name': tools[i].id, 'session.id': c.sessionID } });
            const r = tools[i].execute(a, c);
            span.end();
            return r;
          },
          drain: () => provider.forceFlush(),
          close: () => provider.shutdown(),
        };
      },
    },
    'prom-client-timer': {
      note: 'peer: a prom-client histogram timer per call (labelled by tool)',
      setup: (tools) => {
        const hist = new client.Histogram({ name: 'tool_duration_seconds', help: 'h', labelNames: ['tool'], registers: [new client.Registry()] });
        return {
          call: (i, a, c) => {
            const end = hist.startTimer({ tool: tools[i].id });
            const r = tools[i].execute(a, c);
            end();
            return r;
          },
          drain: async () => {},
          close: async () => {},
        };
      },
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const cpuMicros = (u) => u.user + u.system;

/**
 * Measures the named cases interleaved, for one burst size and one (sessions, tools) shape.
 * Returns per case: callNs (wall, call path), callCpuNs, drainCpuNs, totalCpuNs (per call).
 */
async function measure(selected, dir, { burst, sessions, tools: toolCount }) {
  const tools = makeTools(toolCount);
  const contexts = makeContexts(sessions);
  const all = cases(dir);
  const running = selected.map((name) => ({ name, ...all[name].setup(tools), samples: [] }));
  const rounds = Math.max(1, Math.floor(CALLS_PER_SAMPLE / burst));
  let cursor = 0;
  const runSample = async (c, keep) => {
    let wall = 0n;
    let callCpu = 0;
    let drainCpu = 0;
    for (let r = 0; r < rounds; r++) {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < burst; i++) {
        const k = cursor++;
        c.call(k % toolCount, ARGS, contexts[k % sessions]);
      }
      const t1 = process.hrtime.bigint();
      const cpu1 = process.cpuUsage();
      await c.drain();
      const cpu2 = process.cpuUsage();
      wall += t1 - t0;
      callCpu += cpuMicros(cpu1) - cpuMicros(cpu0);
      drainCpu += cpuMicros(cpu2) - cpuMicros(cpu1);
    }
    const calls = rounds * burst;
    if (keep) c.samples.push({ callNs: Number(wall) / calls, callCpuNs: (callCpu * 1000) / calls, drainCpuNs: (drainCpu * 1000) / calls });
  };
  // Warm-up: every session and tool seen once by every case (a long-running agent's steady state).
  const warm = Math.max(sessions, toolCount, 8192);
  for (const c of running) {
    for (let done = 0; done < warm; done += 4096) {
      for (let i = 0; i < 4096; i++) {
        const k = cursor++;
        c.call(k % toolCount, ARGS, contexts[k % sessions]);
      }
      await c.drain();
    }
    await runSample(c, false);
  }
  for (let s = 0; s < SAMPLES; s++) {
    globalThis.gc?.();
    for (const c of running) await runSample(c, true);
  }
  const out = {};
  for (const c of running) {
    const callNs = median(c.samples.map((x) => x.callNs));
    const callCpuNs = median(c.samples.map((x) => x.callCpuNs));
    const drainCpuNs = median(c.samples.map((x) => x.drainCpuNs));
    const totalCpuNs = median(c.samples.map((x) => x.callCpuNs + x.drainCpuNs));
    out[c.name] = { callNs: round(callNs), callCpuNs: round(callCpuNs), drainCpuNs: round(drainCpuNs), totalCpuNs: round(totalCpuNs) };
    await c.close();
  }
  return out;
}

const round = (x) => Number(x.toFixed(1));

function print(title, results) {
  console.log(`\n  ${title}`);
  console.log(`  ${'case'.padEnd(26)} ${'call ns'.padStart(9)} ${'call CPU'.padStart(9)} ${'drain CPU'.padStart(10)} ${'total CPU'.padStart(10)}`);
  for (const [name, r] of Object.entries(results)) {
    console.log(`  ${name.padEnd(26)} ${r.callNs.toFixed(0).padStart(9)} ${r.callCpuNs.toFixed(0).padStart(9)} ${r.drainCpuNs.toFixed(0).padStart(10)} ${r.totalCpuNs.toFixed(0).padStart(10)}`);
  }
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-bench-integration-'));
  const allCases = Object.keys(cases(dir));
  const notes = Object.fromEntries(Object.entries(cases(dir)).map(([k, v]) => [k, v.note]));
  const bursts = {};
  const scaling = {};
  try {
    // Every case at each burst size: 4 sessions, 10 tools.
    for (const burst of BURST) {
      const shape = { burst, sessions: 4, tools: 10 };
      bursts[burst] = await measure(allCases, dir, shape);
      print(`${burst} calls per drain, ${shape.sessions} sessions, ${shape.tools} tools`, bursts[burst]);
    }
    // How our cases scale with sessions and tools (the peer beside them as the yardstick).
    const scaled = ['core-timing', 'integration-defaults', 'integration-timing-only', 'otel-span'];
    for (const sessions of [1, 1000, 100_000]) {
      for (const toolCount of [10, 10_000]) {
        for (const burst of [4096, 16]) {
          const key = `${sessions} sessions x ${toolCount} tools, ${burst} per drain`;
          scaling[key] = { sessions, tools: toolCount, burst, cases: await measure(scaled, dir, { burst, sessions, tools: toolCount }) };
          print(key, scaling[key].cases);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { method: METHOD, notes, bursts, scaling };
}

export function readmeTable(doc) {
  const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
  const lines = [
    `Measured ${doc.date.slice(0, 10)} on ${doc.machine.cpu} (${doc.machine.cpus} cores), Node ${doc.machine.node}; ${doc.method}. Figures are ns per call; "total CPU" includes every background flush, write and export.`,
    '',
    '| case | call path ns (4,096/drain) | total CPU ns: 4,096 per drain | 256 | 16 | 1 | total CPU vs otel-span at 4,096 / 16 / 1 | what |',
    '|---|---:|---:|---:|---:|---:|---|---|',
  ];
  const span = (b) => doc.bursts[b]['otel-span'].totalCpuNs;
  for (const name of Object.keys(doc.bursts[4096])) {
    const b = (n) => doc.bursts[n][name];
    lines.push(
      `| ${name} | ${b(4096).callNs.toFixed(0)} | ${b(4096).totalCpuNs.toFixed(0)} | ${b(256).totalCpuNs.toFixed(0)} | ${b(16).totalCpuNs.toFixed(0)} | ${b(1).totalCpuNs.toFixed(0)} | ` +
        `${ratio(b(4096).totalCpuNs, span(4096))} / ${ratio(b(16).totalCpuNs, span(16))} / ${ratio(b(1).totalCpuNs, span(1))} | ${doc.notes[name]} |`,
    );
  }
  const d = doc.bursts[4096];
  lines.push(
    '',
    `On the call path README's setup costs ${ratio(d['integration-defaults'].callNs, d['core-defaults-options'].callNs)} core with the same options ` +
      `(${ratio(d['integration-timing-only'].callNs, d['core-timing'].callNs)} timing only).`,
    '',
    'Scaling (ns per call; call path / total CPU):',
    '',
    '| sessions × tools, calls per drain | core-timing | integration-defaults | integration-timing-only | otel-span |',
    '|---|---:|---:|---:|---:|',
  );
  for (const [key, s] of Object.entries(doc.scaling)) {
    const cell = (n) => `${s.cases[n].callNs.toFixed(0)} / ${s.cases[n].totalCpuNs.toFixed(0)}`;
    lines.push(`| ${key} | ${cell('core-timing')} | ${cell('integration-defaults')} | ${cell('integration-timing-only')} | ${cell('otel-span')} |`);
  }
  return lines.join('\n');
}
