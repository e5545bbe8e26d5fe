import type { CallContext } from './types';

/**
 * One call as instrumentation measured it, handed to {@link Recorder.record}: the recorder turns
 * it into the stored record (id, epoch times, the clock rule, error message and type), in one
 * place. Clock readings are the recorder's own (`Recorder.now()`), unless `timeOrigin` says
 * they are epoch milliseconds already. A recorder reads the draft before it runs any user code
 * (an error's `message` getter) and never keeps it: instrumentation may reuse one draft object.
 */
export interface RecordDraft {
  /** The record's id when the caller made one already (a manual execution's); default a new one. */
  readonly id?: string | undefined;
  readonly toolId: string;
  readonly sessionId: string;
  readonly messageId?: string | undefined;
  readonly callId?: string | undefined;
  /** Clock reading at the start of the call. */
  readonly start: number;
  /** Clock reading at its end. */
  readonly end: number;
  /** Epoch ms of reading 0: `0` when `start`/`end` are epoch ms (calls timed elsewhere); default the recorder clock's origin. */
  readonly timeOrigin?: number | undefined;
  /** Duration measured elsewhere; default `end - start`. */
  readonly duration?: number | undefined;
  readonly success: boolean;
  /** What the call threw or failed with; the recorder derives `error` and `errorType` from it. */
  readonly failure?: unknown;
  /** `true`: `error` and `errorType` are the record's strings already (a call recorded elsewhere); `failure` is ignored. */
  readonly preformatted?: boolean | undefined;
  readonly error?: string | undefined;
  readonly errorType?: string | undefined;
  readonly inputSize?: number | undefined;
  readonly inputSizeCapped?: boolean | undefined;
  readonly outputSize?: number | undefined;
  readonly outputSizeCapped?: boolean | undefined;
  readonly inputHash?: string | undefined;
  readonly memoryUsed?: number | undefined;
  /** Final weight of the record (instrumentation decides: 1 for a kept failure). */
  readonly sampleWeight: number;
  readonly untimed?: boolean | undefined;
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  /** Parent and run links of the call, as its context found them. */
  readonly links?: Pick<CallContext, 'parentCallId' | 'parentSessionId' | 'runId'> | undefined;
}

/** A {@link RecordDraft} being filled in. */
export type MutableRecordDraft = { -readonly [K in keyof RecordDraft]: RecordDraft[K] };

/**
 * A draft with every field present, in one order. Every draft made here has one object shape,
 * so the recorder's reads of any draft stay monomorphic whichever path filled it.
 */
export function createDraft(): MutableRecordDraft {
  return {
    id: undefined,
    toolId: '',
    sessionId: '',
    messageId: undefined,
    callId: undefined,
    start: 0,
    end: 0,
    timeOrigin: undefined,
    duration: undefined,
    success: true,
    failure: undefined,
    preformatted: undefined,
    error: undefined,
    errorType: undefined,
    inputSize: undefined,
    inputSizeCapped: undefined,
    outputSize: undefined,
    outputSizeCapped: undefined,
    inputHash: undefined,
    memoryUsed: undefined,
    sampleWeight: 1,
    untimed: undefined,
    metadata: undefined,
    links: undefined,
  };
}

/** Where a {@link Recorder} error came from, as instrumentation reports it. */
export type RecorderErrorSource = 'metadata' | 'context';

/**
 * What `trackPerformance` needs from whatever records its calls: a clock, a sampler, measuring
 * hooks and one `record(draft)`. `MetricsCollector` provides one (reachable through
 * {@link RECORDER}); {@link NOOP_RECORDER} records nothing. Every method is cheap and never
 * throws into the tool.
 */
export interface Recorder {
  /** `false`: tracked calls are a pure pass-through. */
  readonly enabled: boolean;
  /** Session of calls whose context names none. */
  readonly defaultSessionId: string;
  /** Monotonic clock reading, ms. */
  now(): number;
  /** Uniform in [0, 1), for sampling. */
  random(): number;
  /** Heap size in bytes, or NaN when heap reads are not allowed (the call then records no memory). */
  memory(): number;
  /** Approximate size of a value in bytes. */
  size(value: unknown): number;
  /** Whether the last `size()` stopped at its cap. */
  sizeCapped(): boolean;
  /** Counts one call skipped by sampling. */
  sampledOut(): void;
  /** Counts a call whose result is pending (+1) or settled (-1). */
  pending(delta: 1 | -1): void;
  /** Reports an error of a user hook (metadata, input or context function). */
  reportError(error: unknown, source: RecorderErrorSource): void;
  /** One warning per key. */
  warnOnce(key: string, message: string): void;
  /** Builds, buffers and publishes the record of one call. */
  record(draft: RecordDraft): void;
}

/**
 * The key under which a collector exposes its {@link Recorder}. `Symbol.for`, so that every
 * compatible copy of the package reaches the default collector another copy created; the `/1`
 * names this interface's layout.
 */
export const RECORDER: unique symbol = Symbol.for('perftrack.core.recorder/1');

/** Anything that records calls for instrumentation: a `MetricsCollector`. */
export interface Recordable {
  readonly [RECORDER]: Recorder;
}

/** Whether `value` exposes a {@link Recorder}. */
export function isRecordable(value: unknown): value is Recordable {
  if (typeof value !== 'object' || value === null) return false;
  try {
    const recorder = (value as Partial<Recordable>)[RECORDER];
    return typeof recorder === 'object' && recorder !== null && typeof recorder.record === 'function';
  } catch {
    return false;
  }
}

const noop = (): void => {};

/**
 * Records nothing and costs nothing: `enabled` is false, so tracked calls only forward. What
 * instrumentation uses when no collector implementation is loaded.
 */
export const NOOP_RECORDER: Recorder = Object.freeze({
  enabled: false,
  defaultSessionId: 'default',
  now: () => 0,
  random: () => 0,
  memory: () => Number.NaN,
  size: () => 0,
  sizeCapped: () => false,
  sampledOut: noop,
  pending: noop,
  reportError: noop,
  warnOnce: noop,
  record: noop,
});
