/** Where perftrack's own problems go: an error handler and a warning sink, both optional. */
export interface DiagnosticsOptions<Source extends string = string> {
  /** Receives each error. Default: the first error of each source is warned about. */
  onError?: (error: unknown, source: Source) => void;
  /** Receives one-time warnings. Default `process.emitWarning` (type `PerftrackWarning`). */
  onWarning?: (message: string) => void;
}

/**
 * Reports perftrack's own errors and warnings without ever throwing into the caller: errors go
 * to `onError` when given (else the first of each source is warned about), each warning key is
 * emitted once, and a handler or sink that throws is ignored. Shared by the collector, storage
 * and other subscribers so they behave alike.
 */
export class Diagnostics<Source extends string = string> {
  readonly #onError: ((error: unknown, source: Source) => void) | undefined;
  readonly #onWarning: (message: string) => void;
  readonly #warned = new Set<string>();

  /** `owner` prefixes the TypeError thrown for a handler that is not a function. */
  constructor(options: DiagnosticsOptions<Source> = {}, owner = 'Diagnostics') {
    for (const key of ['onError', 'onWarning'] as const) {
      if (options[key] !== undefined && typeof options[key] !== 'function') {
        throw new TypeError(`${owner}: ${key} must be a function, got ${typeof options[key]}`);
      }
    }
    this.#onError = options.onError;
    this.#onWarning = options.onWarning ?? ((message: string) => process.emitWarning(message, { type: 'PerftrackWarning' }));
  }

  /**
   * Hands `error` to `onError`, or warns once per `warnKey` (default: per source) with
   * `describe(error)`. Never throws.
   */
  report(error: unknown, source: Source, describe: (error: unknown) => string, warnKey: string = `error:${source}`): void {
    if (this.#onError === undefined) {
      this.warnOnce(warnKey, describe(error));
      return;
    }
    try {
      this.#onError(error, source);
    } catch {
      // an error handler that throws has nowhere left to report to
    }
  }

  /** Emits `message` the first time `key` is seen (until {@link reset}). Never throws. */
  warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    try {
      this.#onWarning(message);
    } catch {
      // a warning sink that throws must not reach the caller
    }
  }

  /** Forgets which warnings were emitted. */
  reset(): void {
    this.#warned.clear();
  }
}
