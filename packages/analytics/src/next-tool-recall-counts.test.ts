import { CallHistory } from './call-history';
import { RECALL_WINDOW, RecallCounts } from './next-tool-recall-counts';

/** Counts each call of `tools` (tool indices) after the ones before it, as the tracker does. */
function countSession(counts: RecallCounts, tools: number[], history = new CallHistory(32)): void {
  history.clear();
  for (const t of tools) {
    counts.count(history, t, 1);
    history.push(t, true, false, 0, 1);
  }
}

describe('RecallCounts', () => {
  test('splits what follows a call by whether the next tool was among the recent calls', () => {
    const counts = new RecallCounts(10);
    // after 1: 2 when 2 was recent (3 of the 4 times 2 was recent), 3 when it was not recent
    for (let i = 0; i < 3; i++) countSession(counts, [2, 1, 2]);
    countSession(counts, [2, 1, 4]);
    for (let i = 0; i < 6; i++) countSession(counts, [1, 3]);
    // 10 calls after 1; 4 of them with 2 recent, 3 of those were 2
    expect(counts.logShare(1, 2, true)).toBeCloseTo(Math.log(3.5 / 5), 5);
    // 6 calls after 1 with 2 not recent, none were 2
    expect(counts.logShare(1, 2, false)).toBeCloseTo(Math.log(0.5 / 7), 5);
    // 3 was never recent after 1: 6 of the 10 calls were 3
    expect(counts.logShare(1, 3, false)).toBeCloseTo(Math.log(6.5 / 11), 5);
    expect(counts.logShare(1, 3, true)).toBeCloseTo(Math.log(0.5 / 1), 5);
    // unknown last call, or one nothing followed: no information
    expect(counts.logShare(3, 1, false)).toBe(0);
    expect(counts.logShare(-1, 1, false)).toBe(0);
    expect(counts.logShare(99, 1, false)).toBe(0);
    counts.clear();
    expect(counts.logShare(1, 2, true)).toBe(0);
  });

  test(`only the last ${RECALL_WINDOW} calls count as recent`, () => {
    const counts = new RecallCounts(10);
    const filler = Array.from({ length: RECALL_WINDOW }, () => 5);
    // 2, then RECALL_WINDOW calls of 5, then 1 → 2: 2 is just out of the window
    countSession(counts, [2, ...filler, 1, 2]);
    expect(counts.logShare(1, 2, false)).toBeCloseTo(Math.log(1.5 / 2), 5);
    expect(counts.logShare(1, 2, true)).toBeCloseTo(Math.log(0.5 / 1), 5);
  });

  test("'followedLast' marks the tools that followed an earlier call of the last call's tool", () => {
    const counts = new RecallCounts(10, 'followedLast');
    // after 1: 2 had followed 1 earlier in [1, 2, 5, 1] → 2 (3 times); [1, 3, 5, 1] → 4 once
    for (let i = 0; i < 3; i++) countSession(counts, [1, 2, 5, 1, 2]);
    countSession(counts, [1, 3, 5, 1, 4]);
    // calls after 1 with 2 marked (2 had followed 1 before): the three second calls after 1, all 2
    expect(counts.logShare(1, 2, true)).toBeCloseTo(Math.log(3.5 / 4), 5);
    // 3 followed 1 before in the last session, and 4 came instead
    expect(counts.logShare(1, 3, true)).toBeCloseTo(Math.log(0.5 / 2), 5);
    // of the 8 calls after 1, 5 had 2 unmarked, and 3 of those were 2 (each session's first call after 1)
    expect(counts.logShare(1, 2, false)).toBeCloseTo(Math.log(3.5 / 6), 5);
    // 5 follows 2 and 3, never a repeated tool: the window a call after 5 sees marks nothing
    expect(counts.logShare(5, 1, false)).toBeCloseTo(Math.log(4.5 / 5), 5);
    // a tool repeated back to back followed itself: 1, 1 then 1 marks 1
    const repeats = new RecallCounts(10, 'followedLast');
    countSession(repeats, [1, 1, 1]);
    expect(repeats.logShare(1, 1, true)).toBeCloseTo(Math.log(1.5 / 2), 5);
    expect(repeats.logShare(1, 1, false)).toBeCloseTo(Math.log(1.5 / 2), 5);
  });

  test('stays bounded over millions of calls with more pairs than it holds, and says how many it dropped', () => {
    const maxTools = 100_000;
    const counts = new RecallCounts(maxTools);
    const history = new CallHistory(32);
    // two tools the random calls below never use
    countSession(counts, [99_998, 99_999, 99_998, 99_999], history);
    let seed = 1;
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 2_000_000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const t = seed % 99_990;
      counts.count(history, t, 1);
      history.push(t, true, false, 0, 1);
    }
    (globalThis as { gc?: () => void }).gc?.();
    const grown = process.memoryUsage().heapUsed - before;
    console.log(
      `RecallCounts after 2,000,000 calls over 100,000 tools: heap +${(grown / 2 ** 20).toFixed(1)} MiB, dropped ${counts.dropped}`,
    );
    expect(counts.dropped).toBeGreaterThan(0);
    // the table is at most 65,536 slots of 4 doubles, plus the per-tool arrays
    expect(grown).toBeLessThan(16 * 2 ** 20);
    // pairs counted before it filled keep their counts
    expect(counts.logShare(99_998, 99_999, true)).toBeCloseTo(Math.log(1.5 / 2), 5);
    expect(counts.logShare(99_998, 99_999, false)).toBeCloseTo(Math.log(1.5 / 2), 5);
  });
});
