// @perftrack/integration — the whole public surface: the high-level API, plus everything of
// core, analytics and storage a user needs, so one import serves.

export { PerformanceIntegration } from './performance-integration';
export type { IntegrationStats, SessionPatterns } from './performance-integration';
export { SessionPerformance, SessionTracker } from './session-performance';
export { findChildSessions, rollUpSessions } from './session-children';
export { openHistory, HistoryReader } from './history';
export type { HistorySource, HistorySelection, HistoryReadResult, HistoryAggregateLimits, HistoryAggregateAnswer, HistorySink, ChildSessionLink } from './history';
export { HistoryAggregator, DEFAULT_MAX_EXACT_DURATIONS } from './history-aggregates';
export type { HistoryAggregatorOptions, HistoryAggregates } from './history-aggregates';
export type { SessionReportOptions, SessionReportWithChildren, SessionRollup } from './session-children';
export type { SessionPerformanceOptions, SessionToolSummary, SessionFailure, SessionTrackerSnapshot } from './session-performance';
export { PerformanceConfigError, resolveConfig, loadConfigFile, DEFAULT_CONFIG } from './config';
export type { PerformanceConfig, PerformanceConfigInput, ResolvedPerformanceConfig } from './config';

export * from '@perftrack/core';
export * from '@perftrack/analytics';
export * from '@perftrack/storage';
