import { constants } from 'node:fs';
import { open, realpath, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { MetricsSubscriber, ToolExecutionMetrics } from '@perftrack/core';
import { checkInteger, Diagnostics, errorMessage, installExitHooks, sharedDefault } from '@perftrack/core/internal';
import { VERSION } from './version';
import type { ReadReport, SnapshotBatch, StorageAdapter, StoredSessionInfo } from './adapter';
import { FileStorage, PartialAppendError } from './file-storage';
import type { CheckpointResult } from './journal-checkpoint';
import { StorageWriter } from './storage-writer';
import { isRecord } from './record';
import { StorageRefusedError } from './refusal';
import { validateSessionId } from './session-id';
import { supportsHistoryQuery, type HistoryQuery } from './history-query';
import {
  EXPORT_SCHEMA,
  type CleanupResult,
  type ExportDocument,
  type ExportedSession,
  type ImportResult,
  type LoadFilter,
  type PerformanceStorageOptions,
  type ReplayOptions,
  type ReplayResult,
  type StorageStats,
} from './storage-types';

const positiveInt = (name: string, v: unknown, fallback: number): number =>
  v === undefined ? fallback : checkInteger('PerformanceStorage', name, v, 1);

const DAY_MS = 24 * 60 * 60 * 1000;

/** The default instance, shared by every copy of this package of one version line (see core's `sharedDefault`). */
const defaultStorage = sharedDefault<PerformanceStorage>('@perftrack/storage:PerformanceStorage', VERSION);

/** Idle time after which a writer moves its own journal segments into the logs (ms). */
export const JOURNAL_IDLE_MS = 2000;
/** Under steady traffic, a writer with a sealed journal segment checkpoints at most this often (ms). */
export const JOURNAL_BUSY_CHECKPOINT_MS = 30_000;
/** Sealed journal segments (16 MiB each) of one writer past which it checkpoints at once. */
export const JOURNAL_MAX_SEALED = 16;

/**
 * Persists perftrack data per session. As a core subscriber it queues each record (O(1), no
 * I/O on the tool's call) and appends batches off the call path, on size or interval; the queue
 * is bounded and overflow is counted. Many processes may append to one session at once (see
 * {@link FileStorage}); after a failed write only what did not reach the log is retried; a
 * record that cannot be stored is counted in `stats().lost`, never re-queued; on process exit
 * (`process.exit()`, an uncaught exception) queued records are written synchronously. Also
 * saves pattern and analytics snapshots, cleans up old sessions, and exports/imports the
 * versioned document.
 *
 * @example
 * const storage = new PerformanceStorage({ dir: '.perftrack' });
 * collector.subscribe(storage);
 * // … later
 * await storage.shutdown();
 */
export class PerformanceStorage implements MetricsSubscriber {
  /** The adapter data goes to. */
  readonly adapter: StorageAdapter;
  readonly #writer: StorageWriter;
  #shutdown: Promise<void> | undefined;
  #savedDirectly = 0;
  readonly #read: ReadReport = { corruptLines: 0 };
  readonly #diagnostics: Diagnostics;
  readonly #stopCheckpoints = new AbortController();
  #checkpointing: Promise<CheckpointResult> | undefined;
  #chainedCheckpoint: Promise<CheckpointResult> | undefined;
  #checkpointed = 0;
  #lostAtCheckpoint = 0;
  /** When this instance last started a checkpoint of its own journal, or was made (performance.now()). */
  #lastOwnCheckpoint = performance.now();
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(options: PerformanceStorageOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('PerformanceStorage: options must be an object');
    if (options.adapter !== undefined && typeof options.adapter?.appendMetrics !== 'function') {
      throw new TypeError('PerformanceStorage: adapter must implement StorageAdapter');
    }
    this.adapter = options.adapter ?? new FileStorage(options.dir === undefined ? {} : { dir: options.dir });
    const diagnostics = new Diagnostics({ onError: options.onError, onWarning: options.onWarning }, 'PerformanceStorage');
    this.#diagnostics = diagnostics;
    this.#writer = new StorageWriter({
      adapter: this.adapter,
      batchSize: positiveInt('batchSize', options.batchSize, 500),
      intervalMs: positiveInt('flushIntervalMs', options.flushIntervalMs, 1000),
      maxQueue: positiveInt('maxQueue', options.maxQueue, 100_000),
      diagnostics,
      userSinks: options.onError !== undefined || options.onWarning !== undefined,
      // the next writer to open the store moves journals others left into the logs, in the background
      onFirstPass: () => {
        if (typeof this.adapter.checkpoint === 'function') this.checkpoint().catch(() => {});
      },
      onPassEnd: () => this.#scheduleOwnCheckpoint(),
    });
  }

  /**
   * After a pass that left records in this writer's journal: a checkpoint once the writer has
   * been idle for {@link JOURNAL_IDLE_MS}; under steady traffic (never idle that long), once a
   * segment is sealed and {@link JOURNAL_BUSY_CHECKPOINT_MS} have passed since the last one, or
   * at once past {@link JOURNAL_MAX_SEALED} sealed segments. What readers index and what a
   * checkpoint must move stays bounded either way.
   */
  #scheduleOwnCheckpoint(): void {
    const backlog = (this.adapter as { journalBacklog?: { sealed: number; sessions: number } }).journalBacklog;
    if (backlog === undefined || (backlog.sealed === 0 && backlog.sessions === 0) || this.#shutdown !== undefined) return;
    const now = performance.now();
    if (
      backlog.sealed >= JOURNAL_MAX_SEALED ||
      (backlog.sealed > 0 && now - this.#lastOwnCheckpoint >= JOURNAL_BUSY_CHECKPOINT_MS && this.#writer.counters.queued === 0)
    ) {
      this.#checkpointOwn();
      return;
    }
    if (this.#idleTimer !== undefined) {
      this.#idleTimer.refresh();
      return;
    }
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#shutdown !== undefined) return;
      if (this.#writer.counters.queued === 0) this.#checkpointOwn();
      else this.#scheduleOwnCheckpoint();
    }, JOURNAL_IDLE_MS);
    this.#idleTimer.unref();
  }

  #checkpointOwn(): void {
    if (this.#checkpointing !== undefined) return;
    this.#lastOwnCheckpoint = performance.now();
    this.checkpoint().catch(() => {});
  }

  /** The process-wide default (a {@link FileStorage} on the default directory), created on first use. */
  static get default(): PerformanceStorage {
    let storage = defaultStorage.get();
    if (storage === undefined) defaultStorage.set((storage = new PerformanceStorage()));
    return storage;
  }

  /** Replaces the default instance; returns the previous one. */
  static setDefault(storage: PerformanceStorage | undefined): PerformanceStorage | undefined {
    return defaultStorage.set(storage);
  }

  /** {@link PerformanceStorage.cleanup} on the default instance; by default removes sessions older than 7 days. */
  static cleanup(options?: { olderThanMs?: number; maxSessions?: number; dryRun?: boolean }): Promise<CleanupResult> {
    return PerformanceStorage.default.cleanup(options);
  }

  // ---- subscriber ---------------------------------------------------------------------------

  /** Queues a record for the next batch: O(1), no I/O, no promise, no serialisation. */
  onMetric(metric: ToolExecutionMetrics): void {
    this.#writer.push(metric);
  }

  /**
   * Writes what is queued now. Resolves at the end of the first write pass that starts after the
   * call (so under sustained load it still resolves: records arriving later wait for the next
   * pass); calls made meanwhile share one promise. Rejects when a write failure (a full disk,
   * EIO) left some of those records queued for a retry; lost records never make it reject (they
   * are counted in `stats().lost` and reported once).
   */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /**
   * Flushes and stops: timers cleared, open files closed; records that still cannot be written
   * are counted in `stats().lost`, and later records are dropped and counted. Safe to call twice.
   */
  shutdown(): Promise<void> {
    this.#stopCheckpoints.abort(); // a checkpoint stops between sessions; the next writer finishes it
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#shutdown ??= this.#writer.shutdown().then(async () => {
      await this.#checkpointing?.catch(() => {});
    });
    return this.#shutdown;
  }

  /**
   * Moves records of exit journals (left by writers that shut down with many new sessions queued)
   * into their sessions' logs, exactly once even with other processes doing the same; readers see
   * those records either way. Started in the background by the first write of this instance;
   * concurrent calls share one run. Lines that were torn or corrupt are counted in
   * `stats().corruptLines`, refused journals (links) and append failures are reported once each;
   * what could not be moved stays in its journal for a later checkpoint.
   */
  checkpoint(): Promise<CheckpointResult> {
    const adapter = this.adapter;
    if (typeof adapter.checkpoint !== 'function')
      return Promise.resolve({ journals: 0, records: 0, duplicates: 0, corruptLines: 0, tornLines: 0, lost: 0, refused: [], pending: 0 });
    if (this.#checkpointing !== undefined)
      // one more run after the one under way (which may predate what this writer journaled since)
      return (this.#chainedCheckpoint ??= this.#checkpointing
        .catch(() => undefined)
        .then(() => {
          this.#chainedCheckpoint = undefined;
          return this.checkpoint();
        }));
    this.#checkpointing = adapter
      .checkpoint({ signal: this.#stopCheckpoints.signal })
      .then((result) => {
        this.#account(result);
        return result;
      })
      .catch((error: unknown) => {
        this.#diagnostics.report(
          error,
          'checkpoint',
          (e) => `perftrack storage: a journal checkpoint failed (${String(e)}); the journal stays and is read with the logs`,
          'error:checkpoint',
        );
        throw error;
      })
      .finally(() => {
        this.#checkpointing = undefined;
      });
    return this.#checkpointing;
  }

  #account(result: CheckpointResult): void {
    this.#checkpointed += result.records;
    this.#lostAtCheckpoint += result.lost;
    this.#read.corruptLines += result.corruptLines + result.tornLines;
    const d = this.#diagnostics;
    if (result.tornLines > 0)
      d.warnOnce(
        'journal:torn',
        `perftrack storage: ${result.tornLines} torn journal lines (a writer killed while writing) were skipped; counted in stats().corruptLines`,
      );
    if (result.corruptLines > 0)
      d.warnOnce(
        'journal:corrupt',
        `perftrack storage: ${result.corruptLines} corrupt journal lines were skipped; counted in stats().corruptLines`,
      );
    if (result.lost > 0)
      d.warnOnce(
        'journal:lost',
        `perftrack storage: ${result.lost} journal records were dropped by a checkpoint because their session's log is refused (${result.refused.join(', ')}): never written through a link; counted in stats().lostAtCheckpoint`,
      );
    if (result.refused.length > 0)
      d.warnOnce(
        'journal:refused',
        `perftrack storage: refused ${result.refused.join(', ')}: a link or hard-linked file (in the journal directory, or at a session's log) is never read, moved, removed or written through`,
      );
    if (result.error !== undefined)
      d.report(
        result.error,
        'checkpoint',
        (e) =>
          `perftrack storage: moving a journal into the logs failed (${String(e)}); it stays, read with the logs, and a later checkpoint finishes it`,
        'error:checkpoint-append',
      );
  }

  /**
   * Opt-in: flush on `beforeExit`, `SIGTERM` and `SIGINT`. Your own handlers keep running; when
   * a signal has no other listener, the process then exits as it would have (by re-raising it).
   * Returns a function that removes the hooks. (`process.exit()` and uncaught exceptions need no
   * hook: queued records are always written synchronously then, see the class notes.)
   */
  installShutdownHooks(): () => void {
    return installExitHooks({ beforeExit: () => this.flush(), signal: () => this.shutdown() });
  }

  /** Counters since creation. */
  stats(): StorageStats {
    const c = this.#writer.counters;
    return {
      queued: c.queued,
      written: c.written + this.#savedDirectly,
      journaled: c.journaled,
      checkpointed: this.#checkpointed,
      lostAtCheckpoint: this.#lostAtCheckpoint,
      dropped: c.dropped,
      lost: c.lost,
      writeErrors: c.writeErrors,
      corruptLines: this.#read.corruptLines,
    };
  }

  // ---- per-session data ---------------------------------------------------------------------

  /**
   * Appends records to a session's history now (bypassing the queue). Throws for an invalid
   * session id or an unstorable record (nothing is written then); after a partial write the
   * error is a `PartialAppendError` that says how many records are stored.
   */
  async saveMetrics(sessionId: string, metrics: readonly ToolExecutionMetrics[]): Promise<void> {
    validateSessionId(sessionId);
    try {
      await this.adapter.appendMetrics(sessionId, metrics);
    } catch (e) {
      if (e instanceof PartialAppendError) this.#savedDirectly += e.written;
      throw e;
    }
    this.#savedDirectly += metrics.length;
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

  /**
   * A batch of snapshot saves made durable together by `commit()` (with files: one fsync per
   * directory for the whole batch instead of one per file and per directory). With an adapter
   * that has no batch of its own, each save is an ordinary {@link saveAnalytics}/{@link savePatterns}.
   */
  snapshotBatch(): SnapshotBatch {
    const own = this.adapter.beginSnapshots?.();
    if (own !== undefined) return own;
    return { write: (kind, sessionId, value) => this.adapter.writeSnapshot(kind, sessionId, value), commit: () => Promise.resolve() };
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

  /**
   * The adapter's own aggregate queries when its backend computes them (a database adapter, see
   * {@link supportsHistoryQuery}), else `undefined`: readers then replay records instead.
   */
  get historyQuery(): HistoryQuery | undefined {
    return supportsHistoryQuery(this.adapter) ? this.adapter.query : undefined;
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
    const failed: { sessionId: string; error: string }[] = [];
    for (const s of sessions) {
      if (!doomed.has(s.sessionId)) continue;
      let files: readonly string[];
      try {
        files = dryRun
          ? (['metrics', 'patterns', 'analytics'] as const).filter((k) =>
              k === 'metrics' ? s.hasMetrics : k === 'patterns' ? s.hasPatterns : s.hasAnalytics,
            )
          : await this.adapter.deleteSession(s.sessionId);
      } catch (error) {
        // one session that cannot be removed now (in a running writer's journal, say) never stops the others
        failed.push({ sessionId: s.sessionId, error: errorMessage(error) });
        continue;
      }
      removed.push({ sessionId: s.sessionId, lastModified: s.lastModified, files: [...files] });
    }
    return { removed, kept: sessions.length - removed.length, dryRun, ...(failed.length > 0 ? { failed } : {}) };
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
   * Streams the export document to `path`, one record at a time, honouring the stream's
   * back-pressure: memory stays flat however large the history. Returns the record count.
   *
   * The document is written to a temporary file beside `path` (mode 0600, created fresh) and
   * renamed over it once complete: a failure leaves `path` as it was and no temporary file behind,
   * an existing file is replaced (so the result is 0600 whatever the old mode), and a link at
   * `path` is replaced, not written through. A path inside a file store's directory is refused,
   * since it would overwrite the data being exported.
   */
  async exportToFile(path: string): Promise<number> {
    if (typeof path !== 'string' || path.length === 0 || path.includes('\0'))
      throw new TypeError(`exportToFile: path must be a non-empty string, got ${JSON.stringify(path)}`);
    const target = resolve(path);
    if (this.adapter instanceof FileStorage) {
      // Compared both as given and with links resolved: `<store>/metrics/x.jsonl` by any name is refused.
      const store = resolve(this.adapter.dir);
      const realStore = await realpath(store).catch(() => store);
      const realTarget = join(await realpath(dirname(target)).catch(() => dirname(target)), basename(target));
      const inside = (p: string, root: string) => p === root || p.startsWith(root + sep);
      if (inside(target, store) || inside(realTarget, realStore)) {
        throw new StorageRefusedError(target, `it is inside the storage directory ${store}; export to a path outside it`);
      }
    }
    const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    // Buffered by hand and written with awaited calls: back-pressure is the disk's own pace.
    let pending = '';
    const write = async (chunk: string) => {
      pending += chunk;
      if (pending.length >= 64 * 1024) {
        const text = pending;
        pending = '';
        await fh.writeFile(text, 'utf8');
      }
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
      await fh.writeFile(pending, 'utf8');
      await fh.sync();
      await fh.close();
      await rename(tmp, target);
    } catch (e) {
      await fh.close().catch(() => {});
      await unlink(tmp).catch(() => {});
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
    if (d.schema !== EXPORT_SCHEMA)
      throw new TypeError(`importAll: unsupported schema ${JSON.stringify(d.schema)} (expected "${EXPORT_SCHEMA}")`);
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
      if (s.patterns !== undefined && (await this.loadPatterns(s.sessionId)) === undefined)
        await this.savePatterns(s.sessionId, s.patterns);
      if (s.analytics !== undefined && (await this.loadAnalytics(s.sessionId)) === undefined)
        await this.saveAnalytics(s.sessionId, s.analytics);
      result.sessions++;
    }
    return result;
  }
}
