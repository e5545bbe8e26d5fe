import type { StorageAdapter } from './adapter';

/**
 * Which stored records a history query covers. Every field narrows; an empty filter is
 * everything. Times are epoch ms of the record's `startTime`.
 */
export interface HistoryFilter {
  readonly sessionIds?: readonly string[];
  readonly toolIds?: readonly string[];
  /** Inclusive lower bound on `startTime`. */
  readonly since?: number;
  /** Exclusive upper bound on `startTime`. */
  readonly until?: number;
}

/**
 * Per-tool figures computed where the records are (a database), so a fleet report never
 * replays every record into the Node process. Counts weighted by `sampleWeight` are `calls`
 * and `failures`; `records` counts stored rows. Percentiles are over timed records
 * (`untimed` ones excluded), nearest-rank (`percentile_disc`), unweighted.
 */
export interface ToolAggregate {
  readonly toolId: string;
  readonly records: number;
  readonly calls: number;
  readonly failures: number;
  /** failures / calls (0 when calls is 0). */
  readonly errorRate: number;
  readonly timedRecords: number;
  /** Weighted sum of durations of timed records, ms. */
  readonly totalDurationMs: number;
  /** Weighted mean duration of timed records, ms (0 when none is timed). */
  readonly meanDurationMs: number;
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  readonly p99Ms?: number;
  /** Earliest `startTime`, epoch ms. */
  readonly firstTime: number;
  /** Latest `endTime`, epoch ms. */
  readonly lastTime: number;
  /**
   * The most frequent error types of failed records, most frequent first, ties by type (at most
   * 5); `count` is stored rows; a failure without an `errorType` counts as `"Error"`.
   */
  readonly topErrors: readonly { readonly errorType: string; readonly count: number }[];
}

/** Per-session figures computed where the records are. */
export interface SessionAggregate {
  readonly sessionId: string;
  readonly records: number;
  readonly calls: number;
  readonly failures: number;
  /** Distinct tools called. */
  readonly tools: number;
  /** Earliest `startTime`, epoch ms. */
  readonly firstTime: number;
  /** Latest `endTime`, epoch ms. */
  readonly lastTime: number;
}

/**
 * How often one tool directly follows another within a session (the filtered records in
 * `startTime` order, ties in stored order); `count` and `failures` are stored rows.
 */
export interface TransitionAggregate {
  readonly from: string;
  readonly to: string;
  readonly count: number;
  /** How many of those `to` calls failed. */
  readonly failures: number;
}

/**
 * Optional capability of a storage adapter whose backend can compute aggregates itself (the
 * PostgreSQL adapter). The history reader uses it when present and falls back to replaying
 * records otherwise; results must equal what a replay of the same records would give, except
 * where an adapter documents an approximation (the PostgreSQL adapter's p50/p95/p99 over more
 * than its `exactPercentilesUpTo` timed records come from histograms, within 0.79%).
 */
export interface HistoryQuery {
  aggregateTools(filter?: HistoryFilter): Promise<ToolAggregate[]>;
  /** Sessions, most recently active first (latest `lastTime`, ties by id); `limit` bounds the answer. */
  aggregateSessions(filter?: HistoryFilter, limit?: number): Promise<SessionAggregate[]>;
  /** Tool-to-tool transitions, most frequent first (ties by `from`, then `to`); `limit` bounds the answer. */
  aggregateTransitions(filter?: HistoryFilter, limit?: number): Promise<TransitionAggregate[]>;
  /** How many records the filter covers. */
  countRecords(filter?: HistoryFilter): Promise<number>;
}

/** A storage adapter that can answer {@link HistoryQuery} itself. */
export type QueryableStorageAdapter = StorageAdapter & { readonly query: HistoryQuery };

/** Whether an adapter can compute aggregates itself (it has a {@link HistoryQuery} as `query`). */
export function supportsHistoryQuery(adapter: StorageAdapter): adapter is QueryableStorageAdapter {
  const q = (adapter as { query?: unknown }).query;
  return typeof q === 'object' && q !== null && typeof (q as HistoryQuery).aggregateTools === 'function';
}
