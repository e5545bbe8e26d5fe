import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, appendFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsCollector, trackPerformance, type ToolExecutionMetrics } from '@perftrack/core';
import {
  EXPORT_SCHEMA,
  FileStorage,
  InMemoryStorage,
  InvalidSessionIdError,
  PerformanceStorage,
  encodeSessionId,
  type StorageAdapter,
} from '@perftrack/storage';
import { runNode } from './test-support/child';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'perftrack-storage-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let seq = 0;
function rec(sessionId: string, toolId = 'read', extra: Partial<ToolExecutionMetrics> = {}): ToolExecutionMetrics {
  const t = 1_700_000_000_000 + seq;
  return { id: `test-${seq++}`, toolId, sessionId, startTime: t, endTime: t + 5, duration: 5, success: true, sampleWeight: 1, ...extra };
}
const quiet = { onWarning: () => {} };

describe('appending', () => {
  test('a restart adds to a session history; nothing is rewritten', async () => {
    const dir = tempDir();
    const a = new PerformanceStorage({ dir, ...quiet });
    a.onMetric(rec('ses_1'));
    a.onMetric(rec('ses_1'));
    await a.shutdown();
    const b = new PerformanceStorage({ dir, ...quiet });
    b.onMetric(rec('ses_1', 'grep'));
    await b.shutdown();
    const c = new PerformanceStorage({ dir, ...quiet });
    expect((await c.loadMetrics('ses_1')).map((m) => m.toolId)).toEqual(['read', 'read', 'grep']);
  });

  test('onMetric only queues; a full batch or the interval writes', async () => {
    const dir = tempDir();
    const s = new PerformanceStorage({ dir, batchSize: 3, flushIntervalMs: 30, ...quiet });
    s.onMetric(rec('a'));
    expect(s.stats().queued).toBe(1);
    expect(existsSync(join(dir, 'metrics', 'a.jsonl'))).toBe(false);
    // the interval's write, however late a loaded machine runs the timer
    const deadline = Date.now() + 5000;
    while (s.stats().written === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(s.stats()).toMatchObject({ queued: 0, written: 1 });
    const many = Array.from({ length: 1000 }, () => s.flush());
    expect(new Set(many).size).toBeLessThanOrEqual(2);
    await Promise.all(many);
    s.onMetric(rec('a'));
    s.onMetric(rec('a'));
    s.onMetric(rec('a'));
    await new Promise((r) => setImmediate(r));
    await s.flush();
    expect(s.stats().written).toBe(4);
    await s.shutdown();
    await s.shutdown();
  });

  test('loadMetrics filters by time window and tool', async () => {
    const s = new PerformanceStorage({ adapter: new InMemoryStorage(), ...quiet });
    const base = rec('x', 'read');
    await s.saveMetrics('x', [base, rec('x', 'grep'), rec('x', 'read')]);
    expect(await s.loadMetrics('x', { toolId: 'read' })).toHaveLength(2);
    expect(await s.loadMetrics('x', { since: base.startTime + 1 })).toHaveLength(2);
    expect(await s.loadMetrics('x', { until: base.startTime + 1 })).toHaveLength(1);
  });
});

describe('back-pressure', () => {
  test('a stalled adapter cannot grow the queue past maxQueue; overflow is counted (two million records)', async () => {
    const stalled: StorageAdapter = {
      ...new InMemoryStorage(),
      appendMetrics: () => new Promise<void>(() => {}),
    } as unknown as StorageAdapter;
    const warnings: string[] = [];
    const s = new PerformanceStorage({ adapter: stalled, maxQueue: 1000, batchSize: 100, onWarning: (w) => warnings.push(w) });
    const r = rec('s');
    for (let i = 0; i < 2_000_000; i++) s.onMetric(r);
    expect(s.stats().queued).toBeLessThanOrEqual(1000);
    expect(s.stats().dropped).toBeGreaterThanOrEqual(2_000_000 - 1000);
    expect(warnings).toHaveLength(1);
  });

  test('a failed write loses nothing: every session of the batch is retried on the next flush', async () => {
    const mem = new InMemoryStorage();
    let fail = true;
    const flaky: StorageAdapter = {
      appendMetrics: (id, records) => {
        if (fail && id === 'b') return Promise.reject(new Error('EIO'));
        return mem.appendMetrics(id, records);
      },
      readMetrics: (id, r) => mem.readMetrics(id, r),
      writeSnapshot: (k, id, v) => mem.writeSnapshot(k, id, v),
      readSnapshot: (k, id) => mem.readSnapshot(k, id),
      listSessions: () => mem.listSessions(),
      deleteSession: (id) => mem.deleteSession(id),
    };
    const errors: string[] = [];
    const s = new PerformanceStorage({ adapter: flaky, onError: (_e, op) => errors.push(op), ...quiet });
    s.onMetric(rec('a'));
    s.onMetric(rec('b'));
    s.onMetric(rec('c'));
    await expect(s.flush()).rejects.toThrow('EIO');
    expect(s.stats()).toMatchObject({ queued: 1, writeErrors: 1 }); // only b's record waits: c was not held up by b
    fail = false;
    await s.flush();
    expect((await s.loadMetrics('b')).length + (await s.loadMetrics('c')).length + (await s.loadMetrics('a')).length).toBe(3);
    expect(errors).toEqual(['append b']);
  });
});

test('without onError, failing writes of several sessions give a single warning and are counted', async () => {
  const failing = { ...new InMemoryStorage(), appendMetrics: () => Promise.reject(new Error('ENOSPC')) } as unknown as StorageAdapter;
  const warnings: string[] = [];
  const s = new PerformanceStorage({ adapter: failing, onWarning: (w) => warnings.push(w) });
  s.onMetric(rec('one'));
  await expect(s.flush()).rejects.toThrow('ENOSPC');
  s.onMetric(rec('two'));
  await expect(s.flush()).rejects.toThrow('ENOSPC');
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain('ENOSPC');
  expect(s.stats()).toMatchObject({ writeErrors: 3, queued: 2 }); // each failed attempt of each session counts
});

describe('hostile session ids', () => {
  test('ids that could escape the directory are encoded and stay inside it', async () => {
    const dir = tempDir();
    const s = new PerformanceStorage({ dir, ...quiet });
    const hostile = ['../../etc', '/etc/passwd', '..', 'a\\b', 'C:\\x', '.hidden', 'ünïcode/日本'];
    for (const id of hostile) {
      await s.saveMetrics(id, [rec(id)]);
      await s.saveAnalytics(id, { ok: true });
    }
    for (const kind of ['metrics', 'analytics']) {
      for (const name of readdirSync(join(dir, kind))) {
        expect(name).not.toContain('..');
        expect(name.startsWith('~') || name.endsWith('.json') || name.endsWith('.jsonl')).toBe(true);
      }
    }
    expect(readdirSync(dir).sort()).toEqual(['analytics', 'metrics', 'patterns']);
    expect((await s.listSessions()).map((x) => x.sessionId).sort()).toEqual([...hostile].sort());
    expect(await s.loadMetrics('../../etc')).toHaveLength(1);
    expect(encodeSessionId('ses_01HZX-3.a')).toBe('ses_01HZX-3.a');
  });

  test.each([
    ['', 'must not be empty'],
    ['a\0b', 'contains a NUL byte'],
    ['x'.repeat(201), 'longer than 200 characters'],
  ])('%j is refused', async (id, reason) => {
    const s = new PerformanceStorage({ adapter: new InMemoryStorage(), ...quiet });
    await expect(s.saveMetrics(id, [rec('x')])).rejects.toThrow(InvalidSessionIdError);
    await expect(s.saveMetrics(id, [rec('x')])).rejects.toThrow(reason);
    await expect(new FileStorage({ dir: tempDir() }).appendMetrics(id, [rec('x')])).rejects.toThrow(reason);
  });
});

describe('permissions and privacy', () => {
  test('directories are 0700, files 0600 (metrics, snapshots, export)', async () => {
    const dir = join(tempDir(), 'nested');
    const s = new PerformanceStorage({ dir, ...quiet });
    await s.saveMetrics('p', [rec('p')]);
    await s.savePatterns('p', { top: [] });
    await s.saveAnalytics('p', { tools: {} });
    const out = join(dir, '..', 'export.json');
    await s.exportToFile(out);
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(dir)).toBe(0o700);
    for (const k of ['metrics', 'patterns', 'analytics']) expect(mode(join(dir, k))).toBe(0o700);
    expect(mode(join(dir, 'metrics', 'p.jsonl'))).toBe(0o600);
    expect(mode(join(dir, 'patterns', 'p.json'))).toBe(0o600);
    expect(mode(join(dir, 'analytics', 'p.json'))).toBe(0o600);
    expect(mode(out)).toBe(0o600);
  });

  test('what tracked tools persist holds sizes, never the raw input or output', async () => {
    const dir = tempDir();
    const collector = new MetricsCollector(quiet);
    const storage = new PerformanceStorage({ dir, ...quiet });
    collector.subscribe(storage);
    const secret = 'ghp_SuperSecretToken1234567890';
    const tool = trackPerformance({ collector, trackInputOutput: true, hashInput: true })({
      id: 'webfetch',
      execute: async (args: { headers: { authorization: string } }, _ctx: { sessionID: string }) => ({
        body: `echo ${args.headers.authorization}`,
      }),
    });
    await tool.execute({ headers: { authorization: secret } }, { sessionID: 'priv' });
    await collector.shutdown();
    const text = readFileSync(join(dir, 'metrics', 'priv.jsonl'), 'utf8');
    expect(text).not.toContain(secret);
    expect(JSON.parse(text.trim())).toMatchObject({ toolId: 'webfetch', inputSize: expect.any(Number), outputSize: expect.any(Number) });
  });
});

