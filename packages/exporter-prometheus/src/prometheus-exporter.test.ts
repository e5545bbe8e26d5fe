import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry, register as globalRegister } from 'prom-client';
import { MetricsCollector, createSeededRandom, trackPerformance } from '@perftrack/core';
import { DEFAULT_DURATION_BUCKETS, PrometheusExporter } from '@perftrack/exporter-prometheus';
import { parseExposition, sampleValue } from './test-support/exposition';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function readTool() {
  return {
    id: 'read',
    execute(args: { path: string }, _ctx: { sessionID: string }) {
      if (args.path === '/missing') throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      if (args.path === '/bad') throw new TypeError('bad path');
      return `contents of ${args.path}`;
    },
  };
}

function quietCollector(options: ConstructorParameters<typeof MetricsCollector>[0] = {}) {
  return new MetricsCollector({ onWarning: () => {}, ...options });
}

async function scrape(exporter: PrometheusExporter) {
  return parseExposition(await exporter.metricsHandler());
}

describe('PrometheusExporter: metrics', () => {
  it('exposes a duration histogram, call and failure counters, by tool, outcome and error type', async () => {
    const collector = quietCollector();
    const exporter = new PrometheusExporter({ collector });
    const tool = trackPerformance({ collector })(readTool());
    tool.execute({ path: '/a' }, { sessionID: 'ses_secret_1' });
    tool.execute({ path: '/b' }, { sessionID: 'ses_secret_1' });
    expect(() => tool.execute({ path: '/missing' }, { sessionID: 'ses_secret_2' })).toThrow('no such file');
    expect(() => tool.execute({ path: '/bad' }, { sessionID: 'ses_secret_2' })).toThrow(TypeError);
    collector.recordExecution({ toolId: 'bash', sessionId: 's', startTime: 1_000, endTime: 1_250, success: true });

    const text = await exporter.metricsHandler();
    const m = parseExposition(text);
    expect(m.types).toMatchObject({
      perftrack_tool_duration_seconds: 'histogram',
      perftrack_tool_calls_total: 'counter',
      perftrack_tool_failures_total: 'counter',
      perftrack_dropped_records: 'gauge',
      perftrack_sampled_out_calls: 'gauge',
    });
    expect(sampleValue(m, 'perftrack_tool_calls_total', { tool: 'read', outcome: 'success' })).toBe(2);
    expect(sampleValue(m, 'perftrack_tool_calls_total', { tool: 'read', outcome: 'failure' })).toBe(2);
    expect(sampleValue(m, 'perftrack_tool_failures_total', { tool: 'read', error_type: 'ENOENT' })).toBe(1);
    expect(sampleValue(m, 'perftrack_tool_failures_total', { tool: 'read', error_type: 'TypeError' })).toBe(1);
    expect(sampleValue(m, 'perftrack_tool_duration_seconds_count', { tool: 'read', outcome: 'success' })).toBe(2);
    expect(sampleValue(m, 'perftrack_tool_duration_seconds_count', { tool: 'bash', outcome: 'success' })).toBe(1);
    expect(sampleValue(m, 'perftrack_tool_duration_seconds_sum', { tool: 'bash', outcome: 'success' })).toBeCloseTo(0.25, 10);
    // 250 ms lands in the (0.1, 0.25] bucket: cumulative counts step there
    expect(sampleValue(m, 'perftrack_tool_duration_seconds_bucket', { tool: 'bash', outcome: 'success', le: '0.1' })).toBe(0);
    expect(sampleValue(m, 'perftrack_tool_duration_seconds_bucket', { tool: 'bash', outcome: 'success', le: '0.25' })).toBe(1);
    expect(sampleValue(m, 'perftrack_tool_duration_seconds_bucket', { tool: 'bash', outcome: 'success', le: '+Inf' })).toBe(1);
    const les = m.samples
      .filter((s) => s.name === 'perftrack_tool_duration_seconds_bucket' && s.labels.tool === 'bash')
      .map((s) => s.labels.le);
    expect(les).toEqual([...DEFAULT_DURATION_BUCKETS.map(String), '+Inf']);
    // session ids are never labels, nor anywhere in the text
    expect(text).not.toContain('ses_secret');
    expect(m.samples.every((s) => !('session' in s.labels) && !('session_id' in s.labels))).toBe(true);
    await exporter.shutdown();
  });

  it('weights sampled calls: counters and the histogram estimate true counts', async () => {
    const collector = quietCollector({ random: createSeededRandom(5) });
    const exporter = new PrometheusExporter({ collector, random: createSeededRandom(9) });
    const tool = trackPerformance({ collector, sampleRate: 0.1 })(readTool());
    for (let i = 0; i < 5_000; i++) tool.execute({ path: '/a' }, { sessionID: 's' });
    const kept = collector.stats().recorded;
    const m = await scrape(exporter);
    expect(sampleValue(m, 'perftrack_tool_calls_total', { tool: 'read', outcome: 'success' })).toBeCloseTo(kept * 10, 6);
    expect(sampleValue(m, 'perftrack_tool_duration_seconds_count', { tool: 'read', outcome: 'success' })).toBe(kept * 10);
    expect(sampleValue(m, 'perftrack_sampled_out_calls')).toBe(collector.stats().sampledOut);
    expect(Math.abs(kept * 10 - 5_000) / 5_000).toBeLessThan(0.1);

    // a fractional weight (sample rate 0.3) is rounded without bias
    const c2 = quietCollector();
    const e2 = new PrometheusExporter({ collector: c2, random: createSeededRandom(4) });
    for (let i = 0; i < 3_000; i++)
      c2.recordExecution({ toolId: 'grep', sessionId: 's', startTime: 0, endTime: 2, success: true, sampleWeight: 1 / 0.3 });
    const m2 = await scrape(e2);
    expect(sampleValue(m2, 'perftrack_tool_calls_total', { tool: 'grep', outcome: 'success' })).toBeCloseTo(10_000, 6);
    expect(
      Math.abs(sampleValue(m2, 'perftrack_tool_duration_seconds_count', { tool: 'grep', outcome: 'success' }) - 10_000) / 10_000,
    ).toBeLessThan(0.03);
  });

  it('counts untimed failures as calls and failures but keeps them out of the latency histogram', async () => {
    const collector = quietCollector();
    const exporter = new PrometheusExporter({ collector });
    collector.recordExecution({
      toolId: 'glob',
      sessionId: 's',
      startTime: 5,
      endTime: 5,
      success: false,
      untimed: true,
      errorType: 'EACCES',
    });
    const m = await scrape(exporter);
    expect(sampleValue(m, 'perftrack_tool_calls_total', { tool: 'glob', outcome: 'failure' })).toBe(1);
    expect(sampleValue(m, 'perftrack_tool_failures_total', { tool: 'glob', error_type: 'EACCES' })).toBe(1);
    expect(m.samples.some((s) => s.name === 'perftrack_tool_duration_seconds_count' && s.labels.tool === 'glob')).toBe(false);
  });

  it('reports dropped records as gauges: the collector buffer and its own queue', async () => {
    const collector = quietCollector({ maxMetrics: 4 });
    const exporter = new PrometheusExporter({ collector, queue: { capacity: 3, overflow: 'drop' }, onWarning: () => {} });
    for (let i = 0; i < 10; i++) collector.recordExecution({ toolId: 't', sessionId: 's', startTime: 0, endTime: 1, success: true });
    const m = await scrape(exporter);
    expect(sampleValue(m, 'perftrack_dropped_records', { source: 'collector_buffer' })).toBe(collector.stats().dropped);
    expect(collector.stats().dropped).toBe(6);
    expect(sampleValue(m, 'perftrack_dropped_records', { source: 'exporter_queue' })).toBe(7);
    expect(sampleValue(m, 'perftrack_tool_calls_total', { tool: 't', outcome: 'success' })).toBe(3);
  });

  it('bounds label cardinality: tools and error types past their limits become "other", with one warning', async () => {
    const warnings: string[] = [];
    const collector = quietCollector();
    const exporter = new PrometheusExporter({ collector, maxTools: 3, maxErrorTypes: 2, onWarning: (w) => void warnings.push(w) });
    for (let i = 0; i < 10; i++)
      collector.recordExecution({ toolId: `tool_${i}`, sessionId: `ses_${i}`, startTime: 0, endTime: 1, success: true });
    for (const code of ['E1', 'E2', 'E3', 'E4'])
      collector.recordExecution({ toolId: 'tool_0', sessionId: 's', startTime: 0, endTime: 1, success: false, errorType: code });
    const m = await scrape(exporter);
    const tools = new Set(m.samples.filter((s) => s.name === 'perftrack_tool_calls_total').map((s) => s.labels.tool));
    expect([...tools].sort()).toEqual(['other', 'tool_0', 'tool_1', 'tool_2']);
    expect(sampleValue(m, 'perftrack_tool_calls_total', { tool: 'other', outcome: 'success' })).toBe(7);
    expect(sampleValue(m, 'perftrack_tool_failures_total', { tool: 'tool_0', error_type: 'other' })).toBe(2);
    expect(exporter.stats()).toMatchObject({ otherTools: 7, otherErrorTypes: 2 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('more than 3 distinct tools');
  });

  it('escapes hostile tool names and error types in the exposition text', async () => {
    const exporter = new PrometheusExporter();
    const hostile = 'evil"} 1\nperftrack_fake 9\\';
    exporter.onMetric({
      id: '1',
      toolId: hostile,
      sessionId: 's',
      startTime: 0,
      endTime: 1,
      duration: 1,
      success: false,
      errorType: 'E"\n',
      sampleWeight: 1,
    });
    const m = await scrape(exporter); // the strict parser throws on a malformed line
    expect(sampleValue(m, 'perftrack_tool_calls_total', { tool: hostile, outcome: 'failure' })).toBe(1);
    expect(sampleValue(m, 'perftrack_tool_failures_total', { tool: hostile, error_type: 'E"\n' })).toBe(1);
    expect(m.samples.some((s) => s.name === 'perftrack_fake')).toBe(false);
  });

  it('warns about folding even when the first tool past the limit is itself named "other"', async () => {
    const warnings: string[] = [];
    const exporter = new PrometheusExporter({ maxTools: 1, onWarning: (w) => void warnings.push(w) });
    for (const toolId of ['read', 'other', 'grep'])
      exporter.onMetric({ id: toolId, toolId, sessionId: 's', startTime: 0, endTime: 1, duration: 1, success: true, sampleWeight: 1 });
    const m = await scrape(exporter);
    expect(sampleValue(m, 'perftrack_tool_calls_total', { tool: 'other', outcome: 'success' })).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('more than 1 distinct tools; "other" and later ones');
  });

  it('stays bounded through a million calls with a million distinct tool and session names', async () => {
    const exporter = new PrometheusExporter({ maxTools: 50, onWarning: () => {} });
    for (let i = 0; i < 1_000_000; i++) {
      exporter.onMetric({
        id: String(i),
        toolId: `tool_${i}`,
        sessionId: `ses_${i}`,
        startTime: 0,
        endTime: 1,
        duration: 1,
        success: true,
        sampleWeight: 1,
      });
    }
    const m = await scrape(exporter);
    const series = m.samples.filter((s) => s.name === 'perftrack_tool_calls_total');
    expect(series).toHaveLength(51);
    expect(series.reduce((n, s) => n + s.value, 0)).toBe(1_000_000);
    expect(exporter.stats().queue).toMatchObject({ queued: 0, handled: 1_000_000, dropped: 0 });
  });
});

describe('PrometheusExporter: off the call path and isolated from the tool', () => {
  it('only enqueues on the call path; metrics update on the next turn or at scrape', async () => {
    const collector = quietCollector();
    const exporter = new PrometheusExporter({ collector });
    const tool = trackPerformance({ collector })(readTool());
    tool.execute({ path: '/a' }, { sessionID: 's' });
    expect(exporter.stats()).toMatchObject({ records: 0, queue: { queued: 1 } });
    await tick();
    expect(exporter.stats()).toMatchObject({ records: 1, queue: { queued: 0 } });
    tool.execute({ path: '/a' }, { sessionID: 's' });
    // a scrape through the registry alone (not metricsHandler) also sees the queued call
    const m = parseExposition(await exporter.registry.metrics());
    expect(sampleValue(m, 'perftrack_tool_calls_total', { tool: 'read', outcome: 'success' })).toBe(2);
  });

  it('an update that throws never reaches the tool, even when the full queue is handled on the call path', async () => {
    const errors: unknown[] = [];
    const collector = quietCollector();
    const exporter = new PrometheusExporter({
      collector,
      queue: { capacity: 2, batchSize: 2 },
      random: () => {
        throw new Error('random exploded');
      },
      onError: (e) => void errors.push(e),
    });
    const tool = trackPerformance({ collector, sampleRate: 0.7 })(readTool());
    const results: string[] = [];
    for (let i = 0; i < 30; i++) results.push(tool.execute({ path: `/f${i}` }, { sessionID: 's' }));
    expect(results).toEqual(Array.from({ length: 30 }, (_, i) => `contents of /f${i}`));
    const thrown = (() => {
      try {
        tool.execute({ path: '/missing' }, { sessionID: 's' });
      } catch (e) {
        return e;
      }
    })() as NodeJS.ErrnoException;
    expect(thrown.code).toBe('ENOENT');
    await exporter.flush();
    expect(errors.length).toBeGreaterThan(0);
    expect((errors[0] as Error).message).toBe('random exploded');
    expect(exporter.stats().queue.errors).toBe(errors.length);
  });

  it('answers 500 (and reports) when collecting fails, without throwing at the server', async () => {
    const errors: unknown[] = [];
    const registry = new Registry();
    new Gauge({
      name: 'app_broken',
      help: 'a user metric whose collect throws',
      registers: [registry],
      collect() {
        throw new Error('collect exploded');
      },
    });
    const exporter = new PrometheusExporter({ registry, onError: (e) => void errors.push(e) });
    const response = {
      statusCode: 0,
      headers: {} as Record<string, string>,
      body: '',
      setHeader(n: string, v: string) {
        this.headers[n] = v;
      },
      end(b?: string) {
        this.body = b ?? '';
      },
    };
    await expect(exporter.metricsHandler(undefined, response)).resolves.toBe('');
    expect(response.statusCode).toBe(500);
    expect((errors[0] as Error).message).toBe('collect exploded');
    await expect(exporter.metricsHandler()).rejects.toThrow('collect exploded'); // without a response, the caller gets the error
  });
});

describe('PrometheusExporter: serving', () => {
  it('metricsHandler serves the registry from the user’s own http server', async () => {
    const collector = quietCollector();
    const exporter = new PrometheusExporter({ collector });
    collector.recordExecution({ toolId: 'edit', sessionId: 's', startTime: 0, endTime: 3, success: true });
    const server = createServer((req, res) => void exporter.metricsHandler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/anything`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(exporter.contentType);
      expect(sampleValue(parseExposition(await res.text()), 'perftrack_tool_calls_total', { tool: 'edit', outcome: 'success' })).toBe(1);
    } finally {
      server.close();
    }
  });

  it('serve() starts a tiny /metrics endpoint that shutdown() closes', async () => {
    const collector = quietCollector();
    const exporter = new PrometheusExporter({ collector });
    const server = await exporter.serve({ port: 0 });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    collector.recordExecution({ toolId: 'bash', sessionId: 's', startTime: 0, endTime: 40, success: true });
    const ok = await fetch(server.url);
    expect(ok.status).toBe(200);
    expect(sampleValue(parseExposition(await ok.text()), 'perftrack_tool_calls_total', { tool: 'bash', outcome: 'success' })).toBe(1);
    expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    await exporter.shutdown();
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('serve() rejects with a clear error when the port is taken (said once: no warning besides), and on bad options', async () => {
    const warnings: string[] = [];
    const exporter = new PrometheusExporter({ onWarning: (m) => warnings.push(m) });
    const first = await exporter.serve({ port: 0 });
    await expect(exporter.serve({ port: first.port })).rejects.toThrow(
      `PrometheusExporter.serve: cannot listen on 127.0.0.1:${first.port}`,
    );
    expect(warnings).toEqual([]);
    await expect(exporter.serve({ port: -1 })).rejects.toThrow('port must be an integer from 0 to 65535');
    await expect(exporter.serve({ port: 0, path: 'metrics' })).rejects.toThrow('path must start with "/"');
    await first.close();
    await first.close();
  });
});

describe('PrometheusExporter: registries and options', () => {
  it('registers into a given registry, and refuses a second exporter with the same names', () => {
    const registry = new Registry();
    const first = new PrometheusExporter({ registry });
    expect(first.registry).toBe(registry);
    expect(() => new PrometheusExporter({ registry })).toThrow(
      'the registry already has a metric named "perftrack_tool_duration_seconds"; pass another prefix or registry',
    );
    expect(() => new PrometheusExporter({ registry, prefix: 'agent2_' })).not.toThrow();
    // by default each exporter has its own registry: the global one is left alone
    new PrometheusExporter();
    expect(globalRegister.getSingleMetric('perftrack_tool_calls_total')).toBeUndefined();
  });

  it('writes OpenMetrics counters correctly to an OpenMetrics registry', async () => {
    const registry = new Registry(Registry.OPENMETRICS_CONTENT_TYPE);
    const exporter = new PrometheusExporter({ registry });
    exporter.onMetric({ id: '1', toolId: 'read', sessionId: 's', startTime: 0, endTime: 1, duration: 1, success: true, sampleWeight: 1 });
    const text = await exporter.metricsHandler();
    expect(text).toContain('perftrack_tool_calls_total{tool="read",outcome="success"} 1');
    expect(text).not.toContain('_total_total');
  });

  it('rejects bad options with a clear TypeError', () => {
    expect(() => new PrometheusExporter({ port: 9464 } as never)).toThrow('unknown option "port"');
    expect(() => new PrometheusExporter({ maxTools: 0 })).toThrow('maxTools must be an integer from 1 to 10000');
    expect(() => new PrometheusExporter({ prefix: 'bad-prefix' })).toThrow('prefix must match');
    expect(() => new PrometheusExporter({ buckets: [0.1, 0.05] })).toThrow(
      'buckets must be a non-empty array of positive finite numbers in increasing order',
    );
    expect(() => new PrometheusExporter({ registry: {} as never })).toThrow('registry must be a prom-client Registry');
    expect(() => new PrometheusExporter({ queue: { capacity: -1 } })).toThrow('PrometheusExporter queue: capacity must be an integer');
  });
});
