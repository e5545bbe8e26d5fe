import { AnalyticsEngine, type AnalyticsEngineOptions } from '@perftrack/analytics';
import type { ToolExecutionMetrics } from '@perftrack/core';
import {
  PerformanceStorage,
  type HistoryFilter,
  type HistoryQuery,
  type SessionAggregate,
  type StorageAdapter,
  type StoredSessionInfo,
  type ToolAggregate,
  type TransitionAggregate,
} from '@perftrack/storage';
import { HistoryAggregator, type HistoryAggregates, type HistoryAggregatorOptions } from './history-aggregates';

/** Where a {@link HistoryReader} reads: a storage directory, a storage instance, or a bare adapter. */
export type HistorySource = { readonly dir: string } | { readonly storage: PerformanceStorage } | { readonly adapter: StorageAdapter };

/**
 * Which stored records a read covers: the query seam's {@link HistoryFilter} (sessions, tools,
 * a `startTime` range) plus `maxSessions`, the newest that many sessions by last write.
 */
export interface HistorySelection extends HistoryFilter {
  readonly maxSessions?: number;
}

/** What a read went through. */
export interface HistoryReadResult {
  /** Sessions read. */
  readonly sessions: number;
  /** Records handed on (after the selection's tool and time filters and any `skip`). */
  readonly records: number;
  /** Corrupt or truncated lines skipped. */
  readonly corruptLines: number;
}

/** Limits of {@link HistoryReader.aggregates}. */
export interface HistoryAggregateLimits {
  /** Sessions in the answer, most recently active first. Default 100. */
  readonly sessionsLimit?: number;
  /** Transitions in the answer, most frequent first. Default 100. */
  readonly transitionsLimit?: number;
}

/** {@link HistoryAggregates} with how they were computed. */
export interface HistoryAggregateAnswer extends HistoryAggregates {
  /** `query`: by the storage backend itself; `replay`: by streaming the records here. */
  readonly computedBy: 'query' | 'replay';
  /** Corrupt lines met by a replay (0 when the backend answered). */
  readonly corruptLines: number;
}

/** Something records can be replayed into: an analytics engine, a model, a subscriber. */
export interface HistorySink {
  onMetric(record: ToolExecutionMetrics): void;
}

/** A session spawned by another, found through records' `parentSessionId`. */
export interface ChildSessionLink {
  readonly sessionId: string;
  readonly parentSessionId: string;
}

const validLimit = (name: string, v: number | undefined, fallback: number): number => {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 0) throw new TypeError(`HistoryReader: ${name} must be an integer >= 0, got ${String(v)}`);
  return v;
};

/**
 * The read side of perftrack's storage: every face that reads stored history (the CLI's
 * reports, the dashboard in storage mode, the integration's replay at start and its session
 * reports) reads through one of these, over storage's public API only.
 *
 * Records are streamed, never gathered: {@link replay} hands each to a callback, session by
 * session (a session's records together), so memory is bounded by what the consumer keeps.
 * Aggregate questions ({@link aggregates} and the {@link HistoryQuery} methods) go to the
 * storage backend when it can answer them (a database adapter) and are otherwise computed in one
 * streaming pass with the same definitions.
 *
 * @example
 * const history = openHistory({ dir: './.perftrack' });
 * const { tools } = await history.aggregates();
 * const { engine } = await history.engine({ sessionIds: ['run-1'] });
 * await history.close();
 */
export class HistoryReader implements HistoryQuery {
  /** The storage read. */
  readonly storage: PerformanceStorage;
  readonly #owned: boolean;

  /**
   * Prefer {@link openHistory}. With `closeStorage`, {@link close} shuts the storage down (as
   * for a storage the reader opened itself); otherwise it is left to its owner.
   */
  constructor(storage: PerformanceStorage, options: { readonly closeStorage?: boolean } = {}) {
    if (!(storage instanceof PerformanceStorage)) throw new TypeError('HistoryReader: storage must be a PerformanceStorage');
    this.storage = storage;
    this.#owned = options.closeStorage === true;
  }

  /** Whether the storage backend answers aggregate questions itself (no replay). */
  get queryable(): boolean {
    return this.storage.historyQuery !== undefined;
  }

  /** Stored sessions with a metrics log, oldest activity first. */
  async sessions(): Promise<StoredSessionInfo[]> {
    return (await this.storage.listSessions()).filter((s) => s.hasMetrics);
  }