describe('corrupt and truncated files', () => {
  test('a corrupt line and a truncated last line are skipped and counted; the next append starts a fresh line', async () => {
    const dir = tempDir();
    const first = new PerformanceStorage({ dir, ...quiet });
    await first.saveMetrics('t', [rec('t'), rec('t')]);
    const file = join(dir, 'metrics', 't.jsonl');
    appendFileSync(file, 'this is not json\n{"id":"x","toolId":"r"}\n' + JSON.stringify(rec('t')).slice(0, 30));
    const s = new PerformanceStorage({ dir, ...quiet });
    expect(await s.loadMetrics('t')).toHaveLength(2);
    expect(s.stats().corruptLines).toBe(3);
    await s.saveMetrics('t', [rec('t', 'after-crash')]);
    const again = new PerformanceStorage({ dir, ...quiet });
    const loaded = await again.loadMetrics('t');
    expect(loaded.map((m) => m.toolId)).toEqual(['read', 'read', 'after-crash']);
    expect(again.stats().corruptLines).toBe(3);
  });

  test('a corrupt snapshot reads as absent and is counted; snapshots are replaced without leftovers', async () => {
    const dir = tempDir();
    const s = new PerformanceStorage({ dir, ...quiet });
    await s.saveAnalytics('snap', { v: 1 });
    await s.saveAnalytics('snap', { v: 2 });
    expect(await s.loadAnalytics('snap')).toEqual({ v: 2 });
    expect(readdirSync(join(dir, 'analytics'))).toEqual(['snap.json']);
    writeFileSync(join(dir, 'patterns', 'snap.json'), '{"trunc');
    expect(await s.loadPatterns('snap')).toBeUndefined();
    expect(s.stats().corruptLines).toBe(1);
  });
});

