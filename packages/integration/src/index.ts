// @perftrack/integration — the whole public surface: the high-level API, plus what a user needs
// of core, analytics and storage, each name listed, so one import serves.

export { PerformanceIntegration } from './performance-integration';
export type { IntegrationStats, SessionPatterns } from './integration-stats';
export { SessionPerformance, SessionTracker } from './session-performance';
export { findChildSessions, rollUpSessions } from './session-children';
export { openHistory, HistoryReader } from './history';
export type {
  HistorySource,
  HistorySelection,
  HistoryReadResult,
  HistoryAggregateLimits,
  HistoryAggregateAnswer,
  HistorySink,
  ChildSessionLink,
} from './history';
export { HistoryAggregator, DEFAULT_MAX_EXACT_DURATIONS } from './history-aggregates';
export type { HistoryAggregatorOptions, HistoryAggregates } from './history-aggregates';
export type { SessionReportOptions, SessionReportWithChildren, SessionRollup } from './session-children';
export type { SessionPerformanceOptions, SessionToolSummary, SessionFailure, SessionTrackerSnapshot } from './session-performance';
export { PerformanceConfigError, resolveConfig, loadConfigFile, DEFAULT_CONFIG } from './config';
export type { PerformanceConfig, PerformanceConfigInput, ResolvedPerformanceConfig } from './config';

// From @perftrack/core: tracking, the collector, test helpers, the record and its seams.
// (Core's internal kit — queues, diagnostics, exit hooks, size estimation — is not re-exported.)
export {
  trackPerformance,
  wrapTools,
  MetricsCollector,
  SessionContext,
  systemClock,
  FakeClock,
  heapUsedSource,
  createSeededRandom,
  InMemorySubscriber,
  RecordPipeline,
  subscriberSink,
} from '@perftrack/core';
export type {
  TrackOptions,
  WrapToolsOptions,
  ToolLike,
  ExecutableTool,
  InvocableTool,
  PerformanceDecorator,
  MetricsCollectorOptions,
  CollectorStats,
  MetricsFilter,
  CollectorErrorSource,
  ToolExecutionMetrics,
  MetricsSubscriber,
  CallContext,
  ContextResolver,
  Clock,
  MemorySource,
  RandomSource,
  CustomMetadata,
  BatchSink,
  RecordBatch,
  RecordPipelineOptions,
  RecordPipelineStats,
} from '@perftrack/core';

// From @perftrack/analytics: sequences and prediction, figures and insights, reports, run comparison,
// anomalies, wasted work, suggestions and cost. Building blocks (sketches, statistics, gates, timelines)
// stay in @perftrack/analytics.
export {
  UsagePatternTracker,
  AnalyticsEngine,
  AnomalyDetector,
  formatSessionReport,
  compareRuns,
  formatComparison,
  findInefficiencies,
  InefficiencyScanner,
  suggestOptimizations,
  estimateCosts,
} from '@perftrack/analytics';
export type {
  UsagePatternTrackerOptions,
  PredictionOptions,
  SequenceStep,
  SequencePattern,
  ErrorPronePattern,
  ErrorPatternKind,
  ToolPrediction,
  PatternQuery,
  ErrorPatternQuery,
  UsagePatternStats,
  AnalyticsEngineOptions,
  AnalyticsEngineStats,
  InsightThresholds,
  FormatReportOptions,
  AnalyticsData,
  AnalyticsSummary,
  ToolAnalytics,
  SizeSummary,
  MemorySummary,
  Insights,
  TopTool,
  Bottleneck,
  BottleneckReason,
  ErrorProneTool,
  SessionReport,
  OverallReport,
  CompareOptions,
  RunComparison,
  ToolComparison,
  RunFigures,
  Change,
  Verdict,
  SignificantChange,
  AnomalyDetectorOptions,
  Anomaly,
  LatencyAnomaly,
  ErrorBurstAnomaly,
  MemoryGrowthAnomaly,
  InefficiencyOptions,
  InefficiencyReport,
  ToolPairHotspot,
  RepeatedCall,
  RereadTarget,
  RetryLoop,
  FailingChain,
  Suggestion,
  SuggestionKind,
  SuggestionImpact,
  SuggestionInput,
  SuggestionOptions,
  Recommendation,
  RecommendationKind,
  Impact,
  CostModel,
  CostRates,
  TokenPrice,
  CostBreakdown,
  CostReport,
  ToolCost,
  CommonError,
} from '@perftrack/analytics';

// From @perftrack/storage: persistence, its adapters and the seam, export documents.
export {
  PerformanceStorage,
  EXPORT_SCHEMA,
  FileStorage,
  InMemoryStorage,
  StorageRefusedError,
  InvalidSessionIdError,
  supportsHistoryQuery,
} from '@perftrack/storage';
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
  FileStorageOptions,
  StorageAdapter,
  StoredSessionInfo,
  SnapshotKind,
  ReadReport,
  AppendOutcome,
  SnapshotBatch,
  HistoryFilter,
  HistoryQuery,
  QueryableStorageAdapter,
  ToolAggregate,
  SessionAggregate,
  TransitionAggregate,
} from '@perftrack/storage';
