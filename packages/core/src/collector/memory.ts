import { getHeapStatistics } from 'node:v8';
import type { MemorySource } from '../api/types';

/**
 * The default memory source: V8's used heap size in bytes (`v8.getHeapStatistics()`), about
 * 140 ns a read here, where `process.memoryUsage()` costs several microseconds.
 *
 * A per-call delta of this number is the heap growth while the call ran: it includes
 * allocations by anything else running concurrently, excludes memory outside the V8 heap
 * (Buffers, native addons), and drops, possibly below zero, when a garbage collection runs
 * in between. Read it as a trend over many calls, not as one call's exact footprint.
 *
 * Under Bun the number never moves (`v8.getHeapStatistics()` there returns a constant, and so
 * does `process.memoryUsage().heapUsed`): collectors then leave `memoryUsed` out and warn once
 * (see {@link heapSourceMoves}).
 */
export const heapUsedSource: MemorySource = () => getHeapStatistics().used_heap_size;

let moves: boolean | undefined;

/**
 * Whether {@link heapUsedSource} reflects allocations in this runtime: read, allocate about
 * 200 KB that stays reachable, read again. Probed once per process (a fact about the runtime).
 */
export function heapSourceMoves(): boolean {
  if (moves === undefined) {
    const before = heapUsedSource();
    const held: object[] = [];
    for (let i = 0; i < 4096; i++) held.push({ i, label: `probe-${i}` });
    const after = heapUsedSource();
    moves = after !== before && held.length === 4096;
  }
  return moves;
}
