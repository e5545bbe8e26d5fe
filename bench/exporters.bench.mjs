// The cost a tool call pays with an exporter attached (OpenTelemetry, Prometheus), next to core's
// tracked call alone and to the peers a user would otherwise write (an OpenTelemetry span per
// call, a prom-client timer), timed as in bench/rounds.mjs with the real SDKs. The issue's
// budget: the call path with an exporter stays within 1.5x of core's tracked call alone.
//
// Each group runs in a fresh process, its cases interleaved round by round with their baseline,
// so a ratio never carries another group's JIT state (a subscriber call site made megamorphic by
// earlier cases) or a drift of the machine between two measurements.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MetricsCollector, trackPerformance } from '@perftrack/core';
import { OpenTelemetryExporter } from '@perftrack/exporter-otel';
import { PrometheusExporter } from '@perftrack/exporter-prometheus';
import { METHOD, measureInterleaved, peers, tool } from './rounds.mjs';

const BUDGET = 1.5;
const GROUP_ENV = 'PERFTRACK_BENCH_EXPORTERS_GROUP';

class PullReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

function otelSdk() {
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [
      new BatchSpanProcessor({ export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} }, { maxQueueSize: 65_536 }),
    ],
  });
  const meterProvider = new MeterProvider({ readers: [new PullReader()] });
  return { tracerProvider, meterProvider };
}

const collectorFor = () => new MetricsCollector({ maxMetrics: 1000, onWarning: () => {} });

function tracked(collector) {
  const t = trackPerformance({ collector })(tool());
  return (a, c) => t.execute(a, c);
}

function coreTracked() {
  return { name: 'core-tracked', note: 'core alone, timing only, no subscriber', execute: tracked(collectorFor()) };
}

function bare() {
  const t = tool();
  return { name: 'bare', note: 'the untracked tool', execute: (a, c) => t.execute(a, c) };
}

const drained =
  (...exporters) =>
  () =>
    exporters.every((e) => e.stats().queue.queued === 0);

/** Each group: its cases, the first being the baseline its ratios are taken against. */
const GROUPS = {
  otel(sdk) {
    const collector = collectorFor();
    const otel = new OpenTelemetryExporter({ collector, ...sdk });
    return [
      coreTracked(),
      bare(),
      {
        name: 'core+otel-exporter',
        note: 'OpenTelemetryExporter (a span + a duration-histogram sample per call, SDK with BatchSpanProcessor)',
        execute: tracked(collector),
        idle: drained(otel),
      },
    ];
  },
  prometheus() {
    const collector = collectorFor();
    const prom = new PrometheusExporter({ collector });
    return [
      coreTracked(),
      {
        name: 'core+prometheus-exporter',
        note: 'PrometheusExporter (histogram + counters per call)',
        execute: tracked(collector),
        idle: drained(prom),
      },
    ];
  },
  both(sdk) {
    const collector = collectorFor();
    const otel = new OpenTelemetryExporter({ collector, ...sdk });
    const prom = new PrometheusExporter({ collector });
    return [
      coreTracked(),
      { name: 'core+both-exporters', note: 'both exporters on one collector', execute: tracked(collector), idle: drained(otel, prom) },
    ];
  },
  // As a Node OpenTelemetry setup runs (NodeSDK): an AsyncLocalStorage context manager registered
  // and the calls made inside an agent's span, so the exporter captures a real parent per call.
  als(sdk) {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    const agentSpan = sdk.tracerProvider.getTracer('bench').startSpan('invoke_agent bench');
    // entered once for the rest of this process: no closure per call
    manager._asyncLocalStorage.enterWith(trace.setSpan(context.active(), agentSpan));
    const collector = collectorFor();
    const otel = new OpenTelemetryExporter({ collector, ...sdk });
    return [
      {
        name: 'core-tracked-als',
        note: 'core alone, AsyncLocalStorage context manager, inside an agent span',
        execute: tracked(collectorFor()),
      },
      {
        name: 'core+otel-exporter-als',
        note: 'OpenTelemetryExporter, same conditions: each span parented on the agent span, captured per call',
        execute: tracked(collector),
        idle: drained(otel),
      },
    ];
  },
  peers(sdk) {
    return [
      coreTracked(),
      bare(),
      ...peers(sdk.tracerProvider.getTracer('bench'), 'peer: one OpenTelemetry SDK span per call, by hand (same SDK)'),
    ];
  },
};

