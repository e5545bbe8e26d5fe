/**
 * Heap reads for `trackMemory`, sampled. `v8.getHeapStatistics()` is the cheapest public source of
 * a heap delta on Node 20 (`process.memoryUsage()` and its `rss()` cost 20–60× more, and
 * `v8.getHeapSpaceStatistics()` about 4×: see bench/results/integration.json, `memoryHook`), and
 * two reads per call were the largest part of a tracked call. So each tool reads the heap on its
 * first call and then on one call in {@link HEAP_READ_EVERY}, and the first
 * {@link HEAP_WARMUP_CALLS} calls of each collector all read (short runs see every delta): the
 * other records leave `memoryUsed` out. The period counts per tool, so tools called in turn never
 * alias with it; the warm-up counts per collector, so the cost stays flat however many tools there are. Which calls read does not depend on what they allocate, so the
 * mean of the recorded deltas estimates the mean of all calls (its accuracy is measured by
 * `pnpm bench integration`); `samples` in memory figures counts the calls that read.
 */

/** Calls of a collector that all read the heap before sampling starts. */
export const HEAP_WARMUP_CALLS = 32;

/** One call of a tool in this many reads the heap (twice: before and after), starting with its first. */
export const HEAP_READ_EVERY = 4;

/** What counts a tool's calls for heap sampling (the tool's spec). */
export interface HeapReadCounter {
  heapCalls: number;
}

/** Heap-reading calls seen per collector during its warm-up (weak: a collector's entry goes with it). */
const warmups = new WeakMap<object, { calls: number }>();

/** Whether this call of the tool, on `collector`, reads the heap; counts the call. */
export function readsHeap(counter: HeapReadCounter, collector: object): boolean {
  if (counter.heapCalls++ % HEAP_READ_EVERY === 0) return true;
  let warmup = warmups.get(collector);
  if (warmup === undefined) warmups.set(collector, (warmup = { calls: 0 }));
  return warmup.calls++ < HEAP_WARMUP_CALLS;
}
