import { spawnSync } from 'node:child_process';
import { appendFileSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileStorage, PerformanceStorage, type ToolExecutionMetrics } from '@perftrack/storage';
import { readLog, removeTempDirs, runNode, tempDir } from './test-support/child';

afterAll(removeTempDirs);

const CHILD = join(__dirname, 'test-support', 'journal-child.js');

const record = (id: string, sessionId: string, k = 0): ToolExecutionMetrics => ({
  id,
  toolId: 'read',
  sessionId,
  startTime: 1_700_000_000_000 + k,
  endTime: 1_700_000_000_001 + k,
  duration: 1,
  success: true,
  sampleWeight: 1,
});

const journalDir = (dir: string): string => join(dir, 'metrics', '.journal');

/** Every record id in every session log of the store, as the raw files hold them. */
function idsInLogs(dir: string): { ids: string[]; corrupt: number } {
  const ids: string[] = [];
  let corrupt = 0;
  for (const name of readdirSync(join(dir, 'metrics'))) {
    if (!name.endsWith('.jsonl')) continue;
    const log = readLog(join(dir, 'metrics', name));
    ids.push(...log.ids);
    corrupt += log.corrupt.length;
  }
  return { ids, corrupt };
}

function expectEachOnce(ids: readonly string[], expected: number): void {
  expect(new Set(ids).size).toBe(expected);
  expect(ids.length).toBe(expected);
}

