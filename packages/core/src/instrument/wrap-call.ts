import { defaultRecorder } from '../api/default-recorder';
import { createDraft, type MutableRecordDraft, type Recorder } from '../api/recorder';
import type { CallContext } from '../api/types';
import { frameworkContext } from './call-context';
import { failureIn, hashOf, inputOf, inputSize, metadataOf, readContext, sessionOf } from './call-inputs';
import { copyFunctionShape, type AnyFunction } from './function-shape';
import type { Spec } from './options';
import type { IdOf } from './tool-ids';
import { readsHeap } from './heap-sampling';

// The call-wrapping template. Every shape of call goes through the same three steps:
//   begin   decide sampling, read the context, measure input and heap, read the clock;
//   run     the original, with the caller's `this`, arguments and `new.target`;
//   settle  by what it returned: a native promise is followed to its end, a generator's
//           iteration is timed from first `next()` to its end, anything else ends now;
//   end     read the clock, measure output and heap, and hand one draft to the recorder.
// The default options (timing and outcome only) take a specialised sync/promise wrapper that
// skips what they do not measure; it ends through the same draft rule.

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as unknown;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor as unknown;
type Apply = (this: unknown, ...args: unknown[]) => unknown;

/** One sampled-in call between `begin` and `end`. */
interface Call {
  readonly recorder: Recorder;
  readonly spec: Spec;
  readonly toolId: string;
  readonly ctx: CallContext | undefined;
  readonly args: ArrayLike<unknown>;
  readonly memoryStart: number;
  readonly inputSize: number | undefined;
  readonly inputSizeCapped: boolean | undefined;
  readonly inputHash: string | undefined;
  readonly start: number;
}

const promiseThen = Promise.prototype.then;

/**
 * Whether a returned value looks like a promise of the intrinsic `Promise`: an instance whose
 * `constructor` is `Promise` (what the intrinsic `then` reads anyway) and whose `then` is the
 * intrinsic one. Never throws: a revoked proxy, a subclass (whose `then` would run its
 * constructor), a promise with its own `then` or any other thenable is returned as it is and
 * timed as a sync value. A proxy of a promise passes this check and is told apart by
 * {@link follow}. Plain property reads and `instanceof` only: a native call here (such as
 * `types.isPromise`) costs more than the rest of the promise path.
 */
function isPromiseShaped(value: object): value is Promise<unknown> {
  try {
    return (
      value instanceof Promise &&
      (value as { constructor?: unknown }).constructor === Promise &&
      (value as { then?: unknown }).then === promiseThen
    );
  } catch {
    return false; // a proxy's trap threw (a revoked proxy)
  }
}

/**
 * `then` on a promise-shaped value; undefined when the value is not a promise after all: the
 * intrinsic `then` checks for a real promise before anything else and throws a TypeError for a
 * proxy (or an object made from `Promise.prototype`), with no callback registered.
 */
function follow(
  p: Promise<unknown>,
  onFulfilled: ((value: unknown) => unknown) | undefined,
  onRejected: (error: unknown) => unknown,
): Promise<unknown> | undefined {
  try {
    return p.then(onFulfilled, onRejected);
  } catch {
    return undefined;
  }
}

/** Runs the original: a call, or under `new` a construction of the original itself. */
function run(fn: Apply, thisArg: unknown, args: ArrayLike<unknown>, newTarget: unknown, wrapped: unknown): unknown {
  if (newTarget === undefined) return fn.apply(thisArg, args as unknown[]);
  // `new` on the wrapper is `new` on the original (throws as it does when it is no constructor)
  return Reflect.construct(fn, args, newTarget === wrapped ? fn : (newTarget as Apply));
}

/** Whether this call is sampled out (and counts it). */
function sampledOut(r: Recorder, rate: number): boolean {
  if (rate < 1 && (rate === 0 || r.random() >= rate)) {
    r.sampledOut();
    return true;
  }
  return false;
}

