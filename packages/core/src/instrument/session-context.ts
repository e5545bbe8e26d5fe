import { AsyncLocalStorage } from 'node:async_hooks';
import type { CallContext, ContextResolver } from '../api/types';

/**
 * Carries the current session through async calls with `AsyncLocalStorage`, for tools whose
 * arguments do not say which session they serve (several sessions in one process).
 *
 * Opt-in on purpose: the first `AsyncLocalStorage` in a process makes every `await` in it
 * slower (see `pnpm bench`, case `await-with-als`). Nothing is created until you construct one.
 *
 * @example
 * const sessions = new SessionContext();
 * class Grep { @trackPerformance({ context: sessions.resolver }) run(q: string) { ... } }
 * await sessions.run({ sessionId: 'ses_1' }, () => agent.step());
 */
export class SessionContext {
  readonly #storage = new AsyncLocalStorage<CallContext>();

  /** Runs `fn` with `context` as the current session, for it and everything it awaits. */
  run<R>(context: CallContext, fn: () => R): R {
    if (typeof context !== 'object' || context === null || typeof context.sessionId !== 'string' || context.sessionId.length === 0) {
      throw new TypeError('SessionContext.run: context must be { sessionId: non-empty string, messageId?, callId? }');
    }
    return this.#storage.run(context, fn);
  }

  /** The current session, or undefined outside {@link run}. */
  current(): CallContext | undefined {
    return this.#storage.getStore();
  }

  /** A {@link ContextResolver} for the `context` option of `trackPerformance`. */
  readonly resolver: ContextResolver = () => this.#storage.getStore();
}
