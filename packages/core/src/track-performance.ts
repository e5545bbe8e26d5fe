import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { frameworkContext, frameworkInput } from './call-context';
import { MetricsCollector } from './metrics-collector';
import { readsHeap, type HeapReadCounter } from './pipeline/heap-sampling';
import type { CallContext, ContextResolver, CustomMetadata } from './types';

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

/** A `Tool.define`-style tool: an id and an `execute(args, ctx)` function (opencode, AI SDK, Mastra `createTool`). */
export interface ExecutableTool {
  readonly id: string;
  readonly description?: string;
  readonly parameters?: unknown;
  execute(...args: never[]): unknown;
}

/** A LangChain.js tool (`StructuredTool`, `tool()`, `DynamicStructuredTool`): a name and `invoke(input, config)`. */
export interface InvocableTool {
  readonly name: string;
  invoke(...args: never[]): unknown;
}

/** A tool {@link trackPerformance} and {@link wrapTools} can wrap: an {@link ExecutableTool} or an {@link InvocableTool}. */
export type ToolLike = ExecutableTool | InvocableTool;

/** Options of {@link wrapTools}: defaults for every tool, and per-tool overrides by tool id. */
export interface WrapToolsOptions extends Omit<TrackOptions, 'toolId'> {
  /** Options for single tools, by tool id; each must name a tool in the list. */
  perTool?: Readonly<Record<string, Omit<TrackOptions, 'toolId' | 'collector'>>>;
}

type AnyFunction = (this: never, ...args: never[]) => unknown;
type AbstractClass = abstract new (...args: never[]) => unknown;

/**
 * What {@link trackPerformance} returns: usable as a TC39 or legacy (`experimentalDecorators`)
 * decorator of a method or a class, or called on a function or a tool object to wrap it.
 */
export interface PerformanceDecorator {
  /** TC39 method decorator. */
  <This, Args extends unknown[], Return>(
    value: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
  /** TC39 class decorator: tracks every own prototype method. */
  <Class extends AbstractClass>(value: Class, context: ClassDecoratorContext<Class>): void;
  /** Legacy (`experimentalDecorators`) method decorator. */
  <F extends AnyFunction>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<F>,
  ): TypedPropertyDescriptor<F>;
  /** Wraps a tool object; returns a copy whose `execute` is tracked (the original is untouched). */
  <T extends ToolLike>(tool: T): T;
  /** Wraps a function; or, applied to a class, the legacy class decorator (tracks every own prototype method). */
  <F extends AnyFunction | AbstractClass>(fnOrClass: F): F;
}