/** In a child: measures one group and prints its cases as JSON. */
async function runGroup(name) {
  const sdk = otelSdk();
  const entries = GROUPS[name](sdk);
  globalThis.gc?.();
  const results = await measureInterleaved(entries);
  const base = results[0].nsPerCall;
  const cases = entries.map((e, i) => ({
    name: e.name,
    note: e.note,
    ...results[i],
    baseline: entries[0].name,
    vsBaseline: Number((results[i].nsPerCall / base).toFixed(2)),
  }));
  process.stdout.write(`${JSON.stringify(cases)}\n`);
}

export async function run() {
  const cases = {};
  for (const group of Object.keys(GROUPS)) {
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url)], {
      env: { ...process.env, [GROUP_ENV]: group },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`exporters bench group ${group} failed: ${child.stderr}`);
    for (const c of JSON.parse(child.stdout.trim().split('\n').at(-1))) {
      if (c.name in cases) continue; // a baseline measured again in a later group
      const { name, ...rest } = c;
      cases[name] = rest;
      process.stdout.write(
        `  ${name.padEnd(26)} ${c.nsPerCall.toFixed(1).padStart(8)} ns/call  + ${c.backgroundNsPerCall.toFixed(1).padStart(7)} ns background  ${c.vsBaseline.toFixed(2)}x ${c.baseline}\n`,
      );
    }
  }
  const budget = { limit: `call path with an exporter <= ${BUDGET}x core's tracked call, measured in the same process`, ratios: {} };
  for (const name of ['core+otel-exporter', 'core+prometheus-exporter', 'core+both-exporters', 'core+otel-exporter-als']) {
    budget.ratios[`${name} / ${cases[name].baseline}`] = cases[name].vsBaseline;
  }
  budget.met = Object.values(budget.ratios).every((r) => r <= BUDGET);
  console.log(`  budget (${budget.limit}): ${budget.met ? 'met' : 'NOT MET'}`);
  return { method: `${METHOD}; each group in its own process, its cases interleaved round by round`, budget, cases };
}

export function readmeTable(doc) {
  const c = doc.cases;
  const rows = Object.entries(c).map(
    ([name, x]) =>
      `| ${name} | ${x.nsPerCall.toFixed(0)} | ${x.backgroundNsPerCall.toFixed(0)} | ${x.vsBaseline.toFixed(2)}× ${x.baseline === name ? '(baseline)' : x.baseline} | ${x.note} |`,
  );
  const added = (name) => (c[name].nsPerCall - c[c[name].baseline].nsPerCall).toFixed(0);
  return [
    `Measured ${doc.date.slice(0, 10)} on ${doc.machine.cpu} (${doc.machine.cpus} cores), Node ${doc.machine.node}; ${doc.method}.`,
    '',
    '| case | ns/call on the call path | ns/call in the background | vs its baseline | what |',
    '|---|---:|---:|---|---|',
    ...rows,
    '',
    `Budget (${doc.budget.limit}): ${doc.budget.met ? 'met' : '**not met**'} — ` +
      Object.entries(doc.budget.ratios)
        .map(([k, v]) => `${k} ${v.toFixed(2)}×`)
        .join(', ') +
      '. ' +
      `On the call path an exporter adds ${added('core+otel-exporter')} ns (OpenTelemetry; ${added('core+otel-exporter-als')} ns with an AsyncLocalStorage context to capture) or ` +
      `${added('core+prometheus-exporter')} ns (Prometheus) to a tracked call, where a span made by hand costs ${(c['otel-span'].nsPerCall - c.bare.nsPerCall).toFixed(0)} ns ` +
      `and a prom-client timer ${(c['prom-client-timer'].nsPerCall - c.bare.nsPerCall).toFixed(0)} ns; the span and histogram work (the background column) runs on the next event-loop turn.`,
  ].join('\n');
}

if (process.env[GROUP_ENV] !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  await runGroup(process.env[GROUP_ENV]);
}
