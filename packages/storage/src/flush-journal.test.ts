import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { FileStorage, PerformanceStorage, type ToolExecutionMetrics } from '@perftrack/storage';
import { readLog, removeTempDirs, runNode, tempDir } from './test-support/child';

afterAll(removeTempDirs);

const CHILD = join(__dirname, 'test-support', 'journal-child.js');
const quiet = { onWarning: () => {} };
const journalDir = (dir: string): string => join(dir, 'metrics', '.journal');
const logNames = (dir: string): string[] => readdirSync(join(dir, 'metrics')).filter((n) => n.endsWith('.jsonl'));

const record = (id: string, sessionId: string, k: number): ToolExecutionMetrics => ({
  id,
  toolId: 'read',
  sessionId,
  startTime: 1_700_000_000_000 + k,
  endTime: 1_700_000_000_001 + k,
  duration: 1,
  success: true,
  sampleWeight: 1,
});

async function ids(storage: PerformanceStorage | FileStorage, sessionId: string): Promise<string[]> {
  const out: string[] = [];
  const source = storage instanceof FileStorage ? storage.readMetrics(sessionId) : storage.iterateMetrics(sessionId);
  for await (const m of source) out.push(m.id);
  return out;
}

describe('the flush journal: many sessions without open logs in one flush', () => {
  test('go to one journal segment, not one new log each; every read sees each record once, in time order', async () => {
    const dir = tempDir();
    const storage = new PerformanceStorage({ dir, batchSize: 100_000, ...quiet });
    for (let k = 0; k < 3; k++) {
      for (let s = 0; s < 300; s++) storage.onMetric(record(`r-${s}-${k}`, `s${s}`, k));
      await storage.flush();
    }
    expect(storage.stats()).toMatchObject({ written: 900, journaled: 900, lost: 0 });
    expect(logNames(dir)).toEqual([]); // no log created
    expect(readdirSync(journalDir(dir))).toEqual([expect.stringMatching(/^\d+-[0-9a-f]+\.jsonl\.open$/)]);
    expect(lstatSync(join(journalDir(dir), readdirSync(journalDir(dir))[0] as string)).mode & 0o777).toBe(0o600);
    // this writer and a separate reader, while the segment is still open
    expect(await ids(storage, 's7')).toEqual(['r-7-0', 'r-7-1', 'r-7-2']);
    const reader = new FileStorage({ dir });
    expect(await ids(reader, 's299')).toEqual(['r-299-0', 'r-299-1', 'r-299-2']);
    const listed = await reader.listSessions();
    expect(listed).toHaveLength(300);
    expect(listed[0]).toMatchObject({ hasMetrics: true, journaled: true });
    await storage.shutdown();
    // sealed at shutdown; a checkpoint moves every record into its log, in order, exactly once
    expect(readdirSync(journalDir(dir))).toEqual([expect.stringMatching(/^\d+-[0-9a-f]+\.jsonl$/)]);
    expect(await reader.checkpoint()).toMatchObject({ journals: 1, records: 900, duplicates: 0 });
    expect(readdirSync(journalDir(dir))).toEqual([]);
    expect(logNames(dir)).toHaveLength(300);
    expect(readLog(join(dir, 'metrics', 's42.jsonl'))).toEqual({ ids: ['r-42-0', 'r-42-1', 'r-42-2'], corrupt: [], blank: 1 });
    expect(await ids(reader, 's42')).toEqual(['r-42-0', 'r-42-1', 'r-42-2']);
    reader.close();
  });

  test('a session in the journal keeps going there until a checkpoint, so its log stays in time order', async () => {
    const dir = tempDir();
    const storage = new PerformanceStorage({ dir, batchSize: 100_000, ...quiet });
    for (let s = 0; s < 100; s++) storage.onMetric(record(`burst-${s}`, `s${s}`, 0));
    await storage.flush();
    // later calls of one session alone: no burst, yet the journal, behind its earlier record
    for (let k = 1; k <= 3; k++) {
      storage.onMetric(record(`late-${k}`, 's5', k));
      await storage.flush();
    }
    expect(storage.stats()).toMatchObject({ written: 103, journaled: 103 });
    expect(existsSync(join(dir, 'metrics', 's5.jsonl'))).toBe(false);
    expect(await ids(storage, 's5')).toEqual(['burst-5', 'late-1', 'late-2', 'late-3']);
    await storage.checkpoint();
    expect(readLog(join(dir, 'metrics', 's5.jsonl')).ids).toEqual(['burst-5', 'late-1', 'late-2', 'late-3']);
    // moved: the session's next record goes to its log again, after the others
    storage.onMetric(record('after-4', 's5', 4));
    await storage.flush();
    expect(readLog(join(dir, 'metrics', 's5.jsonl')).ids).toEqual(['burst-5', 'late-1', 'late-2', 'late-3', 'after-4']);
    await storage.shutdown();
  });

  test('a log written before and journal records after it are read as one log in time order', async () => {
    const dir = tempDir();
    const first = new PerformanceStorage({ dir, ...quiet });
    first.onMetric(record('old-0', 's3', 0));
    await first.shutdown();
    const storage = new PerformanceStorage({ adapter: new FileStorage({ dir }), batchSize: 100_000, ...quiet });
    for (let s = 0; s < 100; s++) storage.onMetric(record(`new-${s}`, `s${s}`, 10));
    await storage.flush();
    expect(readLog(join(dir, 'metrics', 's3.jsonl')).ids).toEqual(['old-0']);
    expect(await ids(storage, 's3')).toEqual(['old-0', 'new-3']);
    expect((await storage.loadMetrics('s3', { since: 1_700_000_000_005 })).map((m) => m.id)).toEqual(['new-3']);
    await storage.shutdown();
  });

  test('the writer moves its own journal into the logs once idle', async () => {
    const dir = tempDir();
    const storage = new PerformanceStorage({ dir, batchSize: 100_000, ...quiet });
    for (let s = 0; s < 100; s++) storage.onMetric(record(`r-${s}`, `s${s}`, 0));
    await storage.flush();
    expect(logNames(dir)).toEqual([]);
    for (let waited = 0; waited < 10_000 && logNames(dir).length < 100; waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(logNames(dir)).toHaveLength(100);
    expect(readdirSync(journalDir(dir))).toEqual([]);
    expect(storage.stats()).toMatchObject({ written: 100, journaled: 100, checkpointed: 100 });
    await storage.shutdown();
  });

  test('flushJournal: false writes one log per session; a wrong value is a TypeError', async () => {
    expect(() => new FileStorage({ flushJournal: 1 as never })).toThrow(TypeError);
    const dir = tempDir();
    const storage = new PerformanceStorage({ adapter: new FileStorage({ dir, flushJournal: false }), batchSize: 100_000, ...quiet });
    for (let s = 0; s < 100; s++) storage.onMetric(record(`r-${s}`, `s${s}`, 0));
    await storage.flush();
    expect(storage.stats()).toMatchObject({ written: 100, journaled: 0 });
    expect(logNames(dir)).toHaveLength(100);
    await storage.shutdown();
  });

  test('a symlinked journal directory is never written through: the records go to their logs, said once, nothing lost', async () => {
    const dir = tempDir();
    const outside = tempDir('perftrack-outside-');
    mkdirSync(join(dir, 'metrics'), { recursive: true, mode: 0o700 });
    symlinkSync(outside, journalDir(dir));
    const warnings: string[] = [];
    const storage = new PerformanceStorage({ dir, batchSize: 100_000, onWarning: (w) => warnings.push(w) });
    for (let k = 0; k < 2; k++) {
      for (let s = 0; s < 100; s++) storage.onMetric(record(`r-${s}-${k}`, `s${s}`, k));
      await storage.flush();
    }
    expect(storage.stats()).toMatchObject({ written: 200, journaled: 0, lost: 0 });
    // said once each: the write that went to the logs instead, and the checkpoint that refused the link
    expect(warnings).toEqual([
      expect.stringMatching(/journal segment could not be written: .*symbolic link.*sessions' logs instead/),
      expect.stringMatching(/refused .*\.journal: a link/),
    ]);
    expect(readdirSync(outside)).toEqual([]);
    expect(lstatSync(outside).mode & 0o777).toBe(0o700);
    expect(logNames(dir)).toHaveLength(100);
    expect(readLog(join(dir, 'metrics', 's9.jsonl')).ids).toEqual(['r-9-0', 'r-9-1']);
    await storage.shutdown();
  });

  test('SIGKILL of a writer mid-run: every flushed record is read once, and the next writer moves its segment exactly once', async () => {
    const dir = tempDir();
    let flushed = 0;
    const res = await runNode([CHILD], { DIR: dir, MODE: 'flush', SESSIONS: '2000', PER: '10', TAG: 'k' }, (line, kill) => {
      const m = /^flushed (\d+)$/.exec(line);
      if (m === null) return;
      flushed = Number(m[1]);
      if (flushed >= 8_000) kill('SIGKILL');
    });
    expect(res.signal).toBe('SIGKILL');
    expect(readdirSync(journalDir(dir))).toEqual([expect.stringMatching(/\.jsonl\.open$/)]); // never sealed
    const read = async (): Promise<{ records: number; unique: number; duplicates: number; corruptLines: number }> => {
      const out = await runNode([CHILD], { DIR: dir, MODE: 'read' });
      return JSON.parse(out.lines[0] as string);
    };
    const before = await read();
    expect(before.duplicates).toBe(0);
    expect(before.corruptLines).toBe(0);
    expect(before.records).toBeGreaterThanOrEqual(flushed); // what the child had flushed, and maybe a pass more
    const moved = await runNode([CHILD], { DIR: dir, MODE: 'checkpoint' });
    expect(JSON.parse(moved.lines[0] as string)).toMatchObject({ journals: 1, records: before.records, duplicates: 0 });
    expect(readdirSync(journalDir(dir))).toEqual([]);
    expect(await read()).toEqual(before);
    let inLogs = 0;
    for (const name of logNames(dir)) {
      const log = readLog(join(dir, 'metrics', name));
      expect(log.corrupt).toEqual([]);
      inLogs += log.ids.length;
      const order = log.ids.map((id) => Number(id.split('-')[2]));
      expect(order).toEqual([...order].sort((a, b) => a - b)); // each log in time order
    }
    expect(inLogs).toBe(before.records);
  }, 60_000);

  test('process.exit() with records queued behind journaled flushes: every record stored once, the segment sealed', async () => {
    const dir = tempDir();
    const res = await runNode([CHILD], { DIR: dir, MODE: 'flush', SESSIONS: '500', PER: '4', TAG: 'e', EXIT: '1' });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stderr.trim().split('\n').pop() as string)).toMatchObject({ written: 2_500, queued: 0, lost: 0 });
    expect(readdirSync(journalDir(dir)).filter((n) => n.endsWith('.open'))).toEqual([]);
    const read = JSON.parse((await runNode([CHILD], { DIR: dir, MODE: 'read' })).lines[0] as string);
    expect(read).toEqual({ records: 2_500, unique: 2_500, duplicates: 0, sessions: 500, corruptLines: 0 });
    const reader = new FileStorage({ dir });
    expect(await ids(reader, 'ses_3')).toEqual(['e-3-0', 'e-3-1', 'e-3-2', 'e-3-3', 'e-3-exit']);
    reader.close();
  }, 30_000);

  test('two processes journaling the same sessions at once: each record read once, then moved once', async () => {
    const dir = tempDir();
    const [a, b] = await Promise.all(
      ['a', 'b'].map((tag) => runNode([CHILD], { DIR: dir, MODE: 'flush', SESSIONS: '1000', PER: '5', TAG: tag })),
    );
    for (const r of [a, b]) expect(r.lines.at(-1)).toMatch(/^done .*"written":5000,.*"lost":0/);
    const read = JSON.parse((await runNode([CHILD], { DIR: dir, MODE: 'read' })).lines[0] as string);
    expect(read).toEqual({ records: 10_000, unique: 10_000, duplicates: 0, sessions: 1000, corruptLines: 0 });
    const reader = new FileStorage({ dir });
    // a writer's shutdown stops its checkpoint of the other's segment midway: the rest is moved here, by id
    const moved = await reader.checkpoint();
    expect(moved).toMatchObject({ journals: 2, pending: 0 });
    expect(moved.records + moved.duplicates).toBe(10_000);
    expect(readdirSync(journalDir(dir))).toEqual([]);
    const inLogs = logNames(dir).flatMap((name) => readLog(join(dir, 'metrics', name)).ids);
    expect(new Set(inLogs).size).toBe(10_000);
    expect(inLogs).toHaveLength(10_000);
    const after = JSON.parse((await runNode([CHILD], { DIR: dir, MODE: 'read' })).lines[0] as string);
    expect(after).toEqual(read);
    reader.close();
  }, 60_000);

  test('a worker thread checkpointing the store while the main thread journals: nothing lost, nothing twice', async () => {
    const dir = tempDir();
    const entry = join(__dirname, '..', 'dist', 'index.js'); // the built package, as a user's worker loads it
    const worker = new Worker(
      `const { FileStorage } = require(${JSON.stringify(entry)});
       const { parentPort, workerData } = require('node:worker_threads');
       const files = new FileStorage({ dir: workerData.dir });
       let moved = 0, stop = false;
       parentPort.on('message', () => (stop = true));
       (async () => { while (!stop) { moved += (await files.checkpoint()).records; await new Promise((r) => setTimeout(r, 5)); } parentPort.postMessage(moved); })();`,
      { eval: true, workerData: { dir } },
    );
    const storage = new PerformanceStorage({ dir, batchSize: 1_000_000, flushIntervalMs: 3_600_000, maxQueue: 1_000_000, ...quiet });
    let n = 0;
    for (let round = 0; round < 40; round++) {
      for (let s = 0; s < 500; s++) for (let k = 0; k < 4; k++) storage.onMetric(record(`w-${n++}`, `s${s}`, n));
      await storage.flush();
    }
    const moved = new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    worker.postMessage('stop');
    await moved;
    await worker.terminate();
    await storage.shutdown();
    expect(storage.stats()).toMatchObject({ written: 80_000, lost: 0 });
    const seen: string[] = [];
    await new PerformanceStorage({ dir, ...quiet }).replay((m) => seen.push(m.id));
    expect(new Set(seen).size).toBe(80_000);
    expect(seen).toHaveLength(80_000);
  }, 60_000);

  test('records arriving while our own checkpoint runs stay in the journal, so the log ends in time order', async () => {
    const dir = tempDir();
    const files = new FileStorage({ dir });
    const storage = new PerformanceStorage({ adapter: files, batchSize: 100_000, ...quiet });
    for (let s = 0; s < 100; s++) storage.onMetric(record(`a-${s}`, `s${s}`, 1));
    await storage.flush();
    const running = files.checkpoint();
    storage.onMetric(record('b-0', 's0', 2)); // while s0 is being moved: to a new segment
    await storage.flush();
    await running;
    expect(files.journalBacklog.sessions).toBe(1); // still journal-bound: a checkpoint is due
    storage.onMetric(record('c-0', 's0', 3));
    await storage.flush();
    await storage.checkpoint();
    expect(readLog(join(dir, 'metrics', 's0.jsonl')).ids).toEqual(['a-0', 'b-0', 'c-0']);
    await storage.shutdown();
  });

  test("one writer's journals made in the same millisecond are moved in the order written", async () => {
    const dir = tempDir();
    const files = new FileStorage({ dir });
    const storage = new PerformanceStorage({ adapter: files, batchSize: 100_000, ...quiet });
    for (let k = 0; k < 30; k++) {
      for (let s = 0; s < 64; s++) storage.onMetric(record(`r-${s}-${k}`, `s${s}`, k));
      await storage.flush();
      files.close(); // seals: the next flush opens a new segment, often in the same ms
    }
    expect(readdirSync(journalDir(dir)).length).toBeGreaterThan(1);
    await storage.checkpoint();
    expect(readLog(join(dir, 'metrics', 's0.jsonl')).ids).toEqual(Array.from({ length: 30 }, (_, k) => `r-0-${k}`));
    await storage.shutdown();
  });

  test('two processes checkpointing one writer’s journals at once keep each log in time order', async () => {
    const dir = tempDir();
    const files = new FileStorage({ dir, maxOpenFiles: 1 });
    const storage = new PerformanceStorage({ adapter: files, batchSize: 100_000, ...quiet });
    for (let k = 0; k < 2; k++) {
      for (let s = 0; s < 5_000; s++) storage.onMetric(record(`t${k}-${s}`, `s${s}`, k));
      await storage.flush();
      files.close();
    }
    await storage.shutdown();
    const both = await Promise.all([0, 1].map(() => runNode([CHILD], { DIR: dir, MODE: 'checkpoint' })));
    const results = both.map((r) => JSON.parse(r.lines[0] as string) as { records: number });
    expect(results[0]!.records + results[1]!.records + (await new FileStorage({ dir }).checkpoint()).records).toBe(10_000);
    let outOfOrder = 0;
    for (let s = 0; s < 5_000; s++) if (readLog(join(dir, 'metrics', `s${s}.jsonl`)).ids[0] !== `t0-${s}`) outOfOrder++;
    expect(outOfOrder).toBe(0);
  }, 60_000);

  test('a session whose log is a planted link: its journal records are dropped and counted, the others still moved', async () => {
    const dir = tempDir();
    const outside = tempDir('perftrack-outside-');
    writeFileSync(join(outside, 'target'), 'precious\n', { mode: 0o644 });
    mkdirSync(join(dir, 'metrics'), { recursive: true, mode: 0o700 });
    symlinkSync(join(outside, 'target'), join(dir, 'metrics', 's5.jsonl'));
    const warnings: string[] = [];
    const storage = new PerformanceStorage({ dir, batchSize: 100_000, onWarning: (w) => warnings.push(w) });
    for (let s = 0; s < 64; s++) storage.onMetric(record(`r-${s}`, `s${s}`, 0));
    await storage.flush();
    const result = await storage.checkpoint();
    expect(result).toMatchObject({ journals: 1, records: 63, lost: 1, pending: 0, refused: [join(dir, 'metrics', 's5.jsonl')] });
    expect(storage.stats()).toMatchObject({ written: 64, lostAtCheckpoint: 1 });
    expect(warnings).toContainEqual(expect.stringMatching(/1 journal records were dropped .*refused/));
    expect(readdirSync(journalDir(dir))).toEqual([]);
    expect(readLog(join(dir, 'metrics', 's9.jsonl')).ids).toEqual(['r-9']);
    expect(readdirSync(outside).sort()).toEqual(['target']);
    await storage.shutdown();
  });

  test('deleteSession of our own journaled session while a checkpoint of an older journal runs', async () => {
    const dir = tempDir();
    // a journal left by an earlier writer, large enough that its checkpoint is still running below
    const old = new PerformanceStorage({ dir, batchSize: 100_000, maxQueue: 100_000, ...quiet });
    for (let s = 0; s < 20_000; s++) old.onMetric(record(`o-${s}`, `old${s}`, 0));
    await old.flush();
    await old.shutdown();
    const storage = new PerformanceStorage({ dir, batchSize: 100_000, ...quiet });
    for (let s = 0; s < 64; s++) storage.onMetric(record(`m-${s}`, `mine${s}`, Date.now()));
    await storage.flush(); // its first pass starts the checkpoint of the old journal
    expect(await storage.deleteSession('mine3')).toEqual([join(dir, 'metrics', 'mine3.jsonl')]);
    expect(await storage.loadMetrics('mine3')).toEqual([]);
    await storage.shutdown();
  }, 60_000);

  test("cleanup goes on past a session it cannot remove now (in a running writer's segment), and says which", async () => {
    const dir = tempDir();
    const first = new PerformanceStorage({ dir, ...quiet });
    first.onMetric(record('gone-0', 'gone', 0));
    await first.shutdown();
    const other = new PerformanceStorage({ dir, batchSize: 100_000, ...quiet }); // running: its segment stays open
    for (let s = 0; s < 64; s++) other.onMetric(record(`b-${s}`, `busy${s}`, 0));
    await other.flush();
    const storage = new PerformanceStorage({ dir, ...quiet });
    const result = await storage.cleanup({ olderThanMs: 1_000, now: Date.now() + 10_000_000 });
    expect(result.failed?.map((f) => f.sessionId).sort()).toEqual(Array.from({ length: 64 }, (_, s) => `busy${s}`).sort());
    expect(result.failed?.[0]?.error).toMatch(/journal of a writer still running/);
    expect(result.removed.map((r) => r.sessionId)).toEqual(['gone']);
    expect(await storage.loadMetrics('busy3')).toHaveLength(1); // left as it was
    await other.shutdown();
    await storage.shutdown();
  });

  test('a journal directory swapped for a link while a segment is open is never written or renamed through', async () => {
    const dir = tempDir();
    const outside = tempDir('perftrack-outside-');
    const storage = new PerformanceStorage({ dir, batchSize: 100_000, ...quiet });
    for (let s = 0; s < 64; s++) storage.onMetric(record(`a-${s}`, `s${s}`, 0));
    await storage.flush();
    renameSync(journalDir(dir), join(outside, 'moved'));
    symlinkSync(join(outside, 'moved'), journalDir(dir));
    const before = readdirSync(join(outside, 'moved'));
    const sizeBefore = lstatSync(join(outside, 'moved', before[0] as string)).size;
    for (let s = 0; s < 64; s++) storage.onMetric(record(`b-${s}`, `s${s}`, 1));
    await storage.flush();
    await storage.shutdown();
    expect(readdirSync(join(outside, 'moved'))).toEqual(before); // not renamed (sealed) through the link
    expect(lstatSync(join(outside, 'moved', before[0] as string)).size).toBe(sizeBefore); // not appended to
    expect(readLog(join(dir, 'metrics', 's7.jsonl')).ids).toEqual(['b-7']); // the second flush went to the logs
  });

  test('a session id whose file name is too long for the filesystem never enters the journal: counted lost, the others moved', async () => {
    const dir = tempDir();
    const errors: unknown[] = [];
    const storage = new PerformanceStorage({ dir, batchSize: 100_000, onError: (e) => errors.push(e), ...quiet });
    const long = 'é'.repeat(200); // valid (200 characters), but its encoded name is over 255 bytes
    storage.onMetric(record('poison', long, 0));
    for (let s = 0; s < 70; s++) storage.onMetric(record(`r-${s}`, `s${s}`, 0));
    await storage.flush();
    expect(storage.stats()).toMatchObject({ written: 70, journaled: 70, lost: 1 });
    expect(String(errors[0])).toMatch(/ENAMETOOLONG/);
    expect(await storage.loadMetrics(long)).toEqual([]);
    expect(await storage.checkpoint()).toMatchObject({ journals: 1, records: 70, lost: 0, pending: 0 });
    await storage.shutdown();
  });

  test('a reader keeps seeing a journal renamed (sealed or claimed) after its index was made', async () => {
    const dir = tempDir();
    const storage = new PerformanceStorage({ dir, batchSize: 100_000, ...quiet });
    for (let s = 0; s < 64; s++) storage.onMetric(record(`r-${s}`, `s${s}`, 0));
    await storage.flush();
    const reader = new FileStorage({ dir });
    expect(await ids(reader, 's1')).toEqual(['r-1']); // indexed under its .open name
    const open = readdirSync(journalDir(dir))[0] as string;
    // a rename the directory's times may not show at once: sealed, then claimed, by someone else
    renameSync(join(journalDir(dir), open), join(journalDir(dir), open.replace('.jsonl.open', '.jsonl.ckpt-1-00000000')));
    expect(await ids(reader, 's2')).toEqual(['r-2']);
    await storage.shutdown();
    reader.close();
  });

  test("an active segment untouched for 10 minutes is adopted even under a live pid (a terminated worker's, a restart under the same pid)", async () => {
    const dir = tempDir();
    const files = new FileStorage({ dir });
    const storage = new PerformanceStorage({ adapter: files, batchSize: 100_000, ...quiet });
    for (let s = 0; s < 64; s++) storage.onMetric(record(`a-${s}`, `s${s}`, 0));
    await storage.flush();
    await new Promise((r) => setTimeout(r, 100)); // the writer's own first-pass checkpoint is over
    const open = join(journalDir(dir), readdirSync(journalDir(dir))[0] as string);
    const old = new Date(Date.now() - 11 * 60 * 1000);
    utimesSync(open, old, old);
    const other = new FileStorage({ dir });
    expect(await other.checkpoint()).toMatchObject({ journals: 1, records: 64 });
    // its writer, still alive, notices before writing and starts a new segment: nothing lost
    for (let s = 0; s < 64; s++) storage.onMetric(record(`b-${s}`, `s${s}`, 1));
    await storage.flush();
    await storage.shutdown();
    await other.checkpoint();
    expect(readLog(join(dir, 'metrics', 's3.jsonl')).ids).toEqual(['a-3', 'b-3']);
    other.close();
  });

  test('more live sessions than open files: small flushes go to the journal instead of closing one log to open another', async () => {
    const dir = tempDir();
    const files = new FileStorage({ dir, maxOpenFiles: 4 });
    const storage = new PerformanceStorage({ adapter: files, batchSize: 100_000, ...quiet });
    // 4 sessions fill the open-file slots (their logs stay open and are appended to)
    for (let s = 0; s < 4; s++) storage.onMetric(record(`o-${s}`, `open${s}`, 0));
    await storage.flush();
    expect(files.openFiles).toBe(4);
    // then flushes of 3 other sessions each, round-robin over 30: no log opened, no descriptor closed
    for (let k = 0; k < 20; k++) {
      for (let s = 0; s < 3; s++) storage.onMetric(record(`r-${k}-${s}`, `s${(k * 3 + s) % 30}`, k));
      await storage.flush();
    }
    expect(storage.stats()).toMatchObject({ written: 64, journaled: 60, lost: 0 });
    expect(logNames(dir).sort()).toEqual(['open0.jsonl', 'open1.jsonl', 'open2.jsonl', 'open3.jsonl']);
    expect(await ids(storage, 's4')).toEqual(['r-1-1', 'r-11-1']);
    storage.onMetric(record('o-late', 'open2', 1)); // an open log is still appended to
    await storage.flush();
    expect(readLog(join(dir, 'metrics', 'open2.jsonl')).ids).toEqual(['o-2', 'o-late']);
    await storage.shutdown();
  });
});
