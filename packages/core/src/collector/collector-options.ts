import type { Clock, MemorySource, RandomSource } from '../api/types';

/** Where an error reported to the error handler came from. */
export type CollectorErrorSource = 'subscriber' | 'subscriber-flush' | 'subscriber-shutdown' | 'metadata' | 'context';

/** Options of a {@link MetricsCollector}. Every field is validated by the constructor. */
export interface MetricsCollectorOptions {
  /** Completed records kept in memory (ring buffer). Older ones are overwritten and counted as dropped. Default 1,000. */
  maxMetrics?: number;
  /** Manual executions started but not completed, kept at most. Older ones are abandoned and counted. Default 10,000. */
  maxInFlight?: number;
  /** A manual execution not completed within this many ms is abandoned. Default 600,000 (10 min). */
  inFlightTtlMs?: number;
  /** `false` makes every tracked call a pass-through and the manual API a no-op. Default true. */
  enabled?: boolean;
  /** Session id for calls whose session cannot be found. Default `"default"`. */
  defaultSessionId?: string;
  /** Measure heap deltas in the manual start/complete API. Default false. */
  trackMemory?: boolean;
  /**
   * Master switch for heap measurement: `false` means no call into this collector reads the
   * heap, whatever its decorator's `trackMemory` asks (records then have no `memoryUsed`).
   * Lets an operator turn memory tracking off by configuration without touching tool code. Default true.
   */
  allowMemory?: boolean;
  /** Measure input/output sizes in the manual start/complete API. Default true. */
  trackInputOutput?: boolean;
  /** Values visited at most when sizing one input or output. Default 5,000. */
  maxSizeNodes?: number;
  /** Monotonic clock. Default: `performance`. */
  clock?: Clock;
  /** Random source for sampling decisions. Default `Math.random`. */
  random?: RandomSource;
  /** Heap reader for `trackMemory`. Default {@link heapUsedSource}. */
  memorySource?: MemorySource;
  /** Receives errors thrown by subscribers, metadata functions and context resolvers. Default: counted, first one warned. */
  onError?: (error: unknown, source: CollectorErrorSource) => void;
  /** Receives one-time warnings (first dropped record, first error). Default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

/** Counters of a {@link MetricsCollector}. */
export interface CollectorStats {
  /** Records completed since creation or the last reset (sampled-in calls plus kept failures). */
  readonly recorded: number;
  /** Records overwritten in the ring buffer before anyone read them from it. */
  readonly dropped: number;
  /** Calls skipped by sampling (not timed, not recorded). */
  readonly sampledOut: number;
  /** Executions started and not yet completed (manual API and pending async/generator calls). */
  readonly inFlight: number;
  /** Manual executions evicted or expired without a completion. */
  readonly abandoned: number;
  /** `completeToolExecution` calls with an id that is unknown, completed already or abandoned. */
  readonly unknownCompletions: number;
  /** Errors from subscribers, metadata functions and context resolvers. */
  readonly errors: number;
  /** Records held in the ring buffer now. */
  readonly buffered: number;
}

/** Filter for {@link MetricsCollector.getMetrics}. */
export interface MetricsFilter {
  toolId?: string;
  sessionId?: string;
  success?: boolean;
  /** Inclusive lower bound on `startTime` (epoch ms). */
  since?: number;
  /** Exclusive upper bound on `startTime` (epoch ms). */
  until?: number;
}
