import { frameworkContext } from './call-context';
import { MetricsCollector } from '../collector/metrics-collector';
import type { CallContext } from '../api/types';
import { failureIn, hashOf, inputOf, inputSize, metadataOf, readContext, sessionOf } from './call-inputs';
import type { Spec } from './options';
import type { IdOf } from './tool-ids';

export type AnyFunction = (this: never, ...args: never[]) => unknown;

const TRACKED = Symbol.for('perftrack.tracked');
const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as unknown;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor as unknown;

/** What a sampled-in call measured before it returned. */
class Pending {
  constructor(
    readonly c: MetricsCollector,
    readonly spec: Spec,
    readonly toolId: string,
    readonly ctx: CallContext | undefined,
    readonly args: ArrayLike<unknown>,
    readonly start: number,
    readonly memoryStart: number,
    readonly inputSize: number | undefined,
    readonly inputSizeCapped: boolean | undefined,
    readonly inputHash: string | undefined,
  ) {}

  finish(success: boolean, value: unknown): void {
    const end = this.c._now();
    finishCall(this.c, this.spec, this.toolId, this.ctx, this.args, this.start, end, this.memoryStart, this.inputSize, this.inputSizeCapped, this.inputHash, success, value);
  }
}

function finishCall(
  c: MetricsCollector,
  spec: Spec,
  toolId: string,
  ctx: CallContext | undefined,
  args: ArrayLike<unknown>,
  start: number,
  end: number,
  memoryStart: number,
  inSize: number | undefined,
  inCapped: boolean | undefined,
  inputHash: string | undefined,
  success: boolean,
  value: unknown,
): void {
  let memoryUsed: number | undefined;
  if (spec.trackMemory) {
    const delta = c._memory() - memoryStart;
    if (delta === delta) memoryUsed = delta; // NaN: the collector does not allow heap reads
  }
  let outSize: number | undefined;
  let outCapped: boolean | undefined;
  if (spec.trackIO && success) {
    outSize = c._size(spec.outputOf === undefined ? value : spec.outputOf(value));
    if (c._sizeCapped()) outCapped = true;
  }
  const result = value;
  const returned = success;
  if (success && spec.failureOf !== undefined) {
    const failure = failureIn(spec, c, value);
    if (failure !== undefined) {
      success = false;
      value = failure;
    }
  }
  c._record(
    undefined,
    toolId,
    sessionOf(ctx, c),
    ctx?.messageId,
    ctx?.callId,
    start,
    end,
    success,
    success ? undefined : value,
    inSize,
    inCapped,
    outSize,
    outCapped,
    inputHash,
    memoryUsed,
    spec.weight,
    spec.metaObject !== undefined || spec.metaFn !== undefined ? metadataOf(spec, c, args, returned ? result : undefined) : undefined,
    false,
    ctx,
  );
}

/** A failure of a sampled-out call: kept, untimed, weight 1. */
function recordUntimed(c: MetricsCollector, spec: Spec, toolId: string, ctx: CallContext | undefined, now: number, error: unknown): void {
  c._record(undefined, toolId, sessionOf(ctx, c), ctx?.messageId, ctx?.callId, now, now, false, error, undefined, undefined, undefined, undefined, undefined, undefined, 1, spec.metaObject, true, ctx);
}

function copyFunctionShape(wrapped: object, fn: AnyFunction): void {
  Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
  Object.defineProperty(wrapped, 'length', { value: fn.length, configurable: true });
  Object.defineProperty(wrapped, TRACKED, { value: fn });
  // Keep reflect-metadata written on the original by other (legacy) decorators, when it is loaded.
  const R = Reflect as unknown as {
    getOwnMetadataKeys?: (t: object) => unknown[];
    getOwnMetadata?: (k: unknown, t: object) => unknown;
    defineMetadata?: (k: unknown, v: unknown, t: object) => void;
  };
  if (typeof R.getOwnMetadataKeys === 'function' && typeof R.getOwnMetadata === 'function' && typeof R.defineMetadata === 'function') {
    for (const key of R.getOwnMetadataKeys(fn)) R.defineMetadata(key, R.getOwnMetadata(key, fn), wrapped);
  }
}

