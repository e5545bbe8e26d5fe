// Core overhead: bare call, floor, tracked variants and peers (OpenTelemetry span, prom-client
// timer), all measured in one run with mitata, so ratios compare like with like.
//
//   PERFTRACK_BASELINE_CORE=/path/to/other/packages/core/dist/index.js pnpm bench core
//
// also measures the tracked cases of that other build of core (e.g. main's, built in a separate
// checkout) in the same process, interleaved round by round with this build's, and reports the
// ratio this build / baseline per case.
import { measure, do_not_optimize } from 'mitata';
import { createRequire } from 'node:module';
import { AsyncLocalStorage } from 'node:async_hooks';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import client from 'prom-client';
import { MetricsCollector, trackPerformance } from '@perftrack/core';

const MIN_CPU = 400e6; // ns of sampling per case
const BASELINE = process.env.PERFTRACK_BASELINE_CORE;
const BASELINE_ROUNDS = 9;

function payload1k() {
  return {
    path: '/repo/src/components/editor/buffer.ts',
    pattern: 'function\\s+\\w+\\(',
    options: { caseSensitive: false, maxResults: 200, include: ['**/*.ts', '**/*.tsx'], exclude: ['node_modules/**'] },
    context: { sessionID: 'ses_01HZX3', messageID: 'msg_01HZX4', agent: 'build', cwd: '/repo' },
    edits: Array.from({ length: 8 }, (_, i) => ({
      line: 100 + i,
      oldText: 'const value = compute(x)',
      newText: `const value${i} = computeFast(x, ${i})`,
    })),
    note: 'x'.repeat(120),
  };
}

async function ns(fn) {
  const s = await measure(fn, { min_cpu_time: MIN_CPU });
  return s.avg;
}

