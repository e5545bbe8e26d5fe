import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Diagnostics, errorMessage, installExitHooks, type MetricsSubscriber, type ToolExecutionMetrics } from '@perftrack/core';
import type { ReadReport, StorageAdapter, StoredSessionInfo } from './adapter';
import { FileStorage } from './file-storage';
import { isRecord } from './record';
import { validateSessionId } from './session-id';

/** The schema tag of export documents. */
export const EXPORT_SCHEMA = 'perftrack.export/1';

/** One session in an export document. */
export interface ExportedSession {
  sessionId: string;
  metrics: ToolExecutionMetrics[];
  patterns?: unknown;
  analytics?: unknown;
}

/** The versioned export document (`schema: "perftrack.export/1"`). */
export interface ExportDocument {
  schema: typeof EXPORT_SCHEMA;
  /** ISO 8601. */
  exportDate: string;
  sessions: ExportedSession[];
}

/** What {@link PerformanceStorage.importAll} did. */
export interface ImportResult {
  sessions: number;
  /** Records appended. */
  imported: number;
  /** Records skipped because a record with the same id was already stored (or repeated in the document). */
  duplicates: number;
  /** Records skipped because they were not valid records. */
  invalid: number;
}

/** What {@link PerformanceStorage.cleanup} removed (or, with `dryRun`, would remove). */
export interface CleanupResult {
  removed: { sessionId: string; lastModified: number; files: string[] }[];
  kept: number;
  dryRun: boolean;
}

/** Filter for {@link PerformanceStorage.loadMetrics}. */
export interface LoadFilter {
  /** Inclusive lower bound on `startTime` (epoch ms). */
  since?: number;
  /** Exclusive upper bound on `startTime` (epoch ms). */
  until?: number;
  toolId?: string;
}

/** Options of {@link PerformanceStorage.replay}. */
export interface ReplayOptions {
  /** Only the newest this many sessions (by last write). Default: all. */
  maxSessions?: number;
  /** Only these sessions (each validated), in this order. */
  sessionIds?: readonly string[];
}

/** What {@link PerformanceStorage.replay} read; `corruptLines` counts lines skipped. */
export interface ReplayResult {
  sessions: number;
  records: number;
  corruptLines: number;
}

/** Counters of a {@link PerformanceStorage}. */
export interface StorageStats {
  /** Records waiting for the next flush. */
  readonly queued: number;
  /** Records written. */
  readonly written: number;
  /** Records refused because the queue was full (or storage was shut down). */
  readonly dropped: number;
  /** Failed writes (their records are re-queued while there is room). */
  readonly writeErrors: number;
  /** Corrupt or truncated lines skipped by reads. */
  readonly corruptLines: number;
}

/** Options of {@link PerformanceStorage}. */
export interface PerformanceStorageOptions {
  /** Where data goes. Default: a {@link FileStorage} on `dir`. */
  adapter?: StorageAdapter;
  /** Directory of the default {@link FileStorage} (ignored with `adapter`). */
  dir?: string;
  /** Flush when this many records are queued. Default 500. */
  batchSize?: number;
  /** Flush at least this often while records are queued (ms; the timer is unref'd). Default 1000. */
  flushIntervalMs?: number;
  /** Records queued at most; more are dropped and counted. Default 100,000. */
  maxQueue?: number;
  /** Receives write failures. Default: first one warned, all counted in `stats().writeErrors`. */
  onError?: (error: unknown, operation: string) => void;
  /** Receives one-time warnings. Default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

function positiveInt(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new TypeError(`PerformanceStorage: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Persists perftrack data per session. As a core subscriber it queues each record (O(1), no
 * I/O on the tool's call) and appends batches asynchronously, on size or interval; the queue is
 * bounded and overflow is counted. Also saves pattern and analytics snapshots, cleans up old
 * sessions, and exports/imports the versioned document.
 *
 * @example
 * const storage = new PerformanceStorage({ dir: '.perftrack' });
 * collector.subscribe(storage);
 * // … later
 * await storage.shutdown();
 */
export class PerformanceStorage implements MetricsSubscriber {
  static #default: PerformanceStorage | undefined;

