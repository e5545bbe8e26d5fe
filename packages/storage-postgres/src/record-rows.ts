import type { ToolExecutionMetrics } from '@perftrack/core';
import { isRecord, MAX_RECORD_CHARS, serializeRecord } from '@perftrack/storage';
import { copyField, decodeText, encodeText } from './text-column';

/** The columns COPY fills in the staging table, in order. */
export const COPY_COLUMNS = [
  'session_id',
  'id',
  'start_ms',
  'end_ms',
  'duration_ms',
  'tool_id',
  'success',
  'untimed',
  'error_type',
  'sample_weight',
  'extra',
] as const;

/** A batch as COPY text: one line per storable record, and what could not be stored. */
export interface CopyBatch {
  readonly text: string;
  readonly rows: number;
  /** Per row, what the rollups of a batch known to be inserted whole are computed from (see fast-append). */
  readonly facts: RowFacts[];
  readonly unstorable: number;
  /** Why the first unstorable record could not be stored. */
  readonly firstProblem?: string;
}

/** A row's rollup inputs, as stored (text columns encoded). */
export interface RowFacts {
  readonly id: string;
  readonly tool: string;
  readonly start: number;
  readonly end: number;
  readonly duration: number;
  readonly success: boolean;
  readonly untimed: boolean;
  readonly errorType: string | null;
  readonly weight: number;
  /** What the rollups count as the row's bytes: `octet_length(extra::text) + octet_length(id) + octet_length(tool_id) + 60`. */
  readonly bytes: number;
}

/**
 * The fields every record has live in their own columns (numbers as float8, exact); everything
 * else (messageId, sizes, error, metadata…) is one JSON object in `extra`, NULL when there is
 * nothing. Rows stay narrow, so the aggregates scan little, and a record reads back equal.
 */
export function splitRecord(record: ToolExecutionMetrics): { extra: Record<string, unknown> | undefined } {
  const {
    id: _id,
    toolId: _tool,
    sessionId: _session,
    startTime: _start,
    endTime: _end,
    duration: _duration,
    success: _success,
    sampleWeight: _weight,
    ...extra
  } = record;
  for (const _key in extra) return { extra };
  return { extra: undefined };
}

/** A stored row back to the record. */
export function joinRecord(row: RecordRow): ToolExecutionMetrics {
  return {
    id: decodeText(row.id),
    toolId: decodeText(row.tool_id),
    sessionId: decodeText(row.session_id),
    startTime: row.start_ms,
    endTime: row.end_ms,
    duration: row.duration_ms,
    success: row.success,
    sampleWeight: row.sample_weight,
    ...(row.extra ?? {}),
  };
}

/** The columns {@link joinRecord} reads. */
export interface RecordRow {
  id: string;
  tool_id: string;
  session_id: string;
  start_ms: number;
  end_ms: number;
  duration_ms: number;
  success: boolean;
  sample_weight: number;
  extra: Record<string, unknown> | null;
}

/** Why a record cannot be stored, or undefined when it can (its `extra` JSON is checked apart). */
function problem(record: ToolExecutionMetrics): string | undefined {
  if (!isRecord(record)) {
    const reason = serializeRecord(record);
    return typeof reason === 'string' ? 'it is not a record' : reason.unstorable;
  }
  return undefined;
}

/**
 * Builds the COPY text of a session's records: each validated once (the same rules as the file
 * store: the shape, finite numbers, metadata JSON can encode, at most MAX_RECORD_CHARS), filed
 * under `sessionId` whatever the record says, so a record is stored where the writer was asked to put it.
 */
export function copyBatch(sessionId: string, records: readonly ToolExecutionMetrics[]): CopyBatch {
  const session = copyField(encodeText(sessionId));
  const lines: string[] = [];
  const facts: RowFacts[] = [];
  let unstorable = 0;
  let firstProblem: string | undefined;
  const refuse = (record: unknown, why: string) => {
    unstorable++;
    firstProblem ??= `record ${JSON.stringify(String((record as { id?: unknown } | null)?.id).slice(0, 60))} cannot be stored: ${why}`;
  };
  for (const record of records) {
    const r = record !== null && typeof record === 'object' && record.sessionId !== sessionId ? { ...record, sessionId } : record;
    const bad = problem(r);
    if (bad !== undefined) {
      refuse(record, bad);
      continue;
    }
    const { extra } = splitRecord(r);
    let json = '\\N';
    let extraBytes = 0;
    if (extra !== undefined) {
      try {
        json = JSON.stringify(extra);
      } catch (e) {
        refuse(record, `JSON cannot encode it (${e instanceof Error ? e.message : String(e)})`);
        continue;
      }
      if (json.length > MAX_RECORD_CHARS) {
        refuse(record, `its JSON has ${json.length} characters (more than ${MAX_RECORD_CHARS})`);
        continue;
      }
      extraBytes = Buffer.byteLength(json);
      json = copyField(json);
    }
    const id = encodeText(r.id);
    const tool = encodeText(r.toolId);
    const errorType = typeof r.errorType === 'string' ? encodeText(r.errorType) : null;
    const untimed = r.untimed === true;
    lines.push(
      `${session}\t${copyField(id)}\t${r.startTime}\t${r.endTime}\t${r.duration}\t${copyField(tool)}\t${r.success ? 't' : 'f'}\t${untimed ? 't' : 'f'}\t${errorType === null ? '\\N' : copyField(errorType)}\t${r.sampleWeight}\t${json}\n`,
    );
    facts.push({
      id,
      tool,
      start: r.startTime,
      end: r.endTime,
      duration: r.duration,
      success: r.success,
      untimed,
      errorType,
      weight: r.sampleWeight,
      bytes: extraBytes + byteLength(id) + byteLength(tool) + 60,
    });
  }
  return {
    text: lines.join(''),
    rows: lines.length,
    facts,
    unstorable,
    ...(firstProblem !== undefined ? { firstProblem } : {}),
  };
}

/** UTF-8 length (a string of ASCII only, the usual id or tool name, without encoding it). */
function byteLength(text: string): number {
  return /^[\x00-\x7f]*$/.test(text) ? text.length : Buffer.byteLength(text);
}