export async function run() {
  const input = payload1k();
  const inputJsonBytes = JSON.stringify(input).length;

  function bare(a, b) {
    return a + b;
  }
  async function bareAsync(a, b) {
    return a + b;
  }

  const collector = new MetricsCollector({ maxMetrics: 1000, onWarning: () => {} });
  const tracked = trackPerformance({ collector, toolId: 'add' })(bare);
  const trackedAsync = trackPerformance({ collector, toolId: 'add-async' })(bareAsync);
  const sampledOut = trackPerformance({ collector, toolId: 'add', sampleRate: 0 })(bare);
  const trackedMemory = trackPerformance({ collector, toolId: 'add', trackMemory: true })(bare);
  const echo = (x) => x.path.length;
  const trackedIO = trackPerformance({ collector, toolId: 'echo', trackInputOutput: true })(echo);

  const floorTimes = new Float64Array(1024);
  let fi = 0;
  const floor = (a, b) => {
    const t0 = performance.now();
    const r = bare(a, b);
    const t1 = performance.now();
    floorTimes[fi++ & 1023] = t1 - t0;
    return r;
  };

  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor({ export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} })],
  });
  const tracer = provider.getTracer('bench');
  const otel = (a, b) => {
    const span = tracer.startSpan('execute_tool add');
    const r = bare(a, b);
    span.end();
    return r;
  };

  const registry = new client.Registry();
  const hist = new client.Histogram({ name: 'tool_duration_seconds', help: 'h', registers: [registry] });
  const prom = (a, b) => {
    const end = hist.startTimer();
    const r = bare(a, b);
    end();
    return r;
  };

  // First, while neither build's code has seen other cases: each build's call paths get the same feedback.
  const baseline = BASELINE ? await compareWithBaseline(createRequire(import.meta.url)(BASELINE), input) : undefined;

  const cases = {};
  const add = async (name, fn) => {
    cases[name] = { nsPerOp: await ns(fn) };
    process.stdout.write(`  ${name.padEnd(22)} ${cases[name].nsPerOp.toFixed(1).padStart(9)} ns/op\n`);
  };

  await add('bare-sync', () => do_not_optimize(bare(1, 2)));
  await add('floor', () => do_not_optimize(floor(1, 2)));
  await add('tracked-sync', () => do_not_optimize(tracked(1, 2)));
  await add('bare-async', async () => do_not_optimize(await bareAsync(1, 2)));
  await add('tracked-async', async () => do_not_optimize(await trackedAsync(1, 2)));
  await add('sampled-out', () => do_not_optimize(sampledOut(1, 2)));
  await add('tracked-memory', () => do_not_optimize(trackedMemory(1, 2)));
  await add('bare-io-fn', () => do_not_optimize(echo(input)));
  await add('tracked-io', () => do_not_optimize(trackedIO(input)));
  await add('json-stringify', () => do_not_optimize(JSON.stringify(input)));
  await add('otel-span', () => do_not_optimize(otel(1, 2)));
  await add('prom-client-timer', () => do_not_optimize(prom(1, 2)));

  // AsyncLocalStorage cost on every await in the process, once one is active (why SessionContext is opt-in).
  await add('await-bare', async () => do_not_optimize(await bareAsync(1, 2)));
  const als = new AsyncLocalStorage();
  await als.run({ sessionId: 's' }, async () => {
    await add('await-with-als', async () => do_not_optimize(await bareAsync(1, 2)));
  });
  await provider.shutdown();

  const c = (n) => cases[n].nsPerOp;
  const ratios = {
    trackedSyncOverFloor: c('tracked-sync') / c('floor'),
    otelOverTrackedSync: c('otel-span') / c('tracked-sync'),
    promOverTrackedSync: c('prom-client-timer') / c('tracked-sync'),
    trackedAsyncMinusBareAsyncNs: c('tracked-async') - c('bare-async'),
    sampledOutMinusBareNs: c('sampled-out') - c('bare-sync'),
    memoryHookExtraNs: c('tracked-memory') - c('tracked-sync'),
    ioSizingOverJsonStringify: (c('tracked-io') - c('bare-io-fn') - (c('tracked-sync') - c('bare-sync'))) / c('json-stringify'),
    alsExtraPerAwaitNs: c('await-with-als') - c('await-bare'),
  };
  const targets = {
    'tracked-sync <= 150 ns': c('tracked-sync') <= 150,
    'tracked-sync <= 1.6x floor': ratios.trackedSyncOverFloor <= 1.6,
    'otel-span >= 7x tracked-sync': ratios.otelOverTrackedSync >= 7,
    'prom-client-timer >= 1.5x tracked-sync': ratios.promOverTrackedSync >= 1.5,
    'tracked-async <= bare-async + 300 ns': ratios.trackedAsyncMinusBareAsyncNs <= 300,
    'sampled-out <= bare + 15 ns': ratios.sampledOutMinusBareNs <= 15,
    'memory hook <= 400 ns extra': ratios.memoryHookExtraNs <= 400,
    'I/O sizing <= 0.6x JSON.stringify': ratios.ioSizingOverJsonStringify <= 0.6,
  };

  console.log('\n  ratios');
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.padEnd(34)} ${v.toFixed(2)}`);
  console.log('\n  targets');
  for (const [k, v] of Object.entries(targets)) console.log(`  ${v ? 'met   ' : 'MISSED'} ${k}`);

  const soak = memorySoak(10_000_000);
  console.log(
    `\n  memory soak: ${soak.calls.toLocaleString()} tracked calls, maxMetrics 1000: heap ${fmtMB(soak.heapBefore)} -> ${fmtMB(soak.heapAfter)} (growth ${fmtMB(soak.growth)}), dropped ${soak.dropped.toLocaleString()}, ${soak.seconds.toFixed(1)} s`,
  );
  return { inputJsonBytes, cases, ratios, targets, memorySoak: soak, ...(baseline ? { baseline } : {}) };
}

/** The tracked cases of one build of core, each on its own collector. */
function trackedCases(core, input) {
  const { MetricsCollector: Collector, trackPerformance: track } = core;
  const collector = new Collector({ maxMetrics: 1000, onWarning: () => {} });
  const bare = (a, b) => a + b;
  const bareAsync = async (a, b) => a + b;
  const sync = track({ collector, toolId: 'add' })(bare);
  const async_ = track({ collector, toolId: 'add-async' })(bareAsync);
  const sampledOut = track({ collector, toolId: 'add', sampleRate: 0 })(bare);
  const memory = track({ collector, toolId: 'add', trackMemory: true })(bare);
  const io = track({ collector, toolId: 'echo', trackInputOutput: true })((x) => x.path.length);
  const ctx = { sessionID: 'ses_1', messageID: 'msg_1', callID: 'call_1' };
  const tool = track({ collector })({ id: 'read', execute: (args, _ctx) => args.n });
  const throwing = track({ collector, toolId: 'fail' })(() => {
    throw new Error('no');
  });
  return {
    'tracked-sync': () => do_not_optimize(sync(1, 2)),
    'tracked-async': async () => do_not_optimize(await async_(1, 2)),
    'sampled-out': () => do_not_optimize(sampledOut(1, 2)),
    'tracked-memory': () => do_not_optimize(memory(1, 2)),
    'tracked-io': () => do_not_optimize(io(input)),
    'tool-execute-ctx': () => do_not_optimize(tool.execute({ n: 1 }, ctx)),
    'tracked-throw': () => {
      try {
        throwing();
      } catch (e) {
        do_not_optimize(e);
      }
    },
  };
}

/** Runs `fn` `calls` times (awaiting each call that returns a promise); CPU (all threads) and wall ns per call. */
async function timeCalls(fn, calls) {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const r = fn();
    if (r instanceof Promise) await r;
  }
  const wall = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  return { cpuNs: ((cpu.user + cpu.system) * 1000) / calls, wallNs: (wall * 1e6) / calls };
}

/**
 * This build against the baseline build, interleaved: in every round each case runs a batch of
 * calls on both builds, the order alternating between rounds; medians over rounds are compared,
 * for CPU time (process.cpuUsage, every thread: what a shared machine steals shows less) and wall time.
 */
async function compareWithBaseline(baselineCore, input) {
  const current = trackedCases({ MetricsCollector, trackPerformance }, input);
  const base = trackedCases(baselineCore, input);
  const calls = {
    'tracked-sync': 200_000,
    'sampled-out': 1_000_000,
    'tool-execute-ctx': 200_000,
    'tracked-throw': 20_000,
    'tracked-async': 50_000,
    'tracked-memory': 50_000,
    'tracked-io': 20_000,
  };
  const samples = {};
  for (const name of Object.keys(current)) {
    samples[name] = { thisBuild: [], baseline: [] };
    await timeCalls(current[name], calls[name]); // warm-up of both
    await timeCalls(base[name], calls[name]);
  }
  for (let round = 0; round < BASELINE_ROUNDS; round++) {
    for (const name of Object.keys(current)) {
      const order = round % 2 === 0 ? ['thisBuild', 'baseline'] : ['baseline', 'thisBuild'];
      for (const which of order)
        samples[name][which].push(await timeCalls(which === 'thisBuild' ? current[name] : base[name], calls[name]));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const cases = {};
  console.log(`\n  against the baseline (${BASELINE_ROUNDS} interleaved rounds, medians; CPU and wall ns per call)`);
  for (const [name, { thisBuild, baseline }] of Object.entries(samples)) {
    const c = {
      thisBuildCpuNs: median(thisBuild.map((x) => x.cpuNs)),
      baselineCpuNs: median(baseline.map((x) => x.cpuNs)),
      thisBuildWallNs: median(thisBuild.map((x) => x.wallNs)),
      baselineWallNs: median(baseline.map((x) => x.wallNs)),
    };
    c.cpuRatio = c.thisBuildCpuNs / c.baselineCpuNs;
    c.wallRatio = c.thisBuildWallNs / c.baselineWallNs;
    cases[name] = c;
    console.log(
      `  ${name.padEnd(18)} cpu ${c.thisBuildCpuNs.toFixed(1).padStart(8)} vs ${c.baselineCpuNs.toFixed(1).padStart(8)}  ${c.cpuRatio.toFixed(2)}x   wall ${c.thisBuildWallNs.toFixed(1).padStart(8)} vs ${c.baselineWallNs.toFixed(1).padStart(8)}  ${c.wallRatio.toFixed(2)}x`,
    );
  }
  return { path: BASELINE, rounds: BASELINE_ROUNDS, calls, cases };
}

function fmtMB(bytes) {
  return `${(bytes / 1048576).toFixed(2)} MB`;
}

function heapUsed() {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

function memorySoak(calls) {
  const collector = new MetricsCollector({ maxMetrics: 1000, onWarning: () => {} });
  const tool = trackPerformance({ collector, toolId: 'soak' })((x) => x + 1);
  for (let i = 0; i < 100_000; i++) tool(i);
  const heapBefore = heapUsed();
  const t = performance.now();
  let s = 0;
  for (let i = 0; i < calls; i++) s += tool(i);
  const seconds = (performance.now() - t) / 1000;
  const heapAfter = heapUsed();
  do_not_optimize(s);
  return {
    calls,
    heapBefore,
    heapAfter,
    growth: heapAfter - heapBefore,
    dropped: collector.stats().dropped,
    seconds,
    gcExposed: typeof globalThis.gc === 'function',
  };
}

/** The README table, from a results document (so README and bench/results never disagree). */
export function readmeTable(doc) {
  const c = doc.cases;
  const row = (name, what) =>
    `| \`${name}\` | ${what} | ${c[name].nsPerOp.toFixed(1)} | ${(c[name].nsPerOp / c.floor.nsPerOp).toFixed(2)}x |`;
  const r = doc.ratios;
  const lines = [
    `Measured ${doc.date.slice(0, 10)}, Node ${doc.machine.node}, ${doc.machine.cpus} cores (${doc.machine.cpu}).`,
    '',
    '| case | what | ns/call | vs floor |',
    '|---|---|---:|---:|',
    row('bare-sync', 'the untracked function'),
    row('floor', 'two `performance.now()` + a write into a preallocated array'),
    row('tracked-sync', '`trackPerformance()` on a sync function (record built, buffered)'),
    row('sampled-out', '`sampleRate: 0`: no timing, no record'),
    row('tracked-memory', '+ `trackMemory`'),
    row('tracked-io', `+ \`trackInputOutput\` on a ${doc.inputJsonBytes}-byte input`),
    row('json-stringify', '`JSON.stringify` of that input, for comparison'),
    row('bare-async', 'untracked async function, awaited'),
    row('tracked-async', 'tracked async function, awaited'),
    row('otel-span', 'peer: OpenTelemetry span (sdk-trace-base, BatchSpanProcessor, no-op exporter)'),
    row('prom-client-timer', 'peer: prom-client `histogram.startTimer()`'),
    row('await-bare', 'one `await`, no AsyncLocalStorage'),
    row('await-with-als', 'one `await` inside an active AsyncLocalStorage'),
    '',
    `Ratios: tracked sync is ${r.trackedSyncOverFloor.toFixed(2)}x the floor; an OTel span costs ${r.otelOverTrackedSync.toFixed(1)}x and a prom-client timer ${r.promOverTrackedSync.toFixed(2)}x a tracked call; ` +
      `async adds ${r.trackedAsyncMinusBareAsyncNs.toFixed(0)} ns; sampled-out adds ${r.sampledOutMinusBareNs.toFixed(1)} ns; the memory hook ${r.memoryHookExtraNs.toFixed(0)} ns; ` +
      `I/O sizing costs ${r.ioSizingOverJsonStringify.toFixed(2)}x \`JSON.stringify\`; AsyncLocalStorage adds ${r.alsExtraPerAwaitNs.toFixed(0)} ns to every await.`,
    '',
    `Memory soak: ${doc.memorySoak.calls.toLocaleString('en-US')} tracked calls through \`maxMetrics: 1000\`: heap ${(doc.memorySoak.heapBefore / 1048576).toFixed(2)} MB before, ${(doc.memorySoak.heapAfter / 1048576).toFixed(2)} MB after (growth ${(doc.memorySoak.growth / 1048576).toFixed(2)} MB).`,
  ];
  return lines.join('\n');
}
