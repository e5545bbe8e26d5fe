import { writeSync } from 'node:fs';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { errorMessage, onProcessExit, type Diagnostics } from '@perftrack/core/internal';
import type { StorageAdapter } from './adapter';
import { PartialAppendError } from './file-storage';
import type { AppendOutcome } from './adapter';
import { appendSessionsSync, journalSessionsSync, type GroupsOutcome } from './journal';
import { serializeRecord } from './record';
import { InvalidSessionIdError, validateSessionId } from './session-id';
import { isPermanentError } from './refusal';

/** Counters kept by a {@link StorageWriter}. */
export interface WriterCounters {
  queued: number;
  written: number;
  /** Of `written`, records that went to a journal (an exit journal or a flush's journal segment). */
  journaled: number;
  dropped: number;
  lost: number;
  writeErrors: number;
}

/** How the writer is set up (validated by `PerformanceStorage`). */
export interface StorageWriterOptions {
  readonly adapter: StorageAdapter;
  readonly batchSize: number;
  readonly intervalMs: number;
  readonly maxQueue: number;
  readonly diagnostics: Diagnostics;
  /** Whether the user gave an error handler or warning sink (else exit-time warnings go to stderr directly). */
  readonly userSinks: boolean;
  /** Synchronous work per event-loop turn at most (ms): a long pass yields between slices. */
  readonly sliceMs?: number;
  /** Called when the first write pass begins (to start a checkpoint of journals left by others). */
  readonly onFirstPass?: () => void;
  /** Called when a write pass ends (to schedule a checkpoint of this writer's journal once idle). */
  readonly onPassEnd?: () => void;
}

type AppendGroupsSync = (groups: ReadonlyMap<string, readonly string[]>) => GroupsOutcome | undefined;
type JournalGroupsSync = (groups: ReadonlyMap<string, readonly string[]>) => Map<string, AppendOutcome> | undefined;

/** Sessions handed to the adapter's journal write at once (a pass still yields between chunks). */
const JOURNAL_CHUNK_SESSIONS = 1024;

