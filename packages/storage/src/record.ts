import type { ToolExecutionMetrics } from '@perftrack/core';

/** Whether a parsed value has the shape of a stored record (the fields every record has). */
export function isRecord(v: unknown): v is ToolExecutionMetrics {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.id === 'string' &&
    r.id.length > 0 &&
    typeof r.toolId === 'string' &&
    typeof r.sessionId === 'string' &&
    typeof r.startTime === 'number' &&
    typeof r.endTime === 'number' &&
    typeof r.duration === 'number' &&
    typeof r.success === 'boolean' &&
    typeof r.sampleWeight === 'number'
  );
}

/** One JSON line to a record, or undefined when the line is truncated, corrupt or not a record. */
export function parseRecord(line: string): ToolExecutionMetrics | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  return isRecord(v) ? v : undefined;
}
