import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileStorage, type ToolExecutionMetrics } from '@perftrack/storage';
import { readLog, removeTempDirs, tempDir } from './test-support/child';

afterAll(removeTempDirs);

const line = (id: string, sessionId: string): string =>
  JSON.stringify({
    id,
    toolId: 't',
    sessionId,
    startTime: 1,
    endTime: 2,
    duration: 1,
    success: true,
    sampleWeight: 1,
  } satisfies ToolExecutionMetrics);

describe('logs reopened after their descriptor was closed to make room', () => {
  test('more sessions than open files, round-robin: every record whole, one per line, no empty line between records', () => {
    const dir = tempDir();
    const storage = new FileStorage({ dir, maxOpenFiles: 2 });
    for (let round = 0; round < 20; round++) {
      for (let s = 0; s < 5; s++) expect(storage.appendLinesSync(`s${s}`, [line(`r${round}-${s}`, `s${s}`)])).toEqual({ written: 1 });
    }
    expect(storage.openFiles).toBe(2);
    for (let s = 0; s < 5; s++) {
      const log = readLog(join(dir, 'metrics', `s${s}.jsonl`));
      expect(log).toEqual({ ids: Array.from({ length: 20 }, (_, round) => `r${round}-${s}`), corrupt: [], blank: 1 }); // the one after the last newline
    }
  });

  test('a torn line appended by someone else while the log was closed is closed off, never joined', () => {
    const dir = tempDir();
    const storage = new FileStorage({ dir, maxOpenFiles: 1 });
    storage.appendLinesSync('a', [line('a1', 'a')]);
    storage.appendLinesSync('b', [line('b1', 'b')]); // closes a's descriptor
    appendFileSync(join(dir, 'metrics', 'a.jsonl'), '{"id":"torn-by-a-killed-wri');
    storage.appendLinesSync('a', [line('a2', 'a')]);
    const text = readFileSync(join(dir, 'metrics', 'a.jsonl'), 'utf8');
    expect(text.split('\n')).toEqual([line('a1', 'a'), '{"id":"torn-by-a-killed-wri', line('a2', 'a'), '']);
  });

  test('a log replaced by another file while closed is written without trusting the old size', () => {
    const dir = tempDir();
    const storage = new FileStorage({ dir, maxOpenFiles: 1 });
    storage.appendLinesSync('a', [line('a1', 'a')]);
    storage.appendLinesSync('b', [line('b1', 'b')]);
    const path = join(dir, 'metrics', 'a.jsonl');
    const old = readFileSync(path, 'utf8');
    // same length, another inode, ending in a torn line
    const { renameSync, writeFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
    writeFileSync(`${path}.new`, `${'x'.repeat(old.length - 1)}y`, { mode: 0o600 });
    renameSync(`${path}.new`, path);
    storage.appendLinesSync('a', [line('a2', 'a')]);
    expect(readFileSync(path, 'utf8').split('\n').slice(1)).toEqual([line('a2', 'a'), '']);
  });
});
