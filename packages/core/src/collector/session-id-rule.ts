/**
 * The one rule for session ids, checked where a record is built (core) and again where it is
 * stored (`@perftrack/storage` imports it from here).
 */

/** Longest session id a record may carry (UTF-16 code units). */
export const SESSION_ID_MAX_LENGTH = 200;

/**
 * Why `sessionId` cannot be carried by a record (and so cannot be stored), or `undefined` when it
 * can: it must be a non-empty string of at most {@link SESSION_ID_MAX_LENGTH} characters with no
 * NUL (U+0000). Anything else, `../../etc`, `__proto__`, unicode, tabs and other control
 * characters, is fine: storage encodes names that are not plain file names (and stores of earlier
 * versions, which accepted them, keep loading); what prints ids makes them terminal-safe.
 */
export function sessionIdProblem(sessionId: unknown): string | undefined {
  if (typeof sessionId !== 'string') return 'must be a string';
  if (sessionId.length === 0) return 'must not be empty';
  if (sessionId.length > SESSION_ID_MAX_LENGTH) return `longer than ${SESSION_ID_MAX_LENGTH} characters`;
  return sessionId.includes('\0') ? 'contains a NUL byte' : undefined;
}

/**
 * Applies {@link sessionIdProblem} where records are built, cheaply: the last two good ids are
 * remembered, so a call in one of the two sessions seen last (an agent and its sub-agent, or a
 * tool tracked with and without a context) costs one or two comparisons.
 *
 * The rule for a record whose session id breaks it: the record is still published (the ring
 * buffer, analytics and a user's subscribers see the call as it happened, under the id the
 * user gave), and storage drops it and counts it in `stats().lost`, since no file or row can be
 * named after it. Renaming it to a stand-in session would silently split or merge the user's
 * sessions. What this guard adds is the early, precise warning: the first bad id is reported
 * once, naming the tool and where the id came from, so the user can fix the source.
 */
export class SessionIdGuard {
  /** The last id that passed (compare with it first: repeated sessions cost nothing). */
  lastGood: string | undefined;
  /** The good id before {@link SessionIdGuard.lastGood}. */
  previousGood: string | undefined;
  /** Records built with an id that breaks the rule. */
  rejected = 0;
  readonly #warnOnce: (key: string, message: string) => void;

  constructor(warnOnce: (key: string, message: string) => void) {
    this.#warnOnce = warnOnce;
  }

  /**
   * Checks one record's session id; call it only when the id is not {@link SessionIdGuard.lastGood}
   * (that comparison stays at the call site, where it inlines). Warns once (per guard) for the
   * first id that breaks the rule, naming where `draft`'s id came from.
   */
  check(sessionId: string, toolId: string, draft: DraftSource): void {
    if (sessionId === this.previousGood) {
      this.previousGood = this.lastGood;
      this.lastGood = sessionId;
      return;
    }
    const problem = sessionIdProblem(sessionId);
    if (problem === undefined) {
      this.previousGood = this.lastGood;
      this.lastGood = sessionId;
      return;
    }
    this.rejected++;
    this.#warnOnce(
      'invalid-session-id',
      `perftrack: tool ${quote(toolId)} got session id ${quote(sessionId)} from ${sessionIdSource(draft)}, which cannot be stored (${problem}); ` +
        'its records stay in memory but storage drops them and counts them in stats().lost (reported once)',
    );
  }
}

function quote(text: unknown): string {
  const s = typeof text === 'string' ? text : String(text);
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

/** Where a decorated or wrapped call's session id comes from (named in the invalid-id warning). */
const CONTEXT_SOURCE = "the call's context (the `context` option, the framework's context argument, or the collector's defaultSessionId)";

/** What of a record's draft tells where its session id came from. */
type DraftSource = { readonly preformatted?: boolean | undefined; readonly id?: string | undefined };

/** Where the session id of a record being built came from, in words (for the invalid-id warning). */
function sessionIdSource(d: DraftSource): string {
  if (d.preformatted === true) return 'recordExecution({ sessionId })';
  return d.id !== undefined ? 'startToolExecution(toolId, sessionId)' : CONTEXT_SOURCE;
}
