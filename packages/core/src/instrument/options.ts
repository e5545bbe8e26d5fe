import type { MetricsCollector } from '../collector/metrics-collector';
import { isRecordable, RECORDER, type Recorder } from '../api/recorder';
import type { ContextResolver, CustomMetadata } from '../api/types';
import type { HeapReadCounter } from './heap-sampling';

/** Smallest non-zero sample rate: its weight `1 / rate` is still a finite number. */
const MIN_SAMPLE_RATE = 1e-300;

/** Options of {@link trackPerformance} and {@link wrapTools}. Unknown keys are rejected. */
export interface TrackOptions {
  /** Tool id recorded for the call. Default: the tool's `id`, else `Class.method`, else the function's name. */
  toolId?: string;
  /** Share of calls timed and recorded, in [0, 1]. Failures are always recorded. Default 1. */
  sampleRate?: number;
  /** Record the V8 heap delta across the call (~0.3 µs a call). Default false. */
  trackMemory?: boolean;
  /** Record approximate input and output sizes in bytes (never the values). Default false. */
  trackInputOutput?: boolean;
  /** Record a stable hash of the input (for repeated-call detection; never the input). Default false. */
  hashInput?: boolean;
  /** Extra fields for each record: an object, or a function of `(args, result)`. */
  customMetadata?: CustomMetadata;
  /** Collector to record into. Default: {@link MetricsCollector.default}, looked up at call time. */
  collector?: MetricsCollector;
  /**
   * Finds the session and message of a call. Default: the second argument's `sessionID` /
   * `messageID` / `callID` (the `execute(args, ctx)` shape), else the collector's default session.
   * See {@link SessionContext} for an AsyncLocalStorage-based resolver.
   */
  context?: ContextResolver;
  /**
   * Which part of the arguments is the tool's input, for `trackInputOutput` sizes and `hashInput`
   * (e.g. `(args) => args[0]` for a framework's `execute(input, options)`). Default: the first
   * argument of an `execute(args, ctx)` call whose `ctx` carries a session id, else every argument.
   */
  input?: (args: readonly unknown[]) => unknown;
  /**
   * Decides whether a call that returned (or resolved) still failed, as MCP's `{ isError: true }`
   * results do: returns the error to record (an `Error`, or any value with a `message`), or
   * `undefined` for a success. The caller always receives the value unchanged. A throwing
   * `failureOf` is reported to the collector's error handler and the call counts as a success.
   */
  failureOf?: (result: unknown) => unknown;
}

export const OPTION_KEYS = new Set([
  'toolId',
  'sampleRate',
  'trackMemory',
  'trackInputOutput',
  'hashInput',
  'customMetadata',
  'collector',
  'context',
  'input',
  'failureOf',
]);

export interface Spec extends HeapReadCounter {
  readonly toolId: string | undefined;
  readonly rate: number;
  readonly weight: number;
  readonly trackMemory: boolean;
  readonly trackIO: boolean;
  readonly hashInput: boolean;
  readonly metaObject: Readonly<Record<string, unknown>> | undefined;
  readonly metaFn: ((args: readonly unknown[], result: unknown) => Readonly<Record<string, unknown>> | undefined) | undefined;
  /** The `collector` option's recorder; undefined: the default collector's, looked up per call. */
  readonly recorder: Recorder | undefined;
  readonly context: ContextResolver | undefined;
  readonly input: ((args: readonly unknown[]) => unknown) | undefined;
  readonly failureOf: ((result: unknown) => unknown) | undefined;
  /** Which part of a returned value is the tool's output, for sizes (a LangChain ToolMessage's content); not an option. */
  readonly outputOf?: (result: unknown) => unknown;
}

export function fail(message: string): never {
  throw new TypeError(`trackPerformance: ${message}`);
}

export function validate(options: TrackOptions | undefined, where = 'options'): Spec {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail(`${where} must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) fail(`unknown option "${key}" in ${where} (expected one of ${[...OPTION_KEYS].join(', ')})`);
  }
  const { toolId, sampleRate = 1, trackMemory = false, trackInputOutput = false, hashInput = false } = options;
  const { customMetadata, collector, context, input, failureOf } = options;
  if (toolId !== undefined && (typeof toolId !== 'string' || toolId.length === 0)) {
    fail(`toolId must be a non-empty string, got ${JSON.stringify(toolId)}`);
  }
  if (typeof sampleRate !== 'number' || !(sampleRate >= 0 && sampleRate <= 1)) {
    fail(`sampleRate must be a number from 0 to 1, got ${String(sampleRate)}`);
  }
  // The weight 1/sampleRate must be finite (every stored number is): 5e-324 would give Infinity.
  if (sampleRate > 0 && sampleRate < MIN_SAMPLE_RATE) {
    fail(`sampleRate must be 0 or at least ${MIN_SAMPLE_RATE} (1/sampleRate must be finite), got ${String(sampleRate)}`);
  }
  for (const [name, v] of [
    ['trackMemory', trackMemory],
    ['trackInputOutput', trackInputOutput],
    ['hashInput', hashInput],
  ] as const) {
    if (typeof v !== 'boolean') fail(`${name} must be a boolean, got ${typeof v}`);
  }
  if (
    customMetadata !== undefined &&
    typeof customMetadata !== 'function' &&
    (typeof customMetadata !== 'object' || customMetadata === null)
  ) {
    fail(`customMetadata must be an object or a function (args, result) => object, got ${typeof customMetadata}`);
  }
  if (collector !== undefined && !isRecordable(collector)) fail('collector must be a MetricsCollector');
  if (context !== undefined && typeof context !== 'function')
    fail(`context must be a function (args, thisArg) => { sessionId }, got ${typeof context}`);
  if (input !== undefined && typeof input !== 'function') fail(`input must be a function (args) => input, got ${typeof input}`);
  if (failureOf !== undefined && typeof failureOf !== 'function')
    fail(`failureOf must be a function (result) => error | undefined, got ${typeof failureOf}`);
  return {
    toolId,
    rate: sampleRate,
    weight: sampleRate > 0 ? 1 / sampleRate : 1,
    trackMemory,
    heapCalls: 0,
    trackIO: trackInputOutput,
    hashInput,
    metaObject: typeof customMetadata === 'object' ? Object.freeze({ ...customMetadata }) : undefined,
    metaFn: typeof customMetadata === 'function' ? customMetadata : undefined,
    recorder: collector?.[RECORDER],
    context,
    input,
    failureOf,
  };
}
