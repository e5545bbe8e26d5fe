import { MetricsCollector, FakeClock, createSeededRandom, trackPerformance } from '@perftrack/core';
import { UsagePatternTracker } from '@perftrack/analytics';
import type { SequencePattern } from '@perftrack/analytics';
import { RANKER_FEATURES } from './next-tool-ranker';
import { rec, sampleTraces, session } from './test-support/fixtures';

/** Ranker weights that are 0 but for the features given by index. */
const rankerWeightsWith = (weights: Record<number, number>): number[] => Array.from({ length: RANKER_FEATURES }, (_, f) => weights[f] ?? 0);

const byKey = (patterns: SequencePattern[]): Record<string, number> =>
  Object.fromEntries(patterns.map((p) => [p.sequence.join(' '), p.count]));
const feed = (t: UsagePatternTracker, records: Parameters<UsagePatternTracker['onMetric']>[0][]): void => {
  for (const r of records) t.onMetric(r);
};

describe('UsagePatternTracker sequence counting', () => {
  test('counts every contiguous window of length 2..N exactly once, including overlapping ones', () => {
    const t = new UsagePatternTracker();
    feed(t, session('s1', 'a b c a b'));
    expect(byKey(t.getMostCommonPatterns(100))).toEqual({
      'a b': 2,
      'b c': 1,
      'c a': 1,
      'a b c': 1,
      'b c a': 1,
      'c a b': 1,
      'a b c a': 1,
      'b c a b': 1,
      'a b c a b': 1,
    });
    const repeated = new UsagePatternTracker({ maxSequenceLength: 4 });
    feed(repeated, session('s', 'x x x x x'));
    expect(byKey(repeated.getMostCommonPatterns(100))).toEqual({ 'x x': 4, 'x x x': 3, 'x x x x': 2 });
  });

  test('a one-call session has no sequence, and sequences never span two sessions', () => {
    const t = new UsagePatternTracker();
    feed(t, session('one', 'read'));
    expect(t.getMostCommonPatterns(10)).toEqual([]);
    feed(t, session('two', 'grep'));
    expect(t.getMostCommonPatterns(10)).toEqual([]);
    expect(t.stats().records).toBe(2);
  });

  test('interleaved sessions are counted as if each ran alone', () => {
    const a = session('A', 'read grep edit bash');
    const b = session('B', 'glob read edit');
    const interleaved = new UsagePatternTracker();
    for (let i = 0; i < 4; i++) {
      if (a[i]) interleaved.onMetric(a[i]!);
      if (b[i]) interleaved.onMetric(b[i]!);
    }
    const separate = new UsagePatternTracker();
    feed(separate, a);
    feed(separate, b);
    expect(interleaved.getMostCommonPatterns(100)).toEqual(separate.getMostCommonPatterns(100));
    expect(byKey(interleaved.getMostCommonPatterns(100))['read edit']).toBe(1);
    expect(interleaved.getMostCommonPatterns(1)[0]!.sessions).toBe(1);
  });

  test('counts the sessions of a sequence once each, even when sessions interleave and calls wait for ordering', () => {
    const t = new UsagePatternTracker();
    const a = session('A', 'x y x y x y x y x y x y x y x y x y x y');
    const b = session('B', 'x y x y x y x y x y x y x y x y x y x y');
    feed(t, a.slice(0, 10));
    feed(t, b.slice(0, 10));
    feed(t, a.slice(10));
    feed(t, b.slice(10));
    expect(t.getMostCommonPatterns(1)[0]).toMatchObject({ sequence: ['x', 'y'], count: 20, sessions: 2 });
  });

  test('concurrent calls are ordered by start time, deterministically whatever the arrival order', () => {
    // read starts at 0 and ends last; grep and glob start together at 5 (tie broken by tool id)
    const read = rec('read', 's', 0, { duration: 50 });
    const grep = rec('grep', 's', 5, { duration: 1 });
    const glob = rec('glob', 's', 5, { duration: 2 });
    const edit = rec('edit', 's', 60, { duration: 1 });
    const expected = { 'read glob': 1, 'glob grep': 1, 'grep edit': 1, 'read glob grep': 1, 'glob grep edit': 1, 'read glob grep edit': 1 };
    for (const order of [
      [grep, glob, read, edit],
      [edit, read, grep, glob],
      [glob, grep, edit, read],
    ]) {
      const t = new UsagePatternTracker();
      feed(t, order);
      expect(byKey(t.getMostCommonPatterns(100))).toEqual(expected);
      expect(t.stats().lateRecords).toBe(0);
    }
  });

  test('a call arriving after its window was counted is counted in arrival order and reported as late', () => {
    const t = new UsagePatternTracker({ reorderWindow: 0 });
    feed(t, [rec('b', 's', 10), rec('c', 's', 20), rec('a', 's', 0)]);
    expect(byKey(t.getMostCommonPatterns(100))).toEqual({ 'b c': 1, 'c a': 1, 'b c a': 1 });
    expect(t.stats().lateRecords).toBe(1);
  });

  test('sampled records weigh each occurrence by the product of its calls’ sample weights', () => {
    const t = new UsagePatternTracker();
    feed(
      t,
      session('s', 'read grep edit', (i) => ({ sampleWeight: i === 1 ? 4 : 1 })),
    );
    const patterns = t.getMostCommonPatterns(10);
    expect(byKey(patterns)).toEqual({ 'read grep': 4, 'grep edit': 4, 'read grep edit': 4 });
    expect(patterns.every((p) => p.occurrences === 1)).toBe(true);
  });

  test('reports sessions seen, mean total duration of timed occurrences and success rate', () => {
    const t = new UsagePatternTracker();
    feed(
      t,
      session('s1', 'read edit', (i) => ({ duration: i === 0 ? 10 : 30 })),
    );
    feed(
      t,
      session('s2', 'read edit', (i) => ({ duration: 20, success: i === 0 })),
    );
    // a read whose failure was kept untimed: the occurrence counts, its duration does not
    feed(
      t,
      session('s3', 'read edit', (i) => (i === 0 ? { untimed: true, duration: 0, success: false } : {})),
    );
    const [p] = t.getMostCommonPatterns(1);
    expect(p).toEqual({ sequence: ['read', 'edit'], count: 3, occurrences: 3, sessions: 3, avgDuration: 40, successRate: 1 / 3 });
  });

  test('per-session views list only that session’s sequences', () => {
    const t = new UsagePatternTracker();
    feed(t, session('s1', 'read grep read grep'));
    feed(t, session('s2', 'bash bash'));
    expect(byKey(t.getMostCommonPatterns(10, { sessionId: 's1', maxLength: 2 }))).toEqual({ 'read grep': 2, 'grep read': 1 });
    expect(byKey(t.getMostCommonPatterns(10, { sessionId: 's2' }))).toEqual({ 'bash bash': 1 });
    expect(t.getMostCommonPatterns(10, { sessionId: 'nope' })).toEqual([]);
    expect(byKey(t.getMostCommonPatterns(10, { minLength: 3, maxLength: 3 }))).toEqual({ 'read grep read': 1, 'grep read grep': 1 });
  });

  test('maximalOnly leaves out a sequence a longer one containing it explains (same count)', () => {
    const t = new UsagePatternTracker();
    for (let i = 0; i < 5; i++) feed(t, session(`s${i}`, 'read grep edit bash'));
    feed(t, session('x', 'grep read'));
    const all = byKey(t.getMostCommonPatterns(100));
    expect(all['read grep']).toBe(5);
    expect(byKey(t.getMostCommonPatterns(100, { maximalOnly: true }))).toEqual({ 'read grep edit bash': 5, 'grep read': 1 });
  });

  test('the same record delivered twice in a row (engine and collector both feeding it) is counted once', () => {
    const t = new UsagePatternTracker();
    for (const r of session('s', 'a b c')) {
      t.onMetric(r);
      t.onMetric(r);
    }
    expect(byKey(t.getMostCommonPatterns(10))).toEqual({ 'a b': 1, 'b c': 1, 'a b c': 1 });
    expect(t.stats().duplicates).toBe(3);
  });

  test('malformed records are counted, never thrown', () => {
    const t = new UsagePatternTracker();
    expect(() => t.onMetric(null as never)).not.toThrow();
    expect(() => t.onMetric({ toolId: 3, sessionId: 's' } as never)).not.toThrow();
    expect(t.stats().invalid).toBe(2);
  });
});

