// The cost a tool call pays with an exporter attached (OpenTelemetry, Prometheus), next to core's
// tracked call alone and to the peers a user would otherwise write (an OpenTelemetry span per
// call, a prom-client timer), in one run, timed as in bench/rounds.mjs. The budget: the
// call path with an exporter stays within 1.5x of core's tracked call alone.
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import client from 'prom-client';
import { MetricsCollector, trackPerformance } from '@perftrack/core';
import { OpenTelemetryExporter } from '@perftrack/exporter-otel';
import { PrometheusExporter } from '@perftrack/exporter-prometheus';
import { METHOD, measureCase, tool } from './rounds.mjs';

const BUDGET = 1.5;

class PullReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

function otelSdk() {
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor({ export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} }, { maxQueueSize: 65_536 })],
  });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return { tracerProvider, meterProvider, reader };
}

export async function run() {
  const cases = {};
  const add = async (name, execute, note, idle) => {
    globalThis.gc?.();
    cases[name] = { ...(await measureCase(execute, idle)), note };
    const c = cases[name];
    process.stdout.write(`  ${name.padEnd(34)} ${c.nsPerCall.toFixed(1).padStart(8)} ns/call  + ${c.backgroundNsPerCall.toFixed(1).padStart(7)} ns background\n`);
  };
  const collectorFor = () => new MetricsCollector({ maxMetrics: 1000, onWarning: () => {} });
  const sdk = otelSdk();

  const bare = tool();
  await add('bare', (a, c) => bare.execute(a, c), 'the untracked tool');

  const core = trackPerformance({ collector: collectorFor() })(tool());
  await add('core-tracked', (a, c) => core.execute(a, c), 'core alone, timing only, no subscriber');

  const otelCollector = collectorFor();
  const otel = new OpenTelemetryExporter({ collector: otelCollector, tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider });
  const withOtel = trackPerformance({ collector: otelCollector })(tool());
  await add('core+otel-exporter', (a, c) => withOtel.execute(a, c), 'OpenTelemetryExporter (span + duration histogram per call, SDK with BatchSpanProcessor)', () => otel.stats().queue.queued === 0);

  const promCollector = collectorFor();
  const prom = new PrometheusExporter({ collector: promCollector });
  const withProm = trackPerformance({ collector: promCollector })(tool());
  await add('core+prometheus-exporter', (a, c) => withProm.execute(a, c), 'PrometheusExporter (histogram + counters per call)', () => prom.stats().queue.queued === 0);

  const bothCollector = collectorFor();
  const otel2 = new OpenTelemetryExporter({ collector: bothCollector, tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider });
  const prom2 = new PrometheusExporter({ collector: bothCollector, prefix: 'both_' });
  const withBoth = trackPerformance({ collector: bothCollector })(tool());
  await add('core+both-exporters', (a, c) => withBoth.execute(a, c), 'both exporters on one collector', () => otel2.stats().queue.queued === 0 && prom2.stats().queue.queued === 0);

  const tracer = sdk.tracerProvider.getTracer('bench');
  await add(
    'otel-span',
    (a, c) => {
      const span = tracer.startSpan('execute_tool grep');
      const r = bare.execute(a, c);
      span.end();
      return r;
    },
    'peer: one OpenTelemetry SDK span per call, by hand (same SDK)',
  );
  const registry = new client.Registry();
  const hist = new client.Histogram({ name: 'tool_duration_seconds', help: 'h', labelNames: ['tool'], registers: [registry] });
  await add(
    'prom-client-timer',
    (a, c) => {
      const end = hist.startTimer({ tool: 'grep' });
      const r = bare.execute(a, c);
      end();
      return r;
    },
    'peer: a prom-client histogram timer per call',
  );

  // As a Node OpenTelemetry setup runs: an AsyncLocalStorage context manager registered and the
  // calls made inside an agent's span, so the exporter's parent capture reads a real context on
  // every call. The context is entered once for the rest of this function (no closure per call),
  // and core alone is measured again under the same conditions as the baseline.
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  const agentSpan = tracer.startSpan('invoke_agent bench');
  manager._asyncLocalStorage.enterWith(trace.setSpan(context.active(), agentSpan));
  const coreAls = trackPerformance({ collector: collectorFor() })(tool());
  await add('core-tracked-als', (a, c) => coreAls.execute(a, c), 'core alone, AsyncLocalStorage context manager, inside an agent span');
  const alsCollector = collectorFor();
  const otelAls = new OpenTelemetryExporter({ collector: alsCollector, tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider });
  const withOtelAls = trackPerformance({ collector: alsCollector })(tool());
  await add(
    'core+otel-exporter-als',
    (a, c) => withOtelAls.execute(a, c),
    'OpenTelemetryExporter, same conditions: each span parented on the agent span captured per call',
    () => otelAls.stats().queue.queued === 0,
  );
  agentSpan.end();
  context.disable();
  metrics.disable();

  for (const e of [otel, prom, otel2, prom2, otelAls]) await e.shutdown();
  await sdk.tracerProvider.shutdown();
  await sdk.meterProvider.shutdown();

  const base = cases['core-tracked'].nsPerCall;
  for (const c of Object.values(cases)) c.vsCoreTracked = Number((c.nsPerCall / base).toFixed(2));
  const budget = {
    limit: `call path with an exporter <= ${BUDGET}x core-tracked`,
    'core+otel-exporter': cases['core+otel-exporter'].vsCoreTracked,
    'core+prometheus-exporter': cases['core+prometheus-exporter'].vsCoreTracked,
    'core+both-exporters': cases['core+both-exporters'].vsCoreTracked,
    'core+otel-exporter-als (vs core-tracked-als)': Number((cases['core+otel-exporter-als'].nsPerCall / cases['core-tracked-als'].nsPerCall).toFixed(2)),
  };
  budget.met = Object.entries(budget).every(([k, v]) => k === 'limit' || v <= BUDGET);
  console.log(`  budget (${budget.limit}): ${budget.met ? 'met' : 'NOT MET'}`);
  return { method: METHOD, budget, cases };
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
    `Budget (${doc.budget.limit}): ${doc.budget.met ? 'met' : '**not met**'} — ` +
      Object.entries(doc.budget)
        .filter(([k]) => k !== 'limit' && k !== 'met')
        .map(([k, v]) => `${k} ${v.toFixed(2)}×`)
        .join(', ') +
      '. ' +
      `On the call path an exporter adds ${(c['core+otel-exporter'].nsPerCall - c['core-tracked'].nsPerCall).toFixed(0)} ns (OpenTelemetry) or ` +
      `${(c['core+prometheus-exporter'].nsPerCall - c['core-tracked'].nsPerCall).toFixed(0)} ns (Prometheus) to a tracked call, where a span made by hand costs ` +
      `${(c['otel-span'].nsPerCall - c.bare.nsPerCall).toFixed(0)} ns and a prom-client timer ${(c['prom-client-timer'].nsPerCall - c.bare.nsPerCall).toFixed(0)} ns; ` +
      'the span and histogram work (the background column) runs on the next event-loop turn.',
  ].join('\n');
}
