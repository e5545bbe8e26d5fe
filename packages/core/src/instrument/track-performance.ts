import { fail, validate, type Spec, type TrackOptions } from './options';
import { constant, keyName, lazyClassMethodId, toolOrMethodId } from './tool-ids';
import { runMethodOf, wrapToolObject, type ToolLike } from './tool-objects';
import { isTracked, type AnyFunction } from './function-shape';
import { instrument } from './wrap-call';

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
  <F extends AnyFunction>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<F>): TypedPropertyDescriptor<F>;
  /** Wraps a tool object; returns a copy whose `execute` is tracked (the original is untouched). */
  <T extends ToolLike>(tool: T): T;
  /** Wraps a function; or, applied to a class, the legacy class decorator (tracks every own prototype method). */
  <F extends AnyFunction | AbstractClass>(fnOrClass: F): F;
}

function isClass(fn: unknown): boolean {
  return typeof fn === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

function trackClassMethods(proto: object, className: string, spec: Spec): void {
  for (const key of Reflect.ownKeys(proto)) {
    if (key === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, key);
    if (d === undefined || typeof d.value !== 'function' || isTracked(d.value)) continue;
    const method = keyName(key);
    const fallback = constant(
      spec.toolId === undefined ? `${className}.${method}` : method === 'execute' ? spec.toolId : `${spec.toolId}.${method}`,
    );
    const idOf = spec.toolId === undefined ? toolOrMethodId(method, fallback) : fallback;
    Object.defineProperty(proto, key, { ...d, value: instrument(d.value as AnyFunction, spec, idOf) });
  }
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
      if (d === undefined)
        fail(`@trackPerformance() cannot decorate property "${keyName(context)}": only methods and classes can be tracked`);
      if (typeof d.value !== 'function') {
        fail(
          `@trackPerformance() cannot decorate ${d.get || d.set ? 'accessor' : 'non-function member'} "${keyName(context)}": only methods and classes can be tracked`,
        );
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
      fail(
        `expected a function, a class, or a tool object with an execute() method (or a LangChain tool: name and invoke()), got ${target === null ? 'null' : typeof target}`,
      );
    }
    fail('unexpected decorator arguments');
  }
  return decorator as PerformanceDecorator;
}
