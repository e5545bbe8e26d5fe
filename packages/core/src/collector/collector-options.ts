import type { Clock, MemorySource, RandomSource } from '../api/types';
import { systemClock } from './clock';
import { checkInteger, describeValue as describe } from '../internal/option-checks';
import { heapUsedSource } from './memory';

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

/** The options a collector's constructor needs, validated, with their defaults. */
export interface ResolvedCollectorOptions {
  readonly maxMetrics: number;
  readonly maxInFlight: number;
  readonly ttl: number;
  readonly session: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly memory: MemorySource;
}

/** Validates every option (a precise `TypeError` for the first wrong one) and applies the defaults. */
export function resolveCollectorOptions(options: MetricsCollectorOptions): ResolvedCollectorOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`MetricsCollector: options must be an object, got ${describe(options)}`);
  }
  const maxMetrics = positiveInt('maxMetrics', options.maxMetrics, 1000, 10_000_000);
  const maxInFlight = positiveInt('maxInFlight', options.maxInFlight, 10_000, 10_000_000);
  const ttl = positiveInt('inFlightTtlMs', options.inFlightTtlMs, 600_000);
  if (options.enabled !== undefined && typeof options.enabled !== 'boolean') {
    throw new TypeError(`MetricsCollector: enabled must be a boolean, got ${describe(options.enabled)}`);
  }
  const session = options.defaultSessionId ?? 'default';
  if (typeof session !== 'string' || session.length === 0) {
    throw new TypeError(`MetricsCollector: defaultSessionId must be a non-empty string, got ${describe(session)}`);
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function' || !Number.isFinite(clock.timeOrigin)) {
    throw new TypeError('MetricsCollector: clock must be { now(): number, timeOrigin: number }');
  }
  const random = optionalFunction('random', options.random) ?? Math.random;
  const memory = optionalFunction('memorySource', options.memorySource) ?? heapUsedSource;
  for (const name of ['trackMemory', 'allowMemory', 'trackInputOutput'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') {
      throw new TypeError(`MetricsCollector: ${name} must be a boolean, got ${describe(options[name])}`);
    }
  }
  return { maxMetrics, maxInFlight, ttl, session, clock, random, memory };
}

/** An optional integer option from 1 to `max`; `fallback` when it is absent. */
function positiveInt(name: string, value: unknown, fallback: number, max?: number): number {
  return value === undefined ? fallback : checkInteger('MetricsCollector', name, value, 1, max);
}

function optionalFunction<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`MetricsCollector: ${name} must be a function, got ${typeof value}`);
  }
  return value;
}
