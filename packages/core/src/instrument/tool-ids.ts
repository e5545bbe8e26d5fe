/** Resolves the tool id of one call (for ids that depend on `this`). */
export type IdOf = (thisArg: unknown) => string;

export function constant(id: string): IdOf {
  return () => id;
}

/** `execute` of a tool-like object reports the object's string `id`; anything else `fallback`. */
export function toolOrMethodId(methodName: string, fallback: IdOf): IdOf {
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
export function lazyClassMethodId(methodName: string, isStatic: boolean): { idOf: IdOf; bind(wrapped: unknown): void } {
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
        while (o !== null && !(Object.getOwnPropertyDescriptor(o, methodName)?.value === self))
          o = Object.getPrototypeOf(o) as object | null;
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

export function keyName(key: string | symbol): string {
  return typeof key === 'symbol' ? (key.description ?? 'symbol') : key;
}