  /** The adapter data goes to. */
  readonly adapter: StorageAdapter;
  readonly #batchSize: number;
  readonly #intervalMs: number;
  readonly #maxQueue: number;
  readonly #diagnostics: Diagnostics;
  #queue: ToolExecutionMetrics[] = [];
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #waiting: Promise<void> | undefined;
  #closed = false;
  #shutdown: Promise<void> | undefined;
  #written = 0;
  #dropped = 0;
  #writeErrors = 0;
  readonly #read: ReadReport = { corruptLines: 0 };

  constructor(options: PerformanceStorageOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('PerformanceStorage: options must be an object');
    if (options.adapter !== undefined && typeof options.adapter?.appendMetrics !== 'function') {
      throw new TypeError('PerformanceStorage: adapter must implement StorageAdapter');
    }
    this.adapter = options.adapter ?? new FileStorage(options.dir === undefined ? {} : { dir: options.dir });
    this.#batchSize = positiveInt('batchSize', options.batchSize, 500);
    this.#intervalMs = positiveInt('flushIntervalMs', options.flushIntervalMs, 1000);
    this.#maxQueue = positiveInt('maxQueue', options.maxQueue, 100_000);
    this.#diagnostics = new Diagnostics({ onError: options.onError, onWarning: options.onWarning }, 'PerformanceStorage');
  }

  /** The process-wide default (a {@link FileStorage} on the default directory), created on first use. */
  static get default(): PerformanceStorage {
    return (PerformanceStorage.#default ??= new PerformanceStorage());
  }

  /** Replaces the default instance; returns the previous one. */
  static setDefault(storage: PerformanceStorage | undefined): PerformanceStorage | undefined {
    const previous = PerformanceStorage.#default;
    PerformanceStorage.#default = storage;
    return previous;
  }

  /** {@link PerformanceStorage.cleanup} on the default instance; by default removes sessions older than 7 days. */
  static cleanup(options?: { olderThanMs?: number; maxSessions?: number; dryRun?: boolean }): Promise<CleanupResult> {
    return PerformanceStorage.default.cleanup(options);
  }

  // ---- subscriber ---------------------------------------------------------------------------

  /** Queues a record for the next batch: O(1), no I/O. */
  onMetric(metric: ToolExecutionMetrics): void {
    if (this.#closed || this.#queue.length >= this.#maxQueue) {
      this.#dropped++;
      this.#diagnostics.warnOnce(
        'dropped',
        this.#closed
          ? 'perftrack storage: a record arrived after shutdown and was dropped (counted in stats().dropped)'
          : `perftrack storage: the write queue is full (maxQueue ${this.#maxQueue}); records are dropped and counted in stats().dropped`,
      );
      return;
    }
    this.#queue.push(metric);
    if (this.#queue.length >= this.#batchSize) this.#requestFlush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#requestFlush();
      }, this.#intervalMs);
      this.#timer.unref();
    }
  }

