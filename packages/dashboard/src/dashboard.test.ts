import { request } from 'node:http';
import { createServer } from 'node:net';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnalyticsEngine } from '@perftrack/analytics';
import { FakeClock, MetricsCollector, createSeededRandom, trackPerformance, type ToolExecutionMetrics } from '@perftrack/core';
import { DashboardModel, startDashboard, type Dashboard, type DashboardSnapshot } from '@perftrack/dashboard';
import { FileStorage, InMemoryStorage, PerformanceStorage } from '@perftrack/storage';
import { openEventStream } from './test-support/sse';

let n = 0;
function rec(toolId: string, extra: Partial<ToolExecutionMetrics> = {}): ToolExecutionMetrics {
  const endTime = Date.now();
  return { id: `d${n++}`, toolId, sessionId: 's1', startTime: endTime - 5, endTime, duration: 5, success: true, sampleWeight: 1, ...extra };
}

/** GET with a chosen Host header (fetch does not let a caller set it). */
function get(url: string, host: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const open: Dashboard[] = [];
const started = async (...args: Parameters<typeof startDashboard>): Promise<Dashboard> => {
  const d = await startDashboard(...args);
  open.push(d);
  return d;
};
afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
});

describe('startDashboard attached to a collector', () => {
  it('shows live calls: tools, failures, counters, and streams new records and a refreshed snapshot', async () => {
    // a clock pinned at the real time: on a loaded machine a real pause of several ms inside a
    // microsecond call is a true latency anomaly, which this test is not about
    const clock = new FakeClock({ start: performance.now(), timeOrigin: performance.timeOrigin });
    const collector = new MetricsCollector({ random: createSeededRandom(1), clock });
    const d = await started({ collector, refreshMs: 50 });
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const stream = await openEventStream(`${d.url}events`);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const first = JSON.parse((await stream.next((e) => e.event === 'snapshot')).data) as DashboardSnapshot;
    expect(first.tools).toEqual([]);

    const read = trackPerformance({ toolId: 'read', collector })((path: string) => `contents of ${path}`);
    const bash = trackPerformance({ toolId: 'bash', collector })(async () => {
      throw Object.assign(new Error('command not found: pnpx'), { code: 'ENOENT' });
    });
    const grep = trackPerformance({ toolId: 'grep', collector, sampleRate: 0.5 })(() => 1);
    for (let i = 0; i < 20; i++) expect(read('a.ts')).toBe('contents of a.ts'); // the tool's value, unchanged
    await expect(bash()).rejects.toThrow('command not found: pnpx');
    for (let i = 0; i < 200; i++) grep();

    const records = JSON.parse((await stream.next((e) => e.event === 'records')).data) as {
      records: { toolId: string; success: boolean; error?: string }[];
      omitted: number;
    };
    expect(records.records.length + records.omitted).toBeGreaterThan(20);
    expect(records.records.find((r) => r.toolId === 'bash')).toMatchObject({
      success: false,
      error: 'command not found: pnpx',
      errorType: 'ENOENT',
    });
    const snap = JSON.parse(
      (await stream.next((e) => e.event === 'snapshot' && (JSON.parse(e.data) as DashboardSnapshot).tools.length === 3)).data,
    ) as DashboardSnapshot;
    expect(snap.source).toEqual({ kind: 'collector' });
    expect(snap.tools.find((t) => t.toolId === 'read')).toMatchObject({ calls: 20, failures: 0 });
    expect(snap.tools.find((t) => t.toolId === 'bash')).toMatchObject({ calls: 1, failures: 1, errorRate: 1 });
    const g = snap.tools.find((t) => t.toolId === 'grep')!;
    expect(g.estimatedCalls).toBeGreaterThan(120); // sample-weighted estimate of 200
    expect(snap.counters.sampledOut).toBe(collector.stats().sampledOut);
    expect(snap.counters.sampledOut).toBeGreaterThan(50);
    expect(snap.failures[0]).toMatchObject({ toolId: 'bash', errorType: 'ENOENT' });
    expect(snap.anomalies).toEqual([]); // detection is on; nothing unusual yet
    expect(snap.timeline.tools.map((t) => t.toolId)).toEqual(expect.arrayContaining(['read', 'bash', 'grep']));
    expect(snap.timeline.times.length).toBe(30); // a young run: leading empty buckets trimmed
    // never inputs or outputs: a streamed record carries timing and outcome only
    expect(JSON.stringify(records)).not.toContain('a.ts');
    await stream.close();
  });

  it('only enqueues on the tool call path; the model catches up on a later turn', () => {
    const collector = new MetricsCollector();
    return started({ collector }).then((d) => {
      const before = d.model.version;
      collector.completeToolExecution(collector.startToolExecution('read', 's1'), true);
      expect(d.model.version).toBe(before); // nothing analysed synchronously
      expect(d.snapshot().tools[0]).toMatchObject({ toolId: 'read', calls: 1 }); // a read catches up
    });
  });

  it('reads figures from a shared engine (such as the integration engine) instead of analysing twice', async () => {
    const collector = new MetricsCollector();
    const analytics = new AnalyticsEngine();
    collector.subscribe(analytics);
    analytics.onMetric(rec('from-history'));
    const d = await started({ collector, analytics });
    collector.completeToolExecution(collector.startToolExecution('live', 's1'), true);
    const tools = d.snapshot().tools.map((t) => [t.toolId, t.calls]);
    expect(tools).toEqual(
      expect.arrayContaining([
        ['from-history', 1],
        ['live', 1],
      ]),
    );
  });
});

