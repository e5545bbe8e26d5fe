// @perftrack/core — the whole public surface. Kit shared by perftrack's own packages (queues,
// diagnostics, exit hooks, size estimation…) is in `@perftrack/core/internal`, not here.

// Tracking (instrument/)
export { trackPerformance } from './instrument/track-performance';
export type { PerformanceDecorator } from './instrument/track-performance';
export { wrapTools } from './instrument/wrap-tools';
export type { TrackOptions } from './instrument/options';
export type { ToolLike, ExecutableTool, InvocableTool, WrapToolsOptions } from './instrument/tool-objects';
export { SessionContext } from './instrument/session-context';

// Collection (collector/)
export { MetricsCollector } from './collector/metrics-collector';
export type { MetricsCollectorOptions, CollectorStats, MetricsFilter, CollectorErrorSource } from './collector/collector-options';
export { systemClock, FakeClock } from './collector/clock';
export { heapUsedSource } from './collector/memory';
export { createSeededRandom } from './collector/random';

// Framework adapters' shared option types (the checks are in core/internal)
export type { AdapterOptions, WrappingAdapterOptions, ListeningAdapterOptions } from './internal/adapter-options';

// The record pipeline: one bounded queue between a collector and every sink
export { RecordPipeline, subscriberSink } from './pipeline/record-pipeline';
export type { BatchSink, RecordPipelineOptions, RecordPipelineStats, RecordPipelineErrorSource } from './pipeline/record-pipeline';
export type { RecordBatch } from './pipeline/record-batch';

// Reading records (api/)
export { isUsableRecord, weightOf, isTimed } from './api/record';

// Test helpers
export { InMemorySubscriber } from './collector/testing';

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
} from './api/types';