function begin(r: Recorder, spec: Spec, toolId: string, ctx: CallContext | undefined, args: ArrayLike<unknown>): Call {
  let inSize: number | undefined;
  let inCapped: boolean | undefined;
  if (spec.trackIO) {
    inSize = inputSize(r, spec, args);
    if (r.sizeCapped()) inCapped = true;
  }
  const inputHash = spec.hashInput ? hashOf(inputOf(args, spec, r)) : undefined;
  const memoryStart = spec.trackMemory && readsHeap(spec, r) ? r.memory() : NaN; // NaN: this call reads no heap
  return { recorder: r, spec, toolId, ctx, args, memoryStart, inputSize: inSize, inputSizeCapped: inCapped, inputHash, start: r.now() };
}

/** Ends a call: its clock reading, output size, heap delta, `failureOf`, metadata, one draft. */
function end(call: Call, returned: boolean, value: unknown, endTime: number = call.recorder.now()): void {
  const { recorder: r, spec, ctx } = call;
  let memoryUsed: number | undefined;
  if (spec.trackMemory && call.memoryStart === call.memoryStart) {
    const delta = r.memory() - call.memoryStart;
    if (delta === delta) memoryUsed = delta; // NaN: the collector does not allow heap reads
  }
  let outputSize: number | undefined;
  let outputSizeCapped: boolean | undefined;
  if (spec.trackIO && returned) {
    outputSize = r.size(spec.outputOf === undefined ? value : spec.outputOf(value));
    if (r.sizeCapped()) outputSizeCapped = true;
  }
  let success = returned;
  let failure: unknown = returned ? undefined : value;
  if (returned && spec.failureOf !== undefined) {
    const found = failureIn(spec, r, value);
    if (found !== undefined) {
      success = false;
      failure = found;
    }
  }
  const metadata =
    spec.metaObject !== undefined || spec.metaFn !== undefined ? metadataOf(spec, r, call.args, returned ? value : undefined) : undefined;
  const sessionId = sessionOf(ctx, r);
  // every value is computed before the shared draft is written: no user code runs in between
  const d = draft;
  d.toolId = call.toolId;
  d.sessionId = sessionId;
  d.messageId = ctx?.messageId;
  d.callId = ctx?.callId;
  d.start = call.start;
  d.end = endTime;
  d.success = success;
  d.failure = failure;
  d.inputSize = call.inputSize;
  d.inputSizeCapped = call.inputSizeCapped;
  d.outputSize = outputSize;
  d.outputSizeCapped = outputSizeCapped;
  d.inputHash = call.inputHash;
  d.memoryUsed = memoryUsed;
  d.sampleWeight = success ? spec.weight : 1;
  d.untimed = undefined;
  d.metadata = metadata;
  d.links = ctx;
  r.record(d);
}

/** A failure of a sampled-out call: kept, untimed, weight 1. */
function recordUntimed(r: Recorder, spec: Spec, toolId: string, ctx: CallContext | undefined, failure: unknown): void {
  const now = r.now();
  const sessionId = sessionOf(ctx, r);
  const d = draft;
  d.toolId = toolId;
  d.sessionId = sessionId;
  d.messageId = ctx?.messageId;
  d.callId = ctx?.callId;
  d.start = now;
  d.end = now;
  d.success = false;
  d.failure = failure;
  clearMeasurements(d);
  d.sampleWeight = 1;
  d.untimed = true;
  d.metadata = spec.metaObject;
  d.links = ctx;
  r.record(d);
}

/** Clears what only the full wrapper measures. */
function clearMeasurements(d: MutableRecordDraft): void {
  d.inputSize = undefined;
  d.inputSizeCapped = undefined;
  d.outputSize = undefined;
  d.outputSizeCapped = undefined;
  d.inputHash = undefined;
  d.memoryUsed = undefined;
}

/**
 * Follows a native promise to its end; the caller gets a promise settling with the same value
 * or error. Undefined when `p` is no promise after all (see {@link follow}).
 */
function settlePromise(p: Promise<unknown>, call: Call): Promise<unknown> | undefined {
  const r = call.recorder;
  r.pending(1);
  // A new promise rather than `p` itself: a rejection nobody handles still surfaces as unhandled.
  const followed = follow(
    p,
    (v) => {
      r.pending(-1);
      end(call, true, v);
      return v;
    },
    (e: unknown) => {
      r.pending(-1);
      end(call, false, e);
      throw e;
    },
  );
  if (followed === undefined) r.pending(-1);
  return followed;
}

