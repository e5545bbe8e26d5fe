// @perftrack/core/internal — kit shared by perftrack's own packages (analytics, storage,
// integration, exporters, adapters). Not a public API: it may change in any release, minor or
// patch. Applications import from `@perftrack/core` only.

// Batching and diagnostics
export { BatchQueue, batchQueueTuning } from './batch-queue';
export type { BatchQueueOptions, BatchQueueStats, BatchQueueOverflow, BatchQueueTuning } from './batch-queue';
export { Diagnostics } from './diagnostics';
export type { DiagnosticsOptions } from './diagnostics';
export { errorMessage, errorType } from './error-info';
export { normalizeErrorMessage } from '../pipeline/error-text';

// The session id rule (storage checks it again where records are stored)
export { sessionIdProblem, SESSION_ID_MAX_LENGTH } from '../collector/session-id-rule';

// Process lifetime
export { installExitHooks, onProcessExit } from './exit-hooks';
export type { ExitHandlers } from './exit-hooks';

// Options and adapters
export { checkInteger, describeValue } from './option-checks';
export { checkAdapterOptions, checkListeningOptions, sampleRateOf, WRAPPING_ADAPTER_KEYS, LISTENING_ADAPTER_KEYS } from './adapter-options';
export type { AdapterNaming, ResolvedListeningOptions } from './adapter-options';
export { checkOptionKeys } from './option-keys';
export { withAdapterStamp } from './adapter-metadata';
export type { AdapterStamp } from './adapter-metadata';

// Measuring and buffering
export { SizeEstimator } from '../collector/size-estimator';
export type { SizeEstimatorOptions } from '../collector/size-estimator';
export { RingBuffer } from '../collector/ring-buffer';
export { weightedRepeats } from '../api/record';

// Versioned process-wide state shared by copies of the packages
export { VERSION } from './version';
export { sharedDefault } from './shared-default';
export type { SharedDefault } from './shared-default';

// Bounded per-session state and bounded tool tables
export { SessionLru, foldToolId, OTHER_TOOL } from './session-lru';
