// @perftrack/storage-postgres — the whole public surface.

export { PostgresStorage } from './postgres-storage';
export type { PostgresStorageOptions, PartitionInterval } from './postgres-storage';
export { PostgresStorageError, DATABASE_URL_ENV } from './connection';
export { SCHEMA_VERSION } from './schema';
export type { GroupComparison, GroupFigures, RunGroup, ToolComparison } from './group-compare';
