import type { ToolExecutionMetrics } from '@perftrack/core';
import type { StorageAdapter } from './adapter';

/** The schema tag of export documents. */
export const EXPORT_SCHEMA = 'perftrack.export/1';

/** One session in an export document. */
export interface ExportedSession {
  sessionId: string;
  metrics: ToolExecutionMetrics[];
  patterns?: unknown;
  analytics?: unknown;
}

/** The versioned export document (`schema: "perftrack.export/1"`). */
export interface ExportDocument {
  schema: typeof EXPORT_SCHEMA;
  /** ISO 8601. */
  exportDate: string;
  sessions: ExportedSession[];
}

/** What {@link PerformanceStorage.importAll} did. */
export interface ImportResult {
  sessions: number;
  /** Records appended. */
  imported: number;
  /** Records skipped because a record with the same id was already stored (or repeated in the document). */
  duplicates: number;
  /** Records skipped because they were not valid records. */
  invalid: number;
}

/** What {@link PerformanceStorage.cleanup} removed (or, with `dryRun`, would remove). */
export interface CleanupResult {
  removed: { sessionId: string; lastModified: number; files: string[] }[];
  kept: number;
  dryRun: boolean;
  /** Sessions that could not be removed now (each with why), left as they are; the others were removed. */
  failed?: { sessionId: string; error: string }[];
}

/** Filter for {@link PerformanceStorage.loadMetrics}. */
export interface LoadFilter {
  /** Inclusive lower bound on `startTime` (epoch ms). */
  since?: number;
  /** Exclusive upper bound on `startTime` (epoch ms). */
  until?: number;
  toolId?: string;
}

/** Options of {@link PerformanceStorage.replay}. */
export interface ReplayOptions {
  /** Only the newest this many sessions (by last write). Default: all. */
  maxSessions?: number;
  /** Only these sessions (each validated), in this order. */
  sessionIds?: readonly string[];
}

/** What {@link PerformanceStorage.replay} read; `corruptLines` counts lines skipped. */
export interface ReplayResult {
  sessions: number;
  records: number;
  corruptLines: number;
}

/** Counters of a {@link PerformanceStorage}. */
export interface StorageStats {
  /** Records waiting for the next flush. */
  readonly queued: number;
  /** Records written. */
  readonly written: number;
  /** Of `written`, records written to a journal: an exit journal at shutdown or exit, or a flush's journal segment (see `FileStorage`'s `exitJournal` and `flushJournal`). */
  readonly journaled: number;
  /** Records this instance's checkpoints moved from journals into session logs. */
  readonly checkpointed: number;
  /**
   * Journal records a checkpoint of this instance dropped because their session's log is refused
   * (a symbolic link or hard-linked file planted at its path): never written through it. They
   * count in `written` (they reached the journal), so here, not in `lost`.
   */
  readonly lostAtCheckpoint: number;
  /** Records refused because the queue was full (or storage was shut down). */
  readonly dropped: number;
  /**
   * Records accepted but never stored, each counted once: an invalid session id, a record with a
   * non-finite number or metadata JSON cannot encode, a refused path (a planted link), records
   * still unwritable at shutdown or at process exit. The first of each reason is reported.
   */
  readonly lost: number;
  /** Failed writes (a full disk, EIO): what did not reach the file is kept and retried while the queue has room. */
  readonly writeErrors: number;
  /** Corrupt or truncated lines skipped by reads (and by checkpoints, in journals). */
  readonly corruptLines: number;
}

/** Options of {@link PerformanceStorage}. */
export interface PerformanceStorageOptions {
  /** Where data goes. Default: a {@link FileStorage} on `dir`. */
  adapter?: StorageAdapter;
  /** Directory of the default {@link FileStorage} (ignored with `adapter`). */
  dir?: string;
  /** Flush when this many records are queued. Default 500. */
  batchSize?: number;
  /** Flush at least this often while records are queued (ms; the timer is unref'd). Default 1000. */
  flushIntervalMs?: number;
  /** Records queued at most; more are dropped and counted. Default 100,000. */
  maxQueue?: number;
  /** Receives write failures. Default: first one warned, all counted in `stats().writeErrors`. */
  onError?: (error: unknown, operation: string) => void;
  /** Receives one-time warnings. Default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}
