import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PerformanceStorage, type ToolExecutionMetrics } from '@perftrack/storage';
import { readLog, removeTempDirs, tempDir } from './test-support/child';

// A real 2 MB tmpfs when this machine lets us mount one (root with CAP_SYS_ADMIN); otherwise
// ENOSPC is injected at the fs layer (writeSync takes what a 2 MB disk would, then fails), and
// the test says which ran.
const root = tempDir('perftrack-tmpfs-');
let mode: 'tmpfs' | 'injected' = 'injected';
try {
  if (process.env.PERFTRACK_TEST_INJECT_ENOSPC === '1') throw new Error('injection asked for');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', root], { stdio: 'ignore' });
  mode = 'tmpfs';
} catch {
  mode = 'injected';
}
afterAll(() => {
  if (mode === 'tmpfs') execFileSync('umount', [root]);
  removeTempDirs();
});

/** Injected mode: a byte budget for writeSync on files under `root` (short write, then ENOSPC). */
let budget = Infinity;
let restore: (() => void) | undefined;
function injectFullDisk(): void {
  // require(): the module object itself, whose writeSync the appender calls
  const nodeFs = require('node:fs') as { writeSync: (...args: unknown[]) => number };
  const real = nodeFs.writeSync;
  nodeFs.writeSync = (...args: unknown[]) => {
    const [fd, buffer, offset, length, position] = args as [
      number,
      unknown,
      number | undefined,
      number | undefined,
      number | null | undefined,
    ];
    const inPlace = position !== undefined && position !== null; // overwrites use no new space
    if (!Buffer.isBuffer(buffer) || fd <= 2 || inPlace) return real(...args);
    if (budget <= 0)
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    const take = Math.min(length ?? buffer.length - (offset ?? 0), budget);
    const n = real(fd, buffer, offset ?? 0, take, position);
    budget -= n;
    return n;
  };
  restore = () => {
    nodeFs.writeSync = real;
  };
}

const FILLER = join(root, 'filler');
function fillDisk(leaveBytes: number): void {
  if (mode === 'injected') {
    budget = leaveBytes;
    return;
  }
  const free = fs.statfsSync(root).bavail * fs.statfsSync(root).bsize;
  fs.writeFileSync(FILLER, Buffer.alloc(Math.max(0, free - leaveBytes)));
}
function freeDisk(bytes = 1_000_000): void {
  if (mode === 'injected') budget += bytes;
  else fs.rmSync(FILLER, { force: true });
}

let seq = 0;
function rec(): ToolExecutionMetrics {
  const n = seq++;
  return {
    id: `full-${n}`,
    toolId: 'grep',
    sessionId: 'full',
    startTime: 1_700_000_000_000 + n,
    endTime: 1_700_000_000_001 + n,
    duration: 1,
    success: true,
    sampleWeight: 1,
  };
}

async function settle(storage: PerformanceStorage): Promise<void> {
  for (let i = 0; i < 50 && storage.stats().queued > 0; i++) await storage.flush().catch(() => new Promise((r) => setTimeout(r, 20)));
}

