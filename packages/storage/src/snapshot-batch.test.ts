import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InMemoryStorage, PerformanceStorage, StorageRefusedError, type SnapshotBatch, type SnapshotKind } from '@perftrack/storage';
import { removeTempDirs, tempDir } from './test-support/child';

afterAll(removeTempDirs);

const quiet = { onWarning: () => {} };

function entries(dir: string): string[] {
  return ['analytics', 'patterns'].flatMap((kind) => readdirSync(join(dir, kind)).map((name) => `${kind}/${name}`)).sort();
}

describe('a snapshot batch: many snapshots, made durable once', () => {
  test('every snapshot is readable through the ordinary readers, 0600, no temporary file left', async () => {
    const dir = tempDir();
    const storage = new PerformanceStorage({ dir, ...quiet });
    const batch = storage.snapshotBatch();
    for (let s = 0; s < 50; s++) {
      batch.write('analytics', `ses_${s}`, { calls: s });
      batch.write('patterns', `ses_${s}`, { sequences: [s] });
    }
    batch.write('analytics', '../../etc', { calls: -1 }); // encoded, never a path
    await batch.commit();
    await batch.commit(); // again: a no-op
    expect(await storage.loadAnalytics('ses_7')).toEqual({ calls: 7 });
    expect(await storage.loadPatterns('ses_49')).toEqual({ sequences: [49] });
    expect(await storage.loadAnalytics('../../etc')).toEqual({ calls: -1 });
    expect(entries(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
    expect(lstatSync(join(dir, 'analytics', 'ses_7.json')).mode & 0o777).toBe(0o600);
    // replacing keeps one file per session
    const again = storage.snapshotBatch();
    again.write('analytics', 'ses_7', { calls: 700 });
    await again.commit();
    expect(await storage.loadAnalytics('ses_7')).toEqual({ calls: 700 });
    expect(entries(dir).filter((name) => name.startsWith('analytics/ses_7'))).toEqual(['analytics/ses_7.json']);
  });

  test('a failing snapshot fails alone: the batch goes on and leaves no temporary file', async () => {
    const dir = tempDir();
    const storage = new PerformanceStorage({ dir, ...quiet });
    storage.snapshotBatch().write('analytics', 'warmup', {}); // creates the directories
    mkdirSync(join(dir, 'analytics', 'blocked.json')); // a directory where the snapshot goes
    const batch = storage.snapshotBatch();
    expect(() => batch.write('analytics', 'blocked', { calls: 1 })).toThrow(StorageRefusedError);
    expect(() => batch.write('analytics', 'cyclic', 10n)).toThrow(TypeError);
    batch.write('analytics', 'fine', { calls: 2 });
    await batch.commit();
    expect(await storage.loadAnalytics('fine')).toEqual({ calls: 2 });
    expect(entries(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  test('a planted link at a snapshot path is replaced, never followed; a linked analytics/ is refused', async () => {
    const dir = tempDir();
    const outside = tempDir();
    writeFileSync(join(outside, 'victim'), 'precious\n', { mode: 0o644 });
    const storage = new PerformanceStorage({ dir, ...quiet });
    storage.snapshotBatch().write('patterns', 'warmup', {});
    symlinkSync(join(outside, 'victim'), join(dir, 'analytics', 'planted.json'));
    const batch = storage.snapshotBatch();
    batch.write('analytics', 'planted', { calls: 3 });
    await batch.commit();
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('precious\n');
    expect(lstatSync(join(outside, 'victim')).mode & 0o777).toBe(0o644);
    expect(lstatSync(join(dir, 'analytics', 'planted.json')).isSymbolicLink()).toBe(false);

    rmSync(join(dir, 'analytics'), { recursive: true });
    symlinkSync(outside, join(dir, 'analytics'));
    await new Promise((resolve) => setImmediate(resolve)); // a new synchronous run looks at the directory again
    const later = storage.snapshotBatch();
    expect(() => later.write('analytics', 'escape', { calls: 4 })).toThrow(/symbolic link/);
    expect(readdirSync(outside)).toEqual(['victim']);
  });

  test('an adapter without a batch of its own: each snapshot goes through writeSnapshot', async () => {
    const adapter = new InMemoryStorage();
    const written: [SnapshotKind, string][] = [];
    const writeSnapshot = adapter.writeSnapshot.bind(adapter);
    adapter.writeSnapshot = async (kind, sessionId, value) => {
      written.push([kind, sessionId]);
      await writeSnapshot(kind, sessionId, value);
    };
    const storage = new PerformanceStorage({ adapter, ...quiet });
    const batch: SnapshotBatch = storage.snapshotBatch();
    await batch.write('analytics', 's1', { calls: 1 });
    await batch.write('patterns', 's1', { p: 1 });
    await batch.commit();
    expect(written).toEqual([
      ['analytics', 's1'],
      ['patterns', 's1'],
    ]);
    expect(await storage.loadAnalytics('s1')).toEqual({ calls: 1 });
  });
});