  /**
   * Streams the selected records to `onRecord`, session by session (oldest activity first, or
   * in the order of `selection.sessionIds`), each session's records in stored order. Reads
   * straight from the adapter: records still queued in a writer of this process are not included
   * (flush it first). Throws for an invalid session id or selection.
   */
  async replay(onRecord: (record: ToolExecutionMetrics) => void, selection: HistorySelection = {}): Promise<HistoryReadResult> {
    if (typeof selection !== 'object' || selection === null) throw new TypeError('HistoryReader: selection must be an object');
    const { sessionIds, toolIds, since, until, maxSessions } = selection;
    if (since !== undefined && !Number.isFinite(since))
      throw new TypeError(`HistoryReader: since must be a finite number, got ${String(since)}`);
    if (until !== undefined && !Number.isFinite(until))
      throw new TypeError(`HistoryReader: until must be a finite number, got ${String(until)}`);
    const tools = toolIds === undefined ? undefined : new Set(toolIds);
    const filtered = tools !== undefined || since !== undefined || until !== undefined;
    let records = 0;
    const read = await this.storage.replay(
      filtered
        ? (m) => {
            if (tools !== undefined && !tools.has(m.toolId)) return;
            if (since !== undefined && m.startTime < since) return;
            if (until !== undefined && m.startTime >= until) return;
            records++;
            onRecord(m);
          }
        : (m) => {
            records++;
            onRecord(m);
          },
      { ...(sessionIds !== undefined ? { sessionIds } : {}), ...(maxSessions !== undefined ? { maxSessions } : {}) },
    );
    return { sessions: read.sessions, records, corruptLines: read.corruptLines };
  }

  /**
   * Replays the selected records into `sink` (an existing analytics engine, say), leaving out
   * those `skip` accepts (records this process also feeds live), and handing each one to `also`.
   */
  replayInto(
    sink: HistorySink,
    selection: HistorySelection = {},
    options: { skip?: (record: ToolExecutionMetrics) => boolean; also?: (record: ToolExecutionMetrics) => void } = {},
  ): Promise<HistoryReadResult> {
    const { skip, also } = options;
    let skipped = 0;
    return this.replay((m) => {
      if (skip?.(m) === true) {
        skipped++;
        return;
      }
      sink.onMetric(m);
      also?.(m);
    }, selection).then((read) => ({ ...read, records: read.records - skipped }));
  }

  /**
   * A fresh {@link AnalyticsEngine} fed the selected records: the one way history becomes
   * figures, insights and session reports. `also` sees each record too (one read, two uses).
   */
  async engine(
    selection: HistorySelection = {},
    options: AnalyticsEngineOptions = {},
    also?: (record: ToolExecutionMetrics) => void,
  ): Promise<{ engine: AnalyticsEngine; read: HistoryReadResult }> {
    const engine = new AnalyticsEngine(options);
    const read = await this.replayInto(engine, selection, also ? { also } : {});
    return { engine, read };
  }

  /**
   * The sessions descending from `sessionId` through records' `parentSessionId`, each with its
   * parent, nearest first (breadth-first, siblings by id; a cycle in hostile data is cut). Reads
   * every stored record once, keeping only the parent links.
   */
  async childSessions(sessionId: string): Promise<ChildSessionLink[]> {
    const childrenOf = new Map<string, Set<string>>();
    await this.replay((m) => {
      const parent = m.parentSessionId;
      if (typeof parent !== 'string' || parent === m.sessionId) return;
      let set = childrenOf.get(parent);
      if (set === undefined) childrenOf.set(parent, (set = new Set()));
      set.add(m.sessionId);
    });
    const out: ChildSessionLink[] = [];
    const seen = new Set([sessionId]);
    for (let queue = [sessionId]; queue.length > 0; ) {
      const next: string[] = [];
      for (const parent of queue) {
        for (const child of [...(childrenOf.get(parent) ?? [])].sort()) {
          if (seen.has(child)) continue;
          seen.add(child);
          out.push({ sessionId: child, parentSessionId: parent });
          next.push(child);
        }
      }
      queue = next;
    }
    return out;
  }