  #requestFlush(): void {
    this.flush().catch(() => {}); // coalesced by flush(); errors already reported by #drain
  }

  /**
   * Writes every queued record. Calls are serialised, and calls made while a flush is waiting
   * to start share it (so flushing often never builds up a backlog of flushes).
   */
  flush(): Promise<void> {
    if (this.#waiting !== undefined) return this.#waiting;
    const next = this.#chain.then(() => {
      this.#waiting = undefined;
      return this.#drain();
    });
    this.#waiting = next;
    this.#chain = next.catch(() => {});
    return next;
  }

  async #drain(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      const bySession = new Map<string, ToolExecutionMetrics[]>();
      for (const m of batch) {
        const list = bySession.get(m.sessionId);
        if (list) list.push(m);
        else bySession.set(m.sessionId, [m]);
      }
      const groups = [...bySession.values()];
      for (let i = 0; i < groups.length; i++) {
        const records = groups[i] as ToolExecutionMetrics[];
        try {
          await this.adapter.appendMetrics((records[0] as ToolExecutionMetrics).sessionId, records);
          this.#written += records.length;
        } catch (e) {
          this.#writeErrors++;
          this.#diagnostics.report(
            e,
            `append ${(records[0] as ToolExecutionMetrics).sessionId}`,
            (err) => `perftrack storage: a write failed (${errorMessage(err)}); its records were kept for the next flush. Further failures are counted in stats().writeErrors.`,
            'error:append',
          );
          // Nothing is lost on a failed write: this group and the ones not yet written go back
          // ahead of newer records, within the queue's bound (the excess is counted as dropped).
          const requeued = groups.slice(i).flat().concat(this.#queue);
          this.#dropped += Math.max(0, requeued.length - this.#maxQueue);
          this.#queue = requeued.length > this.#maxQueue ? requeued.slice(0, this.#maxQueue) : requeued;
          throw e;
        }
      }
    }
  }

  /** Flushes and stops (the timer is cleared; later records are dropped and counted). Safe to call twice. */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.flush()
      .catch(() => {})
      .finally(() => {
        this.#closed = true;
        if (this.#timer !== undefined) clearTimeout(this.#timer);
        this.#timer = undefined;
      });
    return this.#shutdown;
  }

  /**
   * Opt-in: flush on `beforeExit`, `SIGTERM` and `SIGINT`. Your own handlers keep running; when
   * a signal has no other listener, the process then exits as it would have (by re-raising it).
   * Returns a function that removes the hooks.
   */
  installShutdownHooks(): () => void {
    return installExitHooks({ beforeExit: () => this.flush(), signal: () => this.shutdown() });
  }

  /** Counters since creation. */
  stats(): StorageStats {
    return {
      queued: this.#queue.length,
      written: this.#written,
      dropped: this.#dropped,
      writeErrors: this.#writeErrors,
      corruptLines: this.#read.corruptLines,
    };
  }

  // ---- per-session data ---------------------------------------------------------------------

  /** Appends records to a session's history now (bypassing the queue). */
  async saveMetrics(sessionId: string, metrics: readonly ToolExecutionMetrics[]): Promise<void> {
    validateSessionId(sessionId);
    await this.adapter.appendMetrics(sessionId, metrics);
    this.#written += metrics.length;
  }

  /** Streams a session's records (after flushing the queue), optionally filtered. */
  async *iterateMetrics(sessionId: string, filter: LoadFilter = {}): AsyncIterable<ToolExecutionMetrics> {
    validateSessionId(sessionId);
    await this.flush().catch(() => {});
    const { since, until, toolId } = filter;
    for await (const m of this.adapter.readMetrics(sessionId, this.#read)) {
      if (since !== undefined && m.startTime < since) continue;
      if (until !== undefined && m.startTime >= until) continue;
      if (toolId !== undefined && m.toolId !== toolId) continue;
      yield m;
    }
  }

  /** A session's records (after flushing the queue), optionally filtered. */
  async loadMetrics(sessionId: string, filter: LoadFilter = {}): Promise<ToolExecutionMetrics[]> {
    const out: ToolExecutionMetrics[] = [];
    for await (const m of this.iterateMetrics(sessionId, filter)) out.push(m);
    return out;
  }

  /** Replaces the session's patterns snapshot atomically. */
  savePatterns(sessionId: string, patterns: unknown): Promise<void> {
    return this.adapter.writeSnapshot('patterns', sessionId, patterns);
  }

  /** The session's patterns snapshot, or undefined. */
  loadPatterns(sessionId: string): Promise<unknown> {
    return this.adapter.readSnapshot('patterns', sessionId, this.#read);
  }

  /** Replaces the session's analytics snapshot atomically. */
  saveAnalytics(sessionId: string, analytics: unknown): Promise<void> {
    return this.adapter.writeSnapshot('analytics', sessionId, analytics);
  }

  /** The session's analytics snapshot, or undefined. */
  loadAnalytics(sessionId: string): Promise<unknown> {
    return this.adapter.readSnapshot('analytics', sessionId, this.#read);
  }

  /**
   * Streams stored records to `onRecord`, session by session, oldest activity first: to rebuild
   * analytics from history. Reads straight from the adapter without flushing this instance's
   * queue first (records still queued are not included). Sessions without a metrics log are skipped.
   */
  async replay(onRecord: (record: ToolExecutionMetrics) => void, options: ReplayOptions = {}): Promise<ReplayResult> {
    const { maxSessions, sessionIds } = options;
    if (maxSessions !== undefined && (!Number.isInteger(maxSessions) || maxSessions < 0)) {
      throw new TypeError(`replay: maxSessions must be an integer >= 0, got ${String(maxSessions)}`);
    }
    let ids: string[];
    if (sessionIds !== undefined) {
      for (const id of sessionIds) validateSessionId(id);
      ids = [...sessionIds];
    } else {
      const stored = (await this.adapter.listSessions()).filter((s) => s.hasMetrics).sort((a, b) => a.lastModified - b.lastModified);
      ids = stored.slice(maxSessions === undefined ? 0 : Math.max(0, stored.length - maxSessions)).map((s) => s.sessionId);
    }
    const report: ReadReport = { corruptLines: 0 };
    const result: ReplayResult = { sessions: 0, records: 0, corruptLines: 0 };
    try {
      for (const id of ids) {
        result.sessions++;
        for await (const m of this.adapter.readMetrics(id, report)) {
          result.records++;
          onRecord(m);
        }
      }
    } finally {
      result.corruptLines = report.corruptLines;
      this.#read.corruptLines += report.corruptLines;
    }
    return result;
  }

  /** Sessions stored, oldest activity first. */
  async listSessions(): Promise<StoredSessionInfo[]> {
    await this.flush().catch(() => {});
    return this.adapter.listSessions();
  }

  /** Removes every kind of data of one session; returns what was removed. */
  async deleteSession(sessionId: string): Promise<string[]> {
    await this.flush().catch(() => {});
    return this.adapter.deleteSession(sessionId);
  }

  /**
   * Removes sessions whose newest data is older than `olderThanMs` (default 7 days), then the
   * oldest beyond `maxSessions`: metrics, patterns and analytics alike. `dryRun` only reports.
   */
  async cleanup(options: { olderThanMs?: number; maxSessions?: number; dryRun?: boolean; now?: number } = {}): Promise<CleanupResult> {
    const olderThanMs = options.olderThanMs ?? 7 * DAY_MS;
    if (typeof olderThanMs !== 'number' || !(olderThanMs >= 0)) {
      throw new TypeError(`cleanup: olderThanMs must be a number >= 0, got ${String(olderThanMs)}`);
    }
    if (options.maxSessions !== undefined && (!Number.isInteger(options.maxSessions) || options.maxSessions < 0)) {
      throw new TypeError(`cleanup: maxSessions must be an integer >= 0, got ${String(options.maxSessions)}`);
    }
    const dryRun = options.dryRun === true;
    const now = options.now ?? Date.now();
    const sessions = await this.listSessions(); // oldest first
    const doomed = new Set(sessions.filter((s) => s.lastModified < now - olderThanMs).map((s) => s.sessionId));
    if (options.maxSessions !== undefined) {
      const survivors = sessions.filter((s) => !doomed.has(s.sessionId));
      for (const s of survivors.slice(0, Math.max(0, survivors.length - options.maxSessions))) doomed.add(s.sessionId);
    }
    const removed: CleanupResult['removed'] = [];
    for (const s of sessions) {
      if (!doomed.has(s.sessionId)) continue;
      const files = dryRun
        ? (['metrics', 'patterns', 'analytics'] as const).filter((k) => (k === 'metrics' ? s.hasMetrics : k === 'patterns' ? s.hasPatterns : s.hasAnalytics))
        : await this.adapter.deleteSession(s.sessionId);
      removed.push({ sessionId: s.sessionId, lastModified: s.lastModified, files: [...files] });
    }
    return { removed, kept: sessions.length - removed.length, dryRun };
  }

  // ---- export / import ------------------------------------------------------------------------

  /** Every stored session as one export document (held in memory: see {@link exportToFile} for large histories). */
  async exportAll(): Promise<ExportDocument> {
    const sessions: ExportedSession[] = [];
    for (const s of await this.listSessions()) {
      const entry: ExportedSession = { sessionId: s.sessionId, metrics: await this.loadMetrics(s.sessionId) };
      const patterns = await this.loadPatterns(s.sessionId);
      const analytics = await this.loadAnalytics(s.sessionId);
      if (patterns !== undefined) entry.patterns = patterns;
      if (analytics !== undefined) entry.analytics = analytics;
      sessions.push(entry);
    }
    return { schema: EXPORT_SCHEMA, exportDate: new Date().toISOString(), sessions };
  }

  /**
   * Streams the export document to `path` (mode 0600), one record at a time, honouring the
   * stream's back-pressure: memory stays flat however large the history. Returns the record count.
   */
  async exportToFile(path: string): Promise<number> {
    const out = createWriteStream(path, { mode: 0o600, flags: 'w' });
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => {});
    const write = async (chunk: string) => {
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
    };
    let count = 0;
    try {
      await write(`{"schema":${JSON.stringify(EXPORT_SCHEMA)},"exportDate":${JSON.stringify(new Date().toISOString())},"sessions":[`);
      let firstSession = true;
      for (const s of await this.listSessions()) {
        const patterns = await this.loadPatterns(s.sessionId);
        const analytics = await this.loadAnalytics(s.sessionId);
        await write(`${firstSession ? '' : ','}{"sessionId":${JSON.stringify(s.sessionId)}`);
        if (patterns !== undefined) await write(`,"patterns":${JSON.stringify(patterns)}`);
        if (analytics !== undefined) await write(`,"analytics":${JSON.stringify(analytics)}`);
        await write(',"metrics":[');
        let first = true;
        for await (const m of this.iterateMetrics(s.sessionId)) {
          await write((first ? '' : ',') + JSON.stringify(m));
          first = false;
          count++;
        }
        await write(']}');
        firstSession = false;
      }
      await write(']}\n');
      out.end();
      await Promise.race([once(out, 'finish'), failed]);
    } catch (e) {
      out.destroy();
      throw e;
    }
    return count;
  }

  /**
   * Merges an export document: validates it (throws a `TypeError` on a wrong schema or shape),
   * appends only records whose id is not stored yet (so importing twice changes nothing), and
   * writes snapshots a session does not have yet. Invalid records are skipped and counted.
   */
  async importAll(doc: unknown): Promise<ImportResult> {
    if (typeof doc !== 'object' || doc === null) throw new TypeError('importAll: expected an export document object');
    const d = doc as Partial<ExportDocument>;
    if (d.schema !== EXPORT_SCHEMA) throw new TypeError(`importAll: unsupported schema ${JSON.stringify(d.schema)} (expected "${EXPORT_SCHEMA}")`);
    if (!Array.isArray(d.sessions)) throw new TypeError('importAll: "sessions" must be an array');
    for (const [i, s] of d.sessions.entries()) {
      if (typeof s !== 'object' || s === null) throw new TypeError(`importAll: sessions[${i}] must be an object`);
      validateSessionId((s as ExportedSession).sessionId);
      if (!Array.isArray((s as ExportedSession).metrics)) throw new TypeError(`importAll: sessions[${i}].metrics must be an array`);
    }
    const result: ImportResult = { sessions: 0, imported: 0, duplicates: 0, invalid: 0 };
    for (const s of d.sessions) {
      const known = new Set<string>();
      for await (const m of this.iterateMetrics(s.sessionId)) known.add(m.id);
      const fresh: ToolExecutionMetrics[] = [];
      for (const m of s.metrics as unknown[]) {
        if (!isRecord(m)) result.invalid++;
        else if (known.has(m.id)) result.duplicates++;
        else {
          known.add(m.id);
          fresh.push(m.sessionId === s.sessionId ? m : { ...m, sessionId: s.sessionId });
        }
      }
      if (fresh.length > 0) await this.saveMetrics(s.sessionId, fresh);
      result.imported += fresh.length;
      if (s.patterns !== undefined && (await this.loadPatterns(s.sessionId)) === undefined) await this.savePatterns(s.sessionId, s.patterns);
      if (s.analytics !== undefined && (await this.loadAnalytics(s.sessionId)) === undefined) await this.saveAnalytics(s.sessionId, s.analytics);
      result.sessions++;
    }
    return result;
  }
}