export function isTracked(fn: unknown): boolean {
  return typeof fn === 'function' && Object.prototype.hasOwnProperty.call(fn, TRACKED);
}

/** Builds the tracked twin of `fn`: same `this`, arguments, return value, thrown error, sync/async nature. */
export function instrument(fn: AnyFunction, spec: Spec, idOf: IdOf): AnyFunction {
  const proto = Object.getPrototypeOf(fn) as { constructor?: unknown } | null;
  const ctor = proto?.constructor;
  const wrapped =
    ctor === GeneratorFunction
      ? instrumentGenerator(fn, spec, idOf)
      : ctor === AsyncGeneratorFunction
        ? instrumentAsyncGenerator(fn, spec, idOf)
        : isBasic(spec)
          ? instrumentBasic(fn, spec, idOf)
          : instrumentPlain(fn, spec, idOf);
  copyFunctionShape(wrapped, fn);
  return wrapped;
}

function isBasic(spec: Spec): boolean {
  return (
    !spec.trackMemory && !spec.trackIO && !spec.hashInput && spec.metaFn === undefined && spec.context === undefined && spec.input === undefined && spec.failureOf === undefined
  );
}

/** Records one call of a basic wrapper, its context read from the `ctx` argument. */
function recordBasic(c: MetricsCollector, spec: Spec, toolId: string, firstArg: unknown, ctxArg: unknown, start: number, end: number, success: boolean, value: unknown): void {
  const ctx = frameworkContext(firstArg, ctxArg);
  if (ctx === undefined) c._recordBasic(toolId, c.defaultSessionId, undefined, undefined, start, end, success, value, spec.weight, spec.metaObject);
  else if (ctx.runId === undefined && ctx.parentCallId === undefined && ctx.parentSessionId === undefined) {
    c._recordBasic(toolId, sessionOf(ctx, c), ctx.messageId, ctx.callId, start, end, success, value, spec.weight, spec.metaObject);
  } else finishCall(c, spec, toolId, ctx, [], start, end, 0, undefined, undefined, undefined, success, value);
}

/**
 * The default configuration (timing and outcome only). `arguments` is only ever forwarded by
 * `apply`, so the engine never materialises it: the call costs two clock reads and one record.
 */
function instrumentBasic(fn: AnyFunction, spec: Spec, idOf: IdOf): AnyFunction {
  const rate = spec.rate;
  const explicit = spec.collector;
  const call = fn as (...a: unknown[]) => unknown;
  return function (this: unknown): unknown {
    const c = explicit ?? MetricsCollector.default;
    if (!c.enabled) return call.apply(this, arguments as unknown as unknown[]);
    if (rate < 1 && (rate === 0 || c._random() >= rate)) {
      c._sampledOut();
      let r: unknown;
      try {
        r = call.apply(this, arguments as unknown as unknown[]);
      } catch (e) {
        const now = c._now();
        recordUntimed(c, spec, idOf(this), frameworkContext(arguments[0], arguments[1]), now, e);
        throw e;
      }
      if (r instanceof Promise) {
        const toolId = idOf(this);
        const [firstArg, ctxArg]: unknown[] = [arguments[0], arguments[1]];
        return r.then(undefined, (e: unknown) => {
          recordUntimed(c, spec, toolId, frameworkContext(firstArg, ctxArg), c._now(), e);
          throw e;
        });
      }
      return r;
    }
    const firstArg: unknown = arguments.length > 0 ? arguments[0] : undefined;
    const ctxArg: unknown = arguments.length > 1 ? arguments[1] : undefined;
    const start = c._now();
    let r: unknown;
    try {
      r = call.apply(this, arguments as unknown as unknown[]);
    } catch (e) {
      recordBasic(c, spec, idOf(this), firstArg, ctxArg, start, c._now(), false, e);
      throw e;
    }
    if (r instanceof Promise) return trackBasicPromise(r, c, spec, idOf(this), firstArg, ctxArg, start);
    const end = c._now();
    recordBasic(c, spec, idOf(this), firstArg, ctxArg, start, end, true, undefined);
    return r;
  };
}

