import { coreGlobal, versionLine } from './global';

/** One process-wide default object of a perftrack package: see {@link sharedDefault}. */
export interface SharedDefault<T> {
  /** The default, or `undefined` when none is set yet. */
  get(): T | undefined;
  /** Sets the default (`undefined` clears it); returns the previous one. */
  set(value: T | undefined): T | undefined;
}

/**
 * A process-wide default (a package's `X.default`) that every copy of that package shares, as
 * long as the copies' versions are of one line (`0.<minor>`, then the major) and they run on
 * compatible copies of core. It lives in core's global slot, beside the default collector, so a
 * package duplicated by a partial upgrade still answers its static calls from the object the
 * integration installed. Copies of incompatible lines keep defaults of their own.
 *
 * For perftrack's own packages (analytics, storage, integration); `name` is
 * `<package>:<what>`, e.g. `@perftrack/analytics:UsagePatternTracker`.
 */
export function sharedDefault<T>(name: string, version: string): SharedDefault<T> {
  const key = `${name}@${versionLine(version)}`;
  let table: { [key: string]: unknown } | undefined;
  const defaults = (): { [key: string]: unknown } => {
    if (table === undefined) {
      const slot = coreGlobal();
      table = slot.defaults ??= Object.create(null) as { [key: string]: unknown };
    }
    return table;
  };
  return {
    get: () => defaults()[key] as T | undefined,
    set: (value) => {
      const all = defaults();
      const previous = all[key] as T | undefined;
      if (value === undefined) delete all[key];
      else all[key] = value;
      return previous;
    },
  };
}