/** Builds the tracked twin of `fn`: same `this`, arguments, `new`, return value, thrown error, sync/async nature. */
export function instrument(fn: AnyFunction, spec: Spec, idOf: IdOf): AnyFunction {
  const ctor = (Object.getPrototypeOf(fn) as { constructor?: unknown } | null)?.constructor;
  const wrapped =
    ctor === GeneratorFunction
      ? wrapGenerator(fn, spec, idOf)
      : ctor === AsyncGeneratorFunction
        ? wrapAsyncGenerator(fn, spec, idOf)
        : isBasic(spec)
          ? wrapBasic(fn as Apply, spec, idOf)
          : wrapFull(fn as Apply, spec, idOf);
  copyFunctionShape(wrapped, fn);
  return wrapped;
}

function isBasic(spec: Spec): boolean {
  return (
    !spec.trackMemory &&
    !spec.trackIO &&
    !spec.hashInput &&
    spec.metaFn === undefined &&
    spec.context === undefined &&
    spec.input === undefined &&
    spec.failureOf === undefined
  );
}

/** Sync and promise calls, every option. */
function wrapFull(fn: Apply, spec: Spec, idOf: IdOf): AnyFunction {
  const explicit = spec.recorder;
  const rate = spec.rate;
  const wrapped = function (this: unknown): unknown {
    const r = explicit ?? defaultRecorder();
    const args = arguments;
    if (!r.enabled) return run(fn, this, args, new.target, wrapped);
    if (sampledOut(r, rate)) return runSampledOut(fn, spec, idOf, r, this, args, new.target, wrapped);
    const call = begin(r, spec, idOf(this), readContext(args, this, spec, r), args);
    let result: unknown;
    try {
      result = run(fn, this, args, new.target, wrapped);
    } catch (e) {
      end(call, false, e);
      throw e;
    }
    if (typeof result === 'object' && result !== null && isPromiseShaped(result)) {
      const followed = settlePromise(result, call);
      if (followed !== undefined) return followed;
    }
    end(call, true, result);
    return result;
  };
  return wrapped as AnyFunction;
}

/** A sampled-out call: not timed; its failures (thrown, rejected, or found by `failureOf`) are kept, untimed. */
function runSampledOut(
  fn: Apply,
  spec: Spec,
  idOf: IdOf,
  r: Recorder,
  thisArg: unknown,
  args: ArrayLike<unknown>,
  newTarget: unknown,
  wrapped: unknown,
): unknown {
  const fail = (failure: unknown): void => recordUntimed(r, spec, idOf(thisArg), readContext(args, thisArg, spec, r), failure);
  let result: unknown;
  try {
    result = run(fn, thisArg, args, newTarget, wrapped);
  } catch (e) {
    fail(e);
    throw e;
  }
  const check = (v: unknown): void => {
    if (spec.failureOf === undefined) return;
    const failure = failureIn(spec, r, v);
    if (failure !== undefined) fail(failure);
  };
  if (typeof result === 'object' && result !== null && isPromiseShaped(result)) {
    const followed = follow(
      result,
      spec.failureOf === undefined
        ? undefined
        : (v: unknown) => {
            check(v);
            return v;
          },
      (e: unknown) => {
        fail(e);
        throw e;
      },
    );
    if (followed !== undefined) return followed;
  }
  check(result);
  return result;
}

/** Ends a call of the basic wrapper: its context read from the `execute(args, ctx)` arguments. */
function endBasic(
  r: Recorder,
  spec: Spec,
  toolId: string,
  firstArg: unknown,
  ctxArg: unknown,
  start: number,
  endTime: number,
  returned: boolean,
  value: unknown,
): void {
  const ctx = frameworkContext(firstArg, ctxArg);
  if (ctx !== undefined && (ctx.runId !== undefined || ctx.parentCallId !== undefined || ctx.parentSessionId !== undefined)) {
    end(
      {
        recorder: r,
        spec,
        toolId,
        ctx,
        args: [],
        memoryStart: 0,
        inputSize: undefined,
        inputSizeCapped: undefined,
        inputHash: undefined,
        start,
      },
      returned,
      value,
      endTime,
    );
    return;
  }
  const sessionId = ctx === undefined ? r.defaultSessionId : sessionOf(ctx, r);
  // every value is computed before the shared draft is written: no user code runs in between
  const d = basicDraft;
  d.toolId = toolId;
  d.sessionId = sessionId;
  d.messageId = ctx?.messageId;
  d.callId = ctx?.callId;
  d.start = start;
  d.end = endTime;
  d.success = returned;
  d.failure = returned ? undefined : value;
  d.sampleWeight = returned ? spec.weight : 1;
  d.metadata = spec.metaObject;
  r.record(d);
}

