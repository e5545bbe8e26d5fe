import { CallHistory } from './call-history';
import { LOG_LINEAR_WINDOW, LogLinearNextTool } from './next-tool-log-linear';

/** Queues each call of `tools` (tool indices) after the ones before it, as the tracker does. */
function enqueueSession(model: LogLinearNextTool, tools: number[], weight = 1, history = new CallHistory(32)): void {
  history.clear();
  tools.forEach((t, position) => {
    model.enqueue(history, position, t, weight);
    history.push(t, true, false, 0, 1);
  });
}

/** Tool indices by score after `tools` (the whole sequence), best first. */
function ranking(model: LogLinearNextTool, tools: number[], candidates: number[]): number[] {
  model.prepare(Int32Array.from(tools), tools.length, tools.length);
  return [...candidates].sort((a, b) => model.score(b) - model.score(a));
}

const byFrequency = (maxTools: number): Int32Array => Int32Array.from({ length: maxTools }, (_, t) => t);

describe('LogLinearNextTool', () => {
  test('learns what the tool three calls back says, whatever lies between', () => {
    const model = new LogLinearNextTool(10);
    // 1 ? ? → 3 and 2 ? ? → 4, the two calls between drawn from 5..8: no context of one or two calls tells them apart
    let seed = 7;
    const filler = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return 5 + (seed % 4);
    };
    for (let i = 0; i < 400; i++) {
      const first = i % 2 === 0 ? 1 : 2;
      enqueueSession(model, [0, first, filler(), filler(), first === 1 ? 3 : 4]);
    }
    expect(model.pending).toBe(2000);
    model.learnPending(byFrequency(10), 10);
    expect(model.pending).toBe(0);
    expect(model.learnt).toBe(2000);
    expect(ranking(model, [0, 1, 6, 5], [3, 4])).toEqual([3, 4]);
    expect(ranking(model, [0, 2, 6, 5], [3, 4])).toEqual([4, 3]);
  });

  test('learns from a tool used a while ago in the window', () => {
    const model = new LogLinearNextTool(10);
    // 9 comes back after 0 only in sessions that used 9 earlier (within the window)
    for (let i = 0; i < 300; i++) {
      enqueueSession(model, [9, 1, 2, 1, 2, 0, 9]);
      enqueueSession(model, [3, 1, 2, 1, 2, 0, 4]);
    }
    model.learnPending(byFrequency(10), 10);
    expect(ranking(model, [9, 1, 2, 1, 2, 0], [9, 4])).toEqual([9, 4]);
    expect(ranking(model, [3, 1, 2, 1, 2, 0], [9, 4])).toEqual([4, 9]);
  });

  test('weighs each call by its sample weight', () => {
    const model = new LogLinearNextTool(10);
    // after 1: 2 in 50 calls of weight 1, 3 in 50 calls of weight 0.001
    for (let i = 0; i < 50; i++) {
      enqueueSession(model, [1, 2], 1);
      enqueueSession(model, [1, 3], 0.001);
    }
    model.learnPending(byFrequency(10), 10);
    expect(ranking(model, [1], [2, 3])).toEqual([2, 3]);
  });

  test('scores a tool it has never seen 0, and an empty sequence by what comes first', () => {
    const model = new LogLinearNextTool(10);
    for (let i = 0; i < 200; i++) enqueueSession(model, [5, 6]);
    model.learnPending(byFrequency(10), 10);
    model.prepare(new Int32Array(0), 0, 0);
    expect(model.score(5)).toBeGreaterThan(model.score(6));
    expect(model.score(12)).toBe(0);
    // a sequence of tools it has never seen (indices past maxTools) still gets a finite score
    model.prepare(Int32Array.from([10, 11, 12]), 3, 3);
    expect(Number.isFinite(model.score(5))).toBe(true);
  });

  test(`reads only the last ${LOG_LINEAR_WINDOW} calls`, () => {
    const model = new LogLinearNextTool(10);
    for (let i = 0; i < 200; i++) enqueueSession(model, [1, 2, 3]);
    model.learnPending(byFrequency(10), 10);
    const long = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 1 : 2));
    model.prepare(Int32Array.from(long), long.length, long.length);
    const fromLong = model.score(3);
    const tail = long.slice(-LOG_LINEAR_WINDOW);
    // the same last calls at the same position: the same score
    model.prepare(Int32Array.from(tail), tail.length, long.length);
    expect(model.score(3)).toBe(fromLong);
  });

  test('keeps at most 65,536 calls waiting over millions of calls, drops the oldest and counts them; clear forgets', () => {
    const maxTools = 1_000;
    const model = new LogLinearNextTool(maxTools);
    const history = new CallHistory(32);
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage();
    let seed = 1;
    for (let i = 0; i < 3_000_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const t = seed % maxTools;
      model.enqueue(history, i, t, 1);
      history.push(t, true, false, 0, 1);
    }
    (globalThis as { gc?: () => void }).gc?.();
    const after = process.memoryUsage();
    const grown = after.heapUsed - before.heapUsed;
    const buffers = after.arrayBuffers - before.arrayBuffers;
    console.log(
      `LogLinearNextTool after 3,000,000 calls and no prediction: heap +${(grown / 2 ** 20).toFixed(1)} MiB, typed arrays +${(buffers / 2 ** 20).toFixed(1)} MiB, waiting ${model.pending}, dropped ${model.unlearned}`,
    );
    expect(model.pending).toBe(65_536);
    expect(model.unlearned).toBe(3_000_000 - 65_536);
    // the pending ring: 65,536 rows of 19 uint16 (2.4 MiB), plus the smaller rings it grew from
    // when no GC ran (another 2.4 MiB at most); the fixed tables were allocated before
    expect(buffers).toBeLessThan(5 * 2 ** 20);
    expect(grown).toBeLessThan(16 * 2 ** 20);
    // one call learns a bounded amount of work; the backlog drains over the next ones
    const started = performance.now();
    model.learnPending(byFrequency(maxTools), maxTools);
    const tookMs = performance.now() - started;
    console.log(`one learnPending: ${model.learnt} calls in ${tookMs.toFixed(1)} ms`);
    expect(model.learnt).toBeGreaterThan(0);
    expect(model.learnt).toBeLessThan(65_536);
    expect(model.pending).toBe(65_536 - model.learnt);
    while (model.pending > 0) model.learnPending(byFrequency(maxTools), maxTools);
    expect(model.learnt).toBe(65_536);
    model.clear();
    expect(model.pending).toBe(0);
    expect(model.unlearned).toBe(0);
    model.prepare(Int32Array.from([1, 2]), 2, 2);
    expect(model.score(3)).toBe(0);
  });
});
