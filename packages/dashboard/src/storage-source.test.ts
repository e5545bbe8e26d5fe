import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { openHistory } from '@perftrack/integration';
import { PerformanceStorage } from '@perftrack/storage';
import { DashboardModel } from './model';
import { StorageSource } from './storage-source';

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

/** The real model, remembering which records it was given. */
class RecordingModel extends DashboardModel {
  readonly ids: string[] = [];
  override add(m: ToolExecutionMetrics, live: boolean): void {
    this.ids.push(m.id);
    super.add(m, live);
  }
}

const quiet = { onError: () => {}, onWarning: () => {} };
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perftrack-follow-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('following a storage directory', () => {
  test('records in an exit journal, then appends to the log and a checkpoint: each record reaches the model once', async () => {
    const first = new PerformanceStorage({ dir, ...quiet });
    first.onMetric(record('a1', 's0'));
    await first.shutdown(); // s0 has a log
    const second = new PerformanceStorage({ dir, batchSize: 10_000, ...quiet });
    second.onMetric(record('j1', 's0', 1));
    for (let s = 1; s < 300; s++) second.onMetric(record(`j-${s}`, `s${s}`, 1));
    await second.shutdown(); // 300 sessions with no open log: one exit journal, s0's record in it
    expect(second.stats()).toMatchObject({ journaled: 300, lost: 0 });

    const model = new RecordingModel();
    const source = new StorageSource(openHistory({ dir }), model, 1_000);
    const ofS0 = () => model.ids.filter((id) => id === 'j1' || id.startsWith('a'));
    await source.poll(false);
    expect(ofS0()).toEqual(['a1', 'j1']);

    // another process appends to s0's log while the journal still holds j1 (it reads after the log)
    const log = join(dir, 'metrics', 's0.jsonl');
    appendFileSync(log, `${JSON.stringify(record('a2', 's0', 2))}\n`);
    await source.poll(true);
    expect(ofS0()).toEqual(['a1', 'j1', 'a2']);

    // a checkpoint moves j1 into the log (after a2): nothing new, nothing twice
    const third = new PerformanceStorage({ dir, ...quiet });
    expect(await third.checkpoint()).toMatchObject({ records: 300 });
    await third.shutdown();
    await source.poll(true);
    expect(ofS0()).toEqual(['a1', 'j1', 'a2']);

    appendFileSync(log, `${JSON.stringify(record('a3', 's0', 3))}\n`);
    await source.poll(true);
    expect(ofS0()).toEqual(['a1', 'j1', 'a2', 'a3']);
    expect(model.ids.filter((id, i) => model.ids.indexOf(id) !== i)).toEqual([]);
    expect(model.ids).toHaveLength(303); // a1, a2, a3, j1 and the 299 other journaled records
  });
});
