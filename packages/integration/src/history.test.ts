import { appendFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AnalyticsEngine,
  HistoryAggregator,
  InMemoryStorage,
  PerformanceStorage,
  openHistory,
  type HistoryQuery,
  type ToolExecutionMetrics,
} from '@perftrack/integration';

const HOSTILE = '../../etc\u0000x';

function rec(
  id: string,
  sessionId: string,
  toolId: string,
  startTime: number,
  duration: number,
  extra: Partial<ToolExecutionMetrics> = {},
): ToolExecutionMetrics {
  return { id, sessionId, toolId, startTime, endTime: startTime + duration, duration, success: true, sampleWeight: 1, ...extra };
}

/** Two sessions, with a sampled failure (weight 2), an untimed kept failure (weight 4), records stored out of start order and hostile tool names. */
const S1 = [
  rec('r1', 's1', 'read', 100, 10),
  rec('r2', 's1', '__proto__', 120, 5, { success: false, errorType: 'ENOENT', error: 'no such file', sampleWeight: 2 }),
  rec('r3', 's1', 'read', 115, 3), // stored after r2, started before it
  rec('r4', 's1', 'read', 130, 0, { untimed: true, success: false, sampleWeight: 4 }),
];
const S2 = [
  rec('r5', 's2', HOSTILE, 200, 1),
  rec('r6', 's2', 'read', 210, 20, { success: false, errorType: 'ENOENT' }),
  rec('r7', 's2', 'read', 240, 1),
];

async function store(): Promise<InMemoryStorage> {
  const adapter = new InMemoryStorage();
  await adapter.appendMetrics('s1', S1);
  await new Promise((r) => setTimeout(r, 5)); // s2 is the more recently written session
  await adapter.appendMetrics('s2', S2);
  return adapter;
}

describe('openHistory', () => {
  it('takes exactly one of dir, storage or adapter', () => {
    expect(() => openHistory(undefined as never)).toThrow(/expected \{ dir \}, \{ storage \} or \{ adapter \}/);
    expect(() => openHistory({} as never)).toThrow(/exactly one of dir, storage or adapter \(got none\)/);
    expect(() => openHistory({ dir: '/tmp/x', adapter: new InMemoryStorage() } as never)).toThrow(/got dir, adapter/);
    expect(() => openHistory({ storage: {} as never })).toThrow(/storage must be a PerformanceStorage/);
    expect(() => openHistory({ dir: '' })).toThrow(/dir must be a non-empty string/);
  });

  it('streams records session by session with the selection applied, counting corrupt lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perftrack-history-'));
    try {
      const writer = new PerformanceStorage({ dir });
      await writer.saveMetrics('s1', S1);
      await writer.saveMetrics('s2', S2);
      await writer.shutdown();
      const logs = (await readdir(join(dir, 'metrics'))).map((f) => join(dir, 'metrics', f));
      const s2Log = (await Promise.all(logs.map(async (f) => ((await readFile(f, 'utf8')).includes('"r5"') ? f : undefined)))).find(
        (f) => f !== undefined,
      );
      await appendFile(s2Log!, '{"id":"torn'); // a torn last line in s2's log
      const history = openHistory({ dir });
      const seen: string[] = [];
      const all = await history.replay((m) => seen.push(`${m.sessionId}/${m.id}`));
      expect(all).toEqual({ sessions: 2, records: 7, corruptLines: 1 });
      expect(seen).toEqual(['s1/r1', 's1/r2', 's1/r3', 's1/r4', 's2/r5', 's2/r6', 's2/r7']);
      const some: string[] = [];
      expect(await history.replay((m) => some.push(m.id), { toolIds: ['read'], since: 115, until: 240 })).toEqual({
        sessions: 2,
        records: 3,
        corruptLines: 1,
      });
      expect(some).toEqual(['r3', 'r4', 'r6']);
      const newest: string[] = [];
      await history.replay((m) => newest.push(m.id), { maxSessions: 1 });
      expect(newest).toEqual(['r5', 'r6', 'r7']);
      await expect(history.replay(() => {}, { sessionIds: ['x'.repeat(300)] })).rejects.toThrow(/session id/);
      await expect(history.replay(() => {}, { since: Number.NaN })).rejects.toThrow(/since must be a finite number/);
      expect((await history.sessions()).map((s) => s.sessionId).sort()).toEqual(['s1', 's2']);
      await history.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('replays into a fresh engine exactly as ingesting the same records does', async () => {
    const history = openHistory({ adapter: await store() });
    const seen: string[] = [];
    const { engine, read } = await history.engine({}, { now: () => 1 }, (m) => seen.push(m.id));
    expect(read.records).toBe(7);
    expect(seen).toHaveLength(7);
    const direct = new AnalyticsEngine({ now: () => 1 });
    direct.ingest([...S1, ...S2]);
    expect(engine.analyze()).toEqual(direct.analyze());
    // replayInto leaves out what `skip` accepts (records the process feeds live)
    const live = new AnalyticsEngine();
    const partial = await history.replayInto(live, { sessionIds: ['s1'] }, { skip: (m) => m.id === 'r1' });
    expect(partial).toEqual({ sessions: 1, records: 3, corruptLines: 0 });
    expect(live.analyze('s1').summary.totalOperations).toBe(3);
  });

  it('finds child sessions through parentSessionId, nearest first, cutting cycles', async () => {
    const adapter = new InMemoryStorage();
    await adapter.appendMetrics('root', [rec('a', 'root', 'read', 1, 1)]);
    await adapter.appendMetrics('kid-b', [rec('b', 'kid-b', 'read', 2, 1, { parentSessionId: 'root' })]);
    await adapter.appendMetrics('kid-a', [rec('c', 'kid-a', 'read', 3, 1, { parentSessionId: 'root' })]);
    await adapter.appendMetrics('grandkid', [rec('d', 'grandkid', 'read', 4, 1, { parentSessionId: 'kid-b' })]);
    await adapter.appendMetrics('loop', [
      rec('e', 'loop', 'read', 5, 1, { parentSessionId: 'grandkid' }),
      rec('f', 'loop', 'read', 6, 1, { parentSessionId: 'loop' }),
    ]);
    await adapter.appendMetrics('root', [rec('g', 'root', 'read', 7, 1, { parentSessionId: 'loop' })]); // a cycle back to the root
    expect(await openHistory({ adapter }).childSessions('root')).toEqual([
      { sessionId: 'kid-a', parentSessionId: 'root' },
      { sessionId: 'kid-b', parentSessionId: 'root' },
      { sessionId: 'grandkid', parentSessionId: 'kid-b' },
      { sessionId: 'loop', parentSessionId: 'grandkid' },
    ]);
  });
});

