// @perftrack/storage — the whole public surface.

export { PerformanceStorage } from './performance-storage';
export { EXPORT_SCHEMA } from './storage-types';
export type {
  PerformanceStorageOptions,
  ExportDocument,
  ExportedSession,
  ImportResult,
  CleanupResult,
  LoadFilter,
  ReplayOptions,
  ReplayResult,
  StorageStats,
} from './storage-types';

export { FileStorage, PartialAppendError, defaultStorageDir } from './file-storage';
export { StorageRefusedError } from './refusal';
export { MAX_WRITE_CHARS } from './log-appender';
export type { FileStorageOptions } from './file-storage';
export type { CheckpointResult } from './journal-checkpoint';
export { InMemoryStorage } from './in-memory-storage';

export { encodeSessionId, decodeSessionId, validateSessionId, InvalidSessionIdError, MAX_SESSION_ID_LENGTH } from './session-id';
export { isRecord, parseRecord, serializeRecord, MAX_RECORD_CHARS } from './record';

export type { StorageAdapter, StoredSessionInfo, SnapshotKind, SnapshotBatch, ReadReport, AppendOutcome } from './adapter';

export { supportsHistoryQuery } from './history-query';
export type {
  HistoryFilter,
  HistoryQuery,
  QueryableStorageAdapter,
  ToolAggregate,
  SessionAggregate,
  TransitionAggregate,
} from './history-query';