test(`a disk that fills up and is then freed: each record stored exactly once, the rest kept and then written, losses counted (${mode})`, async () => {
  console.log(
    `full-disk test ran on: ${mode === 'tmpfs' ? 'a real 2 MB tmpfs' : 'ENOSPC injected at fs.writeSync (mounting is not allowed here)'}`,
  );
  if (mode === 'injected') injectFullDisk();
  try {
    const dir = join(root, 'store');
    const errors: unknown[] = [];
    const storage = new PerformanceStorage({
      dir,
      batchSize: 500,
      flushIntervalMs: 10,
      onError: (e) => errors.push(e),
      onWarning: () => {},
    });
    await storage.saveAnalytics('full', { before: true });
    const file = join(dir, 'metrics', 'full.jsonl');

    // 1. Full: 5,000 records (~700 KB) against ~30 KB of room.
    fillDisk(30_000);
    for (let i = 0; i < 5_000; i++) storage.onMetric(rec());
    await expect(storage.flush()).rejects.toMatchObject({ code: 'ENOSPC' });
    let s = storage.stats();
    expect(s.written).toBeGreaterThan(0);
    expect(s.written).toBeLessThan(5_000);
    expect(s.written + s.queued + s.lost + s.dropped).toBe(5_000);
    let log = readLog(file);
    expect(log.corrupt).toEqual([]); // a torn tail is blanked, never left
    expect(log.ids).toHaveLength(s.written);
    expect(new Set(log.ids).size).toBe(log.ids.length);
    expect(errors).toHaveLength(1); // reported once, however often retried
    // a snapshot that cannot be written leaves no temporary file
    if (mode === 'tmpfs') {
      await expect(storage.saveAnalytics('full', { big: 'y'.repeat(200_000) })).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(fs.readdirSync(join(dir, 'analytics'))).toEqual(['full.json']);
      expect(await storage.loadAnalytics('full')).toEqual({ before: true });
    }

    // 2. Freed: the backlog is written in bounded chunks, exactly once.
    freeDisk();
    await settle(storage);
    s = storage.stats();
    expect(s).toMatchObject({ queued: 0, lost: 0, dropped: 0, written: 5_000 });
    log = readLog(file);
    expect(log.corrupt).toEqual([]);
    expect(new Set(log.ids)).toEqual(new Set(Array.from({ length: 5_000 }, (_, i) => `full-${i}`)));
    expect(log.ids).toHaveLength(5_000);

    // 3. A backlog bigger than the free space (22,400 records, ~3 MB): what fits is stored, the rest waits, nothing twice.
    for (let i = 0; i < 22_400; i++) storage.onMetric(rec());
    await settle(storage);
    s = storage.stats();
    expect(s.written).toBeGreaterThan(5_000);
    expect(s.written + s.queued + s.lost + s.dropped).toBe(27_400);
    log = readLog(file);
    expect(log.corrupt).toEqual([]);
    expect(log.ids).toHaveLength(s.written);
    expect(new Set(log.ids).size).toBe(log.ids.length);

    // 4. Shutdown with the disk still full: what could not be written is counted as lost, exactly.
    await storage.shutdown();
    s = storage.stats();
    expect(s.queued).toBe(0);
    expect(s.written + s.lost).toBe(27_400);
    expect(readLog(file).ids).toHaveLength(s.written);
    for (const kind of ['metrics', 'patterns', 'analytics'])
      expect(fs.readdirSync(join(dir, kind)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  } finally {
    restore?.();
    freeDisk();
  }
}, 60_000);

test(`the flush journal on a disk that fills up and is then freed: each record exactly once, never a torn line (${mode})`, async () => {
  if (mode === 'injected') injectFullDisk();
  try {
    fs.rmSync(join(root, 'store'), { recursive: true, force: true }); // the disk the test above left full
    const dir = join(root, 'journaled');
    const errors: unknown[] = [];
    const storage = new PerformanceStorage({
      dir,
      batchSize: 100_000,
      flushIntervalMs: 10,
      onError: (e) => errors.push(e),
      onWarning: () => {},
    });
    const sessionRec = (s: number, k: number): ToolExecutionMetrics => ({ ...rec(), id: `j-${s}-${k}`, sessionId: `s${s}` });
    // 200 sessions a flush, so it goes to the journal segment: ~700 KB against ~400 KB of room
    fillDisk(400_000);
    for (let k = 0; k < 25; k++) for (let s = 0; s < 200; s++) storage.onMetric(sessionRec(s, k));
    await expect(storage.flush()).rejects.toMatchObject({ code: 'ENOSPC' });
    let s = storage.stats();
    expect(s.journaled).toBeGreaterThan(0);
    expect(s.written).toBeLessThan(5_000);
    expect(s.written + s.queued).toBe(5_000);
    // what the writer counts as written is exactly what the files hold: a failed segment write is cut off
    const stored = (): string[] => {
      const files = [
        ...fs.readdirSync(join(dir, 'metrics', '.journal')).map((n) => join(dir, 'metrics', '.journal', n)),
        ...fs
          .readdirSync(join(dir, 'metrics'))
          .filter((n) => n.endsWith('.jsonl'))
          .map((n) => join(dir, 'metrics', n)),
      ];
      return files.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n')).filter((l) => l.trim().length > 0);
    };
    const lines = stored();
    expect(lines).toHaveLength(s.written);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(errors.length).toBeLessThanOrEqual(2); // once per episode: the segment, the logs the rest fell back to

    freeDisk();
    await settle(storage);
    s = storage.stats();
    expect(s).toMatchObject({ queued: 0, lost: 0, written: 5_000 });
    await storage.shutdown();
    const reader = new PerformanceStorage({ dir, onWarning: () => {} });
    const seen: string[] = [];
    await reader.replay((m) => seen.push(m.id));
    expect(seen).toHaveLength(5_000);
    expect(new Set(seen).size).toBe(5_000);
    expect((await reader.loadMetrics('s7')).map((m) => m.id)).toEqual(Array.from({ length: 25 }, (_, k) => `j-7-${k}`));
    await reader.shutdown();
  } finally {
    restore?.();
    freeDisk();
  }
}, 60_000);
