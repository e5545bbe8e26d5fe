import { isTimed, isUsableRecord, weightOf } from '../api/record';
import type { ToolExecutionMetrics } from '../api/types';
import { normalizeErrorMessage } from './error-text';

/**
 * A batch of records prepared once for every sink: which are usable, each one's weight, whether
 * it is timed, its tool and session interned to small integers, and its normalised error text.
 * Sinks read these instead of checking, weighing and normalising each record again.
 *
 * The batch and its arrays are reused for the next batch: a sink reads it during `onBatch` and
 * copies what it keeps (the records themselves are never mutated and may be kept).
 */
export interface RecordBatch {
  /** Usable records in this batch; index `0 .. length - 1` of every array below. */
  readonly length: number;
  /** The usable records, in arrival order (unusable ones are counted in {@link unusable} and left out). */
  readonly records: readonly ToolExecutionMetrics[];
  /** `weightOf(record)`: its sample weight, 1 when missing or invalid. */
  readonly weights: Float64Array;
  /** 1 when the record's duration may enter latency figures (`isTimed`), else 0. */
  readonly timed: Uint8Array;
  /** Index of the record's `toolId` in {@link tools}. */
  readonly toolIndex: Uint32Array;
  /** The distinct tool ids of this batch, first seen first. */
  readonly tools: readonly string[];
  /** Index of the record's `sessionId` in {@link sessions}. */
  readonly sessionIndex: Uint32Array;
  /** The distinct session ids of this batch, first seen first. */
  readonly sessions: readonly string[];
  /** The failure's normalised message (`normalizeErrorMessage`), `""` for successes and failures without one. */
  readonly errorTexts: readonly string[];
  /** Records of this batch that were not usable (`isUsableRecord` false): no sink sees them. */
  readonly unusable: number;
}

/**
 * Builds {@link RecordBatch}es in preallocated arrays: `add` prepares one record, `take` hands
 * the batch out and `reset` readies the arrays for the next one.
 * @internal
 */
export class RecordBatchBuilder implements RecordBatch {
  readonly capacity: number;
  length = 0;
  unusable = 0;
  readonly records: ToolExecutionMetrics[] = [];
  readonly weights: Float64Array;
  readonly timed: Uint8Array;
  readonly toolIndex: Uint32Array;
  readonly tools: string[] = [];
  readonly sessionIndex: Uint32Array;
  readonly sessions: string[] = [];
  readonly errorTexts: string[] = [];
  readonly #toolIds = new Map<string, number>();
  readonly #sessionIds = new Map<string, number>();

  constructor(capacity: number) {
    this.capacity = capacity;
    this.weights = new Float64Array(capacity);
    this.timed = new Uint8Array(capacity);
    this.toolIndex = new Uint32Array(capacity);
    this.sessionIndex = new Uint32Array(capacity);
  }

  /** Records held (usable or not). */
  get size(): number {
    return this.length + this.unusable;
  }

  /** Prepares one record; returns false when the batch is full (the record is not taken). */
  add(record: ToolExecutionMetrics): boolean {
    if (this.length + this.unusable >= this.capacity) return false;
    if (!isUsableRecord(record)) {
      this.unusable++;
      return true;
    }
    const i = this.length++;
    this.records.push(record);
    this.weights[i] = weightOf(record);
    this.timed[i] = isTimed(record) ? 1 : 0;
    let tool = this.#toolIds.get(record.toolId);
    if (tool === undefined) {
      tool = this.tools.length;
      this.tools.push(record.toolId);
      this.#toolIds.set(record.toolId, tool);
    }
    this.toolIndex[i] = tool;
    let session = this.#sessionIds.get(record.sessionId);
    if (session === undefined) {
      session = this.sessions.length;
      this.sessions.push(record.sessionId);
      this.#sessionIds.set(record.sessionId, session);
    }
    this.sessionIndex[i] = session;
    this.errorTexts.push(
      record.success !== true && typeof record.error === 'string' && record.error !== '' ? normalizeErrorMessage(record.error) : '',
    );
    return true;
  }

  /** Empties the batch for reuse. */
  reset(): void {
    this.length = 0;
    this.unusable = 0;
    this.records.length = 0;
    this.tools.length = 0;
    this.sessions.length = 0;
    this.errorTexts.length = 0;
    this.#toolIds.clear();
    this.#sessionIds.clear();
  }
}