  /**
   * Per-tool figures, sessions, transitions and the record count of the filtered records, in
   * one go: from the backend when it can ({@link queryable}), else from one streaming replay
   * with bounded memory (see `HistoryAggregator`). Both give the same numbers for the same records.
   */
  async aggregates(filter: HistoryFilter = {}, limits: HistoryAggregateLimits = {}): Promise<HistoryAggregateAnswer> {
    const sessionsLimit = validLimit('sessionsLimit', limits.sessionsLimit, 100);
    const transitionsLimit = validLimit('transitionsLimit', limits.transitionsLimit, 100);
    const query = this.storage.historyQuery;
    if (query !== undefined) {
      const [tools, sessions, transitions, records] = await Promise.all([
        query.aggregateTools(filter),
        query.aggregateSessions(filter, sessionsLimit),
        query.aggregateTransitions(filter, transitionsLimit),
        query.countRecords(filter),
      ]);
      return { tools, sessions, transitions, records, computedBy: 'query', corruptLines: 0 };
    }
    const aggregator = new HistoryAggregator({ sessionsLimit, transitionsLimit });
    const read = await this.replay((m) => aggregator.add(m), filter);
    return { ...aggregator.result(), computedBy: 'replay', corruptLines: read.corruptLines };
  }

  /** {@link HistoryQuery.aggregateTools}: by the backend, else by a streaming replay. */
  async aggregateTools(filter?: HistoryFilter): Promise<ToolAggregate[]> {
    const query = this.storage.historyQuery;
    return query !== undefined
      ? query.aggregateTools(filter)
      : (await this.#replayAggregates(filter, { sessionsLimit: 0, transitionsLimit: 0 })).tools;
  }

  /** {@link HistoryQuery.aggregateSessions}: by the backend, else by a streaming replay. */
  async aggregateSessions(filter?: HistoryFilter, limit?: number): Promise<SessionAggregate[]> {
    const query = this.storage.historyQuery;
    return query !== undefined
      ? query.aggregateSessions(filter, limit)
      : (await this.#replayAggregates(filter, { ...(limit !== undefined ? { sessionsLimit: limit } : {}), transitionsLimit: 0 })).sessions;
  }

  /** {@link HistoryQuery.aggregateTransitions}: by the backend, else by a streaming replay. */
  async aggregateTransitions(filter?: HistoryFilter, limit?: number): Promise<TransitionAggregate[]> {
    const query = this.storage.historyQuery;
    return query !== undefined
      ? query.aggregateTransitions(filter, limit)
      : (await this.#replayAggregates(filter, { sessionsLimit: 0, ...(limit !== undefined ? { transitionsLimit: limit } : {}) }))
          .transitions;
  }

  /** {@link HistoryQuery.countRecords}: by the backend, else by a streaming replay. */
  async countRecords(filter?: HistoryFilter): Promise<number> {
    const query = this.storage.historyQuery;
    if (query !== undefined) return query.countRecords(filter);
    return (await this.replay(() => {}, filter ?? {})).records;
  }

  async #replayAggregates(filter: HistoryFilter | undefined, limits: HistoryAggregatorOptions): Promise<HistoryAggregates> {
    const aggregator = new HistoryAggregator(limits);
    await this.replay((m) => aggregator.add(m), filter ?? {});
    return aggregator.result();
  }

  /** Releases the storage when this reader opened it (from a `dir` or an `adapter`); a storage passed in is left open. */
  async close(): Promise<void> {
    if (this.#owned) await this.storage.shutdown();
  }
}

/**
 * Opens stored history for reading: `{ dir }` (a storage directory; nothing is created or
 * written there), `{ storage }` (a `PerformanceStorage` already in use, left open by
 * {@link HistoryReader.close}) or `{ adapter }` (any `StorageAdapter`, a database one included).
 *
 * @throws TypeError when the source is none of these.
 */
export function openHistory(source: HistorySource): HistoryReader {
  if (typeof source !== 'object' || source === null) throw new TypeError('openHistory: expected { dir }, { storage } or { adapter }');
  const keys = ['dir', 'storage', 'adapter'].filter((k) => (source as Record<string, unknown>)[k] !== undefined);
  if (keys.length !== 1)
    throw new TypeError(`openHistory: give exactly one of dir, storage or adapter (got ${keys.length === 0 ? 'none' : keys.join(', ')})`);
  if ('storage' in source && source.storage !== undefined) {
    if (!(source.storage instanceof PerformanceStorage)) throw new TypeError('openHistory: storage must be a PerformanceStorage');
    return new HistoryReader(source.storage);
  }
  if ('adapter' in source && source.adapter !== undefined)
    return new HistoryReader(new PerformanceStorage({ adapter: source.adapter, onWarning: () => {} }), { closeStorage: true });
  const dir = (source as { dir: unknown }).dir;
  if (typeof dir !== 'string' || dir === '') throw new TypeError('openHistory: dir must be a non-empty string');
  return new HistoryReader(new PerformanceStorage({ dir, onWarning: () => {} }), { closeStorage: true });
}
