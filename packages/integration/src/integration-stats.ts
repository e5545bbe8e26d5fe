import type { CollectorStats, RecordPipelineStats } from '@perftrack/core';
import type { AnalyticsEngineStats, SessionReport } from '@perftrack/analytics';
import type { StorageStats } from '@perftrack/storage';

/** Counters of every part, for health checks. */
export interface IntegrationStats {
  readonly collector: CollectorStats;
  /** The record pipeline between the collector and every sink (queue, deliveries, drops). */
  readonly pipeline: RecordPipelineStats;
  readonly storage: StorageStats;
  readonly analytics: AnalyticsEngineStats;
  /** Stored sessions and records replayed into analytics at start; lines skipped as corrupt (a torn last line, say). */
  readonly history: { readonly sessions: number; readonly records: number; readonly corruptLines: number; readonly loaded: boolean };
  /** Live records that arrived while history loaded and overflowed the wait queue (they are stored, not analysed). */
  readonly droppedWhileLoading: number;
  /** Analytics passes run (timer, exports and shutdown). */
  readonly analyticsPasses: number;
  /** Session reports written to storage. */
  readonly reportsSaved: number;
  /** Session reports the last pass before exit had no time left to save (warned once). */
  readonly reportsNotSaved: number;
}

/** The patterns snapshot stored per session (`patterns/<sessionId>`). */
export interface SessionPatterns {
  readonly schema: 'perftrack.patterns/1';
  readonly sessionId: string;
  readonly generatedAt: string;
  readonly sequences: SessionReport['analytics']['sequences'];
  readonly errorPatterns: SessionReport['analytics']['errorPatterns'];
  readonly predictions: SessionReport['predictions'];
}
