import type { ToolExecutionMetrics } from '@perftrack/core';

/** Whether a record has what every analysis needs (string tool and session ids). @internal */
export function isUsableRecord(metric: ToolExecutionMetrics): boolean {
  return metric !== null && typeof metric === 'object' && typeof metric.toolId === 'string' && typeof metric.sessionId === 'string';
}

/** The record's `sampleWeight`, or 1 when it is missing, non-positive or not finite. @internal */
export function weightOf(metric: ToolExecutionMetrics): number {
  return metric.sampleWeight > 0 && Number.isFinite(metric.sampleWeight) ? metric.sampleWeight : 1;
}
