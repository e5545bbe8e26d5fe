import type { ToolExecutionMetrics } from '../api/types';
import { describeValue as describe } from '../internal/option-checks';

/** A call measured elsewhere, for {@link MetricsCollector.recordExecution}: epoch-ms times, `duration` and `sampleWeight` optional. */
export type ExecutionInput = Omit<ToolExecutionMetrics, 'id' | 'sampleWeight' | 'duration'> & { duration?: number; sampleWeight?: number };

/** Refuses a record that would store a non-finite number or no tool id, naming the field. */
export function checkExecutionInput(input: ExecutionInput): void {
  if (typeof input !== 'object' || input === null) throw new TypeError('recordExecution: expected a record object');
  if (typeof input.toolId !== 'string' || input.toolId.length === 0) {
    throw new TypeError(`recordExecution: toolId must be a non-empty string, got ${describe(input.toolId)}`);
  }
  if (!Number.isFinite(input.startTime) || !Number.isFinite(input.endTime) || input.endTime < input.startTime) {
    throw new TypeError(
      `recordExecution: startTime and endTime must be finite epoch ms with endTime >= startTime, got ${describe(input.startTime)} and ${describe(input.endTime)} ` +
        '(a wall clock that stepped back during the call: pass duration from a monotonic clock and endTime = startTime + duration)',
    );
  }
  // Every stored number is finite: refuse here, where the caller can still be named, not in a sink.
  if (input.duration !== undefined && !(typeof input.duration === 'number' && input.duration >= 0 && input.duration < Infinity)) {
    throw new TypeError(`recordExecution: duration must be a finite number >= 0, got ${describe(input.duration)}`);
  }
  if (
    input.sampleWeight !== undefined &&
    !(typeof input.sampleWeight === 'number' && input.sampleWeight > 0 && input.sampleWeight < Infinity)
  ) {
    throw new TypeError(`recordExecution: sampleWeight must be a finite number > 0, got ${describe(input.sampleWeight)}`);
  }
  for (const key of ['inputSize', 'outputSize', 'memoryUsed'] as const) {
    const value = input[key];
    if (value !== undefined && !Number.isFinite(value))
      throw new TypeError(`recordExecution: ${key} must be a finite number, got ${describe(value)}`);
  }
  if (typeof input.sessionId !== 'string' && input.sessionId !== undefined) {
    throw new TypeError(`recordExecution: sessionId must be a string, got ${describe(input.sessionId)}`);
  }
}

/** A manual execution started and not yet completed. */
export interface InFlight {
  readonly toolId: string;
  readonly sessionId: string;
  readonly messageId: string | undefined;
  readonly start: number;
  readonly inputSize: number | undefined;
  readonly inputSizeCapped: boolean | undefined;
  readonly memoryStart: number | undefined;
}
