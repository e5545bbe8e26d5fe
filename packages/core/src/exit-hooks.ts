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
const installed = new Set<ExitHandlers>();
const listeners = new Map<NodeJS.Signals, () => void>();

function onBeforeExit(): void {
  for (const h of installed) void h.beforeExit?.().catch(() => {});
}

function listen(): void {
  process.on('beforeExit', onBeforeExit);
  for (const signal of SIGNALS) {
    const listener = (): void => {
      // Decided now: the handlers below may remove their hooks (and this listener) as they shut down.
      const alone = process.listenerCount(signal) === 1;
      const handlers = [...installed];
      void Promise.allSettled(handlers.map((h) => h.signal?.())).then(() => {
        // Nobody but us handles the signal: exit as the process would have without us.
        if (alone) {
          unlisten();
          installed.clear();
          process.kill(process.pid, signal);
        }
      });
    };
    listeners.set(signal, listener);
    process.on(signal, listener);
  }
}

function unlisten(): void {
  process.removeListener('beforeExit', onBeforeExit);
  for (const [signal, listener] of listeners) process.removeListener(signal, listener);
  listeners.clear();
}

/**
 * Runs `handlers` when the process ends: `beforeExit`, and `SIGTERM` / `SIGINT`. Every perftrack
 * part shares one listener per event, so when the application has no signal handler of its own
 * the process still exits on the signal (re-raised once every handler has settled); when it
 * has one, that handler decides. Returns a function that removes these handlers (safe to call twice).
 */
export function installExitHooks(handlers: ExitHandlers): () => void {
  if (typeof handlers !== 'object' || handlers === null) throw new TypeError('installExitHooks: expected { beforeExit?, signal? }');
  const entry: ExitHandlers = { ...handlers };
  if (installed.size === 0) listen();
  installed.add(entry);
  return () => {
    if (installed.delete(entry) && installed.size === 0) unlisten();
  };
}

const onExitHandlers = new Set<() => void>();
let exitListening = false;

function runExitHandlers(): void {
  for (const handler of [...onExitHandlers]) {
    try {
      handler();
    } catch {
      // an exit handler cannot report anywhere useful any more; the others still run
    }
  }
}

/**
 * Runs `handler` synchronously when the process ends through `process.exit()`, an uncaught
 * exception, or the event loop running empty (Node's `'exit'` event: no I/O can be awaited
 * there, so the handler must do its work with synchronous calls, as `pino.final` does).
 * One `'exit'` listener serves every handler: attached on first use and kept, so registering
 * and removing a handler (storage does it whenever its queue fills and empties) is a set
 * operation. Returns a function that removes the handler (safe to call twice).
 */
export function onProcessExit(handler: () => void): () => void {
  if (typeof handler !== 'function') throw new TypeError('onProcessExit: expected a function');
  if (!exitListening) {
    exitListening = true;
    process.on('exit', runExitHandlers);
  }
  onExitHandlers.add(handler);
  return () => {
    onExitHandlers.delete(handler);
  };
}
