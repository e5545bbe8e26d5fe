import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { FileStorage, PerformanceStorage, StorageRefusedError, type ToolExecutionMetrics } from '@perftrack/storage';
import { readLog, removeTempDirs, tempDir } from './test-support/child';

afterAll(removeTempDirs);

let seq = 0;
function rec(sessionId: string): ToolExecutionMetrics {
  const n = seq++;
  return {
    id: `h-${n}`,
    toolId: 'read',
    sessionId,
    startTime: 1_700_000_000_000 + n,
    endTime: 1_700_000_000_002 + n,
    duration: 2,
    success: true,
    sampleWeight: 1,
  };
}
const mode = (p: string) => statSync(p).mode & 0o777;

/** A store with its three sub-directories, and a file outside it that must never change. */
function setup() {
  const dir = join(tempDir(), 'store');
  new FileStorage({ dir }).appendLinesSync('init', [JSON.stringify(rec('init'))]);
  const outside = join(tempDir(), 'victim.txt');
  writeFileSync(outside, 'do not touch\n', { mode: 0o644 });
  chmodSync(outside, 0o644);
  const errors: unknown[] = [];
  const storage = new PerformanceStorage({ dir, onError: (e) => errors.push(e), onWarning: () => {} });
  return { dir, outside, errors, storage };
}

