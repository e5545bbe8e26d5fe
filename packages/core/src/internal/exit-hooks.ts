/** What {@link installExitHooks} runs when the process ends. */
export interface ExitHandlers {
  /**
   * On `beforeExit` (the event loop ran empty): write out what is buffered. When nothing is
   * buffered it must start no new I/O, or Node emits `beforeExit` again.
   */
  readonly beforeExit?: () => Promise<void>;
  /** On `SIGTERM` / `SIGINT`: flush and stop. */
  readonly signal?: () => Promise<void>;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * The exit-hook state of the process. It lives on `globalThis` (under a `Symbol.for` key, as the
 * default collector does) because every copy of this package installed side by side must share
 * one listener per event: with a listener per copy, each would see another listener, conclude
 * the application handles the signal itself, and none would re-raise it, so the process would
 * no longer exit on SIGTERM. The layout only ever grows; `/1` in the key names this one.
 */
interface ExitHookState {
  /** Handlers of {@link installExitHooks}, from every copy. */
  readonly installed: Set<ExitHandlers>;
  /** The one listener per signal (and `beforeExit`) while any handler is installed. */
  readonly listeners: Map<NodeJS.Signals | 'beforeExit', () => void>;
  /** Handlers of {@link onProcessExit}, from every copy. */
  readonly onExit: Set<() => void>;
  /** Whether the one `'exit'` listener is attached (it stays once attached). */
  exitListening: boolean;
}

const STATE_KEY = Symbol.for('perftrack.core.exit-hooks/1');

function state(): ExitHookState {
  const g = globalThis as { [STATE_KEY]?: ExitHookState };
  return (g[STATE_KEY] ??= { installed: new Set(), listeners: new Map(), onExit: new Set(), exitListening: false });
}

function listen(s: ExitHookState): void {
  const onBeforeExit = (): void => {
    for (const h of s.installed) void h.beforeExit?.().catch(() => {});
  };
  s.listeners.set('beforeExit', onBeforeExit);
  process.on('beforeExit', onBeforeExit);
  for (const signal of SIGNALS) {
    const listener = (): void => {
      // Decided now: the handlers below may remove their hooks (and this listener) as they shut down.
      const alone = process.listenerCount(signal) === 1;
      const handlers = [...s.installed];
      void Promise.allSettled(handlers.map((h) => h.signal?.())).then(() => {
        // Nobody but us handles the signal: exit as the process would have without us.
        if (alone) {
          unlisten(s);
          s.installed.clear();
          process.kill(process.pid, signal);
        }
      });
    };
    s.listeners.set(signal, listener);
    process.on(signal, listener);
  }
}

function unlisten(s: ExitHookState): void {
  for (const [event, listener] of s.listeners) process.removeListener(event, listener);
  s.listeners.clear();
}

/**
 * Runs `handlers` when the process ends: `beforeExit`, and `SIGTERM` / `SIGINT`. Every perftrack
 * part, in every copy of this package, shares one listener per event, so when the application
 * has no signal handler of its own the process still exits on the signal (re-raised once every
 * handler has settled); when it has one, that handler decides. Returns a function that removes
 * these handlers (safe to call twice).
 */
export function installExitHooks(handlers: ExitHandlers): () => void {
  if (typeof handlers !== 'object' || handlers === null) throw new TypeError('installExitHooks: expected { beforeExit?, signal? }');
  const s = state();
  const entry: ExitHandlers = { ...handlers };
  if (s.installed.size === 0 && s.listeners.size === 0) listen(s);
  s.installed.add(entry);
  return () => {
    if (s.installed.delete(entry) && s.installed.size === 0) unlisten(s);
  };
}

/**
 * Runs `handler` synchronously when the process ends through `process.exit()`, an uncaught
 * exception, or the event loop running empty (Node's `'exit'` event: no I/O can be awaited
 * there, so the handler must do its work with synchronous calls, as `pino.final` does).
 * One `'exit'` listener serves every handler of every copy of this package: attached on first
 * use and kept, so registering and removing a handler (storage does it whenever its queue fills
 * and empties) is a set operation. Returns a function that removes the handler (safe to call twice).
 */
export function onProcessExit(handler: () => void): () => void {
  if (typeof handler !== 'function') throw new TypeError('onProcessExit: expected a function');
  const s = state();
  if (!s.exitListening) {
    s.exitListening = true;
    const handlers = s.onExit;
    process.on('exit', () => {
      // The live set, so a handler added by an earlier one runs too (the integration's pipeline
      // delivers to storage, which then registers its own synchronous write); each runs once.
      const ran = new Set<() => void>();
      for (const h of handlers) {
        if (ran.has(h)) continue;
        ran.add(h);
        try {
          h();
        } catch {
          // an exit handler cannot report anywhere useful any more; the others still run
        }
      }
    });
  }
  s.onExit.add(handler);
  return () => {
    s.onExit.delete(handler);
  };
}
