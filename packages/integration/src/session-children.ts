import type { SessionReport } from '@perftrack/analytics';
import type { PerformanceStorage } from '@perftrack/storage';
import { HistoryReader, openHistory, type ChildSessionLink } from './history';

/** Options of `getSessionReport`. */
export interface SessionReportOptions {
  /**
   * Also report the sessions spawned by this one (records whose `parentSessionId` names it, and
   * theirs in turn: a subagent's subagents) and a total rolled up across all of them. Default false.
   */
  readonly includeChildren?: boolean;
}

/** Totals across a parent session and its child sessions. */
export interface SessionRollup {
  /** Sessions added up: the parent and every child. */
  readonly sessions: number;
  /** Records observed. */
  readonly calls: number;
  /** Estimated calls (sum of sample weights). */
  readonly estimatedCalls: number;
  readonly failures: number;
  /** Estimated time inside tools, ms (calls can overlap). */
  readonly busyDuration: number;
  /** From the first call's start to the last call's end across all of them, ms (0 when empty). */
  readonly wallDuration: number;
}

/** A session report with its child sessions' reports and the rolled-up total. */
export interface SessionReportWithChildren extends SessionReport {
  /** Each child session's report, with the session that spawned it; nearest first, then by id. */
  readonly children: readonly (SessionReport & { readonly parentSessionId: string })[];
  readonly rollup: SessionRollup;
}

/**
 * The sessions descending from `sessionId` through records' `parentSessionId`, each with its
 * parent, nearest first (breadth-first; a cycle in hostile data is cut). Reads every stored
 * record once, through the history reader ({@link HistoryReader.childSessions}).
 */
export function findChildSessions(history: PerformanceStorage | HistoryReader, sessionId: string): Promise<ChildSessionLink[]> {
  return (history instanceof HistoryReader ? history : openHistory({ storage: history })).childSessions(sessionId);
}

/** Adds up the summaries of a parent's and its children's reports. */
export function rollUpSessions(reports: readonly SessionReport[]): SessionRollup {
  let calls = 0;
  let estimatedCalls = 0;
  let failures = 0;
  let busyDuration = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const {
    analytics: { summary: s },
  } of reports) {
    calls += s.totalOperations;
    estimatedCalls += s.estimatedOperations;
    failures += s.failures;
    busyDuration += s.busyDuration;
    if (s.firstStart !== null && s.firstStart < first) first = s.firstStart;
    if (s.lastEnd !== null && s.lastEnd > last) last = s.lastEnd;
  }
  return { sessions: reports.length, calls, estimatedCalls, failures, busyDuration, wallDuration: last >= first ? last - first : 0 };
}
