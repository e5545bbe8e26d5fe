// @perftrack/core — the whole public surface.

// Tracking
export { trackPerformance, wrapTools } from './track-performance';
export type { TrackOptions, WrapToolsOptions, ToolLike, ExecutableTool, InvocableTool, PerformanceDecorator } from './track-performance';

// Collection
export { MetricsCollector, errorMessage, errorType } from './metrics-collector';
export type { MetricsCollectorOptions, CollectorStats, MetricsFilter, CollectorErrorSource } from './metrics-collector';
export { isUsableRecord, weightOf, isTimed, weightedRepeats } from './record';
export { RingBuffer } from './ring-buffer';
export { BatchQueue, batchQueueTuning } from './batch-queue';
export type { BatchQueueOptions, BatchQueueStats, BatchQueueOverflow, BatchQueueTuning } from './batch-queue';
export { Diagnostics } from './diagnostics';
export type { DiagnosticsOptions } from './diagnostics';
export { installExitHooks, onProcessExit } from './exit-hooks';
export { checkOptionKeys } from './options';
export { checkInteger, describeValue } from './internal/option-checks';
export { withAdapterStamp } from './adapter-metadata';
export type { AdapterStamp } from './adapter-metadata';
export { checkAdapterOptions, checkListeningOptions, sampleRateOf, WRAPPING_ADAPTER_KEYS, LISTENING_ADAPTER_KEYS } from './internal/adapter-options';
export type { AdapterOptions, WrappingAdapterOptions, ListeningAdapterOptions, AdapterNaming, ResolvedListeningOptions } from './internal/adapter-options';
export type { ExitHandlers } from './exit-hooks';
export { SizeEstimator } from './size-estimator';
export type { SizeEstimatorOptions } from './size-estimator';

// Context, clock, memory, randomness
export { SessionContext } from './session-context';
export { systemClock, FakeClock } from './clock';
export { heapUsedSource } from './memory';
export { createSeededRandom } from './random';

// Version of this copy (copies with compatible versions share one default collector)
export { VERSION } from './version';
export { sharedDefault } from './internal/shared-default';
export type { SharedDefault } from './internal/shared-default';

// Test helpers
export { InMemorySubscriber } from './testing';

// The record and the seams
export type {
  ToolExecutionMetrics,
  MetricsSubscriber,
  CallContext,
  ContextResolver,
  Clock,
  MemorySource,
  RandomSource,
  CustomMetadata,
} from './types';
