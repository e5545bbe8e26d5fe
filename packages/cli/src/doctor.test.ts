import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsCollector } from '@perftrack/core';
import { PerformanceStorage } from '@perftrack/storage';
import { runCli } from './test-support/run-cli';

// `perftrack doctor` against real directories, real stored records and real HTTP servers.

const cli = runCli;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'perftrack-doctor-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function store(
  dir: string,
  records: { framework?: string; adapterVersion?: string; memoryUsed?: number; endTime: number; messageId?: string; callId?: string }[],
) {
  const collector = new MetricsCollector({ onWarning: () => {} });
  const storage = new PerformanceStorage({ dir, onWarning: () => {} });
  collector.subscribe(storage);
  for (const r of records) {
    collector.recordExecution({
      toolId: 'read',
      sessionId: 'ses_1',
      startTime: r.endTime - 5,
      endTime: r.endTime,
      success: true,
      ...(r.framework ? { metadata: { framework: r.framework, ...(r.adapterVersion ? { adapterVersion: r.adapterVersion } : {}) } } : {}),
      ...(r.memoryUsed !== undefined ? { memoryUsed: r.memoryUsed } : {}),
      ...(r.messageId ? { messageId: r.messageId } : {}),
      ...(r.callId ? { callId: r.callId } : {}),
    });
  }
  await storage.shutdown();
}

function listen(handler: (url: string | undefined) => [number, string]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const [status, body] = handler(req.url);
    res.writeHead(status).end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  );
}

describe('perftrack doctor', () => {
  test('a healthy store: writable, recent records by adapter@version, memory moving, OTLP and Prometheus reachable', async () => {
    const dir = join(root, 'store');
    const now = Date.now();
    await store(dir, [
      { framework: 'langchain', adapterVersion: '0.1.0', endTime: now - 60_000, memoryUsed: 1024 },
      { framework: 'langchain', adapterVersion: '0.1.0', endTime: now - 55_000, memoryUsed: 0 },
      { framework: 'mcp', adapterVersion: '0.2.0', endTime: now - 50_000 },
      // written before adapters stamped their version
      { framework: 'mastra', endTime: now - 45_000 },
      { messageId: 'msg_1', callId: 'call_1', endTime: now - 40_000 },
    ]);
    const otlp = await listen(() => [405, '']);
    const prom = await listen(() => [200, '# HELP gen_ai_execute_tool_duration_seconds ...\n']);
    try {
      const r = await cli(['doctor', '--dir', dir, '--otlp', `${otlp.url}/v1/traces`, '--prometheus', `${prom.url}/metrics`], {
        now: () => now,
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toEqual([
        `ok   store: ${dir} is writable`,
        expect.stringMatching(/^ok {3}records: 5 records in 1 session, the newest 40s ago$/),
        'ok   adapters: records come from: langchain@0.1.0 2, mcp@0.2.0 1, mastra (version not recorded) 1, opencode (by its message and call ids) 1',
        'ok   memory: 1 of 2 stored memory deltas are non-zero',
        expect.stringMatching(/^ok {3}memory: this runtime's heap reading moves/),
        `ok   otlp: ${otlp.url}/v1/traces is reachable (HTTP 405)`,
        `ok   prometheus: ${prom.url}/metrics is reachable (HTTP 200)`,
      ]);
    } finally {
      otlp.server.close();
      prom.server.close();
    }
  });

  test('problems, one line each: stale records, all-zero memory deltas, a loose mode, an endpoint nobody listens on; exit code 1', async () => {
    const dir = join(root, 'store');
    const now = Date.now();
    await store(dir, [{ endTime: now - 3 * 86_400_000, memoryUsed: 0 }]);
    await chmod(dir, 0o755);
    const closed = await listen(() => [200, '']);
    await new Promise((r) => closed.server.close(r));
    const r = await cli(['doctor', '--store', dir, '--json'], { now: () => now, env: { OTEL_EXPORTER_OTLP_ENDPOINT: closed.url } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('doctor: 1 check failed');
    const findings = JSON.parse(r.stdout) as { level: string; check: string; message: string }[];
    expect(findings.map((f) => [f.level, f.check])).toEqual([
      ['ok', 'store'],
      ['warn', 'store'],
      ['warn', 'records'],
      ['ok', 'adapters'],
      ['warn', 'memory'],
      ['ok', 'memory'],
      ['fail', 'otlp'],
    ]);
    expect(findings[1]!.message).toContain('mode 0755');
    expect(findings[2]!.message).toContain('nothing arrived recently');
    expect(findings[4]!.message).toContain('never moves');
    expect(findings[6]!.message).toMatch(/not reachable: ECONNREFUSED/);
  });

  test('a missing store, a file where the store should be, and an empty store', async () => {
    const missing = await cli(['doctor', '--dir', join(root, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^FAIL store: .*nope does not exist/m);
    const file = join(root, 'file');
    await writeFile(file, 'x');
    expect((await cli(['doctor', '--dir', file])).stdout).toMatch(/^FAIL store: .* is not a directory/m);
    const empty = join(root, 'empty');
    await mkdir(empty, { mode: 0o700 });
    const r = await cli(['doctor', '--dir', empty]);
    expect(r.stdout).toMatch(/^warn records: no records stored/m);
    expect(r.stdout).toMatch(/^ok {3}otlp: no OTLP endpoint configured/m);
  });
});
