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
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import client from 'prom-client';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { InMemoryStorage, MetricsCollector, PerformanceIntegration, trackPerformance, wrapTools } from '@perftrack/integration';

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
    const perf = new PerformanceIntegration({ ...quiet, ...(options.storage ? {} : { storageDir: join(dir, `i${n++}`) }), ...options });
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
    'integration-memory-only': {
      note: 'defaults with trackInputOutput off: heap deltas (sampled reads) but no I/O sizes',
      setup: integration({ trackInputOutput: false }),
    },
    'integration-io-only': {
      note: 'defaults with trackMemory off: I/O sizes but no heap reads',
      setup: integration({ trackMemory: false }),
    },
    'integration-no-patterns': {
      note: 'defaults with trackPatterns off: no sequences or next-tool prediction',
      setup: integration({ trackPatterns: false }),
    },
    'integration-in-memory': {
      note: 'defaults with InMemoryStorage instead of files: what storage costs, by difference',
      setup: integration({ storage: new InMemoryStorage() }),
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
            const span = tracer.startSpan(`execute_tool ${tools[i].id}`, {
              attributes: { 'gen_ai.tool.name': tools[i].id, 'session.id': c.sessionID },
            });
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
        const hist = new client.Histogram({
          name: 'tool_duration_seconds',
          help: 'h',
          labelNames: ['tool'],
          registers: [new client.Registry()],
        });
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
  console.log(
    `  ${'case'.padEnd(26)} ${'call ns'.padStart(9)} ${'call CPU'.padStart(9)} ${'drain CPU'.padStart(10)} ${'total CPU'.padStart(10)}`,
  );
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `  ${name.padEnd(26)} ${r.callNs.toFixed(0).padStart(9)} ${r.callCpuNs.toFixed(0).padStart(9)} ${r.drainCpuNs.toFixed(0).padStart(10)} ${r.totalCpuNs.toFixed(0).padStart(10)}`,
    );
  }
}

/**
 * The memory hook: the cost of each public heap source on this Node (ns per read, one process,
 * interleaved), and what sampling heap reads (a tool's first call, then one call in
 * HEAP_READ_EVERY) does to the per-tool mean heap delta: every call of a workload is measured,
 * and the mean over the calls the sampler would pick is compared with the mean over all.
 */
export function memoryHook() {
  const sources = {
    'v8.getHeapStatistics().used_heap_size': () => v8.getHeapStatistics().used_heap_size,
    'v8.getHeapSpaceStatistics() (sum of used)': () => {
      let used = 0;
      for (const space of v8.getHeapSpaceStatistics()) used += space.space_used_size;
      return used;
    },
    'process.memoryUsage().heapUsed': () => process.memoryUsage().heapUsed,
    'process.memoryUsage.rss()': () => process.memoryUsage.rss(),
  };
  const reads = 20_000;
  const perSource = Object.fromEntries(Object.keys(sources).map((k) => [k, []]));
  let sink = 0;
  for (let round = 0; round < 5; round++) {
    for (const [name, read] of Object.entries(sources)) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < reads; i++) sink += read();
      perSource[name].push(Number(process.hrtime.bigint() - t0) / reads);
    }
  }
  if (sink === -1) console.log(sink);
  const costNs = Object.fromEntries(Object.entries(perSource).map(([k, xs]) => [k, round(median(xs))]));

  // Accuracy: 8 tools, each allocating a tool-specific mean amount with noise, 20,000 calls each.
  const WARMUP = 0; // core reads a tool's first call, then one in EVERY
  const EVERY = 4;
  const tools = 8;
  const calls = 20_000;
  const all = Array.from({ length: tools }, () => []);
  const sampled = Array.from({ length: tools }, () => []);
  const kept = [];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < tools * calls; i++) {
    const t = i % tools;
    const k = Math.floor(i / tools);
    const before = v8.getHeapStatistics().used_heap_size;
    const items = 8 + t * 16 + Math.floor(random() * 32);
    const held = [];
    for (let j = 0; j < items; j++) held.push({ j, label: `x${j}` });
    if (kept.length < 64) kept.push(held);
    else kept[i % 64] = held;
    const delta = v8.getHeapStatistics().used_heap_size - before;
    all[t].push(delta);
    if (k < WARMUP || k % EVERY === 0) sampled[t].push(delta);
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // A GC during the call makes its delta negative: the median of the others is the allocation signal.
  const allocated = (xs) => median(xs.filter((x) => x >= 0));
  const perTool = all.map((xs, t) => {
    const m = mean(xs);
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
    const standardError = sd / Math.sqrt(xs.length);
    const ms = mean(sampled[t]);
    return {
      tool: `tool_${t}`,
      meanAllBytes: round(m),
      meanSampledBytes: round(ms),
      // how far the sampled mean lands from the full one, in standard errors of the full mean (GC drops make both noisy)
      meanDifferenceInStandardErrors: Number((Math.abs(ms - m) / standardError).toFixed(2)),
      medianAllocatedAllBytes: allocated(xs),
      medianAllocatedSampledBytes: allocated(sampled[t]),
      medianRelativeError: Number((Math.abs(allocated(sampled[t]) - allocated(xs)) / allocated(xs)).toFixed(4)),
    };
  });
  return {
    note: 'ns per heap read of each public source (median of 5 interleaved rounds of 20,000); sampling accuracy: per-tool mean heap delta over the sampled calls vs over all calls',
    costNs,
    sampling: {
      warmupCalls: WARMUP,
      readEvery: EVERY,
      callsPerTool: calls,
      perTool,
      worstMedianRelativeError: Math.max(...perTool.map((p) => p.medianRelativeError)),
      worstMeanDifferenceInStandardErrors: Math.max(...perTool.map((p) => p.meanDifferenceInStandardErrors)),
    },
  };
}

