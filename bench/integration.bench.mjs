// The cost a tool call pays with the whole integration attached (storage, per-session views,
// analytics with sequences), next to core alone and the peers, in one run.
//
// Every case is timed the same way (bench/rounds.mjs): rounds of 4,096 calls timed back to back
// (the call path), then the event-loop turn in which deferred work runs (timed separately: the
// background cost per record, paid off the tool's call). The median round is reported.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AnalyticsEngine, MetricsCollector, PerformanceIntegration, trackPerformance } from '@perftrack/integration';
import { METHOD, caseRunner, peers, tool } from './rounds.mjs';

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-bench-integration-'));
  const cases = {};
  const add = caseRunner(cases);
  try {
    const bare = tool();
    await add('bare', (a, c) => bare.execute(a, c), 'the untracked tool');

    const coreCollector = new MetricsCollector({ maxMetrics: 1000, onWarning: () => {} });
    const core = trackPerformance({ collector: coreCollector })(tool());
    await add('core-tracked', (a, c) => core.execute(a, c), 'core alone, timing only, no subscriber');

    const coreFull = trackPerformance({ collector: coreCollector, trackMemory: true, trackInputOutput: true })(tool());
    await add('core-tracked-memory-io', (a, c) => coreFull.execute(a, c), 'core alone, with the integration defaults (memory + I/O sizes)');

    const syncCollector = new MetricsCollector({ maxMetrics: 1000, onWarning: () => {} });
    syncCollector.subscribe(new AnalyticsEngine());
    const withSyncEngine = trackPerformance({ collector: syncCollector })(tool());
    await add('core+analytics-synchronous', (a, c) => withSyncEngine.execute(a, c), 'an AnalyticsEngine subscribed as is: analysis on the call path');

    const deferredCollector = new MetricsCollector({ maxMetrics: 1000, onWarning: () => {} });
    deferredCollector.subscribe(new AnalyticsEngine({ deferred: true }));
    const withDeferredEngine = trackPerformance({ collector: deferredCollector })(tool());
    await add('core+analytics-deferred', (a, c) => withDeferredEngine.execute(a, c), 'AnalyticsEngine({ deferred: true }): analysis on the next event-loop turn');

    const quiet = { analyticsInterval: 0, flushOnExit: false, onWarning: () => {} };
    const timingOnly = new PerformanceIntegration({ ...quiet, storageDir: join(dir, 'a'), trackMemory: false, trackInputOutput: false });
    const tTiming = timingOnly.wrapTools([tool()])[0];
    await add('integration-timing-only', (a, c) => tTiming.execute(a, c), 'full integration (file storage, sessions, analytics), trackMemory and trackInputOutput off');
    await timingOnly.shutdown();

    const defaults = new PerformanceIntegration({ ...quiet, storageDir: join(dir, 'b') });
    const tDefault = defaults.wrapTools([tool()])[0];
    await add('integration-defaults', (a, c) => tDefault.execute(a, c), 'full integration with its defaults (memory + I/O sizes)');
    await defaults.shutdown();

    const provider = new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor({ export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} })],
    });
    const tracer = provider.getTracer('bench');
    for (const peer of peers(tracer, 'peer: one OpenTelemetry SDK span per call (BatchSpanProcessor, no-op exporter)')) await add(peer.name, peer.execute, peer.note);
    await provider.shutdown();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const base = cases['core-tracked'].nsPerCall;
  for (const c of Object.values(cases)) c.vsCoreTracked = Number((c.nsPerCall / base).toFixed(2));
  return { method: METHOD, cases };
}

export function readmeTable(doc) {
  const c = doc.cases;
  const rows = Object.entries(doc.cases).map(
    ([name, c]) => `| ${name} | ${c.nsPerCall.toFixed(0)} | ${c.backgroundNsPerCall.toFixed(0)} | ${c.vsCoreTracked.toFixed(2)}× | ${c.note} |`,
  );
  return [
    `Measured ${doc.date.slice(0, 10)} on ${doc.machine.cpu} (${doc.machine.cpus} cores), Node ${doc.machine.node}; ${doc.method}.`,
    '',
    '| case | ns/call on the call path | ns/call in the background | vs core-tracked | what |',
    '|---|---:|---:|---:|---|',
    ...rows,
    '',
    `On the call path the integration adds ${(c['integration-timing-only'].nsPerCall - c['core-tracked'].nsPerCall).toFixed(0)} ns to core's tracked call (timing only) and ` +
      `${(c['integration-defaults'].nsPerCall - c['core-tracked-memory-io'].nsPerCall).toFixed(0)} ns with its defaults (vs core with the same memory and I/O options); ` +
      `deferring analysis saves ${(c['core+analytics-synchronous'].nsPerCall - c['core+analytics-deferred'].nsPerCall).toFixed(0)} ns per call on the call path. ` +
      `Most of the defaults' cost is the heap reads and I/O sizing: set \`trackMemory: false\` (or sample) for very hot tools.`,
  ].join('\n');
}
