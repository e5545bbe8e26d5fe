import type { CallHistory } from './call-history';
import type { CallReorderBuffer } from './call-reorder-buffer';
import type { ContextChain } from './context-table';
import type { SessionSequenceTable } from './session-sequence-table';

/** Live state of one session of a `UsagePatternTracker`. @internal */
export class SessionState {
  lastStart = -Infinity;
  lastId = '';
  /** Calls counted in this session (the position feature of prediction). */
  calls = 0;
  constructor(
    readonly serial: number,
    readonly name: string,
    readonly history: CallHistory,
    readonly pending: CallReorderBuffer | undefined,
    /** This session's own sequences, for `{ sessionId }` views and exact session counts. */
    readonly sequences: SessionSequenceTable | undefined,
    /** Where its last call left the sequence table and the outcome-aware contexts. */
    readonly sequenceChain: ContextChain,
    readonly outcomeChain: ContextChain | undefined,
  ) {}
}
