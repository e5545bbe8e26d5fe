import { join } from 'node:path';
import { MetricsCollector, trackPerformance } from '@perftrack/core';
import { EXPORT_SCHEMA, InvalidSessionIdError, PerformanceStorage, type ToolExecutionMetrics } from '@perftrack/storage';
import { readLog, removeTempDirs, runNode, tempDir } from './test-support/child';

afterAll(removeTempDirs);

describe('a poison record never blocks the others', () => {
  test('poison session ids (201 characters, a NUL) via ctx.sessionID and recordExecution, then 5,000 good calls: all 5,000 stored, the poison counted and named once', async () => {
    const dir = tempDir();
    const errors: { error: unknown; op: string }[] = [];
    const collector = new MetricsCollector({ onWarning: () => {} });
    const storage = new PerformanceStorage({
      dir,
      batchSize: 100,
      onError: (error, op) => errors.push({ error, op }),
      onWarning: () => {},
    });
    collector.subscribe(storage);
    const tool = trackPerformance({ collector })({
      id: 'read',
      execute: async (args: { n: number }, _ctx: { sessionID: string }) => args.n,
    });
    const long = 'x'.repeat(201);
    await tool.execute({ n: -1 }, { sessionID: long });
    await tool.execute({ n: -2 }, { sessionID: 'a\0b' });
    collector.recordExecution({ toolId: 'bash', sessionId: long, startTime: 1, endTime: 2, success: true });
    await storage.flush();
    for (let n = 0; n < 5_000; n++) await tool.execute({ n }, { sessionID: 'ses_good' });
    await storage.flush();
    await storage.saveAnalytics('ses_good', { calls: 5_000 }); // reports are still saved
    expect(storage.stats()).toMatchObject({ written: 5_000, lost: 3, queued: 0, writeErrors: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error).toBeInstanceOf(InvalidSessionIdError);
    expect(errors[0]!.op).toBe('lost: invalid-session');
    expect(readLog(join(dir, 'metrics', 'ses_good.jsonl')).ids).toHaveLength(5_000);
    expect(await storage.loadAnalytics('ses_good')).toEqual({ calls: 5_000 });
  });

  test('a record with a non-finite number or metadata JSON cannot encode is dropped, counted and named; its batch is stored', async () => {
    const dir = tempDir();
    const warnings: string[] = [];
    const storage = new PerformanceStorage({ dir, onWarning: (w) => warnings.push(w) });
    const good = (id: string, extra: Partial<ToolExecutionMetrics> = {}): ToolExecutionMetrics => ({
      id,
      toolId: 'read',
      sessionId: 's',
      startTime: 1,
      endTime: 2,
      duration: 1,
      success: true,
      sampleWeight: 1,
      ...extra,
    });
    storage.onMetric(good('ok-1'));
    storage.onMetric(good('inf', { duration: Infinity }));
    storage.onMetric(good('nan-weight', { sampleWeight: Number.NaN }));
    storage.onMetric(good('big', { metadata: { n: 10n } as unknown as Record<string, unknown> }));
    storage.onMetric(good('ok-2'));
    await storage.shutdown();
    expect(storage.stats()).toMatchObject({ written: 2, lost: 3 });
    expect(warnings.join('\n')).toContain('record "inf" of tool "read" cannot be stored: duration is Infinity, not a finite number');
    const log = readLog(join(dir, 'metrics', 's.jsonl'));
    expect(log).toMatchObject({ ids: ['ok-1', 'ok-2'], corrupt: [] });
  });

  test('import refuses non-finite numbers (1e999 parses as Infinity): counted invalid, never written', async () => {
    const dir = tempDir();
    const storage = new PerformanceStorage({ dir, onWarning: () => {} });
    const text =
      `{"schema":"${EXPORT_SCHEMA}","exportDate":"x","sessions":[{"sessionId":"imp","metrics":[` +
      '{"id":"a","toolId":"t","sessionId":"imp","startTime":1,"endTime":2,"duration":1e999,"success":true,"sampleWeight":1},' +
      '{"id":"b","toolId":"t","sessionId":"imp","startTime":1,"endTime":2,"duration":-5,"success":true,"sampleWeight":1},' +
      '{"id":"c","toolId":"t","sessionId":"imp","startTime":1,"endTime":2,"duration":1,"success":true,"sampleWeight":1}]}]}';
    expect(await storage.importAll(JSON.parse(text))).toEqual({ sessions: 1, imported: 1, duplicates: 0, invalid: 2 });
    expect(readLog(join(dir, 'metrics', 'imp.jsonl'))).toMatchObject({ ids: ['c'], corrupt: [] });
  });
});

describe('liveness and bounds', () => {
  test('flush() asked for during sustained load resolves promptly (it covers what was queued then)', async () => {
    const storage = new PerformanceStorage({ dir: tempDir(), batchSize: 200, onWarning: () => {} });
    let running = true;
    let n = 0;
    const load = (async () => {
      while (running) {
        for (let i = 0; i < 500; i++)
          storage.onMetric({
            id: `l${n++}`,
            toolId: 't',
            sessionId: `s${n % 50}`,
            startTime: 1,
            endTime: 2,
            duration: 1,
            success: true,
            sampleWeight: 1,
          });
        await new Promise((r) => setImmediate(r));
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    const asked = n;
    const t0 = performance.now();
    await storage.flush();
    const waited = performance.now() - t0;
    expect(storage.stats().written).toBeGreaterThanOrEqual(asked);
    running = false;
    await load;
    await storage.shutdown();
    expect(waited).toBeLessThan(2_000);
    expect(storage.stats()).toMatchObject({ written: n, queued: 0, lost: 0, dropped: 0 });
  });
});

describe('bounded memory (real process)', () => {
  test('a million tracked calls through decorator, collector and storage: heap after GC flat (printed), every record stored', async () => {
    const dir = tempDir();
    const r = await runNode(['--expose-gc', join(__dirname, 'test-support', 'heap-child.js')], {
      DIR: dir,
      COUNT: '1000000',
      SESSIONS: '20',
    });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.lines.at(-1)!) as {
      samples: { calls: number; heapMB: number }[];
      stats: Record<string, number>;
      seconds: number;
    };
    console.log(
      `heap after GC over 1 M calls (MB): ${out.samples.map((x) => `${x.calls / 1000}k=${x.heapMB}`).join(' ')} in ${out.seconds} s`,
    );
    expect(out.stats).toMatchObject({ written: 1_000_000, lost: 0, dropped: 0, queued: 0 });
    const first = out.samples[0]!.heapMB;
    expect(Math.max(...out.samples.map((x) => x.heapMB)) - first).toBeLessThan(5);
  }, 60_000);
});
