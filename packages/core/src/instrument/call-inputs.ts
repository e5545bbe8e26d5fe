import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { frameworkContext, frameworkInput } from './call-context';
import type { Recorder } from '../api/recorder';
import type { CallContext } from '../api/types';
import type { Spec } from './options';

/** 16 hex chars of SHA-256 over the stable JSON of `value`; undefined if it cannot be serialised. */
export function hashOf(value: unknown): string | undefined {
  try {
    // The typings omit the options argument the library accepts (`cycles`: mark cycles instead of throwing).
    const text = (stableStringify as unknown as (v: unknown, o: { cycles: boolean }) => string | undefined)(value, { cycles: true });
    return createHash('sha256')
      .update(text === undefined ? 'undefined' : text)
      .digest('hex')
      .slice(0, 16);
  } catch {
    return undefined;
  }
}

export function readContext(args: ArrayLike<unknown>, thisArg: unknown, spec: Spec, c: Recorder): CallContext | undefined {
  if (spec.context === undefined) return frameworkContext(args.length > 0 ? args[0] : undefined, args.length > 1 ? args[1] : undefined);
  try {
    return spec.context(args, thisArg);
  } catch (e) {
    c.reportError(e, 'context');
    return undefined;
  }
}

/** The session of a call: its context's, or the recorder's default when the context names none usable. */
export function sessionOf(ctx: CallContext | undefined, c: Recorder): string {
  const s = ctx?.sessionId;
  return typeof s === 'string' && s.length > 0 ? s : c.defaultSessionId;
}

/** The tool's input: the `input` option's pick, else `args` of `execute(args, ctx)` (the framework's ctx is not input), else every argument. */
export function inputOf(args: ArrayLike<unknown>, spec: Spec, c: Recorder): unknown {
  if (spec.input !== undefined) {
    try {
      return spec.input(Array.prototype.slice.call(args));
    } catch (e) {
      c.reportError(e, 'metadata');
      return undefined;
    }
  }
  return frameworkInput(args);
}

export function inputSize(c: Recorder, spec: Spec, args: ArrayLike<unknown>): number {
  return c.size(inputOf(args, spec, c));
}

/** The error `failureOf` finds in a returned value, or undefined (a success, or a throwing `failureOf`, reported). */
export function failureIn(spec: Spec, c: Recorder, value: unknown): unknown {
  try {
    return spec.failureOf!(value);
  } catch (e) {
    c.reportError(e, 'metadata');
    return undefined;
  }
}

export function metadataOf(
  spec: Spec,
  c: Recorder,
  args: ArrayLike<unknown>,
  result: unknown,
): Readonly<Record<string, unknown>> | undefined {
  if (spec.metaFn === undefined) return spec.metaObject;
  try {
    const m = spec.metaFn(Array.prototype.slice.call(args), result);
    return m === undefined || m === null ? undefined : m;
  } catch (e) {
    c.reportError(e, 'metadata');
    return undefined;
  }
}