describe('history aggregates by replay (no backend query)', () => {
  // computed by hand from S1 and S2 above
  const read = {
    toolId: 'read',
    records: 5,
    calls: 8, // 1 + 1 + 4 (untimed, weight 4) + 1 + 1
    failures: 5, // r4 (weight 4) + r6
    errorRate: 5 / 8,
    timedRecords: 4, // r4 is untimed
    totalDurationMs: 34, // 10 + 3 + 20 + 1
    meanDurationMs: 8.5,
    p50Ms: 3, // sorted 1, 3, 10, 20: rank ceil(0.5 × 4) = 2
    p95Ms: 20, // rank ceil(0.95 × 4) = 4
    p99Ms: 20,
    firstTime: 100,
    lastTime: 241,
    topErrors: [
      { errorType: 'ENOENT', count: 1 },
      { errorType: 'Error', count: 1 }, // r4 has no errorType
    ],
  };
  const proto = {
    toolId: '__proto__',
    records: 1,
    calls: 2,
    failures: 2,
    errorRate: 1,
    timedRecords: 1,
    totalDurationMs: 10,
    meanDurationMs: 5,
    p50Ms: 5,
    p95Ms: 5,
    p99Ms: 5,
    firstTime: 120,
    lastTime: 125,
    topErrors: [{ errorType: 'ENOENT', count: 1 }],
  };
  const hostile = {
    toolId: HOSTILE,
    records: 1,
    calls: 1,
    failures: 0,
    errorRate: 0,
    timedRecords: 1,
    totalDurationMs: 1,
    meanDurationMs: 1,
    p50Ms: 1,
    p95Ms: 1,
    p99Ms: 1,
    firstTime: 200,
    lastTime: 201,
    topErrors: [],
  };
  const sessions = [
    { sessionId: 's2', records: 3, calls: 3, failures: 1, tools: 2, firstTime: 200, lastTime: 241 },
    { sessionId: 's1', records: 4, calls: 8, failures: 6, tools: 2, firstTime: 100, lastTime: 130 },
  ];
  // in start order s1 runs read, read, __proto__, read; s2 runs HOSTILE, read, read
  const transitions = [
    { from: 'read', to: 'read', count: 2, failures: 0 },
    { from: HOSTILE, to: 'read', count: 1, failures: 1 },
    { from: '__proto__', to: 'read', count: 1, failures: 1 },
    { from: 'read', to: '__proto__', count: 1, failures: 1 },
  ];

  it('gives what a hand computation gives: weights, untimed records, nearest-rank percentiles, hostile names', async () => {
    const history = openHistory({ adapter: await store() });
    expect(history.queryable).toBe(false);
    const answer = await history.aggregates();
    expect(answer).toEqual({ tools: [read, proto, hostile], sessions, transitions, records: 7, computedBy: 'replay', corruptLines: 0 });
    expect(Object.getPrototypeOf(answer.tools[1])).toBe(Object.prototype);
    // the HistoryQuery methods give the same answers one by one
    expect(await history.aggregateTools()).toEqual([read, proto, hostile]);
    expect(await history.aggregateSessions(undefined, 1)).toEqual([sessions[0]]);
    expect(await history.aggregateTransitions(undefined, 2)).toEqual(transitions.slice(0, 2));
    expect(await history.countRecords()).toBe(7);
  });

  it('applies the filter before aggregating, transitions included', async () => {
    const history = openHistory({ adapter: await store() });
    expect(await history.aggregateTransitions({ toolIds: ['read'] })).toEqual([{ from: 'read', to: 'read', count: 3, failures: 1 }]);
    expect(await history.countRecords({ since: 115, until: 240 })).toBe(5);
    const s2 = await history.aggregates({ sessionIds: ['s2'] });
    expect(s2.sessions).toEqual([sessions[0]]);
    expect(s2.tools.map((t) => [t.toolId, t.records])).toEqual([
      ['read', 2],
      [HOSTILE, 1],
    ]);
    expect(await history.aggregateTools({ sessionIds: ['nobody'] })).toEqual([]);
  });

  it('keeps percentiles within 0.5% once a tool has more durations than it keeps exactly', () => {
    const aggregator = new HistoryAggregator({ maxExactDurations: 100 });
    for (let i = 1; i <= 10_000; i++) aggregator.add(rec(`r${i}`, 's', 'grep', i, i / 10));
    const [grep] = aggregator.result().tools;
    expect(grep!.timedRecords).toBe(10_000);
    for (const [value, exact] of [
      [grep!.p50Ms, 500],
      [grep!.p95Ms, 950],
      [grep!.p99Ms, 990],
    ] as const) {
      expect(Math.abs(value! - exact) / exact).toBeLessThan(0.006);
    }
    expect(() => new HistoryAggregator({ sessionsLimit: -1 })).toThrow(/sessionsLimit must be an integer >= 0/);
  });
});