describe('startDashboard reading a storage directory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perftrack-dash-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads stored sessions, then streams only the records appended since, counting each once', async () => {
    const fs = new FileStorage({ dir });
    await fs.appendMetrics('ses_a', [
      rec('read'),
      rec('read'),
      rec('edit', { success: false, error: 'conflict', errorType: 'EDIT_CONFLICT' }),
    ]);
    await fs.appendMetrics('../../etc', [rec('grep')]);
    const d = await started({ dir, refreshMs: 50, pollMs: 50 });
    const snap = d.snapshot();
    expect(snap.source).toEqual({ kind: 'storage', dir });
    expect(snap.summary.totalOperations).toBe(4);
    expect(snap.counters).toMatchObject({ collectorDropped: null, sampledOut: null, corruptLines: 0 });

    const stream = await openEventStream(`${d.url}events`);
    await stream.next((e) => e.event === 'snapshot');
    await fs.appendMetrics('ses_a', [rec('bash')]);
    await fs.appendMetrics('ses_b', [rec('glob')]);
    await appendFile(join(dir, 'metrics', 'ses_b.jsonl'), '{"id":"torn","toolId":"gl'); // a writer killed mid-line
    // a poll can land between the two appends: gather records events until both arrived
    const ids: string[] = [];
    const taken = new Set<unknown>();
    while (ids.length < 2) {
      const event = await stream.next((e) => e.event === 'records' && !taken.has(e));
      taken.add(event);
      ids.push(...(JSON.parse(event.data) as { records: { toolId: string }[] }).records.map((r) => r.toolId));
    }
    expect(ids.sort()).toEqual(['bash', 'glob']);
    await d.refresh();
    await d.refresh();
    const after = d.snapshot();
    expect(after.summary.totalOperations).toBe(6); // nothing counted twice across polls
    expect(after.counters.corruptLines).toBe(1);
    await stream.close();
  });

  it('works through the StorageAdapter seam (storage option) and refuses dir with storage', async () => {
    const adapter = new InMemoryStorage();
    await adapter.appendMetrics('s', [rec('read')]);
    const d = await started({ storage: new PerformanceStorage({ adapter }) });
    expect(d.snapshot().source).toEqual({ kind: 'storage', dir: 'InMemoryStorage' });
    expect(d.snapshot().tools[0]!.toolId).toBe('read');
    await expect(startDashboard({ dir, storage: new PerformanceStorage({ adapter }) })).rejects.toThrow(/dir or storage, not both/);
  });
});

describe('the HTTP surface', () => {
  it('serves one self-contained page with a nonce CSP, no external resource, and uPlot inlined', async () => {
    const d = await started({ collector: new MetricsCollector() });
    const res = await fetch(d.url);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    expect(csp).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('uPlot');
    expect(html.match(/<script/g)!.length).toBe(
      (html.match(new RegExp(`<script nonce="${nonce.replace(/[+/=]/g, '\\$&')}"`, 'g')) ?? []).length,
    );
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const second = await fetch(d.url);
    expect(second.headers.get('content-security-policy')).not.toBe(csp); // a fresh nonce per page
  });

  it('answers /api/snapshot, 404, 405 and HEAD', async () => {
    const d = await started({ collector: new MetricsCollector() });
    expect((await (await fetch(`${d.url}api/snapshot`)).json()).schema).toBe('perftrack.dashboard/1');
    expect((await fetch(`${d.url}nope`)).status).toBe(404);
    expect((await fetch(d.url, { method: 'POST' })).status).toBe(405);
    const head = await fetch(d.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses requests addressed to another host name (DNS rebinding), accepts loopback names', async () => {
    const d = await started({ collector: new MetricsCollector() });
    expect((await get(d.url, 'evil.example')).status).toBe(403);
    expect((await get(d.url, `evil.example:${d.port}`)).status).toBe(403);
    expect((await get(d.url, `localhost:${d.port}`)).status).toBe(200);
    expect((await get(d.url, `127.0.0.1:${d.port}`)).status).toBe(200);
  });

  it('warns when told to listen beyond loopback, and then answers other host names', async () => {
    const warnings: string[] = [];
    const d = await started({ collector: new MetricsCollector(), host: '0.0.0.0', onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringMatching(/listening on 0\.0\.0\.0, reachable from other machines; it has no authentication/)]);
    expect((await get(`http://127.0.0.1:${d.port}/`, 'my-host.lan')).status).toBe(200);
    const quiet: string[] = [];
    await started({ collector: new MetricsCollector(), host: 'localhost', onWarning: (m) => quiet.push(m) });
    expect(quiet).toEqual([]);
  });

  it('limits open streams, and close() ends them and is safe twice', async () => {
    const d = await started({ collector: new MetricsCollector(), maxClients: 1 });
    const a = await openEventStream(`${d.url}events`);
    await a.next((e) => e.event === 'snapshot');
    expect(d.clients).toBe(1);
    expect((await fetch(`${d.url}events`)).status).toBe(503);
    await d.close();
    await d.close();
    await a.done;
    expect(a.ended).toBe(true);
    await expect(fetch(d.url)).rejects.toThrow();
  });

  it('reports a taken port in one clear error', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    await expect(startDashboard({ collector: new MetricsCollector(), port })).rejects.toThrow(
      `perftrack dashboard: cannot listen on 127.0.0.1:${port} (port already in use)`,
    );
    blocker.close();
  });

  it('rejects bad options with the name of the option', async () => {
    const collector = new MetricsCollector();
    await expect(startDashboard()).rejects.toThrow(/give a collector .*, a dir or storage/);
    await expect(startDashboard({ collector, prot: 1 } as never)).rejects.toThrow(/prot/);
    await expect(startDashboard({ collector, port: 70000 })).rejects.toThrow(/port must be an integer from 0 to 65535/);
    await expect(startDashboard({ collector, refreshMs: 1 })).rejects.toThrow(/refreshMs/);
    await expect(startDashboard({ collector: {} as never })).rejects.toThrow(/collector must be a MetricsCollector/);
    await expect(startDashboard({ collector, host: '' })).rejects.toThrow(/host must be a non-empty string/);
  });
});

