import type { ToolExecutionMetrics } from '@perftrack/core';

/** Longest JSON line a record may take (characters); a bigger record is not stored, and counted. */
export const MAX_RECORD_CHARS = 1_048_576;

const OPTIONAL_NUMBERS = ['inputSize', 'outputSize', 'memoryUsed'] as const;

function finite(v: unknown): v is number {
  return typeof v === 'number' && v - v === 0; // false for NaN, ±Infinity and non-numbers
}

/**
 * Whether a parsed value has the shape of a stored record: the fields every record has, with
 * finite numbers (`duration` >= 0, `sampleWeight` > 0). Logs written before these rules load as
 * long as their numbers are finite (a `null` left by a non-finite number was never readable).
 */
export function isRecord(v: unknown): v is ToolExecutionMetrics {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  if (
    !(
      typeof r.id === 'string' &&
      r.id.length > 0 &&
      typeof r.toolId === 'string' &&
      typeof r.sessionId === 'string' &&
      finite(r.startTime) &&
      finite(r.endTime) &&
      finite(r.duration) &&
      r.duration >= 0 &&
      typeof r.success === 'boolean' &&
      finite(r.sampleWeight) &&
      r.sampleWeight > 0
    )
  ) {
    return false;
  }
  for (const key of OPTIONAL_NUMBERS) if (r[key] !== undefined && !finite(r[key])) return false;
  return true;
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

/**
 * A record as one JSON line (no newline), or the reason it cannot be stored: a field that is
 * missing or not finite (JSON would write `null` and the line would never read back), metadata
 * JSON cannot encode (a BigInt, a cycle), or a line over {@link MAX_RECORD_CHARS}.
 * Metadata values that are non-finite numbers become `null`, as JSON defines.
 */
export function serializeRecord(record: ToolExecutionMetrics): string | { readonly unstorable: string } {
  if (!isRecord(record)) return { unstorable: describeBadRecord(record) };
  let line: string;
  try {
    line = JSON.stringify(record);
  } catch (e) {
    return { unstorable: `JSON cannot encode it (${e instanceof Error ? e.message : String(e)})` };
  }
  if (line.length > MAX_RECORD_CHARS) return { unstorable: `its JSON line has ${line.length} characters (more than ${MAX_RECORD_CHARS})` };
  return line;
}

function describeBadRecord(record: unknown): string {
  if (typeof record !== 'object' || record === null) return 'it is not a record object';
  const r = record as Record<string, unknown>;
  for (const key of ['startTime', 'endTime', 'duration', 'sampleWeight', ...OPTIONAL_NUMBERS] as const) {
    const value = r[key];
    if ((value !== undefined || !OPTIONAL_NUMBERS.includes(key as never)) && !finite(value))
      return `${key} is ${String(value)}, not a finite number`;
  }
  if ((r.duration as number) < 0) return `duration is negative (${String(r.duration)})`;
  if ((r.sampleWeight as number) <= 0) return `sampleWeight is not positive (${String(r.sampleWeight)})`;
  return 'a required field (id, toolId, sessionId, success) is missing or of the wrong type';
}