const TRACKED = Symbol.for('perftrack.tracked');
const OPTION_KEYS = new Set([
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
const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as unknown;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor as unknown;

interface Spec extends HeapReadCounter {
  readonly toolId: string | undefined;
  readonly rate: number;
  readonly weight: number;
  readonly trackMemory: boolean;
  readonly trackIO: boolean;
  readonly hashInput: boolean;
  readonly metaObject: Readonly<Record<string, unknown>> | undefined;
  readonly metaFn: ((args: readonly unknown[], result: unknown) => Readonly<Record<string, unknown>> | undefined) | undefined;
  readonly collector: MetricsCollector | undefined;
  readonly context: ContextResolver | undefined;
  readonly input: ((args: readonly unknown[]) => unknown) | undefined;
  readonly failureOf: ((result: unknown) => unknown) | undefined;
  /** Which part of a returned value is the tool's output, for sizes (a LangChain ToolMessage's content); not an option. */
  readonly outputOf?: (result: unknown) => unknown;
}

/** Resolves the tool id of one call (for ids that depend on `this`). */
type IdOf = (thisArg: unknown) => string;

function fail(message: string): never {
  throw new TypeError(`trackPerformance: ${message}`);
}

function validate(options: TrackOptions | undefined, where = 'options'): Spec {
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
  if (customMetadata !== undefined && typeof customMetadata !== 'function' && (typeof customMetadata !== 'object' || customMetadata === null)) {
    fail(`customMetadata must be an object or a function (args, result) => object, got ${typeof customMetadata}`);
  }
  if (collector !== undefined && !(collector instanceof MetricsCollector)) fail('collector must be a MetricsCollector');
  if (context !== undefined && typeof context !== 'function') fail(`context must be a function (args, thisArg) => { sessionId }, got ${typeof context}`);
  if (input !== undefined && typeof input !== 'function') fail(`input must be a function (args) => input, got ${typeof input}`);
  if (failureOf !== undefined && typeof failureOf !== 'function') fail(`failureOf must be a function (result) => error | undefined, got ${typeof failureOf}`);
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
    collector,
    context,
    input,
    failureOf,
  };
}

/** 16 hex chars of SHA-256 over the stable JSON of `value`; undefined if it cannot be serialised. */
function hashOf(value: unknown): string | undefined {
  try {
    // The typings omit the options argument the library accepts (`cycles`: mark cycles instead of throwing).
    const text = (stableStringify as unknown as (v: unknown, o: { cycles: boolean }) => string | undefined)(value, { cycles: true });
    return createHash('sha256').update(text === undefined ? 'undefined' : text).digest('hex').slice(0, 16);
  } catch {
    return undefined;
  }
}

function readContext(args: ArrayLike<unknown>, thisArg: unknown, spec: Spec, c: MetricsCollector): CallContext | undefined {
  if (spec.context === undefined) return frameworkContext(args.length > 0 ? args[0] : undefined, args.length > 1 ? args[1] : undefined);
  try {
    return spec.context(args, thisArg);
  } catch (e) {
    c._reportError(e, 'context');
    return undefined;
  }
}

/** The session of a call: its context's, or the collector's default when the context names none usable. */
function sessionOf(ctx: CallContext | undefined, c: MetricsCollector): string {
  const s = ctx?.sessionId;
  return typeof s === 'string' && s.length > 0 ? s : c.defaultSessionId;
}

/** The tool's input: the `input` option's pick, else `args` of `execute(args, ctx)` (the framework's ctx is not input), else every argument. */
function inputOf(args: ArrayLike<unknown>, spec: Spec, c: MetricsCollector): unknown {
  if (spec.input !== undefined) {
    try {
      return spec.input(Array.prototype.slice.call(args));
    } catch (e) {
      c._reportError(e, 'metadata');
      return undefined;
    }
  }
  return frameworkInput(args);
}

function inputSize(c: MetricsCollector, spec: Spec, args: ArrayLike<unknown>): number {
  return c._size(inputOf(args, spec, c));
}

/** The error `failureOf` finds in a returned value, or undefined (a success, or a throwing `failureOf`, reported). */
function failureIn(spec: Spec, c: MetricsCollector, value: unknown): unknown {
  try {
    return spec.failureOf!(value);
  } catch (e) {
    c._reportError(e, 'metadata');
    return undefined;
  }
}

function metadataOf(spec: Spec, c: MetricsCollector, args: ArrayLike<unknown>, result: unknown): Readonly<Record<string, unknown>> | undefined {
  if (spec.metaFn === undefined) return spec.metaObject;
  try {
    const m = spec.metaFn(Array.prototype.slice.call(args), result);
    return m === undefined || m === null ? undefined : m;
  } catch (e) {
    c._reportError(e, 'metadata');
    return undefined;
  }
}

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
  if (spec.trackMemory && memoryStart === memoryStart) {
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

function isTracked(fn: unknown): boolean {
  return typeof fn === 'function' && Object.prototype.hasOwnProperty.call(fn, TRACKED);
}

/** Builds the tracked twin of `fn`: same `this`, arguments, return value, thrown error, sync/async nature. */
function instrument(fn: AnyFunction, spec: Spec, idOf: IdOf): AnyFunction {
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
    const memoryStart = trackMemory && readsHeap(spec, c) ? c._memory() : NaN; // NaN: this call reads no heap
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
  const memoryStart = spec.trackMemory && readsHeap(spec, c) ? c._memory() : NaN;
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

// ---- tool ids ---------------------------------------------------------------------------

function constant(id: string): IdOf {
  return () => id;
}

/** `execute` of a tool-like object reports the object's string `id`; anything else `fallback`. */
function toolOrMethodId(methodName: string, fallback: IdOf): IdOf {
  if (methodName !== 'execute') return fallback;
  return (thisArg) => {
    if (typeof thisArg === 'object' && thisArg !== null) {
      try {
        const id = (thisArg as { id?: unknown }).id;
        if (typeof id === 'string' && id.length > 0) return id;
      } catch {
        // a throwing `id` getter: fall back
      }
    }
    return fallback(thisArg);
  };
}

/** For a TC39 method decorator, where the class is unknown until the first call: find it from `this`. */
function lazyClassMethodId(methodName: string, isStatic: boolean): { idOf: IdOf; bind(wrapped: unknown): void } {
  let cached: string | undefined;
  let self: unknown;
  const idOf: IdOf = (thisArg) => {
    if (cached !== undefined) return cached;
    try {
      if (isStatic) {
        let k: unknown = thisArg;
        while (typeof k === 'function' && !(Object.getOwnPropertyDescriptor(k, methodName)?.value === self)) k = Object.getPrototypeOf(k);
        if (typeof k === 'function' && k.name) return (cached = `${k.name}.${methodName}`);
      } else if (typeof thisArg === 'object' && thisArg !== null) {
        let o: object | null = Object.getPrototypeOf(thisArg) as object | null;
        while (o !== null && !(Object.getOwnPropertyDescriptor(o, methodName)?.value === self)) o = Object.getPrototypeOf(o) as object | null;
        const name = (o as { constructor?: { name?: unknown } } | null)?.constructor?.name;
        if (typeof name === 'string' && name.length > 0) return (cached = `${name}.${methodName}`);
      }
    } catch {
      // exotic `this` (proxy): fall back to the bare method name below
    }
    return methodName;
  };
  return {
    idOf,
    bind(wrapped) {
      self = wrapped;
    },
  };
}

function keyName(key: string | symbol): string {
  return typeof key === 'symbol' ? (key.description ?? 'symbol') : key;
}

// ---- the decorator ----------------------------------------------------------------------

function isClass(fn: unknown): boolean {
  return typeof fn === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

function trackClassMethods(proto: object, className: string, spec: Spec): void {
  for (const key of Reflect.ownKeys(proto)) {
    if (key === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, key);
    if (d === undefined || typeof d.value !== 'function' || isTracked(d.value)) continue;
    const method = keyName(key);
    const fallback = constant(spec.toolId === undefined ? `${className}.${method}` : method === 'execute' ? spec.toolId : `${spec.toolId}.${method}`);
    const idOf = spec.toolId === undefined ? toolOrMethodId(method, fallback) : fallback;
    Object.defineProperty(proto, key, { ...d, value: instrument(d.value as AnyFunction, spec, idOf) });
  }
}

/** The method of a tool object that runs it: `execute`, else a LangChain tool's `invoke`; undefined for neither. */
function runMethodOf(tool: object): 'execute' | 'invoke' | undefined {
  if (typeof (tool as { execute?: unknown }).execute === 'function') return 'execute';
  if (typeof (tool as { invoke?: unknown }).invoke === 'function' && typeof (tool as { name?: unknown }).name === 'string') return 'invoke';
  return undefined;
}

/** A LangChain `ToolMessage` (what `invoke` returns for a tool call): its content is the tool's output. */
function toolMessageContent(result: unknown): unknown {
  if (typeof result === 'object' && result !== null && typeof (result as { tool_call_id?: unknown }).tool_call_id === 'string' && 'content' in result) {
    return (result as { content: unknown }).content;
  }
  return result;
}

/** The id of a tool object: its string `id`, else its `name` (LangChain). */
function toolIdOf(tool: object): string | undefined {
  const { id, name } = tool as { id?: unknown; name?: unknown };
  if (typeof id === 'string' && id.length > 0) return id;
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}

function wrapToolObject<T extends ToolLike>(tool: T, spec: Spec): T {
  const method = runMethodOf(tool) ?? fail('a tool object needs an execute() method, or a name and invoke() (LangChain)');
  const id = spec.toolId ?? toolIdOf(tool);
  if (typeof id !== 'string' || id.length === 0) fail('a tool object needs a non-empty string `id` or `name` (or the toolId option)');
  const run = (tool as unknown as Record<string, unknown>)[method] as AnyFunction;
  if (isTracked(run)) return tool;
  const copy = Object.create(Object.getPrototypeOf(tool) as object | null, Object.getOwnPropertyDescriptors(tool)) as T;
  // LangChain's invoke(toolCall) returns a ToolMessage: size its content, not the message
  const callSpec: Spec = method === 'invoke' ? { ...spec, outputOf: toolMessageContent } : spec;
  Object.defineProperty(copy, method, {
    value: instrument(run, callSpec, constant(id)),
    writable: true,
    enumerable: Object.getOwnPropertyDescriptor(tool, method)?.enumerable ?? true,
    configurable: true,
  });
  return copy;
}

/**
 * Tracks tool calls: execution time, outcome, and on request memory, I/O sizes, input hash and
 * custom metadata, into a {@link MetricsCollector}.
 *
 * One function serves every form:
 * - `@trackPerformance()` on a method or a class, with TC39 decorators or with `experimentalDecorators`;
 * - `trackPerformance(opts)(fn)` for a function, `trackPerformance(opts)(tool)` for a `{ id, execute }` tool.
 *
 * Tracked code behaves as untracked code: same `this`, arguments, return value and thrown error
 * (the same object, stack untouched); sync stays sync. For a returned native promise the caller
 * gets a promise settling with the same value or error (so an unhandled rejection stays
 * unhandled); other thenables are returned as they are and timed as sync values. Generators are
 * timed from the first `next()` to their end, values passed through one by one.
 *
 * @throws TypeError for invalid options, or when applied to a field, getter, setter or non-function.
 * @example
 * class ReadTool {
 *   @trackPerformance({ sampleRate: 0.5, trackInputOutput: true })
 *   async execute(args: { path: string }, ctx: { sessionID: string }) { ... }
 * }
 * const tracked = trackPerformance({ trackMemory: true })(Tool.define({ id: 'grep', ... }));
 */
export function trackPerformance(options?: TrackOptions): PerformanceDecorator {
  const spec = validate(options);
  function decorator(target: unknown, context?: unknown, descriptor?: unknown): unknown {
    const argc = arguments.length;
    // Legacy member decorator: (prototype | constructor, key, descriptor | undefined)
    if (argc >= 3 || typeof context === 'string' || typeof context === 'symbol') {
      if (typeof context !== 'string' && typeof context !== 'symbol') fail('unexpected decorator arguments');
      const d = descriptor as PropertyDescriptor | undefined;
      if (d === undefined) fail(`@trackPerformance() cannot decorate property "${keyName(context)}": only methods and classes can be tracked`);
      if (typeof d.value !== 'function') {
        fail(`@trackPerformance() cannot decorate ${d.get || d.set ? 'accessor' : 'non-function member'} "${keyName(context)}": only methods and classes can be tracked`);
      }
      if (isTracked(d.value)) return d;
      const method = keyName(context);
      const isStatic = typeof target === 'function';
      const owner = isStatic ? (target as { name?: string }).name : (target as { constructor?: { name?: string } }).constructor?.name;
      const fallback = constant(spec.toolId ?? (owner ? `${owner}.${method}` : method));
      const idOf = spec.toolId === undefined ? toolOrMethodId(method, fallback) : fallback;
      return { ...d, value: instrument(d.value as AnyFunction, spec, idOf) };
    }
    // TC39 decorator: (value, context)
    if (argc === 2 && typeof context === 'object' && context !== null && typeof (context as { kind?: unknown }).kind === 'string') {
      const ctx = context as DecoratorContext;
      if (ctx.kind === 'method') {
        if (typeof target !== 'function') fail('the decorated method is not a function');
        const method = keyName(ctx.name);
        if (spec.toolId !== undefined) return instrument(target as AnyFunction, spec, constant(spec.toolId));
        const lazy = lazyClassMethodId(method, ctx.static);
        const wrapped = instrument(target as AnyFunction, spec, ctx.private ? constant(method) : toolOrMethodId(method, lazy.idOf));
        lazy.bind(wrapped);
        return wrapped;
      }
      if (ctx.kind === 'class') {
        if (typeof target !== 'function') fail('the decorated class is not a constructor');
        trackClassMethods((target as { prototype: object }).prototype, ctx.name ?? (target as { name: string }).name, spec);
        return undefined;
      }
      fail(`@trackPerformance() cannot decorate a ${ctx.kind} ("${keyName(ctx.name ?? '?')}"): only methods and classes can be tracked`);
    }
    if (argc === 1) {
      if (typeof target === 'function') {
        if (isClass(target)) {
          trackClassMethods((target as { prototype: object }).prototype, (target as { name: string }).name, spec);
          return target;
        }
        if (isTracked(target)) return target;
        return instrument(target as AnyFunction, spec, constant(spec.toolId ?? ((target as { name?: string }).name || 'anonymous')));
      }
      if (typeof target === 'object' && target !== null && runMethodOf(target) !== undefined) {
        return wrapToolObject(target as ToolLike, spec);
      }
      fail(`expected a function, a class, or a tool object with an execute() method (or a LangChain tool: name and invoke()), got ${target === null ? 'null' : typeof target}`);
    }
    fail('unexpected decorator arguments');
  }
  return decorator as PerformanceDecorator;
}

/**
 * Wraps every tool of an array or record with {@link trackPerformance}; returns the same shape
 * with tracked copies (the originals are untouched). Per-tool options override the shared ones.
 * An empty array or record is returned as it is, with a one-time warning through the
 * collector's `onWarning` (nothing to wrap).
 *
 * @example
 * const tools = wrapTools([readTool, grepTool], { trackInputOutput: true, perTool: { grep: { sampleRate: 0.1 } } });
 */
export function wrapTools<T extends readonly ToolLike[] | Readonly<Record<string, ToolLike>>>(tools: T, options: WrapToolsOptions = {}): T {
  if (typeof tools !== 'object' || tools === null) throw new TypeError('wrapTools: expected an array or a record of tools');
  if (typeof options !== 'object' || options === null) throw new TypeError('wrapTools: options must be an object');
  const { perTool = {}, ...shared } = options;
  validate(shared);
  const seen = new Set<string>();
  const wrapOne = (tool: ToolLike, key: string): ToolLike => {
    if (typeof tool !== 'object' || tool === null || runMethodOf(tool) === undefined) {
      throw new TypeError(`wrapTools: tool "${key}" must be an object with an execute() method, or a LangChain tool (name and invoke())`);
    }
    const id = toolIdOf(tool) ?? key;
    seen.add(id);
    const own = perTool[id];
    const spec = validate({ ...shared, ...own, toolId: id }, `perTool["${id}"]`);
    return wrapToolObject(tool, spec);
  };
  let out: unknown;
  if (Array.isArray(tools)) out = (tools as readonly ToolLike[]).map((t, i) => wrapOne(t, String(i)));
  else {
    const rec: Record<string, ToolLike> = {};
    for (const [k, t] of Object.entries(tools as Record<string, ToolLike>)) rec[k] = wrapOne(t, k);
    out = rec;
  }
  if (Object.keys(tools).length === 0) {
    // never a silent zero: an empty registry records nothing, which looks like an idle agent
    (shared.collector ?? MetricsCollector.default)._warnOnce(
      'wrapTools:empty',
      `perftrack: wrapTools was given an empty ${Array.isArray(tools) ? 'array' : 'record'}: nothing to wrap, so no tool call will be recorded.`,
    );
  }
  for (const id of Object.keys(perTool)) {
    if (!seen.has(id)) throw new TypeError(`wrapTools: perTool names "${id}", which is not among the tools (${[...seen].join(', ')})`);
  }
  return out as T;
}
