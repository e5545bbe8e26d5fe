// A real Prometheus server (Debian's `prometheus` package) scrapes the exporter's endpoint; the
// series it stores, read back through its HTTP API on 127.0.0.1, must equal what the exporter
// exposed. Skipped with a loud message only when the binary is absent outside CI; `.ci/run`
// installs it, and under CI=true a missing binary fails instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsCollector, trackPerformance } from '@perftrack/core';
import { PrometheusExporter, type MetricsServer } from '@perftrack/exporter-prometheus';
import { parseExposition, type Exposition } from './test-support/exposition';

const PROMETHEUS = process.env.PERFTRACK_PROMETHEUS ?? '/usr/bin/prometheus';
const available = existsSync(PROMETHEUS);
if (!available) {
  const message = `\n*** ${PROMETHEUS} not found: real Prometheus scrape tests SKIPPED. Install it with: apt-get install -y prometheus (or set PERFTRACK_PROMETHEUS) ***\n`;
  if (process.env.CI) throw new Error(message);
  console.warn(message);
}
const suite = available ? describe : describe.skip;

/** A TCP port that was free a moment ago, for Prometheus's own web listener. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** GET over a fresh connection (no keep-alive pool left open after the tests). */
function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

/** Runs an instant query against Prometheus's HTTP API. */
async function query(api: string, promql: string): Promise<PromSeries[]> {
  const response = await httpGet(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = JSON.parse(response.body) as { status: string; data?: { resultType: string; result: PromSeries[] }; error?: string };
  if (body.status !== 'success') throw new Error(`Prometheus query ${promql} failed: ${body.error ?? response.status}`);
  return body.data!.result;
}

/** Polls until `check` returns true (Prometheus scrapes once a second here), or fails after `timeoutMs`. */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      lastError = e; // Prometheus still starting: connection refused
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** The sample key Prometheus would store: name plus sorted labels, without the target labels it adds. */
function keyOf(name: string, labels: Record<string, string>): string {
  const own = Object.entries(labels).filter(([k]) => k !== 'job' && k !== 'instance' && k !== '__name__');
  own.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${name}${JSON.stringify(own)}`;
}

function exposedSamples(exposition: Exposition): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of exposition.samples) if (s.name.startsWith('perftrack_')) out.set(keyOf(s.name, s.labels), s.value);
  return out;
}

async function storedSamples(api: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const series of await query(api, '{job="perftrack",__name__=~"perftrack_.+"}')) {
    out.set(keyOf(series.metric.__name__!, series.metric), Number(series.value[1]));
  }
  return out;
}

suite('PrometheusExporter scraped by a real Prometheus server', () => {
  let dir: string;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let endpoint: MetricsServer;
  let api: string;
  const collector = new MetricsCollector({ onWarning: () => {} });
  const exporter = new PrometheusExporter({ collector, onWarning: () => {} });
  // Hostile tool names: quotes, a backslash, a newline and non-ASCII must survive the text format.
  const hostile = 'grep "x"\\y\nz — ü';
  const read = trackPerformance({ collector, toolId: 'read' })((path: string) => {
    if (path === '/missing') throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return `contents of ${path}`;
  });
  const hostileTool = trackPerformance({ collector, toolId: hostile })(() => 'ok');

  const callRead = (path: string) => {
    try {
      read(path);
    } catch {
      // the failure is what is recorded
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perftrack-prometheus-'));
    endpoint = await exporter.serve({ port: 0, host: '127.0.0.1' });
    const webPort = await freePort();
    api = `http://127.0.0.1:${webPort}`;
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: perftrack',
      `    metrics_path: ${new URL(endpoint.url).pathname}`,
      '    static_configs:',
      `      - targets: ['127.0.0.1:${endpoint.port}']`,
      '',
    ].join('\n');
    await writeFile(join(dir, 'prometheus.yml'), config);
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${webPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (d: Buffer) => (prometheusLog += d.toString()));
    prometheus.stderr!.on('data', (d: Buffer) => (prometheusLog += d.toString()));
    await waitFor('Prometheus to become ready', async () => (await httpGet(`${api}/-/ready`)).status === 200).catch((e: Error) => {
      throw new Error(`${e.message}\n${prometheusLog}`);
    });
  }, 60_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
      clearTimeout(timer);
      if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
    }
    await exporter.shutdown();
    await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('stores every series and value the exporter exposed, hostile tool names included', async () => {
    for (let i = 0; i < 7; i++) callRead(`/f${i}`);
    callRead('/missing');
    callRead('/missing');
    hostileTool();
    collector.recordExecution({ toolId: 'bash', sessionId: 's', startTime: 1_000, endTime: 1_250, success: true });

    const exposed = exposedSamples(parseExposition(await exporter.metricsHandler()));
    expect(exposed.size).toBeGreaterThan(20);
    await waitFor('a scrape carrying the calls', async () => {
      const up = await query(api, 'up{job="perftrack"}');
      if (up.length !== 1 || up[0]!.value[1] !== '1') return false;
      const calls = await query(api, 'perftrack_tool_calls_total{tool="read",outcome="success"}');
      return calls.length === 1 && Number(calls[0]!.value[1]) === 7;
    });
    const stored = await storedSamples(api);
    // Every series the exporter exposed is stored by Prometheus with the same value, and nothing else.
    expect([...stored.keys()].sort()).toEqual([...exposed.keys()].sort());
    for (const [key, value] of exposed) expect([key, stored.get(key)]).toEqual([key, value]);

    // Spot checks through PromQL, as a user's dashboard would ask.
    const failures = await query(api, 'sum by (error_type) (perftrack_tool_failures_total{tool="read"})');
    expect(failures.map((s) => [s.metric.error_type, Number(s.value[1])])).toEqual([['ENOENT', 2]]);
    const hostileCalls = await query(api, 'perftrack_tool_calls_total{outcome="success"}');
    expect(hostileCalls.map((s) => s.metric.tool).sort()).toEqual(['bash', 'read', hostile].sort());
    const bashSum = await query(api, 'perftrack_tool_duration_seconds_sum{tool="bash"}');
    expect(Number(bashSum[0]!.value[1])).toBeCloseTo(0.25, 10);
    const bucket = await query(api, 'perftrack_tool_duration_seconds_bucket{tool="bash",le="0.25"}');
    expect(Number(bucket[0]!.value[1])).toBe(1);
  }, 60_000);

  it('follows later calls: counters grow by exactly what was recorded between scrapes', async () => {
    for (let i = 0; i < 5; i++) callRead(`/g${i}`);
    callRead('/missing');
    await waitFor('a scrape carrying the later calls', async () => {
      const calls = await query(api, 'perftrack_tool_calls_total{tool="read",outcome="success"}');
      return calls.length === 1 && Number(calls[0]!.value[1]) === 12;
    });
    const failed = await query(api, 'perftrack_tool_calls_total{tool="read",outcome="failure"}');
    expect(Number(failed[0]!.value[1])).toBe(3);
    // increase() over the stored samples sees the growth too (extrapolated, so only its sign is exact)
    const growth = await query(api, 'increase(perftrack_tool_calls_total{tool="read",outcome="success"}[1m])');
    expect(Number(growth[0]!.value[1])).toBeGreaterThan(0);
    const exposed = exposedSamples(parseExposition(await exporter.metricsHandler()));
    const stored = await storedSamples(api);
    for (const [key, value] of exposed) if (key.startsWith('perftrack_tool_')) expect([key, stored.get(key)]).toEqual([key, value]);
  }, 60_000);
});
