import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Diagnostics } from '@perftrack/core/internal';
import { AnalyticsEngine, PerformanceStorage, type SnapshotBatch, type ToolExecutionMetrics } from '@perftrack/integration';
import { AnalyticsPass, type AnalyticsPassOptions } from './analytics-pass';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-pass-'));
  dirs.push(dir);
  return dir;
}

function record(i: number, sessionId: string): ToolExecutionMetrics {
  return {
    id: `r${i}`,
    toolId: ['read', 'grep', 'edit'][i % 3] as string,
    sessionId,
    startTime: 1_700_000_000_000 + i,
    endTime: 1_700_000_000_003 + i,
    duration: 3,
    success: i % 5 !== 0,
    sampleWeight: 1,
  };
}

/** A pass over `sessions` active sessions (3 calls each) on a real store, with the parts exposed. */
function setUp(sessions: number, options: AnalyticsPassOptions & { dir?: string; patternsOf?: (id: string) => unknown } = {}) {
  const warnings: string[] = [];
  const errors: unknown[] = [];
  const storage = new PerformanceStorage({ dir: options.dir ?? tempDir(), onWarning: () => {} });
  const analytics = new AnalyticsEngine({ maxSessions: sessions, patterns: {} });
  const dirty = new Set<string>();
  for (let s = 0; s < sessions; s++) {
    for (let k = 0; k < 3; k++) analytics.onMetric(record(s * 3 + k, `ses_${s}`));
    dirty.add(`ses_${s}`);
  }
  const diagnostics = new Diagnostics<'analytics' | 'report'>({ onWarning: (w) => warnings.push(w), onError: (e) => errors.push(e) });
  const patternsOf =
    options.patternsOf ?? ((id: string) => ({ sessionId: id, sequences: analytics.patterns!.getMostCommonPatterns(5, { sessionId: id }) }));
  const pass = new AnalyticsPass(
    {
      enabled: true,
      saveReports: true,
      whenReady: () => Promise.resolve(),
      storage,
      analytics,
      patterns: analytics.patterns,
      dirty,
      diagnostics,
      patternsOf,
    },
    options,
  );
  return { pass, storage, analytics, dirty, warnings, errors };
}

/** Counts event-loop turns (a setImmediate chain) until stopped. */
function turnCounter(): { readonly turns: number; stop(): void } {
  const state = { turns: 0, stopped: false };
  const tick = (): void => {
    state.turns++;
    if (!state.stopped) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get turns() {
      return state.turns;
    },
    stop: () => void (state.stopped = true),
  };
}

describe('the analytics pass', () => {
  test('saves every active session through one snapshot batch, committed once; readable by the ordinary readers', async () => {
    const { pass, storage, dirty } = setUp(40);
    const calls = { writes: 0, commits: 0 };
    const real = storage.snapshotBatch.bind(storage);
    storage.snapshotBatch = (): SnapshotBatch => {
      const batch = real();
      return {
        write: (kind, id, value) => {
          calls.writes++;
          return batch.write(kind, id, value);
        },
        commit: () => {
          calls.commits++;
          return batch.commit();
        },
      };
    };
    await pass.run();
    expect(calls).toEqual({ writes: 80, commits: 1 });
    expect(pass).toMatchObject({ passes: 1, reportsSaved: 40, reportsNotSaved: 0 });
    expect(dirty.size).toBe(0);
    expect(await storage.loadAnalytics('ses_17')).toMatchObject({ sessionId: 'ses_17' });
    expect(await storage.loadPatterns('ses_17')).toMatchObject({ sessionId: 'ses_17' });
  });

  test('yields to the event loop every sliceMs of work (clock injected: 3 ms a reading, 10 ms slices)', async () => {
    let clock = 0;
    const turnOfSession: number[] = [];
    const counter = turnCounter();
    const { pass, analytics } = setUp(60, {
      now: () => (clock += 3),
      sliceMs: 10,
      patternsOf: (id) => {
        turnOfSession.push(counter.turns);
        return { id, calls: analytics.sessionReport(id).analytics.totalCalls };
      },
    });
    await pass.run();
    counter.stop();
    const perTurn = new Map<number, number>();
    for (const turn of turnOfSession) perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
    expect(turnOfSession).toHaveLength(60);
    // one reading per session: 10 ms slices hold at most 4 sessions before the pass yields
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(4);
    expect(perTurn.size).toBeGreaterThanOrEqual(15);
  });

  test('final(): stops saving once its budget is spent, counts what is left and warns once', async () => {
    let clock = 0;
    const { pass, dirty, warnings } = setUp(50, { now: () => (clock += 100) });
    await pass.final(1000);
    expect(pass.reportsSaved).toBeGreaterThan(0);
    expect(pass.reportsSaved).toBeLessThan(10);
    expect(pass.reportsSaved + pass.reportsNotSaved).toBe(50);
    expect(dirty.size).toBe(0);
    expect(warnings).toEqual([
      expect.stringContaining(`${pass.reportsNotSaved} session reports were not saved: the last analytics pass stops saving after 1000 ms`),
    ]);
    expect(warnings[0]).toContain('stats().reportsNotSaved');
  });

  test('final() holds a pass already under way to the budget (real clock, slow reports)', async () => {
    const slow = (ms: number): void => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const { pass } = setUp(400, { patternsOf: (id) => (slow(5), { id }) }); // about 2 s of work
    const running = pass.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const t0 = performance.now();
    await pass.final(200);
    await running;
    // generous: the budget, one slice and the commit, on a loaded machine
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(pass.reportsNotSaved).toBeGreaterThan(100);
    expect(pass.reportsSaved + pass.reportsNotSaved).toBe(400);
  });

  test('the event loop keeps turning during a pass over a real store (generous real-timer bound)', async () => {
    const dir = tempDir();
    const { pass } = setUp(600, { dir });
    let last = performance.now();
    let maxGap = 0;
    const watch = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 1);
    await pass.run();
    clearInterval(watch);
    expect(pass.reportsSaved).toBe(600);
    expect(maxGap).toBeLessThan(250); // slices are 10 ms; the bound allows for a loaded machine
    expect(readdirSync(join(dir, 'analytics')).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  test('a session whose report cannot be saved is reported; the others are saved', async () => {
    const { pass, errors, storage } = setUp(5, { patternsOf: (id) => (id === 'ses_2' ? { bad: 1n } : { id }) });
    await pass.run();
    expect(pass.reportsSaved).toBe(4);
    expect(errors).toHaveLength(1);
    expect(await storage.loadPatterns('ses_3')).toEqual({ id: 'ses_3' });
  });
});