/**
 * The draft every call fills, reused so a tracked call allocates only its record: a recorder
 * reads a draft before it runs any user code and never keeps it (see RecordDraft). Fields this
 * module never sets (`id`, `timeOrigin`, `duration`, `preformatted`, `error`, `errorType`) stay undefined.
 */
const draft = createDraft();
/** The basic wrapper's draft: the same shape, its measurement, `untimed` and `links` fields never set. */
const basicDraft = createDraft();

/**
 * The template specialised for the default options (timing and outcome only). `arguments` is
 * only ever forwarded by `apply` or read by index, so the engine never materialises it: the
 * call costs two clock reads and one record.
 */
function wrapBasic(fn: Apply, spec: Spec, idOf: IdOf): AnyFunction {
  const rate = spec.rate;
  const explicit = spec.recorder;
  const wrapped = function (this: unknown): unknown {
    const r = explicit ?? defaultRecorder();
    if (new.target !== undefined)
      return constructBasic.apply({ fn, spec, idOf, r, newTarget: new.target, wrapped }, arguments as unknown as unknown[]);
    if (!r.enabled) return fn.apply(this, arguments as unknown as unknown[]);
    if (rate < 1 && (rate === 0 || r.random() >= rate)) {
      r.sampledOut();
      let result: unknown;
      try {
        result = fn.apply(this, arguments as unknown as unknown[]);
      } catch (e) {
        recordUntimed(r, spec, idOf(this), frameworkContext(arguments[0], arguments[1]), e);
        throw e;
      }
      if (typeof result === 'object' && result !== null && isPromiseShaped(result)) {
        const toolId = idOf(this);
        const [firstArg, ctxArg]: unknown[] = [arguments[0], arguments[1]];
        const followed = follow(result, undefined, (e: unknown) => {
          recordUntimed(r, spec, toolId, frameworkContext(firstArg, ctxArg), e);
          throw e;
        });
        if (followed !== undefined) return followed;
      }
      return result;
    }
    const firstArg: unknown = arguments.length > 0 ? arguments[0] : undefined;
    const ctxArg: unknown = arguments.length > 1 ? arguments[1] : undefined;
    const start = r.now();
    let result: unknown;
    try {
      result = fn.apply(this, arguments as unknown as unknown[]);
    } catch (e) {
      endBasic(r, spec, idOf(this), firstArg, ctxArg, start, r.now(), false, e);
      throw e;
    }
    if (typeof result === 'object' && result !== null && isPromiseShaped(result)) {
      const followed = settleBasicPromise(result, r, spec, idOf(this), firstArg, ctxArg, start);
      if (followed !== undefined) return followed;
    }
    endBasic(r, spec, idOf(this), firstArg, ctxArg, start, r.now(), true, undefined);
    return result;
  };
  return wrapped as AnyFunction;
}

/** What `new` on a basic wrapper needs (a rare path, so the hot path never materialises `arguments`). */
interface Construction {
  readonly fn: Apply;
  readonly spec: Spec;
  readonly idOf: IdOf;
  readonly r: Recorder;
  readonly newTarget: unknown;
  readonly wrapped: unknown;
}

/** `new` on a basic wrapper: the original constructed (or its TypeError), timed as a sync call. */
function constructBasic(this: Construction, ...args: unknown[]): unknown {
  const { fn, spec, idOf, r, newTarget, wrapped } = this;
  if (!r.enabled) return run(fn, undefined, args, newTarget, wrapped);
  if (sampledOut(r, spec.rate)) return runSampledOut(fn, spec, idOf, r, undefined, args, newTarget, wrapped);
  const start = r.now();
  let result: unknown;
  try {
    result = run(fn, undefined, args, newTarget, wrapped);
  } catch (e) {
    endBasic(r, spec, idOf(undefined), args[0], args[1], start, r.now(), false, e);
    throw e;
  }
  endBasic(r, spec, idOf(undefined), args[0], args[1], start, r.now(), true, undefined);
  return result;
}

