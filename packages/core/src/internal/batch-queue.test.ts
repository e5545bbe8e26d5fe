import { BatchQueue } from '@perftrack/core/internal';

/** A scheduler the test runs by hand. */
function manualScheduler() {
  const pending: (() => void)[] = [];
  return {
    schedule: (run: () => void) => void pending.push(run),
    runNext: () => pending.shift()?.(),
    get pending() {
      return pending.length;
    },
  };
}

describe('BatchQueue', () => {
  it('handles nothing on push; handles items in order, in batches, on scheduled turns', () => {
    const seen: number[] = [];
    const s = manualScheduler();
    const q = new BatchQueue<number>({ handle: (n) => void seen.push(n), batchSize: 3, schedule: s.schedule });
    for (let i = 0; i < 7; i++) q.push(i);
    expect(seen).toEqual([]);
    expect(s.pending).toBe(1); // one turn scheduled, not one per push
    s.runNext();
    expect(seen).toEqual([0, 1, 2]);
    s.runNext();
    s.runNext();
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(s.pending).toBe(0);
    expect(q.stats()).toEqual({ queued: 0, handled: 7, dropped: 0, errors: 0, inlineBatches: 0 });
  });

  it('passes each item its companion value', () => {
    const seen: [string, number | undefined][] = [];
    const q = new BatchQueue<string, number>({ handle: (s, n) => void seen.push([s, n]), schedule: () => {} });
    q.push('a', 1);
    q.push('b');
    q.drain();
    expect(seen).toEqual([
      ['a', 1],
      ['b', undefined],
    ]);
  });

  it('runs on the next event-loop turn by default', async () => {
    const seen: number[] = [];
    const q = new BatchQueue<number>({ handle: (n) => void seen.push(n) });
    q.push(1);
    expect(seen).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([1]);
  });

  it('when full, handles a batch on the pusher path by default: nothing is lost', () => {
    const seen: number[] = [];
    const q = new BatchQueue<number>({ handle: (n) => void seen.push(n), capacity: 4, batchSize: 2, schedule: () => {} });
    for (let i = 0; i < 10; i++) q.push(i);
    expect(q.stats().inlineBatches).toBe(3);
    q.drain();
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(q.stats().dropped).toBe(0);
  });

  it("with overflow 'drop', discards new items when full, counts them and warns once", () => {
    const warnings: string[] = [];
    const seen: number[] = [];
    const q = new BatchQueue<number>({
      handle: (n) => void seen.push(n),
      capacity: 3,
      overflow: 'drop',
      schedule: () => {},
      onWarning: (m) => void warnings.push(m),
      name: 'TestQueue',
    });
    for (let i = 0; i < 10; i++) q.push(i);
    q.drain();
    expect(seen).toEqual([0, 1, 2]);
    expect(q.stats().dropped).toBe(7);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('TestQueue: queue full');
  });

  it('a throwing handler is counted and reported, and the next items still run', () => {
    const errors: unknown[] = [];
    const seen: number[] = [];
    const boom = new Error('boom');
    const q = new BatchQueue<number>({
      handle: (n) => {
        if (n === 1) throw boom;
        seen.push(n);
      },
      schedule: () => {},
      onError: (e) => void errors.push(e),
    });
    q.push(0);
    q.push(1);
    q.push(2);
    expect(() => q.drain()).not.toThrow();
    expect(seen).toEqual([0, 2]);
    expect(errors).toEqual([boom]);
    expect(q.stats().errors).toBe(1);
  });

  it('items pushed by a handler during a drain are handled by the same drain', () => {
    const seen: number[] = [];
    const q: BatchQueue<number> = new BatchQueue<number>({
      handle: (n) => {
        seen.push(n);
        if (n < 3) q.push(n + 10);
      },
      schedule: () => {},
    });
    q.push(1);
    q.push(2);
    expect(q.drain()).toBe(4);
    expect(seen).toEqual([1, 2, 11, 12]);
  });

  it('rejects bad options with a clear TypeError', () => {
    expect(() => new BatchQueue({} as never)).toThrow('expected options with a handle(item) function');
    expect(() => new BatchQueue({ handle: () => {}, capacity: 0 })).toThrow('capacity must be an integer from 1');
    expect(() => new BatchQueue({ handle: () => {}, batchSize: 1.5 })).toThrow('batchSize must be an integer');
    expect(() => new BatchQueue({ handle: () => {}, overflow: 'block' as never })).toThrow("overflow must be 'handle-inline' or 'drop'");
    expect(() => new BatchQueue({ handle: () => {}, schedule: 5 as never })).toThrow('schedule must be a function');
  });

  it('stays bounded through millions of pushes with no turn in between', () => {
    let handled = 0;
    const q = new BatchQueue<object>({ handle: () => void handled++, capacity: 1024, batchSize: 256, schedule: () => {} });
    const item = {};
    for (let i = 0; i < 3_000_000; i++) q.push(item);
    expect(q.size).toBeLessThanOrEqual(1024);
    q.drain();
    expect(handled).toBe(3_000_000);
    expect(q.stats()).toMatchObject({ queued: 0, handled: 3_000_000, dropped: 0 });
  });

  it('clear() discards what is queued', () => {
    const seen: number[] = [];
    const q = new BatchQueue<number>({ handle: (n) => void seen.push(n), schedule: () => {} });
    q.push(1);
    q.clear();
    q.push(2);
    q.drain();
    expect(seen).toEqual([2]);
  });
});