/** See {@link trackPromise}; the basic configuration's variant. */
function trackBasicPromise(p: Promise<unknown>, c: MetricsCollector, spec: Spec, toolId: string, firstArg: unknown, ctxArg: unknown, start: number): Promise<unknown> {
  c._pending(1);
  return p.then(
    (v) => {
      const end = c._now();
      c._pending(-1);
      recordBasic(c, spec, toolId, firstArg, ctxArg, start, end, true, undefined);
      return v;
    },
    (e: unknown) => {
      const end = c._now();
      c._pending(-1);
      recordBasic(c, spec, toolId, firstArg, ctxArg, start, end, false, e);
      throw e;
    },
  );
}

/** Every other configuration: memory, sizes, hash, metadata function or a custom context resolver. */
function instrumentPlain(fn: AnyFunction, spec: Spec, idOf: IdOf): AnyFunction {
  const { rate, trackMemory, trackIO, hashInput } = spec;
  const explicit = spec.collector;
  return function (this: unknown): unknown {
    const c = explicit ?? MetricsCollector.default;
    // eslint-disable-next-line prefer-rest-params
    const args = arguments;
    if (!c.enabled) return (fn as (...a: unknown[]) => unknown).apply(this, args as unknown as unknown[]);
    if (rate < 1 && (rate === 0 || c._random() >= rate)) {
      c._sampledOut();
      let r: unknown;
      try {
        r = (fn as (...a: unknown[]) => unknown).apply(this, args as unknown as unknown[]);
      } catch (e) {
        recordUntimed(c, spec, idOf(this), readContext(args, this, spec, c), c._now(), e);
        throw e;
      }
      if (spec.failureOf !== undefined) return keepFailures(c, spec, idOf, this, args, r);
      if (r instanceof Promise) {
        return r.then(undefined, (e: unknown) => {
          recordUntimed(c, spec, idOf(this), readContext(args, this, spec, c), c._now(), e);
          throw e;
        });
      }
      return r;
    }
    const toolId = idOf(this);
    const ctx = readContext(args, this, spec, c);
    let inSize: number | undefined;
    let inCapped: boolean | undefined;
    if (trackIO) {
      inSize = inputSize(c, spec, args);
      if (c._sizeCapped()) inCapped = true;
    }
    const inputHash = hashInput ? hashOf(inputOf(args, spec, c)) : undefined;
    const memoryStart = trackMemory ? c._memory() : 0;
    const start = c._now();
    let r: unknown;
    try {
      r = (fn as (...a: unknown[]) => unknown).apply(this, args as unknown as unknown[]);
    } catch (e) {
      finishCall(c, spec, toolId, ctx, args, start, c._now(), memoryStart, inSize, inCapped, inputHash, false, e);
      throw e;
    }
    if (r instanceof Promise) return trackPromise(r, new Pending(c, spec, toolId, ctx, args, start, memoryStart, inSize, inCapped, inputHash));
    finishCall(c, spec, toolId, ctx, args, start, c._now(), memoryStart, inSize, inCapped, inputHash, true, r);
    return r;
  };
}

/** A sampled-out call with `failureOf`: failures found in its result are still recorded (untimed). */
function keepFailures(c: MetricsCollector, spec: Spec, idOf: IdOf, thisArg: unknown, args: ArrayLike<unknown>, r: unknown): unknown {
  const check = (v: unknown): void => {
    const failure = failureIn(spec, c, v);
    if (failure !== undefined) recordUntimed(c, spec, idOf(thisArg), readContext(args, thisArg, spec, c), c._now(), failure);
  };
  if (!(r instanceof Promise)) {
    check(r);
    return r;
  }
  return r.then(
    (v: unknown) => {
      check(v);
      return v;
    },
    (e: unknown) => {
      recordUntimed(c, spec, idOf(thisArg), readContext(args, thisArg, spec, c), c._now(), e);
      throw e;
    },
  );
}