describe('history aggregates from a backend that computes them', () => {
  it('asks the backend and reads no record, whether given the adapter or a storage over it', async () => {
    const adapter = (await store()) as InMemoryStorage & { query: HistoryQuery };
    const calls: string[] = [];
    adapter.query = {
      aggregateTools: async (f) => (calls.push(`tools ${JSON.stringify(f)}`), []),
      aggregateSessions: async (f, limit) => (calls.push(`sessions ${JSON.stringify(f)} ${limit}`), []),
      aggregateTransitions: async (f, limit) => (calls.push(`transitions ${JSON.stringify(f)} ${limit}`), []),
      countRecords: async () => (calls.push('count'), 42),
    };
    const readMetrics = jest.spyOn(adapter, 'readMetrics');
    for (const history of [openHistory({ adapter }), openHistory({ storage: new PerformanceStorage({ adapter }) })]) {
      expect(history.queryable).toBe(true);
      const answer = await history.aggregates({ sessionIds: ['s1'] }, { sessionsLimit: 3, transitionsLimit: 4 });
      expect(answer).toMatchObject({ computedBy: 'query', records: 42, corruptLines: 0 });
      expect(await history.countRecords()).toBe(42);
    }
    expect(calls.slice(0, 5)).toEqual([
      'tools {"sessionIds":["s1"]}',
      'sessions {"sessionIds":["s1"]} 3',
      'transitions {"sessionIds":["s1"]} 4',
      'count',
      'count',
    ]);
    expect(readMetrics).not.toHaveBeenCalled();
  });
});
