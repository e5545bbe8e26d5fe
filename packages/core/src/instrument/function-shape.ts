/** Any function the wrappers take; its `this` and arguments are forwarded untouched. */
export type AnyFunction = (this: never, ...args: never[]) => unknown;

/** On a tracked function: the original it wraps (so nothing is wrapped twice). */
const TRACKED = Symbol.for('perftrack.tracked');

/**
 * Gives `wrapped` the original's name, length and reflect-metadata; and its `prototype`, so that
 * `new wrapped()` objects are `instanceof` both.
 */
export function copyFunctionShape(wrapped: object, fn: AnyFunction): void {
  Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
  Object.defineProperty(wrapped, 'length', { value: fn.length, configurable: true });
  Object.defineProperty(wrapped, TRACKED, { value: fn });
  // `new wrapped()` builds an instance of the original (see wrap-call): one prototype for both
  const prototype = Object.getOwnPropertyDescriptor(fn, 'prototype');
  if (prototype !== undefined && 'prototype' in wrapped)
    Object.defineProperty(wrapped, 'prototype', { value: prototype.value, writable: prototype.writable ?? true });
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