/** A storage adapter that keeps nothing: the integration's own memory, without the store's. */
const nullStorage = () => ({
  appendMetrics: async () => {},
  readMetrics: async function* () {},
  writeSnapshot: async () => {},
  readSnapshot: async () => undefined,
  listSessions: async () => [],
  deleteSession: async () => [],
});

/**
 * Heap after GC once 1 M calls over 100,000 sessions (and 10,000 tools) went through README's
 * setup with defaults (analytics, session views, patterns, pipeline), storage left out (a null
 * adapter: a store's own memory is its business, see the storage suite).
 */
export async function heapAfterMillion() {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') return { note: 'run with --expose-gc' };
  gc();
  const before = process.memoryUsage().heapUsed;
  const perf = new PerformanceIntegration({ analyticsInterval: 0, flushOnExit: false, onWarning: () => {}, storage: nullStorage() });
  await perf.ready;
  const tools = perf.wrapTools(makeTools(10_000));
  const contexts = makeContexts(100_000);
  const points = [];
  for (let i = 0; i < 1_000_000; i++) {
    tools[i % 10_000].execute(ARGS, contexts[i % 100_000]);
    if ((i + 1) % 4096 === 0) await perf.collector.flush();
    if ((i + 1) % 250_000 === 0) {
      await perf.collector.flush();
      gc();
      points.push({ calls: i + 1, heapMiB: Number(((process.memoryUsage().heapUsed - before) / 1048576).toFixed(1)) });
    }
  }
  await perf.runAnalytics();
  gc();
  const after = process.memoryUsage().heapUsed;
  const stats = perf.stats();
  await perf.shutdown();
  return {
    note: "heap after GC (MiB above the process's baseline) while 1 M calls over 100,000 sessions x 10,000 tools go through the defaults, storage a null adapter",
    points,
    afterPassMiB: Number(((after - before) / 1048576).toFixed(1)),
    liveSessions: stats.analytics.liveSessions,
    evictedSessions: stats.analytics.evictedSessions,
  };
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-bench-integration-'));
  const allCases = Object.keys(cases(dir));
  const notes = Object.fromEntries(Object.entries(cases(dir)).map(([k, v]) => [k, v.note]));
  const bursts = {};
  const scaling = {};
  const hook = memoryHook();
  console.log(
    '\n  memory hook (ns per read):',
    hook.costNs,
    '\n  sampled heap deltas: worst median error',
    hook.sampling.worstMedianRelativeError,
    ', worst mean difference (standard errors)',
    hook.sampling.worstMeanDifferenceInStandardErrors,
  );
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
  const heap = await heapAfterMillion();
  console.log(
    '\n  heap after GC, 1 M calls over 100,000 sessions:',
    JSON.stringify(heap.points),
    'after the pass',
    heap.afterPassMiB,
    'MiB',
  );
  return {
    heapAfterMillionCalls: heap,
    method: METHOD,
    load: os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' '),
    notes,
    bursts,
    scaling,
    memoryHook: hook,
  };
}