/**
 * Settles with the same value or the same error object as `p`. Returned in place of `p` (not
 * `p` itself) so that a rejection nobody handles still surfaces as an unhandled rejection.
 */
function trackPromise(p: Promise<unknown>, pending: Pending): Promise<unknown> {
  pending.c._pending(1);
  return p.then(
    (v) => {
      pending.c._pending(-1);
      pending.finish(true, v);
      return v;
    },
    (e: unknown) => {
      pending.c._pending(-1);
      pending.finish(false, e);
      throw e;
    },
  );
}

/** Decides sampling and starts timing for a generator; undefined when not tracked. */
function startIteration(spec: Spec, idOf: IdOf, thisArg: unknown, args: unknown[]): Pending | null | undefined {
  const c = spec.collector ?? MetricsCollector.default;
  if (!c.enabled) return undefined;
  if (spec.rate < 1 && (spec.rate === 0 || c._random() >= spec.rate)) {
    c._sampledOut();
    return null;
  }
  const ctx = readContext(args, thisArg, spec, c);
  let inSize: number | undefined;
  let inCapped: boolean | undefined;
  if (spec.trackIO) {
    inSize = inputSize(c, spec, args);
    if (c._sizeCapped()) inCapped = true;
  }
  const inputHash = spec.hashInput ? hashOf(inputOf(args, spec, c)) : undefined;
  const memoryStart = spec.trackMemory ? c._memory() : 0;
  c._pending(1);
  return new Pending(c, spec, idOf(thisArg), ctx, args, c._now(), memoryStart, inSize, inCapped, inputHash);
}

function endIteration(p: Pending | null | undefined, spec: Spec, idOf: IdOf, thisArg: unknown, args: unknown[], success: boolean, value: unknown): void {
  if (p === undefined) return;
  if (p === null) {
    if (!success) {
      const c = spec.collector ?? MetricsCollector.default;
      recordUntimed(c, spec, idOf(thisArg), readContext(args, thisArg, spec, c), c._now(), value);
    }
    return;
  }
  p.c._pending(-1);
  p.finish(success, value);
}

function instrumentGenerator(fn: AnyFunction, spec: Spec, idOf: IdOf): AnyFunction {
  const gen = fn as unknown as (...a: unknown[]) => Generator<unknown, unknown, unknown>;
  return function* (this: unknown, ...args: unknown[]): Generator<unknown, unknown, unknown> {
    const p = startIteration(spec, idOf, this, args);
    let settled = false;
    try {
      const r: unknown = yield* gen.apply(this, args);
      settled = true;
      endIteration(p, spec, idOf, this, args, true, r);
      return r;
    } catch (e) {
      settled = true;
      endIteration(p, spec, idOf, this, args, false, e);
      throw e;
    } finally {
      // The consumer stopped early (return()): the iteration ended without error.
      if (!settled) endIteration(p, spec, idOf, this, args, true, undefined);
    }
  } as unknown as AnyFunction;
}

function instrumentAsyncGenerator(fn: AnyFunction, spec: Spec, idOf: IdOf): AnyFunction {
  const gen = fn as unknown as (...a: unknown[]) => AsyncGenerator<unknown, unknown, unknown>;
  return async function* (this: unknown, ...args: unknown[]): AsyncGenerator<unknown, unknown, unknown> {
    const p = startIteration(spec, idOf, this, args);
    let settled = false;
    try {
      const r: unknown = yield* gen.apply(this, args);
      settled = true;
      endIteration(p, spec, idOf, this, args, true, r);
      return r;
    } catch (e) {
      settled = true;
      endIteration(p, spec, idOf, this, args, false, e);
      throw e;
    } finally {
      if (!settled) endIteration(p, spec, idOf, this, args, true, undefined);
    }
  } as unknown as AnyFunction;
}
