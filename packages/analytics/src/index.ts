// @perftrack/analytics — the whole public surface.

// Sequences and prediction
export { UsagePatternTracker } from './usage-pattern-tracker';
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
} from './usage-pattern-types';

// Figures and insights
export { AnalyticsEngine } from './analytics-engine';
export type { AnalyticsEngineOptions, AnalyticsEngineStats, InsightThresholds, SessionFigures } from './analytics-engine';
export {
  formatSessionReport,
  formatTable,
  terminalSafe,
  formatRecommendation,
  MIN_CALLS_FOR_P95,
  MIN_CALLS_FOR_P99,
} from './format-report';
export { formatPercent } from './format-percent';
export type { FormatReportOptions } from './format-report';
export type {
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
} from './types';

// Comparing runs (generation N vs N+1)
export { compareRuns, formatComparison } from './compare';
export type { CompareOptions, RunComparison, ToolComparison, RunFigures, Change, Verdict, SignificantChange } from './compare';
export { evaluateGate, isGateCondition, formatComparisonMarkdown, formatComparisonJUnit } from './compare-gate';
export type { GateCondition, GateCheck, GateResult } from './compare-gate';

// Anomalies
export { AnomalyDetector } from './anomaly-detector';
export type { AnomalyDetectorOptions, Anomaly, LatencyAnomaly, ErrorBurstAnomaly, MemoryGrowthAnomaly } from './anomaly-detector';

// Wasted work and what to change next
export { findInefficiencies, InefficiencyScanner } from './inefficiencies';
export type {
  InefficiencyOptions,
  InefficiencyReport,
  ToolPairHotspot,
  RepeatedCall,
  RereadTarget,
  RetryLoop,
  FailingChain,
} from './inefficiencies';
export { suggestOptimizations } from './suggestions';
export type { Suggestion, SuggestionKind, SuggestionImpact, SuggestionInput, SuggestionOptions } from './suggestions';

// One advice vocabulary (insights, suggestions, report, analyze, dashboard)
export type { Recommendation, RecommendationKind, Impact } from './recommendations';

// Cost
export { estimateCosts, compileCostModel } from './cost';
export type { CostModel, CostRates, TokenPrice, CostBreakdown, CostReport, ToolCost, CompiledCostModel } from './cost';

// Activity over time (live charts)
export { ToolTimeline } from './tool-timeline';
export type { ToolTimelineOptions, TimelineSeries, ToolSeries } from './tool-timeline';

// Building blocks
export { QuantileSketch } from './quantile-sketch';
export type { QuantileSketchOptions } from './quantile-sketch';
export { wilsonLowerBound, normalizeErrorMessage } from './evidence';
export type { CommonError } from './evidence';