export function readmeTable(doc) {
  const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
  const lines = [
    `Measured ${doc.date.slice(0, 10)} on ${doc.machine.cpu} (${doc.machine.cpus} cores), Node ${doc.machine.node}, load average ${doc.load ?? '?'}; ${doc.method}. Figures are ns per call; "call CPU" is process CPU on the call path, "total CPU" adds every background flush, write and export.`,
    '',
    '| case | call path ns (wall) | call CPU ns | total CPU ns: 4,096 per drain | 256 | 16 | 1 | total CPU vs otel-span at 4,096 / 16 / 1 | what |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  const span = (b) => doc.bursts[b]['otel-span'].totalCpuNs;
  for (const name of Object.keys(doc.bursts[4096])) {
    const b = (n) => doc.bursts[n][name];
    lines.push(
      `| ${name} | ${b(4096).callNs.toFixed(0)} | ${b(4096).callCpuNs.toFixed(0)} | ${b(4096).totalCpuNs.toFixed(0)} | ${b(256).totalCpuNs.toFixed(0)} | ${b(16).totalCpuNs.toFixed(0)} | ${b(1).totalCpuNs.toFixed(0)} | ` +
        `${ratio(b(4096).totalCpuNs, span(4096))} / ${ratio(b(16).totalCpuNs, span(16))} / ${ratio(b(1).totalCpuNs, span(1))} | ${doc.notes[name]} |`,
    );
  }
  const d = doc.bursts[4096];
  lines.push(
    '',
    `On the call path (process CPU, 4,096 per drain) README's setup costs ${ratio(d['integration-defaults'].callCpuNs, d['core-defaults-options'].callCpuNs)} core with the same options ` +
      `(${ratio(d['integration-timing-only'].callCpuNs, d['core-timing'].callCpuNs)} timing only); wall time ${ratio(d['integration-defaults'].callNs, d['core-defaults-options'].callNs)} ` +
      `(${ratio(d['integration-timing-only'].callNs, d['core-timing'].callNs)}).`,
  );
  if (doc.memoryHook) {
    const h = doc.memoryHook;
    const cost = Object.entries(h.costNs)
      .map(([k, v]) => `\`${k}\` ${v.toFixed(0)} ns`)
      .join(', ');
    lines.push(
      '',
      `Memory hook: one heap read costs ${cost}; \`v8.getHeapStatistics()\` is the cheapest public source, so core samples the reads instead ` +
        `(each tool's first call, then one in ${h.sampling.readEvery}). Over ${h.sampling.callsPerTool.toLocaleString('en')} calls per tool, the sampled median allocation ` +
        `differs from the full one by at most ${(h.sampling.worstMedianRelativeError * 100).toFixed(1)}% and the sampled mean heap delta lands within ${h.sampling.worstMeanDifferenceInStandardErrors.toFixed(1)} standard errors of the full mean (GC drops make every heap delta noisy).`,
    );
  }
  if (doc.heapAfterMillionCalls?.points) {
    const h = doc.heapAfterMillionCalls;
    lines.push(
      '',
      `Heap after GC with 1 M calls over 100,000 sessions × 10,000 tools through the defaults (storage left out): ${h.points.map((p) => `${p.heapMiB} MiB at ${(p.calls / 1000).toFixed(0)} k calls`).join(', ')} (analytics then holds ${h.liveSessions} sessions and has evicted ${h.evictedSessions.toLocaleString('en')}).`,
    );
  }
  lines.push(
    '',
    'Scaling (ns per call; call CPU / total CPU):',
    '',
    '| sessions × tools, calls per drain | core-timing | integration-defaults | integration-timing-only | otel-span |',
    '|---|---:|---:|---:|---:|',
  );
  for (const [key, s] of Object.entries(doc.scaling)) {
    const cell = (n) => `${s.cases[n].callCpuNs.toFixed(0)} / ${s.cases[n].totalCpuNs.toFixed(0)}`;
    lines.push(
      `| ${key} | ${cell('core-timing')} | ${cell('integration-defaults')} | ${cell('integration-timing-only')} | ${cell('otel-span')} |`,
    );
  }
  return lines.join('\n');
}