describe('UsagePatternTracker predictions', () => {
  function trained(): UsagePatternTracker {
    const t = new UsagePatternTracker({ maxSequenceLength: 3, prediction: { sessionAdaptation: false } });
    for (let i = 0; i < 10; i++) feed(t, session(`a${i}`, 'read grep edit'));
    for (let i = 0; i < 10; i++) feed(t, session(`b${i}`, 'bash grep bash'));
    feed(t, session('c', 'read grep bash'));
    return t;
  }

  test('uses the longest matching context: after read→grep comes edit, after bash→grep comes bash', () => {
    const t = trained();
    const afterRead = t.predictNextTools(['read', 'grep'], 3);
    expect(afterRead[0]).toMatchObject({ toolId: 'edit', order: 2, support: 10 });
    expect(afterRead[0]!.probability).toBeGreaterThan(0.7);
    const afterBash = t.predictNextTools(['bash', 'grep'], 3);
    expect(afterBash[0]).toMatchObject({ toolId: 'bash', order: 2, support: 10 });
  });

  test('backs off to shorter contexts and then to overall frequency', () => {
    const t = trained();
    // "edit grep" was never seen: falls back to what follows grep (edit 10, bash 11)
    const p = t.predictNextTools(['edit', 'grep'], 2);
    expect(p.map((x) => x.toolId).sort()).toEqual(['bash', 'edit']);
    expect(p.every((x) => x.order === 1)).toBe(true);
    // an unknown last tool: overall frequency (grep 21, bash 21, read 11, edit 10)
    const unknown = t.predictNextTools(['never-seen'], 4);
    expect(unknown.map((x) => x.order)).toEqual([0, 0, 0, 0]);
    expect(
      unknown
        .map((x) => x.toolId)
        .slice(0, 2)
        .sort(),
    ).toEqual(['bash', 'grep']);
    expect(t.predictNextTools([], 1)[0]!.order).toBe(0);
  });

  test('accepts any length: sequences longer than N use their last N-1 calls', () => {
    const t = trained();
    const long = t.predictNextTools(['edit', 'bash', 'bash', 'x', 'read', 'grep'], 1);
    expect(long[0]!.toolId).toBe('edit');
  });

  test('probabilities are positive, sorted, sum to at most 1, and limit is honoured', () => {
    const t = new UsagePatternTracker();
    for (const s of sampleTraces()) feed(t, s.records);
    for (const seq of [[], ['cat'], ['str_replace_editor', 'execute_bash'], ['ls', 'cat', 'grep', 'sed', 'python', 'cat'], ['zzz']]) {
      const all = t.predictNextTools(seq, 500);
      const sum = all.reduce((s, p) => s + p.probability, 0);
      expect(sum).toBeLessThanOrEqual(1 + 1e-9);
      expect(sum).toBeGreaterThan(0.99);
      expect(all.every((p, i) => p.probability > 0 && (i === 0 || all[i - 1]!.probability >= p.probability))).toBe(true);
      expect(t.predictNextTools(seq, 3)).toEqual(all.slice(0, 3));
    }
    expect(t.predictNextTools(['cat'], 0)).toEqual([]);
    expect(new UsagePatternTracker().predictNextTools(['a'], 3)).toEqual([]);
  });

  test("the ranker's log-linear model learns the calls taken when a prediction is asked, and counts the ones it never learnt", () => {
    const t = new UsagePatternTracker();
    // 70,000 calls and no prediction: 65,536 wait, the oldest 4,464 are never learnt
    for (let i = 0; i < 70_000; i++) t.onMetric(rec(i % 3 === 2 ? 'edit' : i % 3 === 1 ? 'grep' : 'read', `s${Math.floor(i / 30)}`, i));
    t.settle(); // the calls each session's reorder window still holds
    expect(t.stats().records).toBe(70_000);
    expect(t.stats().unlearnedCalls).toBe(4_464);
    expect(t.stats().learningBacklog).toBe(65_536);
    // each prediction learns a bounded amount: a bounded pause, the backlog drains over the next ones
    expect(t.predictNextTools(['read', 'grep'], 1)[0]!.toolId).toBe('edit');
    expect(t.stats().learningBacklog).toBeLessThan(65_536);
    expect(t.stats().learningBacklog).toBeGreaterThan(0);
    while (t.stats().learningBacklog > 0) t.predictNextTools(['read'], 1);
    // learnt now; more calls, each learnt at the next prediction
    for (let i = 0; i < 300; i++) t.onMetric(rec(i % 2 === 0 ? 'read' : 'bash', 'late', 70_000 + i));
    expect(t.predictNextTools(['read', 'bash', 'read'], 1)[0]!.toolId).toBe('bash');
    expect(t.stats().learningBacklog).toBe(0);
    expect(t.stats().unlearnedCalls).toBe(4_464);
    t.reset();
    expect(t.stats().unlearnedCalls).toBe(0);
  });

  test('probabilities sum to at most 1 with fractional sample weights, and a lightly weighted tool ranks by its weight', () => {
    const t = new UsagePatternTracker();
    // after x: b in 50 calls of weight 1, c in 50 calls of weight 0.001 (counts below the discount)
    for (let i = 0; i < 50; i++) {
      feed(t, session(`b${i}`, 'x b'));
      feed(
        t,
        session(`c${i}`, 'x c', () => ({ sampleWeight: 0.001 })),
      );
    }
    for (const seq of [['x'], ['b'], ['x', 'c'], [], ['unknown']]) {
      const all = t.predictNextTools(seq, 10);
      expect(all.reduce((sum, p) => sum + p.probability, 0)).toBeLessThanOrEqual(1 + 1e-9);
    }
    const afterX = t.predictNextTools(['x'], 3).map((p) => p.toolId);
    expect(afterX[0]).toBe('b');
    expect(afterX.indexOf('c')).toBeGreaterThan(afterX.indexOf('x'));
  });

  test('equally likely tools come in name order, and a smaller limit gives a prefix, with and without the ranker', () => {
    for (const rankerWeights of [undefined, null]) {
      const t = new UsagePatternTracker({ prediction: { sessionAdaptation: false, rankerWeights } });
      // after "a": d, b, c, e equally often (fed in that order), "z" less often
      for (let i = 0; i < 5; i++) for (const next of ['d', 'b', 'c', 'e']) feed(t, session(`${next}${i}`, `a ${next}`));
      feed(t, session('z', 'a z'));
      const all = t.predictNextTools(['a'], 10);
      const afterA = all.filter((p) => p.order === 1).map((p) => p.toolId);
      if (rankerWeights === null) expect(afterA).toEqual(['b', 'c', 'd', 'e', 'z']);
      else {
        // the ranker's log-linear model learns in arrival order, so it may part equal counts; never past z
        expect(afterA.slice(0, 4).sort()).toEqual(['b', 'c', 'd', 'e']);
        expect(afterA[4]).toBe('z');
      }
      for (let limit = 0; limit <= all.length; limit++) expect(t.predictNextTools(['a'], limit)).toEqual(all.slice(0, limit));
    }
  });

  test('a failed call is its own context when outcomes are given', () => {
    const t = new UsagePatternTracker({ prediction: { sessionAdaptation: false } });
    for (let i = 0; i < 10; i++)
      feed(
        t,
        session(`ok${i}`, 'edit test', () => ({})),
      );
    for (let i = 0; i < 10; i++)
      feed(
        t,
        session(`ko${i}`, 'edit edit', (j) => ({ success: j !== 0 })),
      );
    expect(t.predictNextTools([{ toolId: 'edit', success: true }], 1)[0]!.toolId).toBe('test');
    expect(t.predictNextTools([{ toolId: 'edit', success: false }], 1)[0]!.toolId).toBe('edit');
  });

  test('a long sequence costs no more than its last sessionHistory calls: only that suffix (and the length) is read', () => {
    const t = new UsagePatternTracker();
    for (const s of sampleTraces()) feed(t, s.records);
    const pool = sampleTraces().flatMap((s) => s.records.map((r) => r.toolId));
    const long = Array.from({ length: 100_000 }, (_, i) => pool[i % pool.length]!);
    // same last 32 calls at the same position, whatever came before them
    const other = [...Array.from({ length: 100_000 - 32 }, () => 'unrelated'), ...long.slice(-32)];
    expect(t.predictNextTools(long, 5)).toEqual(t.predictNextTools(other, 5));
    const plain = new UsagePatternTracker({ prediction: { rankerWeights: null } });
    for (const s of sampleTraces()) feed(plain, s.records);
    expect(plain.predictNextTools(long, 5)).toEqual(plain.predictNextTools(long.slice(-32), 5));
    const short = new UsagePatternTracker({ sessionHistory: 8, prediction: { rankerWeights: null } });
    for (const s of sampleTraces()) feed(short, s.records);
    expect(short.predictNextTools(long, 5)).toEqual(short.predictNextTools(long.slice(-8), 5));
  });

  test('the ranker re-orders the likeliest tools by its weights, and rankerWeights is validated', () => {
    expect(() => new UsagePatternTracker({ prediction: { rankerWeights: [1, 2] } })).toThrow(
      new RegExp(`rankerWeights must be null or an array of ${RANKER_FEATURES} finite numbers`),
    );
    expect(
      () => new UsagePatternTracker({ prediction: { rankerWeights: Array.from({ length: RANKER_FEATURES }, () => Number.NaN) } }),
    ).toThrow(TypeError);
    // sessions where b mostly follows a, but c is what this session keeps doing right now
    const weights = (isLastWeight: number): number[] => rankerWeightsWith({ 0: 1, 7: isLastWeight });
    const train = (t: UsagePatternTracker): UsagePatternTracker => {
      for (let i = 0; i < 20; i++) feed(t, session(`s${i}`, 'a b a b a b c'));
      return t;
    };
    const neutral = train(new UsagePatternTracker({ prediction: { rankerWeights: weights(0) } }));
    const repeat = train(new UsagePatternTracker({ prediction: { rankerWeights: weights(20) } }));
    const plain = train(new UsagePatternTracker({ prediction: { rankerWeights: null } }));
    expect(neutral.predictNextTools(['a'], 3).map((p) => p.toolId)).toEqual(plain.predictNextTools(['a'], 3).map((p) => p.toolId));
    expect(neutral.predictNextTools(['a'], 1)[0]!.toolId).toBe('b');
    // a large weight on "t is the last call" puts the last call first
    expect(repeat.predictNextTools(['a'], 1)[0]!.toolId).toBe('a');
    const all = repeat.predictNextTools(['a'], 10);
    expect(all.reduce((sum, p) => sum + p.probability, 0)).toBeLessThanOrEqual(1 + 1e-9);
  });

  test('the position in the session is a feature: what sessions do first is predicted first', () => {
    const positionOnly = rankerWeightsWith({ 0: 1, 12: 5 });
    const train = (t: UsagePatternTracker): UsagePatternTracker => {
      for (let i = 0; i < 20; i++) feed(t, session(`s${i}`, 'setup work work work work work work work work'));
      return t;
    };
    const ranked = train(new UsagePatternTracker({ prediction: { rankerWeights: positionOnly } }));
    const plain = train(new UsagePatternTracker({ prediction: { rankerWeights: null } }));
    expect(plain.predictNextTools([], 1)[0]!.toolId).toBe('work');
    expect(ranked.predictNextTools([], 1)[0]!.toolId).toBe('setup');
    // a live session: before its first call, and after it
    expect(ranked.predictNextForSession('not-started', 1)[0]!.toolId).toBe('setup');
    feed(ranked, session('live', 'setup'));
    expect(ranked.predictNextForSession('live', 1)[0]!.toolId).toBe('work');
  });

  test('what follows a call depends on whether the candidate was used recently: a ranker feature', () => {
    // after `a`, sessions call `c` (never used before) more often than `b`, but call `b` when they used it just before
    const recallOnly = rankerWeightsWith({ 0: 0.1, 13: 10 });
    const train = (t: UsagePatternTracker): UsagePatternTracker => {
      for (let i = 0; i < 15; i++) feed(t, session(`c${i}`, 'a c'));
      for (let i = 0; i < 10; i++) feed(t, session(`b${i}`, 'b z a b'));
      for (let i = 0; i < 5; i++) feed(t, session(`w${i}`, 'w'));
      return t;
    };
    const ranked = train(new UsagePatternTracker({ prediction: { rankerWeights: recallOnly } }));
    const plain = train(new UsagePatternTracker({ prediction: { rankerWeights: null } }));
    // `w a` was never seen: both back off to what follows `a`
    expect(plain.predictNextTools(['b', 'w', 'a'], 1)[0]!.toolId).toBe('c');
    expect(ranked.predictNextTools(['b', 'w', 'a'], 1)[0]!.toolId).toBe('b');
    expect(ranked.predictNextTools(['w', 'a'], 1)[0]!.toolId).toBe('c');
    expect(ranked.stats().uncountedRecallPairs).toBe(0);
  });

  test('predicts a tool the model never saw when the sequence itself keeps using it', () => {
    const t = new UsagePatternTracker();
    for (let i = 0; i < 20; i++) feed(t, session(`g${i}`, 'read edit'));
    const p = t.predictNextTools(['newtool', 'read', 'newtool', 'read', 'newtool', 'read'], 2);
    expect(p.map((x) => x.toolId)).toContain('newtool');
    expect(p.find((x) => x.toolId === 'newtool')).toMatchObject({ support: 0, order: 0 });
    expect(() => t.predictNextTools(['read', 42 as never])).toThrow(/step 1 must be a tool id or \{ toolId, success\? \}, got number/);
    expect(() => t.predictNextTools([null as never])).toThrow(/got null/);
  });

  test('the session cache makes a live session’s own habits count', () => {
    const t = new UsagePatternTracker();
    for (let i = 0; i < 20; i++) feed(t, session(`g${i}`, 'read edit'));
    feed(t, session('live', 'read webfetch read webfetch read'));
    expect(t.predictNextForSession('live', 1)[0]!.toolId).toBe('webfetch');
    expect(t.predictNextTools(['read'], 1)[0]!.toolId).toBe('edit');
    expect(t.predictNextForSession('unknown', 1)[0]!.toolId).toBeDefined();
  });
});