describe('links inside the store are never followed, written through or chmod-ed', () => {
  test('a planted symlink log is refused by name; other sessions are still written', async () => {
    const { dir, outside, errors, storage } = setup();
    symlinkSync(outside, join(dir, 'metrics', 'evil.jsonl'));
    for (let i = 0; i < 3; i++) storage.onMetric(rec('evil'));
    storage.onMetric(rec('good'));
    await storage.flush();
    expect(readFileSync(outside, 'utf8')).toBe('do not touch\n');
    expect(mode(outside)).toBe(0o644);
    expect(storage.stats()).toMatchObject({ written: 1, lost: 3, queued: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(StorageRefusedError);
    expect((errors[0] as Error).message).toContain(join(dir, 'metrics', 'evil.jsonl'));
    expect((errors[0] as Error).message).toContain('symbolic link');
    expect(await storage.loadMetrics('good')).toHaveLength(1);
    await expect(storage.loadMetrics('evil')).rejects.toThrow(StorageRefusedError);
    expect((await storage.listSessions()).map((s) => s.sessionId)).not.toContain('evil');
  });

  test('a hard-linked log is refused; the other name keeps its content', async () => {
    const { dir, outside, errors, storage } = setup();
    linkSync(outside, join(dir, 'metrics', 'hard.jsonl'));
    storage.onMetric(rec('hard'));
    await storage.flush();
    expect(readFileSync(outside, 'utf8')).toBe('do not touch\n');
    expect(mode(outside)).toBe(0o644);
    expect(storage.stats().lost).toBe(1);
    expect((errors[0] as Error).message).toMatch(/hard\.jsonl: it has 2 hard links/);
    await expect(storage.loadMetrics('hard')).rejects.toThrow('2 hard links');
  });

  test('a log swapped for a symlink after it was opened is refused, not written through the old descriptor', async () => {
    const { dir, outside, storage } = setup();
    storage.onMetric(rec('swap'));
    await storage.flush();
    const log = join(dir, 'metrics', 'swap.jsonl');
    rmSync(log);
    symlinkSync(outside, log);
    storage.onMetric(rec('swap'));
    await storage.flush();
    expect(readFileSync(outside, 'utf8')).toBe('do not touch\n');
    expect(storage.stats()).toMatchObject({ written: 1, lost: 1 });
  });

  test('a symlinked metrics/ directory is refused and the outside directory is not chmod-ed', async () => {
    const dir = join(tempDir(), 'store');
    const elsewhere = join(tempDir(), 'elsewhere');
    mkdirSync(dir, { recursive: true });
    mkdirSync(elsewhere, { mode: 0o755 });
    chmodSync(elsewhere, 0o755);
    symlinkSync(elsewhere, join(dir, 'metrics'));
    const errors: unknown[] = [];
    const storage = new PerformanceStorage({ dir, onError: (e) => errors.push(e), onWarning: () => {} });
    storage.onMetric(rec('s'));
    await storage.flush();
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(mode(elsewhere)).toBe(0o755);
    expect(storage.stats().lost).toBe(1);
    expect((errors[0] as Error).message).toContain(`${join(dir, 'metrics')}: it is a symbolic link`);
    expect(await storage.listSessions()).toEqual([]);
  });

  test('snapshots: a planted link is replaced, never written through; reading one is refused', async () => {
    const { dir, outside, storage } = setup();
    symlinkSync(outside, join(dir, 'patterns', 'p.json'));
    await storage.savePatterns('p', { mine: true });
    expect(readFileSync(outside, 'utf8')).toBe('do not touch\n');
    expect(lstatSync(join(dir, 'patterns', 'p.json')).isFile()).toBe(true);
    expect(mode(join(dir, 'patterns', 'p.json'))).toBe(0o600);
    expect(await storage.loadPatterns('p')).toEqual({ mine: true });
    symlinkSync(outside, join(dir, 'analytics', 'a.json'));
    await expect(storage.loadAnalytics('a')).rejects.toThrow(StorageRefusedError);
    expect(readdirSync(join(dir, 'patterns')).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  test('a symlinked store root is allowed (documented): followed, its target left as it is', async () => {
    const target = tempDir();
    chmodSync(target, 0o750);
    const link = join(tempDir(), 'link-to-store');
    symlinkSync(target, link);
    const storage = new PerformanceStorage({ dir: link, onWarning: () => {} });
    storage.onMetric(rec('r'));
    await storage.shutdown();
    expect(readLog(join(target, 'metrics', 'r.jsonl')).ids).toHaveLength(1);
    expect(mode(target)).toBe(0o750);
    expect(mode(join(target, 'metrics'))).toBe(0o700);
  });

  test('open log files stay within maxOpenFiles however many sessions are written', async () => {
    const dir = tempDir();
    // one log per session (the flush journal would open none: see flush-journal.test.ts)
    const files = new FileStorage({ dir, maxOpenFiles: 8, flushJournal: false });
    const storage = new PerformanceStorage({ adapter: files, onWarning: () => {} });
    for (let round = 0; round < 3; round++) {
      for (let s = 0; s < 300; s++) storage.onMetric(rec(`s${s}`));
      await storage.flush();
      expect(files.openFiles).toBeLessThanOrEqual(8);
    }
    expect(storage.stats()).toMatchObject({ written: 900, lost: 0 });
    expect(readLog(join(dir, 'metrics', 's299.jsonl')).ids).toHaveLength(3);
    await storage.shutdown();
    expect(files.openFiles).toBe(0);
  });
});

describe('exportToFile', () => {
  test('refuses a path inside the store, by any name, and the log is untouched', async () => {
    const { dir, storage } = setup();
    await storage.saveMetrics('s', [rec('s'), rec('s')]);
    const log = join(dir, 'metrics', 's.jsonl');
    const before = readFileSync(log, 'utf8');
    await expect(storage.exportToFile(log)).rejects.toThrow(StorageRefusedError);
    await expect(storage.exportToFile(join(dir, 'export.json'))).rejects.toThrow('inside the storage directory');
    const alias = join(tempDir(), 'alias');
    symlinkSync(dir, alias);
    await expect(storage.exportToFile(join(alias, 'metrics', 's.jsonl'))).rejects.toThrow(StorageRefusedError);
    expect(readFileSync(log, 'utf8')).toBe(before);
    expect(await storage.loadMetrics('s')).toHaveLength(2);
  });

  test('an existing 0644 file is replaced by a complete 0600 one; a link there is replaced, not written through', async () => {
    const { storage, outside } = setup();
    await storage.saveMetrics('s', [rec('s')]);
    const out = join(tempDir(), 'existing.json');
    writeFileSync(out, 'old', { mode: 0o644 });
    chmodSync(out, 0o644);
    expect(await storage.exportToFile(out)).toBe(2);
    expect(mode(out)).toBe(0o600);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ schema: 'perftrack.export/1' });
    const viaLink = join(tempDir(), 'link.json');
    symlinkSync(outside, viaLink);
    await storage.exportToFile(viaLink);
    expect(readFileSync(outside, 'utf8')).toBe('do not touch\n');
    expect(lstatSync(viaLink).isFile()).toBe(true);
    expect(mode(viaLink)).toBe(0o600);
  });

  test('a failed export leaves no temporary file and the old file as it was', async () => {
    const { storage } = setup();
    const missing = join(tempDir(), 'no-such-dir', 'out.json');
    await expect(storage.exportToFile(missing)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(existsSync(join(missing, '..'))).toBe(false);
  });
});