describe('DashboardModel bounds', () => {
  it('keeps its own buffers (failures, records to stream, chart cells) bounded over 2 million records', () => {
    // a shared engine is not fed by the model, so this drives only the model's own state
    const model = new DashboardModel({ maxFailures: 25, maxPending: 500, analytics: new AnalyticsEngine({ patterns: false }) });
    const m = rec('x') as { -readonly [K in keyof ToolExecutionMetrics]: ToolExecutionMetrics[K] };
    for (let i = 0; i < 2_000_000; i++) {
      m.id = `b${i}`;
      m.toolId = `tool-${i % 5000}`;
      m.success = i % 3 !== 0;
      m.error = m.success ? undefined : `failure ${i}`;
      m.endTime = 1_000_000 + i;
      model.add(m, true);
    }
    const pending = model.takePending();
    expect(pending.records).toHaveLength(500);
    expect(pending.omitted).toBe(1_999_500);
    const snap = model.snapshot({ kind: 'collector' }, { collectorDropped: 0, sampledOut: 0, dashboardDropped: 0, corruptLines: 0 });
    expect(snap.failures).toHaveLength(25);
    expect(snap.failures[0]!.error).toBe('failure 1999998'); // newest first
    expect(snap.timeline.tools.length).toBeLessThanOrEqual(8);
    expect(JSON.stringify(snap).length).toBeLessThan(1_000_000);
  });
});

describe('recommendations on the dashboard', () => {
  it("shows the engine's recommendations as getInsights() gives them: what to change and how the impact was computed", async () => {
    const collector = new MetricsCollector();
    const d = await started({ collector });
    for (let i = 0; i < 100; i++)
      d.model.add(rec('edit', { success: i % 10 >= 3, ...(i % 10 < 3 ? { errorType: 'EditConflict', error: 'conflict' } : {}) }), true);
    const shown = d.snapshot().recommendations;
    expect(shown).toEqual(d.model.analytics.getInsights().recommendations.slice(0, 10));
    expect(shown[0]).toMatchObject({
      kind: 'error-prone-tool',
      toolId: 'edit',
      action: expect.stringContaining('EditConflict'),
      impact: { failures: 25, basis: expect.stringContaining('error rate') },
    });
  });
});

describe('anomalies on the dashboard', () => {
  it('lists latency anomalies the engine finds', async () => {
    const collector = new MetricsCollector();
    const d = await started({ collector });
    for (let i = 0; i < 60; i++) d.model.add(rec('read', { duration: 10 + (i % 3) }), true);
    d.model.add(rec('read', { id: 'slow', duration: 5000 }), true);
    expect(d.snapshot().anomalies[0]).toMatchObject({ kind: 'latency', toolId: 'read', recordId: 'slow' });
  });

  it('lists none for microsecond jitter of a fast tool (below the 1 ms floor)', async () => {
    const collector = new MetricsCollector();
    const d = await started({ collector });
    for (let i = 0; i < 500; i++) d.model.add(rec('grep', { duration: i < 250 ? 0.001 : 0.0016 + (i % 7) * 0.0001 }), true);
    for (let i = 0; i < 5; i++) d.model.add(rec('grep', { duration: 0.4 }), true); // a scheduler pause: 0.4 ms
    expect(d.snapshot().anomalies).toEqual([]);
  });
});