describe('cleanup', () => {
  test('removes every kind of file of old sessions, including sessions without metrics, and reports it', async () => {
    const mem = new InMemoryStorage();
    const s = new PerformanceStorage({ adapter: mem, ...quiet });
    const now = 1_800_000_000_000;
    await s.saveMetrics('old-full', [rec('old-full')]);
    await s.savePatterns('old-full', { p: 1 });
    await s.saveAnalytics('old-full', { a: 1 });
    await s.saveAnalytics('old-analytics-only', { a: 1 });
    await s.savePatterns('old-patterns-only', { p: 1 });
    await s.saveMetrics('fresh', [rec('fresh')]);
    for (const id of ['old-full', 'old-analytics-only', 'old-patterns-only']) mem.touch(id, now - 10 * 86_400_000);
    mem.touch('fresh', now - 1000);
    const dry = await s.cleanup({ olderThanMs: 7 * 86_400_000, now, dryRun: true });
    expect(dry.removed.map((r) => r.sessionId).sort()).toEqual(['old-analytics-only', 'old-full', 'old-patterns-only']);
    expect((await s.listSessions()).length).toBe(4);
    const res = await s.cleanup({ olderThanMs: 7 * 86_400_000, now });
    expect(res.removed.find((r) => r.sessionId === 'old-full')!.files.sort()).toEqual(['analytics', 'metrics', 'patterns']);
    expect(res.kept).toBe(1);
    expect((await s.listSessions()).map((x) => x.sessionId)).toEqual(['fresh']);
  });

  test('maxSessions keeps only the newest sessions; files on disk are really gone', async () => {
    const dir = tempDir();
    const s = new PerformanceStorage({ dir, ...quiet });
    for (const id of ['s1', 's2', 's3']) {
      await s.saveMetrics(id, [rec(id)]);
      await s.saveAnalytics(id, {});
      await new Promise((r) => setTimeout(r, 15));
    }
    const res = await s.cleanup({ olderThanMs: 1e12, maxSessions: 1 });
    expect(res.removed.map((r) => r.sessionId)).toEqual(['s1', 's2']);
    expect(readdirSync(join(dir, 'metrics'))).toEqual(['s3.jsonl']);
    expect(readdirSync(join(dir, 'analytics'))).toEqual(['s3.json']);
    await expect(s.cleanup({ olderThanMs: -1 })).rejects.toThrow('cleanup: olderThanMs must be a number >= 0, got -1');
  });
});