interface Waiter {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function waiter(): Waiter {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

function isPermanent(error: unknown): boolean {
  return error instanceof InvalidSessionIdError || isPermanentError(error);
}

function shortId(id: unknown): string {
  const text = typeof id === 'string' ? id : String(id);
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/** What flush() returns when nothing is queued: one settled promise, not one per call. */
const SETTLED: Promise<void> = Promise.resolve();
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1000;

/**
 * The write path behind `PerformanceStorage`: a bounded queue drained in passes.
 *
 * `onMetric` only pushes the record (no I/O, no promise, no serialisation). A pass takes what is
 * queued when it starts, serialises each record once into its session's group, and appends each
 * group in one call to the adapter; a pass yields to the event loop every `sliceMs`, so the loop
 * is never blocked long. Per session: written lines leave the queue, a transient failure (full
 * disk, EIO) keeps only the lines that did not reach the file for a retry with backoff (50 ms
 * doubling to 1 s), and a permanent one (a refused link, an invalid session id, an unstorable
 * record) counts the records as lost: no session ever waits on another. `flush()` resolves at the
 * end of the first pass that starts after it was called, so it covers what was queued then and
 * never waits on records that arrive later. On process exit, whatever is queued is written
 * synchronously (with an adapter that can) or counted as lost.
 */
export class StorageWriter {
  readonly #adapter: StorageAdapter;
  readonly #sync: boolean;
  readonly #batchSize: number;
  readonly #intervalMs: number;
  readonly #maxQueue: number;
  readonly #sliceMs: number;
  readonly #diagnostics: Diagnostics;
  readonly #userSinks: boolean;
  /** Records accepted and not yet taken by a pass. */
  #incoming: ToolExecutionMetrics[] = [];
  /** The records the current pass took, staged from `#cursor` on. */
  #passRecords: (ToolExecutionMetrics | undefined)[] = [];
  #cursor = 0;
  /** Per session, serialised lines (or records, for an adapter without `appendLinesSync`) waiting to be appended. */
  readonly #staged = new Map<string, unknown[]>();
  #passIterator: Iterator<[string, unknown[]]> | undefined;
  #inPass = false;
  #scheduled = false;
  #passWaiter: Waiter | undefined;
  #nextWaiter: Waiter | undefined;
  #passError: unknown;
  #failing = false;
  #retryDelay = RETRY_MIN_MS;
  #timer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #removeExitHook: (() => void) | undefined;
  #closed = false;
  /** Shutting down or exiting: a pass writes all its sessions in one call when the adapter can (an exit journal). */
  #closing = false;
  #onFirstPass: (() => void) | undefined;
  readonly #onPassEnd: (() => void) | undefined;
  readonly #appendGroups: AppendGroupsSync | undefined;
  readonly #journalGroups: JournalGroupsSync | undefined;
  readonly #reported = new Set<string>();
  readonly counters: WriterCounters = { queued: 0, written: 0, journaled: 0, dropped: 0, lost: 0, writeErrors: 0 };

  constructor(options: StorageWriterOptions) {
    this.#adapter = options.adapter;
    this.#sync = typeof options.adapter.appendLinesSync === 'function';
    this.#batchSize = options.batchSize;
    this.#intervalMs = options.intervalMs;
    this.#maxQueue = options.maxQueue;
    this.#sliceMs = options.sliceMs ?? 8;
    this.#diagnostics = options.diagnostics;
    this.#userSinks = options.userSinks;
    this.#onFirstPass = options.onFirstPass;
    const groups = (options.adapter as { [appendSessionsSync]?: AppendGroupsSync })[appendSessionsSync];
    this.#appendGroups = this.#sync && typeof groups === 'function' ? groups.bind(options.adapter) : undefined;
    const journal = (options.adapter as { [journalSessionsSync]?: JournalGroupsSync })[journalSessionsSync];
    this.#journalGroups = this.#sync && typeof journal === 'function' ? journal.bind(options.adapter) : undefined;
    this.#onPassEnd = options.onPassEnd;
  }

  /** Queues one record: O(1), no I/O, no allocation but the array slot. */
  push(metric: ToolExecutionMetrics): void {
    const c = this.counters;
    if (this.#closed || c.queued >= this.#maxQueue) {
      c.dropped++;
      this.#diagnostics.warnOnce(
        'dropped',
        this.#closed
          ? 'perftrack storage: a record arrived after shutdown and was dropped (counted in stats().dropped)'
          : `perftrack storage: the write queue is full (maxQueue ${this.#maxQueue}); records are dropped and counted in stats().dropped`,
      );
      return;
    }
    c.queued++;
    this.#incoming.push(metric);
    if (this.#removeExitHook === undefined) this.#removeExitHook = onProcessExit(this.#onExit);
    if (this.#incoming.length >= this.#batchSize) this.#schedulePass();
    else if (this.#timer === undefined && !this.#inPass) this.#armTimer();
  }

  /** Resolves when every record queued now has been tried once; rejects when a write failure left some of them queued. */
  flush(): Promise<void> {
    if (this.counters.queued === 0 && !this.#inPass) return SETTLED;
    this.#nextWaiter ??= waiter();
    this.#schedulePass();
    return this.#nextWaiter.promise;
  }

  /** Flushes, then stops: what still cannot be written is counted as lost; later records are dropped. */
  async shutdown(): Promise<void> {
    this.#closing = true;
    for (let round = 0; round < 3 && this.counters.queued > 0; round++) {
      const failed = await this.flush().then(
        () => false,
        () => true,
      );
      if (failed) break;
    }
    this.#closed = true;
    this.#clearTimers();
    if (this.#inPass) await this.flush().catch(() => {});
    this.#loseEverythingQueued('shutdown', 'could not be written before shutdown');
    this.#adapter.close?.();
    this.#removeExitHook?.();
    this.#removeExitHook = undefined;
  }

  #armTimer(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#schedulePass();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  #clearTimers(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#timer = this.#retryTimer = undefined;
  }

  #schedulePass(): void {
    if (this.#scheduled || this.#inPass) return;
    this.#scheduled = true;
    setImmediate(this.#sync ? this.#runSlice : this.#runAsyncPass);
  }

  #beginPass(): void {
    this.#inPass = true;
    if (this.#onFirstPass !== undefined) {
      const first = this.#onFirstPass;
      this.#onFirstPass = undefined;
      if (!this.#closing) first();
    }
    this.#clearTimers();
    this.#passRecords = this.#incoming;
    this.#incoming = [];
    this.#cursor = 0;
    this.#passIterator = undefined;
    this.#passWaiter = this.#nextWaiter;
    this.#nextWaiter = undefined;
    this.#passError = undefined;
  }

  readonly #runSlice = (): void => {
    this.#scheduled = false;
    if (!this.#inPass) this.#beginPass();
    if (!this.#advance(performance.now() + this.#sliceMs)) {
      this.#scheduled = true;
      setImmediate(this.#runSlice);
      return;
    }
    this.#endPass();
  };

  /** Stages and writes until `deadline`; true when the pass is done. */
  #advance(deadline: number): boolean {
    const records = this.#passRecords;
    while (this.#cursor < records.length) {
      this.#stage(records[this.#cursor] as ToolExecutionMetrics);
      records[this.#cursor++] = undefined;
      if ((this.#cursor & 1023) === 0 && performance.now() > deadline) return false;
    }
    if (this.#closing && this.#appendGroups !== undefined && this.#passIterator === undefined && this.#writeGroupsSync()) return true;
    this.#passIterator ??= this.#staged.entries();
    if (this.#journalGroups !== undefined && !this.#closing) return this.#writeChunks(deadline);
    for (;;) {
      const next = this.#passIterator.next();
      if (next.done === true) return true;
      this.#writeSync(next.value[0], next.value[1] as string[]);
      if (performance.now() > deadline) return false;
    }
  }

  /** The pass's sessions in chunks, each offered to the adapter's journal write first (many sessions without open logs go to one journal segment). */
  #writeChunks(deadline: number): boolean {
    const iterator = this.#passIterator as Iterator<[string, unknown[]]>;
    for (;;) {
      const chunk = new Map<string, string[]>();
      for (let next = iterator.next(); ; next = iterator.next()) {
        if (next.done === true) break;
        chunk.set(next.value[0], next.value[1] as string[]);
        if (chunk.size >= JOURNAL_CHUNK_SESSIONS) break;
      }
      if (chunk.size === 0) return true;
      let outcomes: Map<string, AppendOutcome> | undefined;
      try {
        outcomes = (this.#journalGroups as JournalGroupsSync)(chunk);
      } catch (error) {
        outcomes = undefined; // each session to its log
        this.#diagnostics.report(
          error,
          'journal',
          (e) => `perftrack storage: ${errorMessage(e)}; the records are written to their sessions' logs instead (slower, nothing lost)`,
          'error:journal',
        );
      }
      for (const [sessionId, lines] of chunk) {
        const outcome = outcomes?.get(sessionId);
        if (outcome === undefined) this.#writeSync(sessionId, lines);
        else {
          if (outcome.journaled === true) this.counters.journaled += outcome.written;
          this.#settle(sessionId, lines, outcome.written, outcome.error);
        }
      }
      if (chunk.size < JOURNAL_CHUNK_SESSIONS) return true;
      if (performance.now() > deadline) return false;
    }
  }

  readonly #runAsyncPass = async (): Promise<void> => {
    this.#scheduled = false;
    this.#beginPass();
    for (const record of this.#passRecords) this.#stage(record as ToolExecutionMetrics);
    this.#passRecords = [];
    if (this.#adapter.appendSessions !== undefined && this.#staged.size > 0) {
      // every session of the pass in one call (a database's one transaction)
      const groups = [...this.#staged] as [string, ToolExecutionMetrics[]][];
      try {
        const outcomes = await this.#adapter.appendSessions(new Map(groups));
        for (const [sessionId, records] of groups) {
          const outcome = outcomes.get(sessionId);
          this.#settle(sessionId, records, outcome?.written ?? records.length, outcome?.error);
        }
      } catch (error) {
        for (const [sessionId, records] of groups) this.#settle(sessionId, records, 0, error);
      }
      this.#endPass();
      return;
    }
    for (const [sessionId, records] of this.#staged) {
      try {
        await this.#adapter.appendMetrics(sessionId, records as ToolExecutionMetrics[]);
        this.#settle(sessionId, records, records.length, undefined);
      } catch (error) {
        // an adapter that stored some records and not the rest (a database adapter) says how many
        if (error instanceof PartialAppendError) this.#settle(sessionId, records, error.written, error.cause);
        else this.#settle(sessionId, records, 0, error);
      }
    }
    this.#endPass();
  };

  #endPass(): void {
    this.#inPass = false;
    this.#passRecords = [];
    this.#cursor = 0;
    this.#passIterator = undefined;
    const done = this.#passWaiter;
    const error = this.#passError;
    this.#passWaiter = this.#passError = undefined;
    if (done !== undefined) {
      if (error !== undefined && this.#staged.size > 0) done.reject(error);
      else done.resolve();
    }
    if (this.#staged.size > 0 && error !== undefined && !this.#closed) {
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined;
        this.#schedulePass();
      }, this.#retryDelay);
      this.#retryTimer.unref();
      this.#retryDelay = Math.min(RETRY_MAX_MS, this.#retryDelay * 2);
    }
    if (this.#nextWaiter !== undefined || this.#incoming.length >= this.#batchSize) this.#schedulePass();
    else if (this.#incoming.length > 0 && this.#timer === undefined) this.#armTimer();
    if (this.counters.queued === 0 && this.#removeExitHook !== undefined) {
      this.#removeExitHook();
      this.#removeExitHook = undefined;
    }
    this.#onPassEnd?.();
  }

  /** Moves one record into its session's group (serialised once, for a synchronous adapter). */
  #stage(record: ToolExecutionMetrics): void {
    const sessionId = record.sessionId;
    let group = this.#staged.get(sessionId);
    if (group === undefined) {
      try {
        validateSessionId(sessionId);
      } catch (error) {
        this.#lose(
          1,
          'invalid-session',
          error,
          `a record's session id cannot be stored (${errorMessage(error)}; tool ${shortId(record.toolId)}, record ${shortId(record.id)})`,
        );
        return;
      }
      group = [];
      this.#staged.set(sessionId, group);
    }
    if (!this.#sync) {
      group.push(record);
      return;
    }
    const line = serializeRecord(record);
    if (typeof line === 'string') group.push(line);
    else {
      if (group.length === 0) this.#staged.delete(sessionId);
      this.#lose(
        1,
        'unstorable',
        new TypeError(line.unstorable),
        `record ${shortId(record.id)} of tool ${shortId(record.toolId)} cannot be stored: ${line.unstorable}`,
      );
    }
  }

  #writeSync(sessionId: string, lines: string[]): void {
    const outcome = (this.#adapter.appendLinesSync as NonNullable<StorageAdapter['appendLinesSync']>).call(this.#adapter, sessionId, lines);
    if (outcome.journaled === true) this.counters.journaled += outcome.written;
    this.#settle(sessionId, lines, outcome.written, outcome.error);
  }

  /** Every staged session in one synchronous call (an exit journal for many new sessions); false when the adapter wrote nothing that way. */
  #writeGroupsSync(): boolean {
    const staged = this.#staged as Map<string, string[]>;
    let result: GroupsOutcome | undefined;
    try {
      result = (this.#appendGroups as AppendGroupsSync)(staged);
    } catch (error) {
      result = undefined; // the sessions are written one by one instead
      this.#diagnostics.report(
        error,
        'exit journal',
        (e) => `perftrack storage: ${errorMessage(e)}; the records are written to their sessions' logs instead (slower, nothing lost)`,
        'error:journal',
      );
    }
    if (result === undefined) return false;
    this.counters.journaled += result.journaled;
    if (result.allWritten === true) {
      // the common case, at one step per session: everything reached the journal or its log
      let written = 0;
      for (const lines of staged.values()) written += lines.length;
      this.counters.written += written;
      this.counters.queued -= written;
      staged.clear();
      if (this.#failing) {
        this.#failing = false;
        this.#retryDelay = RETRY_MIN_MS;
      }
      return true;
    }
    for (const [sessionId, lines] of [...staged]) {
      const outcome = result.outcomes.get(sessionId);
      this.#settle(sessionId, lines, outcome?.written ?? 0, outcome === undefined ? new Error('not written') : outcome.error);
    }
    return true;
  }

  /** Accounts for an append of `group` that wrote its first `written` items, then maybe failed. */
  #settle(sessionId: string, group: unknown[], written: number, error: unknown): void {
    const c = this.counters;
    c.written += written;
    c.queued -= written;
    if (error === undefined) {
      this.#staged.delete(sessionId);
      if (this.#failing) {
        this.#failing = false;
        this.#retryDelay = RETRY_MIN_MS;
      }
      return;
    }
    const rest = group.length - written;
    if (isPermanent(error)) {
      this.#staged.delete(sessionId);
      this.#lose(
        rest,
        `permanent:${(error as { code?: string }).code ?? (error as Error).name}`,
        error,
        `${rest} records of session ${shortId(sessionId)} cannot be written (${errorMessage(error)})`,
      );
      return;
    }
    group.splice(0, written);
    c.writeErrors++;
    this.#passError ??= error;
    if (!this.#failing) {
      this.#failing = true;
      this.#diagnostics.report(
        error,
        `append ${sessionId}`,
        (e) =>
          `perftrack storage: a write failed (${errorMessage(e)}); the records that did not reach the file are kept and retried (every second at most) while the queue has room. Failures are counted in stats().writeErrors.`,
        'error:append',
      );
    }
  }

  /** Counts `count` records as lost and reports the reason the first time it occurs. */
  #lose(count: number, reason: string, error: unknown, message: string): void {
    if (count <= 0) return;
    this.counters.lost += count;
    this.counters.queued -= count;
    if (this.#reported.has(reason)) return;
    this.#reported.add(reason);
    const text = `perftrack storage: ${message}; such records are dropped and counted in stats().lost (reported once)`;
    this.#diagnostics.report(error, `lost: ${reason}`, () => text, `lost:${reason}`);
  }

  #loseEverythingQueued(reason: string, why: string): void {
    const queued = this.counters.queued;
    if (queued <= 0) return;
    this.#lose(queued, reason, new Error(`perftrack storage: ${queued} records ${why}`), `${queued} records ${why}`);
    this.#staged.clear();
    this.#incoming = [];
    this.#passRecords = [];
    this.#cursor = 0;
  }

  /** Process exit (`process.exit()`, an uncaught exception, an empty loop): write synchronously what is queued. */
  readonly #onExit = (): void => {
    this.#removeExitHook = undefined;
    if (this.counters.queued === 0) return;
    const lostBefore = this.counters.lost;
    if (this.#sync) {
      const records = this.#passRecords;
      while (this.#cursor < records.length) this.#stage(records[this.#cursor++] as ToolExecutionMetrics);
      for (const record of this.#incoming) this.#stage(record);
      this.#passRecords = this.#incoming = [];
      this.#cursor = 0;
      this.#closing = true;
      if (this.#appendGroups === undefined || !this.#writeGroupsSync())
        for (const [sessionId, lines] of [...this.#staged]) this.#writeSync(sessionId, lines as string[]);
    }
    this.#loseEverythingQueued(
      'exit',
      this.#sync
        ? 'could not be written when the process exited'
        : 'were still queued when the process exited (this adapter cannot write synchronously)',
    );
    const lost = this.counters.lost - lostBefore;
    if (lost > 0 && !this.#userSinks) {
      try {
        writeSync(
          2,
          `(node:${process.pid}) PerftrackWarning: perftrack storage: ${lost} records were lost at process exit (see stats().lost)\n`,
        );
      } catch {
        // no stderr
      }
    }
  };
}
