/**
 * Heap reads for `trackMemory`, sampled. `v8.getHeapStatistics()` is the cheapest public source of
 * a heap delta on Node 20 (`process.memoryUsage()` and its `rss()` cost 20–60× more, and
 * `v8.getHeapSpaceStatistics()` about 4×: see bench/results/integration.json, `memoryHook`), and
 * two reads per call were the largest part of a tracked call. So each tool reads the heap on its
 * first call and then on one call in {@link HEAP_READ_EVERY}: the other records leave `memoryUsed`
 * out. The count is per tool, so tools called in turn never alias with the period, and there is no
 * per-tool warm-up, so the cost stays flat however many tools there are. Which calls read does not depend on what they allocate, so the
 * mean of the recorded deltas estimates the mean of all calls (its accuracy is measured by
 * `pnpm bench integration`); `samples` in memory figures counts the calls that read.
 */

/** One call of a tool in this many reads the heap (twice: before and after), starting with its first. */
export const HEAP_READ_EVERY = 4;

/** What counts a tool's calls for heap sampling (the tool's spec). @internal */
export interface HeapReadCounter {
  heapCalls: number;
}

/** Whether this call of the tool reads the heap; counts the call. @internal */
export function readsHeap(counter: HeapReadCounter): boolean {
  return counter.heapCalls++ % HEAP_READ_EVERY === 0;
}