describe('export and import', () => {
  test('export -> import into an empty store round-trips; importing again adds nothing', async () => {
    const src = new PerformanceStorage({ dir: tempDir(), ...quiet });
    await src.saveMetrics('e1', [rec('e1'), rec('e1', 'bash', { success: false, error: 'exit 1', errorType: 'EXIT_1' })]);
    await src.saveAnalytics('e1', { calls: 2 });
    await src.savePatterns('e2', { top: ['read>grep'] });
    await src.saveMetrics('e2', [rec('e2')]);
    const doc = await src.exportAll();
    expect(doc.schema).toBe(EXPORT_SCHEMA);
    const dst = new PerformanceStorage({ dir: tempDir(), ...quiet });
    expect(await dst.importAll(doc)).toEqual({ sessions: 2, imported: 3, duplicates: 0, invalid: 0 });
    expect(await dst.importAll(JSON.parse(JSON.stringify(doc)))).toEqual({ sessions: 2, imported: 0, duplicates: 3, invalid: 0 });
    const back = await dst.exportAll();
    expect(back.sessions).toEqual(doc.sessions);
  });

  test('exportToFile streams the same document', async () => {
    const dir = tempDir();
    const s = new PerformanceStorage({ dir, ...quiet });
    await s.saveMetrics(
      'f',
      Array.from({ length: 5000 }, () => rec('f')),
    );
    await s.saveAnalytics('f', { n: 5000 });
    const out = join(tempDir(), 'out.json');
    expect(await s.exportToFile(out)).toBe(5000);
    const parsed = JSON.parse(readFileSync(out, 'utf8'));
    const whole = await s.exportAll();
    expect(parsed.schema).toBe(EXPORT_SCHEMA);
    expect(parsed.sessions).toEqual(whole.sessions);
  });

  test('bad documents are refused precisely; bad records are skipped and counted', async () => {
    const s = new PerformanceStorage({ adapter: new InMemoryStorage(), ...quiet });
    await expect(s.importAll({ schema: 'other/9', sessions: [] })).rejects.toThrow(
      'importAll: unsupported schema "other/9" (expected "perftrack.export/1")',
    );
    await expect(s.importAll({ schema: EXPORT_SCHEMA })).rejects.toThrow('importAll: "sessions" must be an array');
    await expect(s.importAll({ schema: EXPORT_SCHEMA, sessions: [{ sessionId: '', metrics: [] }] })).rejects.toThrow(InvalidSessionIdError);
    const r = await s.importAll({
      schema: EXPORT_SCHEMA,
      exportDate: 'x',
      sessions: [{ sessionId: 'ok', metrics: [rec('ok'), { id: 1 }, null] }],
    });
    expect(r).toEqual({ sessions: 1, imported: 1, duplicates: 0, invalid: 2 });
  });
});

