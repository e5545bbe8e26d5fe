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

/**
 * How many times to record one weighted record into an instrument that only counts whole
 * observations (a histogram): `floor(weight)`, plus one more with probability equal to the
 * fractional part, so the expected count equals the weight (unbiased for any sample rate).
 */
export function weightedRepeats(weight: number, random: () => number): number {
  const whole = Math.floor(weight);
  const fraction = weight - whole;
  return fraction > 0 && random() < fraction ? whole + 1 : whole;
}