describe('UsagePatternTracker error-prone sequences', () => {
  test('finds contexts after which a tool fails more than its base rate, with Wilson bound and normalised errors', () => {
    const t = new UsagePatternTracker();
    // bash after edit fails 8 of 10 times, with messages differing only by path and number
    for (let i = 0; i < 10; i++) {
      feed(
        t,
        session(`e${i}`, 'edit bash', (j) =>
          j === 1 && i < 8 ? { success: false, errorType: 'TestFailure', error: `test failed: /repo/src/mod${i}.ts line ${i * 7}` } : {},
        ),
      );
    }
    // bash after read always succeeds
    for (let i = 0; i < 30; i++) feed(t, session(`r${i}`, 'read bash'));
    const patterns = t.getErrorPronePatterns();
    expect(patterns).toHaveLength(1);
    const [p] = patterns;
    expect(p!.sequence).toEqual(['edit', 'bash']);
    expect(p!.errorRate).toBeCloseTo(0.8);
    expect(p!.count).toBe(10);
    expect(p!.failures).toBe(8);
    expect(p!.baseRate).toBeCloseTo(8 / 40);
    expect(p!.lift).toBeCloseTo(4);
    expect(p!.wilsonLowerBound).toBeGreaterThan(0.44);
    expect(p!.wilsonLowerBound).toBeLessThan(0.8);
    expect(p!.commonErrors).toEqual([{ errorType: 'TestFailure', message: 'test failed: <path> line <n>', count: 8 }]);
  });

  test('ranks by absolute failure rate by default: read → grep → edit failing a third of the time is found, as one maximal sequence', () => {
    const t = new UsagePatternTracker();
    // edit always follows the same context, so its rate there equals its base rate (lift 1)
    for (let i = 0; i < 30; i++)
      feed(
        t,
        session(`s${i}`, 'read grep edit', (j) =>
          j === 2 && i % 3 === 0 ? { success: false, errorType: 'EditFailed', error: `no match in /src/f${i}.ts` } : {},
        ),
      );
    const [p, ...rest] = t.getErrorPronePatterns();
    expect(rest).toEqual([]); // not also "grep edit": same occurrences and failures, nested in the longer one
    expect(p).toMatchObject({
      kind: 'absolute',
      sequence: ['read', 'grep', 'edit'],
      count: 30,
      occurrences: 30,
      sessions: 30,
      failures: 10,
      baseRate: 1 / 3,
      lift: 1,
    });
    expect(p!.errorRate).toBeCloseTo(1 / 3);
    expect(p!.wilsonLowerBound).toBeGreaterThan(0.1);
    expect(p!.wilsonLowerBound).toBeLessThan(1 / 3);
    expect(p!.commonErrors).toEqual([{ errorType: 'EditFailed', message: 'no match in <path>', count: 10 }]);
    expect(
      t
        .getErrorPronePatterns({ maximalOnly: false })
        .map((x) => x.sequence.join(' '))
        .sort(),
    ).toEqual(['grep edit', 'read grep edit']);
    // by lift there is nothing: edit fails as often here as anywhere
    expect(t.getErrorPronePatterns({ kind: 'lift' })).toEqual([]);
  });

  test('ranks by lift on request: the context in which a tool fails far more than usual', () => {
    const t = new UsagePatternTracker();
    for (let i = 0; i < 20; i++)
      feed(
        t,
        session(`a${i}`, 'edit bash', (j) => (j === 1 && i < 12 ? { success: false, errorType: 'TestFailure' } : {})),
      );
    for (let i = 0; i < 60; i++)
      feed(
        t,
        session(`b${i}`, 'read bash', (j) => (j === 1 && i < 6 ? { success: false, errorType: 'Timeout' } : {})),
      );
    const lift = t.getErrorPronePatterns({ kind: 'lift' });
    expect(lift.map((x) => x.sequence)).toEqual([['edit', 'bash']]);
    expect(lift[0]).toMatchObject({ kind: 'lift', failures: 12, baseRate: 18 / 80 });
    expect(lift[0]!.lift).toBeCloseTo(0.6 / (18 / 80));
    expect(lift[0]!.wilsonLowerBound).toBeGreaterThan(lift[0]!.baseRate);
    // by absolute rate: read → bash (6 of 60) has a lower bound under 10%, unless asked for less
    expect(t.getErrorPronePatterns().map((x) => x.sequence.join(' '))).toEqual(['edit bash']);
    expect(t.getErrorPronePatterns({ minLowerBound: 0.04 }).map((x) => x.sequence.join(' '))).toEqual(['edit bash', 'read bash']);
    expect(() => t.getErrorPronePatterns({ kind: 'nope' as never })).toThrow(/kind must be "absolute" or "lift"/);
  });

  test('a tool that always fails is error-prone by absolute rate and not by lift; thin evidence is left out', () => {
    const t = new UsagePatternTracker();
    for (let i = 0; i < 10; i++)
      feed(
        t,
        session(`d${i}`, 'read discussion', (j) => (j === 1 ? { success: false, errorType: 'CommandNotFound' } : {})),
      );
    feed(
      t,
      session('thin', 'grep edit', (j) => (j === 1 ? { success: false } : {})),
    );
    expect(t.getErrorPronePatterns().map((p) => [p.sequence.join(' '), p.errorRate])).toEqual([['read discussion', 1]]);
    expect(t.getErrorPronePatterns({ kind: 'lift' })).toEqual([]);
    expect(t.getErrorPronePatterns({ kind: 'lift', minOccurrences: 1, minFailures: 1 })).toEqual([]);
  });

  test('finds the retry loops of the real traces sample, both kinds, with evidence', () => {
    const t = new UsagePatternTracker();
    for (const s of sampleTraces()) feed(t, s.records);
    for (const kind of ['absolute', 'lift'] as const) {
      const patterns = t.getErrorPronePatterns({ kind, limit: 50 });
      expect(patterns.length).toBeGreaterThan(0);
      for (const p of patterns) {
        expect(p.kind).toBe(kind);
        if (kind === 'lift') expect(p.wilsonLowerBound).toBeGreaterThan(p.baseRate);
        else expect(p.wilsonLowerBound).toBeGreaterThanOrEqual(0.1);
        expect(p.commonErrors.length).toBeGreaterThan(0);
        expect(p.commonErrors.reduce((n, e) => n + e.count, 0)).toBeLessThanOrEqual(p.failures);
      }
      const scores = patterns.map((p) => (kind === 'lift' ? p.wilsonLowerBound / p.baseRate : p.wilsonLowerBound));
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
  });
});

describe('UsagePatternTracker bounds', () => {
  test('stays within maxPatterns, maxSessions and maxTools over a million records, counting evictions', () => {
    const t = new UsagePatternTracker({ maxPatterns: 1_000, maxSessions: 200, maxTools: 20, sessionHistory: 32, maxSessionPatterns: 64 });
    const rand = createSeededRandom(42);
    const tools = Array.from({ length: 30 }, (_, i) => `tool${i}`);
    const base = { id: '', toolId: '', sessionId: '', startTime: 0, endTime: 0, duration: 1, success: true, sampleWeight: 1 };
    const total = 1_000_000;
    // agent-like sessions of 40 calls: each tool is usually followed by one of 4 others
    let prev = 0;
    for (let i = 0; i < total; i++) {
      const r = rand();
      prev = i % 40 === 0 ? 0 : (prev * 7 + Math.floor(r * r * 4)) % tools.length;
      t.onMetric({
        ...base,
        id: `i${i}`,
        toolId: tools[prev]!,
        sessionId: `s${Math.floor(i / 40) % 1000}`,
        startTime: i,
        endTime: i + 1,
        success: (i & 7) !== 0,
      });
    }
    t.settle();
    const s = t.stats();
    expect(s.records).toBe(total);
    expect(s.patterns).toBeLessThanOrEqual(1_000);
    expect(s.predictionContexts).toBeLessThanOrEqual(1_000);
    expect(s.evictedPatterns).toBeGreaterThan(0);
    expect(s.liveSessions).toBe(200);
    expect(s.evictedSessions).toBeGreaterThan(0);
    expect(s.tools).toBeLessThanOrEqual(20);
    expect(s.otherToolRecords).toBeGreaterThan(0);
    // the most frequent sequences survive eviction: the 10 tools past the bound share "(other)"
    const top = t.getMostCommonPatterns(3);
    expect(top[0]!.sequence).toEqual(['(other)', '(other)']);
    expect(top[0]!.count).toBeGreaterThanOrEqual(top[1]!.count);
    expect(t.predictNextTools(['tool7'], 1)[0]!.toolId).toBe('tool19');
  });
});

describe('UsagePatternTracker tool bound', () => {
  test('the tool limit is explicit and validated, and per-session views work past 65,535 tools', () => {
    expect(() => new UsagePatternTracker({ maxTools: 100_001 })).toThrow(/maxTools must be an integer from 2 to 100000/);
    const t = new UsagePatternTracker({ maxTools: 70_000, reorderWindow: 0 });
    for (let i = 0; i < 66_000; i++) t.onMetric(rec(`t${i}`, 'warm', i));
    feed(t, session('s', 'ta tb ta tb'));
    expect(t.stats().tools).toBe(66_002);
    expect(t.getMostCommonPatterns(1, { sessionId: 's' })[0]).toMatchObject({ sequence: ['ta', 'tb'], count: 2 });
    expect(t.predictNextForSession('s', 1)[0]!.toolId).toBe('ta');
  });
});

describe('UsagePatternTracker configuration and default instance', () => {
  afterEach(() => UsagePatternTracker.reset());

  test('rejects bad options with a precise TypeError', () => {
    expect(() => new UsagePatternTracker({ maxSequenceLength: 1 })).toThrow(/maxSequenceLength must be an integer from 2 to 8/);
    expect(() => new UsagePatternTracker({ maxPatterns: 1.5 })).toThrow(/maxPatterns/);
    expect(() => new UsagePatternTracker({ nope: 1 } as never)).toThrow(/unknown option "nope"/);
    expect(() => new UsagePatternTracker({ prediction: { discount: 1 } })).toThrow(/prediction.discount must be a number in \(0, 1\)/);
    expect(() => new UsagePatternTracker({ prediction: { x: 1 } as never })).toThrow(/unknown option "prediction.x"/);
    const t = new UsagePatternTracker();
    expect(() => t.getMostCommonPatterns(-1)).toThrow(/limit must be a non-negative integer/);
    expect(() => t.predictNextTools('read' as never)).toThrow(/sequence must be an array/);
  });

  test('the seed’s static calls work on a default instance fed by a collector, and reset clears it', async () => {
    const clock = new FakeClock();
    const collector = new MetricsCollector({ clock });
    collector.subscribe(UsagePatternTracker.default);
    const read = trackPerformance({ toolId: 'read', collector })((_: unknown, _ctx: { sessionID: string }) => 'x');
    const grep = trackPerformance({ toolId: 'grep', collector })((_: unknown, _ctx: { sessionID: string }) => 'y');
    for (let i = 0; i < 3; i++) {
      read({}, { sessionID: `s${i}` });
      clock.advance(1);
      grep({}, { sessionID: `s${i}` });
      clock.advance(1);
    }
    await collector.flush();
    expect(UsagePatternTracker.getMostCommonPatterns(1)[0]).toMatchObject({ sequence: ['read', 'grep'], count: 3, sessions: 3 });
    expect(UsagePatternTracker.predictNextTools(['read'], 1)[0]!.toolId).toBe('grep');
    expect(UsagePatternTracker.getErrorPronePatterns()).toEqual([]);
    UsagePatternTracker.reset();
    expect(UsagePatternTracker.getMostCommonPatterns(1)).toEqual([]);
    const mine = new UsagePatternTracker();
    UsagePatternTracker.setDefault(mine);
    expect(UsagePatternTracker.default).toBe(mine);
    expect(() => UsagePatternTracker.setDefault({} as never)).toThrow(TypeError);
  });
});
