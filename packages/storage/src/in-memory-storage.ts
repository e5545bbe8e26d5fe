import type { ToolExecutionMetrics } from '@perftrack/core';
import { checkInteger } from '@perftrack/core/internal';
import type { ReadReport, SnapshotKind, StorageAdapter, StoredSessionInfo } from './adapter';
import { validateSessionId } from './session-id';

interface Session {
  metrics: ToolExecutionMetrics[];
  patterns: unknown;
  analytics: unknown;
  lastModified: number;
}

/**
 * Keeps sessions in memory, for tests and short-lived processes. Values are copied through JSON
 * on the way in, as files would be. Bounded: past `maxRecords` records in all, the oldest
 * session is evicted whole and counted in {@link evictedSessions}.
 */
export class InMemoryStorage implements StorageAdapter {
  readonly #sessions = new Map<string, Session>();
  readonly #maxRecords: number;
  #records = 0;
  /** Sessions evicted to stay under `maxRecords`. */
  evictedSessions = 0;

  constructor(options: { maxRecords?: number } = {}) {
    const max = options.maxRecords ?? 1_000_000;
    this.#maxRecords = checkInteger('InMemoryStorage', 'maxRecords', max, 1);
  }

  #session(id: string): Session {
    validateSessionId(id);
    let s = this.#sessions.get(id);
    if (s === undefined) {
      s = { metrics: [], patterns: undefined, analytics: undefined, lastModified: Date.now() };
      this.#sessions.set(id, s);
    }
    return s;
  }

  async appendMetrics(sessionId: string, records: readonly ToolExecutionMetrics[]): Promise<void> {
    const s = this.#session(sessionId);
    for (const r of records) s.metrics.push(JSON.parse(JSON.stringify(r)) as ToolExecutionMetrics);
    s.lastModified = Date.now();
    this.#records += records.length;
    for (const [id, victim] of this.#sessions) {
      if (this.#records <= this.#maxRecords || id === sessionId) break;
      this.#records -= victim.metrics.length;
      this.#sessions.delete(id);
      this.evictedSessions++;
    }
  }

  async *readMetrics(sessionId: string, _report?: ReadReport): AsyncIterable<ToolExecutionMetrics> {
    validateSessionId(sessionId);
    const s = this.#sessions.get(sessionId);
    if (s) yield* s.metrics.slice();
  }

  async writeSnapshot(kind: SnapshotKind, sessionId: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`writeSnapshot: the ${kind} snapshot is not JSON-serialisable`);
    const s = this.#session(sessionId);
    s[kind] = JSON.parse(text) as unknown;
    s.lastModified = Date.now();
  }

  async readSnapshot(kind: SnapshotKind, sessionId: string): Promise<unknown> {
    validateSessionId(sessionId);
    return this.#sessions.get(sessionId)?.[kind];
  }

  async listSessions(): Promise<StoredSessionInfo[]> {
    return [...this.#sessions.entries()].map(([sessionId, s]) => ({
      sessionId,
      lastModified: s.lastModified,
      bytes: JSON.stringify(s.metrics).length + (JSON.stringify(s.patterns)?.length ?? 0) + (JSON.stringify(s.analytics)?.length ?? 0),
      hasMetrics: s.metrics.length > 0,
      hasPatterns: s.patterns !== undefined,
      hasAnalytics: s.analytics !== undefined,
    }));
  }

  async deleteSession(sessionId: string): Promise<string[]> {
    validateSessionId(sessionId);
    const s = this.#sessions.get(sessionId);
    if (s === undefined) return [];
    this.#sessions.delete(sessionId);
    this.#records -= s.metrics.length;
    return (['metrics', 'patterns', 'analytics'] as const).filter((k) => (k === 'metrics' ? s.metrics.length > 0 : s[k] !== undefined));
  }

  /** Sets a session's last-modified time (tests of cleanup). */
  touch(sessionId: string, lastModified: number): void {
    this.#session(sessionId).lastModified = lastModified;
  }
}