/** {@link settlePromise} for the basic wrapper. */
function settleBasicPromise(
  p: Promise<unknown>,
  r: Recorder,
  spec: Spec,
  toolId: string,
  firstArg: unknown,
  ctxArg: unknown,
  start: number,
): Promise<unknown> | undefined {
  r.pending(1);
  const followed = follow(
    p,
    (v) => {
      const endTime = r.now();
      r.pending(-1);
      endBasic(r, spec, toolId, firstArg, ctxArg, start, endTime, true, undefined);
      return v;
    },
    (e: unknown) => {
      const endTime = r.now();
      r.pending(-1);
      endBasic(r, spec, toolId, firstArg, ctxArg, start, endTime, false, e);
      throw e;
    },
  );
  if (followed === undefined) r.pending(-1);
  return followed;
}

/**
 * One generator iteration between `begin` and `end`: from the first `next()` to its return,
 * its throw, or the consumer stopping early (`return()`, which ends it without error).
 */
class Iteration {
  readonly #spec: Spec;
  readonly #idOf: IdOf;
  readonly #thisArg: unknown;
  readonly #args: unknown[];
  /** undefined: not tracked (disabled); null: sampled out (only a failure is kept). */
  readonly #call: Call | null | undefined;
  #settled = false;

  constructor(spec: Spec, idOf: IdOf, thisArg: unknown, args: unknown[]) {
    this.#spec = spec;
    this.#idOf = idOf;
    this.#thisArg = thisArg;
    this.#args = args;
    const r = spec.recorder ?? defaultRecorder();
    if (!r.enabled) this.#call = undefined;
    else if (sampledOut(r, spec.rate)) this.#call = null;
    else {
      this.#call = begin(r, spec, idOf(thisArg), readContext(args, thisArg, spec, r), args);
      r.pending(1);
    }
  }

  /** The iteration returned `value`; returns it. */
  returned<T>(value: T): T {
    this.#end(true, value);
    return value;
  }

  /** The iteration threw `error`; returns it, to be rethrown as it is. */
  threw(error: unknown): unknown {
    this.#end(false, error);
    return error;
  }

  /** The consumer stopped early, or nothing else ended the iteration. */
  stopped(): void {
    this.#end(true, undefined);
  }

  #end(returned: boolean, value: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    const call = this.#call;
    if (call === undefined) return;
    if (call === null) {
      if (!returned) {
        const r = this.#spec.recorder ?? defaultRecorder();
        recordUntimed(r, this.#spec, this.#idOf(this.#thisArg), readContext(this.#args, this.#thisArg, this.#spec, r), value);
      }
      return;
    }
    call.recorder.pending(-1);
    end(call, returned, value);
  }
}

// Generators: the same begin/end around `yield*`, which needs a generator body of each kind.

function wrapGenerator(fn: AnyFunction, spec: Spec, idOf: IdOf): AnyFunction {
  const gen = fn as unknown as (...a: unknown[]) => Generator<unknown, unknown, unknown>;
  return function* (this: unknown, ...args: unknown[]): Generator<unknown, unknown, unknown> {
    const iteration = new Iteration(spec, idOf, this, args);
    try {
      return iteration.returned(yield* gen.apply(this, args));
    } catch (e) {
      throw iteration.threw(e);
    } finally {
      iteration.stopped();
    }
  } as unknown as AnyFunction;
}

function wrapAsyncGenerator(fn: AnyFunction, spec: Spec, idOf: IdOf): AnyFunction {
  const gen = fn as unknown as (...a: unknown[]) => AsyncGenerator<unknown, unknown, unknown>;
  return async function* (this: unknown, ...args: unknown[]): AsyncGenerator<unknown, unknown, unknown> {
    const iteration = new Iteration(spec, idOf, this, args);
    try {
      return iteration.returned(yield* gen.apply(this, args));
    } catch (e) {
      throw iteration.threw(e);
    } finally {
      iteration.stopped();
    }
  } as unknown as AnyFunction;
}
