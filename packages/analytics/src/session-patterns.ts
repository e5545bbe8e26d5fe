import type { SessionSequence } from './session-sequence-table';
import type { SequencePattern } from './usage-pattern-types';

/** Whether `longer` (one call longer) starts or ends with `shorter`. @internal */
export function containsSequence(longer: readonly number[], shorter: readonly number[]): boolean {
  let asPrefix = true;
  let asSuffix = true;
  for (let i = 0; i < shorter.length; i++) {
    if (longer[i] !== shorter[i]) asPrefix = false;
    if (longer[i + 1] !== shorter[i]) asSuffix = false;
  }
  return asPrefix || asSuffix;
}

/** A session table's sequence as a pattern (it occurred in one session). @internal */
export function sessionPattern(sequence: string[], e: SessionSequence): SequencePattern {
  return {
    sequence,
    count: e.weightedCount,
    occurrences: e.occurrences,
    sessions: 1,
    avgDuration: e.timedWeight > 0 ? e.weightedDurationSum / e.timedWeight : null,
    successRate: e.allSucceededWeight / e.weightedCount,
  };
}