/** A pid no process has now (a child that has exited). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid as number;
}

async function exitChild(dir: string, sessions: number, per = 1): Promise<{ exitWriteMs: number; stats: Record<string, number> }> {
  const res = await runNode([CHILD], { DIR: dir, MODE: 'exit', SESSIONS: String(sessions), PER: String(per), TAG: 'x' });
  expect(res.code).toBe(0);
  const last = res.stderr.trim().split('\n').pop() as string;
  return JSON.parse(last) as { exitWriteMs: number; stats: Record<string, number> };
}

async function readChild(
  dir: string,
): Promise<{ records: number; unique: number; duplicates: number; sessions: number; corruptLines: number }> {
  const res = await runNode([CHILD], { DIR: dir, MODE: 'read' });
  expect(res.code).toBe(0);
  return JSON.parse(res.lines[0] as string);
}

describe('exit journal with real processes', () => {
  test('process.exit() with 100,000 sessions queued writes one journal; a fresh process reads every record exactly once', async () => {
    const dir = tempDir();
    const exited = await exitChild(dir, 100_000);
    console.log(
      `process.exit() with 100,000 sessions queued: exit write ${exited.exitWriteMs} ms (a timed figure only in pnpm bench storage)`,
    );
    expect(exited.stats).toMatchObject({ queued: 0, written: 100_000, journaled: 100_000, lost: 0, dropped: 0 });
    // one journal, 0600 in a 0700 directory, and no per-session log created
    const journals = readdirSync(journalDir(dir));
    expect(journals).toHaveLength(1);
    expect(journals[0]).toMatch(/^\d+-[0-9a-f]+\.jsonl$/);
    expect(lstatSync(join(journalDir(dir), journals[0] as string)).mode & 0o777).toBe(0o600);
    expect(lstatSync(journalDir(dir)).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(dir, 'metrics'))).toEqual(['.journal']);
    expect(await readChild(dir)).toEqual({ records: 100_000, unique: 100_000, duplicates: 0, sessions: 100_000, corruptLines: 0 });
  }, 120_000);

  test('two processes checkpointing at once: each record lands in its log exactly once, and the journal is gone', async () => {
    const dir = tempDir();
    await exitChild(dir, 3_000, 2);
    const [a, b] = await Promise.all([
      runNode([CHILD], { DIR: dir, MODE: 'checkpoint' }),
      runNode([CHILD], { DIR: dir, MODE: 'checkpoint' }),
    ]);
    const results = [a, b].map((r) => JSON.parse(r.lines[0] as string) as { records: number; journals: number; pending: number });
    expect(results.reduce((n, r) => n + r.records, 0)).toBe(6_000);
    expect(results.reduce((n, r) => n + r.journals, 0)).toBe(1);
    expect(readdirSync(journalDir(dir))).toEqual([]);
    const logs = idsInLogs(dir);
    expect(logs.corrupt).toBe(0);
    expectEachOnce(logs.ids, 6_000);
    expect(readLog(join(dir, 'metrics', 'ses_7.jsonl')).ids).toEqual(['x-7-0', 'x-7-1']);
    expect(await readChild(dir)).toEqual({ records: 6_000, unique: 6_000, duplicates: 0, sessions: 3_000, corruptLines: 0 });
  }, 120_000);

  test('SIGKILL in the middle of a checkpoint: readers still see each record once, and a recovery moves the rest exactly once', async () => {
    const dir = tempDir();
    await exitChild(dir, 30_000);
    const metrics = join(dir, 'metrics');
    let timer: NodeJS.Timeout | undefined;
    const killed = await runNode([CHILD], { DIR: dir, MODE: 'checkpoint', PROGRESS: '1' }, (line, kill) => {
      if (line !== 'started') return;
      timer = setInterval(() => {
        if (readdirSync(metrics).length > 500) {
          clearInterval(timer);
          kill('SIGKILL');
        }
      }, 5);
    });
    clearInterval(timer);
    expect(killed.signal).toBe('SIGKILL');
    const moved = readdirSync(metrics).length - 1;
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(30_000);
    expect(readdirSync(journalDir(dir))).toEqual([expect.stringMatching(/\.jsonl\.ckpt-\d+-[0-9a-f]+$/)]); // the dead process's claim
    expect(await readChild(dir)).toEqual({ records: 30_000, unique: 30_000, duplicates: 0, sessions: 30_000, corruptLines: 0 });
    const recovery = await runNode([CHILD], { DIR: dir, MODE: 'checkpoint' });
    const result = JSON.parse(recovery.lines[0] as string) as { records: number; duplicates: number; journals: number; pending: number };
    expect(result).toMatchObject({ journals: 1, pending: 0 });
    expect(result.duplicates).toBeGreaterThan(0); // what the killed checkpoint had moved
    expect(result.records + result.duplicates).toBe(30_000);
    expect(readdirSync(journalDir(dir))).toEqual([]);
    const logs = idsInLogs(dir);
    expect(logs.corrupt).toBe(0);
    expectEachOnce(logs.ids, 30_000);
  }, 120_000);
});

describe('exit journal in one process', () => {
  const quiet = { onWarning: () => {} };

  test('shutdown() with many new sessions: open logs appended to, the rest in one journal; every read sees each record once', async () => {
    const dir = tempDir();
    const storage = new PerformanceStorage({ dir, batchSize: 10_000, ...quiet });
    for (let s = 0; s < 10; s++) storage.onMetric(record(`early-${s}`, `old${s}`));
    await storage.flush();
    for (let s = 0; s < 10; s++) storage.onMetric(record(`late-${s}`, `old${s}`));
    for (let s = 0; s < 300; s++) storage.onMetric(record(`new-${s}`, `new${s}`));
    await storage.shutdown();
    expect(storage.stats()).toMatchObject({ written: 320, journaled: 300, lost: 0, queued: 0 });
    expect(readLog(join(dir, 'metrics', 'old3.jsonl')).ids).toEqual(['early-3', 'late-3']);
    expect(readdirSync(join(dir, 'metrics')).filter((n) => n.startsWith('new'))).toEqual([]);

    const reader = new PerformanceStorage({ dir, ...quiet });
    const sessions = await reader.listSessions();
    expect(sessions).toHaveLength(310);
    expect(sessions.find((s) => s.sessionId === 'new7')).toMatchObject({ hasMetrics: true });
    expect((await reader.loadMetrics('new7')).map((m) => m.id)).toEqual(['new-7']);
    // the checkpoint moves them; reads before and after agree
    const result = await reader.checkpoint();
    expect(result).toMatchObject({ journals: 1, records: 300, duplicates: 0, pending: 0, refused: [] });
    expect(reader.stats().checkpointed).toBe(300);
    expect(readdirSync(journalDir(dir))).toEqual([]);
    expect(readLog(join(dir, 'metrics', 'new7.jsonl')).ids).toEqual(['new-7']);
    expect((await reader.loadMetrics('new7')).map((m) => m.id)).toEqual(['new-7']);
    expect(await reader.listSessions()).toHaveLength(310);
    await reader.shutdown();
  });

  test('the next writer checkpoints in the background when it first writes', async () => {
    const dir = tempDir();
    const first = new PerformanceStorage({ dir, batchSize: 10_000, ...quiet });
    for (let s = 0; s < 300; s++) first.onMetric(record(`r-${s}`, `s${s}`));
    await first.shutdown();
    expect(readdirSync(journalDir(dir))).toHaveLength(1);
    const next = new PerformanceStorage({ dir, ...quiet });
    next.onMetric(record('later', 's0'));
    await next.flush();
    for (let i = 0; i < 1_000 && readdirSync(journalDir(dir)).length > 0; i++) await new Promise((r) => setTimeout(r, 10)); // ≤ 10 s on a loaded machine
    expect(readdirSync(journalDir(dir))).toEqual([]);
    expect(next.stats().checkpointed).toBe(300);
    expect((await next.loadMetrics('s0')).map((m) => m.id).sort()).toEqual(['later', 'r-0']);
    await next.shutdown();
  });

  test('a record both in its log and in the journal (a checkpoint killed before removing it) is read once, log first', async () => {
    const dir = tempDir();
    const storage = new PerformanceStorage({ dir, batchSize: 10_000, ...quiet });
    for (let s = 0; s < 300; s++) storage.onMetric(record(`r-${s}`, `s${s}`));
    await storage.shutdown();
    appendFileSync(
      join(dir, 'metrics', 's5.jsonl'),
      `${JSON.stringify(record('before', 's5'))}\n${JSON.stringify(record('r-5', 's5'))}\n`,
      {
        mode: 0o600,
      },
    );
    const files = new FileStorage({ dir });
    const ids: string[] = [];
    for await (const m of files.readMetrics('s5')) ids.push(m.id);
    expect(ids).toEqual(['before', 'r-5']);
    const result = await files.checkpoint();
    expect(result).toMatchObject({ records: 300, journals: 1 }); // not in recovery: the claim was fresh
    files.close();
  });

  test('a torn last line of an abandoned journal is skipped and counted once, never joined to a record', async () => {
    const dir = tempDir();
    mkdirSync(journalDir(dir), { recursive: true, mode: 0o700 });
    const pid = deadPid();
    const whole = `${JSON.stringify(record('a', 'torn'))}\n${JSON.stringify(record('b', 'torn'))}\n`;
    writeFileSync(join(journalDir(dir), `${pid}-0123abcd.jsonl.partial`), `${whole}{"id":"c","toolId":"read","sessi`, { mode: 0o600 });
    const warnings: string[] = [];
    const storage = new PerformanceStorage({ dir, onWarning: (w) => warnings.push(w) });
    const result = await storage.checkpoint();
    expect(result).toMatchObject({ journals: 1, records: 2, tornLines: 1, corruptLines: 0 });
    expect(storage.stats().corruptLines).toBe(1);
    expect(warnings.filter((w) => w.includes('torn journal lines'))).toHaveLength(1);
    storage.onMetric(record('d', 'torn'));
    await storage.flush();
    expect(readLog(join(dir, 'metrics', 'torn.jsonl'))).toEqual({ ids: ['a', 'b', 'd'], corrupt: [], blank: 1 });
    expect(readdirSync(journalDir(dir))).toEqual([]);
    await storage.shutdown();
  });

  test('a symlinked or hard-linked journal is refused: never read, moved, removed or written through', async () => {
    const dir = tempDir();
    const outside = tempDir('perftrack-outside-');
    const line = `${JSON.stringify(record('planted', 'victim'))}\n`;
    writeFileSync(join(outside, 'target.jsonl'), line, { mode: 0o644 });
    writeFileSync(join(outside, 'hard.jsonl'), line, { mode: 0o644 });
    mkdirSync(journalDir(dir), { recursive: true, mode: 0o700 });
    symlinkSync(join(outside, 'target.jsonl'), join(journalDir(dir), '1-aaaaaaaa.jsonl'));
    linkSync(join(outside, 'hard.jsonl'), join(journalDir(dir), '2-bbbbbbbb.jsonl'));
    const warnings: string[] = [];
    const storage = new PerformanceStorage({ dir, onWarning: (w) => warnings.push(w) });
    expect(await storage.loadMetrics('victim')).toEqual([]);
    expect(await storage.listSessions()).toEqual([]);
    const result = await storage.checkpoint();
    expect(result.refused).toEqual([join(journalDir(dir), '1-aaaaaaaa.jsonl'), join(journalDir(dir), '2-bbbbbbbb.jsonl')]);
    expect(result.records).toBe(0);
    expect(warnings.filter((w) => w.includes('refused'))).toHaveLength(1);
    expect(readdirSync(journalDir(dir)).sort()).toEqual(['1-aaaaaaaa.jsonl', '2-bbbbbbbb.jsonl']);
    expect(readFileSync(join(outside, 'target.jsonl'), 'utf8')).toBe(line);
    expect(lstatSync(join(outside, 'hard.jsonl'))).toMatchObject({ nlink: 2 });
    expect(lstatSync(join(outside, 'target.jsonl')).mode & 0o777).toBe(0o644);
    await storage.shutdown();
  });

  test('a symlinked journal directory is never written through: the exit write goes to the logs, nothing lost', async () => {
    const dir = tempDir();
    const outside = tempDir('perftrack-outside-');
    mkdirSync(join(dir, 'metrics'), { recursive: true, mode: 0o700 });
    symlinkSync(outside, journalDir(dir));
    const warnings: string[] = [];
    const storage = new PerformanceStorage({ dir, batchSize: 10_000, onWarning: (w) => warnings.push(w) });
    for (let s = 0; s < 300; s++) storage.onMetric(record(`r-${s}`, `s${s}`));
    await storage.shutdown();
    expect(storage.stats()).toMatchObject({ written: 300, journaled: 0, lost: 0 });
    expect(warnings).toEqual([
      expect.stringMatching(/exit journal could not be written: .*symbolic link.*written to their sessions' logs instead/),
    ]);
    expect(readdirSync(outside)).toEqual([]);
    expect(lstatSync(outside).mode & 0o777).toBe(0o700); // tempDir's own mode, not chmod-ed by us
    expectEachOnce(idsInLogs(dir).ids, 300);
  });

  test('deleteSession removes a session whose records are in the journal', async () => {
    const dir = tempDir();
    const storage = new PerformanceStorage({ dir, batchSize: 10_000, ...quiet });
    for (let s = 0; s < 300; s++) storage.onMetric(record(`r-${s}`, `s${s}`));
    await storage.shutdown();
    const reader = new PerformanceStorage({ dir, ...quiet });
    await reader.deleteSession('s9');
    expect(await reader.loadMetrics('s9')).toEqual([]);
    expect(await reader.listSessions()).toHaveLength(299);
    await reader.shutdown();
  });

  test('readers during a checkpoint see every record exactly once', async () => {
    const dir = tempDir();
    const storage = new PerformanceStorage({ dir, batchSize: 10_000, ...quiet });
    for (let s = 0; s < 2_000; s++) storage.onMetric(record(`r-${s}`, `s${s}`));
    await storage.shutdown();
    const files = new FileStorage({ dir });
    let done = false;
    const checkpoint = files.checkpoint().finally(() => (done = true));
    let reads = 0;
    while (!done) {
      for (let s = 0; s < 2_000; s += 97) {
        const ids: string[] = [];
        for await (const m of files.readMetrics(`s${s}`)) ids.push(m.id);
        expect(ids).toEqual([`r-${s}`]);
        reads++;
      }
      await new Promise((r) => setImmediate(r)); // the checkpoint runs between the reads' rounds
    }
    expect(await checkpoint).toMatchObject({ records: 2_000, journals: 1 });
    expect(reads).toBeGreaterThan(0);
    files.close();
  });

  test('exitJournal: false keeps one log per session; a wrong value is a TypeError', async () => {
    expect(() => new FileStorage({ exitJournal: 'yes' as never })).toThrow(TypeError);
    const dir = tempDir();
    const storage = new PerformanceStorage({ adapter: new FileStorage({ dir, exitJournal: false }), batchSize: 10_000, ...quiet });
    for (let s = 0; s < 300; s++) storage.onMetric(record(`r-${s}`, `s${s}`));
    await storage.shutdown();
    expect(storage.stats()).toMatchObject({ written: 300, journaled: 0 });
    expect(readdirSync(join(dir, 'metrics')).filter((n) => n.endsWith('.jsonl'))).toHaveLength(300);
  });
});
