import type { ToolExecutionMetrics } from '@perftrack/core';
import type { CheckpointResult } from './journal-checkpoint';

/** The kinds of per-session data kept: an append-only metrics log and two replaceable snapshots. */
export type SnapshotKind = 'patterns' | 'analytics';

/** One session as a storage adapter lists it. */
export interface StoredSessionInfo {
  readonly sessionId: string;
  /** Epoch ms of the newest write to any of the session's files. */
  readonly lastModified: number;
  /** Bytes on disk (or held) across the session's files. */
  readonly bytes: number;
  readonly hasMetrics: boolean;
  readonly hasPatterns: boolean;
  readonly hasAnalytics: boolean;
  /**
   * Some of the session's records are still in an exit journal (see `FileStorage`'s
   * `exitJournal`): they read after the log's records until a checkpoint appends them to the log,
   * so the position of a record in the session can change. Whoever follows a session by record
   * count must match records by id while this is set (and on the read after it clears).
   */
  readonly journaled?: boolean;
}

/** What reading a metrics log met besides good records. */
export interface ReadReport {
  /** Lines that were not a valid record (a truncated last line, a corrupt line): skipped. */
  corruptLines: number;
}

/** What a synchronous append managed: the first `written` lines reached the log whole, in order; `error`, if any, stopped the rest. */
export interface AppendOutcome {
  readonly written: number;
  readonly error?: unknown;
  /** The lines written went to a journal (read with the session's log, moved there by a checkpoint), not to the log itself. */
  readonly journaled?: boolean;
}

/**
 * Snapshots written together and made durable once, by {@link SnapshotBatch.commit}: what an
 * analytics pass uses to save thousands of reports without an fsync per file.
 */
export interface SnapshotBatch {
  /**
   * Replaces one snapshot atomically (a reader sees the old or the new one, never a mix); it is
   * durable against power loss only once {@link commit} has resolved. Throws (or rejects) for
   * this snapshot alone: the batch stays usable.
   */
  write(kind: SnapshotKind, sessionId: string, value: unknown): void | Promise<void>;
  /** Makes what was written so far durable (for files: one fsync per directory touched). Safe to call with nothing written, and again. */
  commit(): Promise<void>;
}

/**
 * Where sessions are kept. Implement it to store perftrack data anywhere; `FileStorage` and
 * `InMemoryStorage` ship with the package. Every method validates the session id.
 */
export interface StorageAdapter {
  /** Appends records to the session's metrics log; never rewrites what is there. */
  appendMetrics(sessionId: string, records: readonly ToolExecutionMetrics[]): Promise<void>;
  /** Streams the session's records in stored order; bad lines are skipped and counted in `report`. */
  readMetrics(sessionId: string, report?: ReadReport): AsyncIterable<ToolExecutionMetrics>;
  /** Replaces a snapshot atomically: a reader sees the old or the new one, never a mix. */
  writeSnapshot(kind: SnapshotKind, sessionId: string, value: unknown): Promise<void>;
  /** The snapshot, or undefined when there is none (or it is unreadable: then `report` counts it). */
  readSnapshot(kind: SnapshotKind, sessionId: string, report?: ReadReport): Promise<unknown>;
  listSessions(): Promise<StoredSessionInfo[]>;
  /** Removes every kind of data of the session; returns what was removed (paths or kinds). */
  deleteSession(sessionId: string): Promise<string[]>;
  /**
   * Optional: appends pre-serialised JSON lines synchronously and says exactly how many reached
   * the log. An adapter that has it gets records written once each after a partial failure, and
   * written synchronously at process exit; one without it is called through {@link appendMetrics}.
   */
  appendLinesSync?(sessionId: string, lines: readonly string[]): AppendOutcome;
  /**
   * Optional: a batch of snapshot writes made durable together. Without it, each snapshot of a
   * batch is written (and made durable) by {@link writeSnapshot}.
   */
  beginSnapshots?(): SnapshotBatch;
  /**
   * Optional: appends the records of several sessions in one call (a database: one transaction
   * per write pass instead of one per session). Resolves with each session's outcome (a session
   * missing from the answer had all its records stored); rejects when nothing was stored. An
   * adapter without it is called through {@link appendMetrics}, once per session.
   */
  appendSessions?(groups: ReadonlyMap<string, readonly ToolExecutionMetrics[]>): Promise<ReadonlyMap<string, AppendOutcome>>;
  /**
   * Optional: moves records a writer left in a side journal (`FileStorage`'s exit journal) into
   * their sessions' logs, exactly once; stops early (leaving the rest for later) when `signal` aborts.
   */
  checkpoint?(options?: { signal?: AbortSignal }): Promise<CheckpointResult>;
  /** Optional: releases open resources (file handles); the adapter stays usable. */
  close?(): void;
}