describe('default directory', () => {
  test('PERFTRACK_DIR is used when no directory is given', () => {
    const dir = tempDir();
    const before = process.env.PERFTRACK_DIR;
    process.env.PERFTRACK_DIR = dir;
    try {
      expect(new FileStorage().dir).toBe(dir);
    } finally {
      if (before === undefined) delete process.env.PERFTRACK_DIR;
      else process.env.PERFTRACK_DIR = before;
    }
    expect(() => new PerformanceStorage({ batchSize: 0 })).toThrow('PerformanceStorage: batchSize must be an integer >= 1, got 0');
  });
});

// ---- real processes ---------------------------------------------------------------------------

const runChild = (script: string, env: Record<string, string>, onLine: (line: string, kill: (s: NodeJS.Signals) => void) => void) =>
  runNode(['-e', script], env, onLine);

describe('crash safety with real processes', () => {
  test('SIGKILL mid-run loses at most the unflushed batch: every record confirmed flushed loads', async () => {
    const dir = tempDir();
    const script = `
      const { PerformanceStorage } = require('@perftrack/storage');
      const s = new PerformanceStorage({ dir: process.env.DIR, batchSize: 200, flushIntervalMs: 5 });
      let n = 0;
      const t = 1700000000000;
      function tick() {
        for (let i = 0; i < 100; i++) { n++; s.onMetric({ id: 'k' + n, toolId: 'read', sessionId: 'crash', startTime: t + n, endTime: t + n + 1, duration: 1, success: true, sampleWeight: 1 }); }
        const upTo = n;
        s.flush().then(() => console.log('flushed ' + upTo));
        setTimeout(tick, 1);
      }
      tick();
    `;
    let confirmed = 0;
    const result = await runChild(script, { DIR: dir }, (line, kill) => {
      const m = /^flushed (\d+)$/.exec(line);
      if (m) {
        confirmed = Math.max(confirmed, Number(m[1]));
        if (confirmed >= 5_000) kill('SIGKILL');
      }
    });
    expect(result.signal).toBe('SIGKILL');
    const s = new PerformanceStorage({ dir, ...quiet });
    const loaded = await s.loadMetrics('crash');
    const ids = new Set(loaded.map((m) => m.id));
    for (let i = 1; i <= confirmed; i++) expect(ids.has(`k${i}`)).toBe(true);
    expect(ids.size).toBe(loaded.length);
    expect(s.stats().corruptLines).toBeLessThanOrEqual(1);
    await s.saveMetrics('crash', [rec('crash', 'after')]);
    const again = await new PerformanceStorage({ dir, ...quiet }).loadMetrics('crash');
    expect(again.at(-1)!.toolId).toBe('after');
  }, 60_000);

  test('installShutdownHooks flushes on SIGTERM and the process still exits by the signal', async () => {
    const dir = tempDir();
    const script = `
      const { PerformanceStorage } = require('@perftrack/storage');
      const s = new PerformanceStorage({ dir: process.env.DIR, batchSize: 100000, flushIntervalMs: 3600000 });
      s.installShutdownHooks();
      for (let n = 1; n <= 1234; n++) s.onMetric({ id: 'q' + n, toolId: 'bash', sessionId: 'term', startTime: n, endTime: n + 1, duration: 1, success: true, sampleWeight: 1 });
      console.log('ready');
      setInterval(() => {}, 1000);
    `;
    const result = await runChild(script, { DIR: dir }, (line, kill) => {
      if (line === 'ready') kill('SIGTERM');
    });
    expect(result.signal).toBe('SIGTERM');
    expect(await new PerformanceStorage({ dir, ...quiet }).loadMetrics('term')).toHaveLength(1234);
  }, 30_000);
});
