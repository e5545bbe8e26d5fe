import type { ToolExecutionMetrics } from '@perftrack/core';
import { serializeRecord } from '@perftrack/storage';
import { copyField, encodeText } from './text-column';

/** The columns COPY fills in the staging table, in order. */
export const COPY_COLUMNS = ['session_id', 'id', 'start_ms', 'end_ms', 'duration_ms', 'tool_id', 'success', 'untimed', 'error_type', 'sample_weight', 'record'] as const;

/** A batch as COPY text: one line per storable record, and what could not be stored. */
export interface CopyBatch {
  readonly text: string;
  readonly rows: number;
  /** The start times of the rows (to create partitions before the insert). */
  readonly startTimes: number[];
  readonly unstorable: number;
  /** Why the first unstorable record could not be stored. */
  readonly firstProblem?: string;
}

/**
 * Builds the COPY text of a session's records: each validated and serialised once (the same
 * rules as the file store), filed under `sessionId` whatever the record says, so a record is
 * stored where the writer was asked to put it.
 */
export function copyBatch(sessionId: string, records: readonly ToolExecutionMetrics[]): CopyBatch {
  const session = copyField(encodeText(sessionId));
  const lines: string[] = [];
  const startTimes: number[] = [];
  let unstorable = 0;
  let firstProblem: string | undefined;
  for (const record of records) {
    const r = record !== null && typeof record === 'object' && record.sessionId !== sessionId ? { ...record, sessionId } : record;
    const json = serializeRecord(r);
    if (typeof json !== 'string') {
      unstorable++;
      firstProblem ??= `record ${JSON.stringify(String((record as { id?: unknown } | null)?.id).slice(0, 60))} cannot be stored: ${json.unstorable}`;
      continue;
    }
    const errorType = typeof r.errorType === 'string' ? copyField(encodeText(r.errorType)) : '\\N';
    lines.push(
      `${session}\t${copyField(encodeText(r.id))}\t${r.startTime}\t${r.endTime}\t${r.duration}\t${copyField(encodeText(r.toolId))}\t${r.success ? 't' : 'f'}\t${r.untimed === true ? 't' : 'f'}\t${errorType}\t${r.sampleWeight}\t${copyField(json)}\n`,
    );
    startTimes.push(r.startTime);
  }
  return { text: lines.join(''), rows: lines.length, startTimes, unstorable, ...(firstProblem !== undefined ? { firstProblem } : {}) };
}
