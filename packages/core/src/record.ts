import type { ToolExecutionMetrics } from './types';

// How subscribers read a record: shared so every analysis counts and weighs records alike.

/** Whether a record has what every analysis needs (string tool and session ids). */
export function isUsableRecord(metric: ToolExecutionMetrics): boolean {
  return metric !== null && typeof metric === 'object' && typeof metric.toolId === 'string' && typeof metric.sessionId === 'string';
}

/** The record's `sampleWeight`, or 1 when it is missing, non-positive or not finite. */
export function weightOf(metric: ToolExecutionMetrics): number {
  return metric.sampleWeight > 0 && Number.isFinite(metric.sampleWeight) ? metric.sampleWeight : 1;
}

/** Whether the record's `duration` may enter latency figures: not `untimed`, finite and non-negative. */
export function isTimed(metric: ToolExecutionMetrics): boolean {
  return metric.untimed !== true && Number.isFinite(metric.duration) && metric.duration >= 0;
}
