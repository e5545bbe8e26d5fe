import { checkInteger } from '@perftrack/core/internal';
import { chmodSync, constants, lstatSync, mkdirSync } from 'node:fs';
import { lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ToolExecutionMetrics } from '@perftrack/core';
import type { AppendOutcome, ReadReport, SnapshotBatch, SnapshotKind, StorageAdapter, StoredSessionInfo } from './adapter';
import { LogAppender } from './log-appender';
import { readLogMerged } from './log-reader';
import { KINDS, type Kind, listStoredSessions } from './stored-sessions';
import { replaceFileSync } from './replace-file';
import {
  appendSessionsSync,
  JOURNAL_DIR,
  JournalWriteError,
  JOURNAL_MIN_SESSIONS,
  journalSessionsSync,
  writeJournalSync,
  type GroupsOutcome,
} from './journal';
import { JournalIndex } from './journal-index';
import { JournalSegment } from './journal-segment';
import { checkpointJournals, type CheckpointResult } from './journal-checkpoint';
import { asRefusal, fileRefusal, StorageRefusedError } from './refusal';
import { encodeSessionId } from './session-id';
import { serializeRecord } from './record';

/** Options of {@link FileStorage}. */
export interface FileStorageOptions {
  /** Root directory. Default: `PERFTRACK_DIR`, else `.perftrack/` under the working directory. */
  dir?: string;
  /** fsync the metrics log after each append (survives power loss, not only a killed process). Default false. */
  fsync?: boolean;
  /** Metrics logs kept open between flushes at most (least recently used closed first). Default 128. */
  maxOpenFiles?: number;
  /**
   * At shutdown and process exit, write the records of many sessions whose logs are not open
   * (256 or more) into one journal, `metrics/.journal/<writer>.jsonl`, instead of creating a log
   * per session; readers see them as part of their logs and the next writer's checkpoint moves
   * them there. Default true.
   */
  exitJournal?: boolean;
  /**
   * When one flush touches many sessions whose logs are not open (64 or more: a burst of new
   * sessions), or any while every open-file slot is taken (more live sessions than
   * `maxOpenFiles`), append their records to this writer's journal
   * segment, `metrics/.journal/<writer>.jsonl.open`, in a few large writes instead of opening or
   * creating one log per session. Readers see them as part of their logs (in time order);
   * a checkpoint moves them there once the writer is idle, and at the next writer's start.
   * Default true.
   */
  flushJournal?: boolean;
}

/** Sessions without an open log, in one write of several sessions, from which they go to the journal segment instead. */
export const FLUSH_JOURNAL_MIN_SESSIONS = 64;
/** Longest file name (bytes) most filesystems hold (NAME_MAX). */
const MAX_NAME_BYTES = 255;
/** Sessions kept in this instance's journal (and so kept there until a checkpoint) at most: past it new ones go to their logs. */
const MAX_JOURNALED_SESSIONS = 262_144;

/** Thrown by {@link FileStorage.appendMetrics} when only part of the records reached the log. */
export class PartialAppendError extends Error {
  constructor(
    /** Records (from the start of the list) that are in the log: retry only the rest. */
    readonly written: number,
    /** The I/O error that stopped the append. */
    override readonly cause: unknown,
  ) {
    super(`appended ${written} records, then: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'PartialAppendError';
  }
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const READ = constants.O_RDONLY | constants.O_NOFOLLOW;

/** The directory perftrack uses when none is given: `PERFTRACK_DIR`, else `./.perftrack`. */
export function defaultStorageDir(): string {
  const fromEnv = process.env.PERFTRACK_DIR;
  return resolve(fromEnv !== undefined && fromEnv.length > 0 ? fromEnv : join(process.cwd(), '.perftrack'));
}

/**
 * Stores sessions as files: `<dir>/metrics/<session>.jsonl` (append-only JSON Lines),
 * `<dir>/patterns/<session>.json` and `<dir>/analytics/<session>.json` (replaced atomically).
 *
 * - Many writers: any number of processes and instances may append to one session at once.
 *   Each `write(2)` (with `O_APPEND`) carries only whole lines, at most {@link MAX_WRITE_CHARS}
 *   characters, so no line is interleaved; it starts with a newline when the file's last byte
 *   (read just before) is not one, so a torn line (a writer killed mid-write, a foreign append)
 *   is closed off and skipped by readers, never joined to a record. Plain JSON Lines: `jq` and
 *   line-by-line readers see one record a line (with several writers at once, an occasional
 *   empty line, which readers skip).
 * - Exactly once: after a short write only the lines that did not reach the file are retried.
 * - Never outside the store: files are opened with `O_NOFOLLOW`; a symbolic link, a hard-linked
 *   file or a sub-directory that is a link is refused with a {@link StorageRefusedError}, never
 *   followed, written through or chmod-ed. The root itself may be a symbolic link (to keep the
 *   store on another disk): it is followed, and its target is not chmod-ed.
 * - Directories are created 0700 and files 0600.
 */
export class FileStorage implements StorageAdapter {
  /** The root directory (absolute). */
  readonly dir: string;
  readonly #fsync: boolean;
  readonly #appender: LogAppender;
  readonly #exitJournal: boolean;
  readonly #journal: JournalIndex;
  readonly #flushJournal: boolean;
  readonly #segment: JournalSegment;
  /**
   * Sessions with records in this instance's journal segments that no checkpoint of ours has
   * moved yet: their later records go to the journal too, so each log stays in time order
   * once a checkpoint appends the journal's records to it. `#moving`: those of a checkpoint
   * running now.
   */
  #journaled = new Set<string>();
  #moving: Set<string> | undefined;
  /** Claims our checkpoints left unfinished (a full disk, a stop): the next run takes them up at once. */
  readonly #ownClaims = new Set<string>();
  /** A checkpoint asked for while one runs: it starts when that one ends. */
  #chained: Promise<CheckpointResult> | undefined;
  #checkpoint: Promise<CheckpointResult> | undefined;
  #ready = false;
  /** Sub-directories checked in the current synchronous run (cleared by a microtask). */
  readonly #checkedThisRun = new Set<Kind>();

  constructor(options: FileStorageOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('FileStorage: options must be an object');
    if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir.length === 0 || options.dir.includes('\0'))) {
      throw new TypeError(`FileStorage: dir must be a non-empty string, got ${JSON.stringify(options.dir)}`);
    }
    const maxOpenFiles = checkInteger('FileStorage', 'maxOpenFiles', options.maxOpenFiles ?? 128, 1, 65_536);
    this.dir = options.dir === undefined ? defaultStorageDir() : resolve(options.dir);
    this.#fsync = options.fsync ?? false;
    this.#appender = new LogAppender(maxOpenFiles);
    if (options.exitJournal !== undefined && typeof options.exitJournal !== 'boolean')
      throw new TypeError(`FileStorage: exitJournal must be a boolean, got ${JSON.stringify(options.exitJournal)}`);
    this.#exitJournal = options.exitJournal ?? true;
    if (options.flushJournal !== undefined && typeof options.flushJournal !== 'boolean')
      throw new TypeError(`FileStorage: flushJournal must be a boolean, got ${JSON.stringify(options.flushJournal)}`);
    this.#flushJournal = options.flushJournal ?? true;
    this.#journal = new JournalIndex(this.#journalDir);
    this.#segment = new JournalSegment(this.#journalDir, this.#fsync);
  }

  get #journalDir(): string {
    return join(this.dir, 'metrics', JOURNAL_DIR);
  }

  #path(kind: Kind, sessionId: string): string {
    return join(this.dir, kind, encodeSessionId(sessionId) + KINDS[kind]);
  }

  /** Creates the root and the three sub-directories (0700); refuses a sub-directory that is not a real directory. */
  #ensureDirs(): void {
    if (this.#ready) return;
    mkdirSync(this.dir, { recursive: true, mode: DIR_MODE });
    const root = lstatSync(this.dir);
    if (root.isDirectory() && (root.mode & 0o777) !== DIR_MODE) chmodSync(this.dir, DIR_MODE); // a symlinked root is left as it is
    for (const kind of Object.keys(KINDS) as Kind[]) {
      const sub = join(this.dir, kind);
      try {
        mkdirSync(sub, { mode: DIR_MODE });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const st = this.#checkDir(kind);
      if ((st.mode & 0o777) !== DIR_MODE) chmodSync(sub, DIR_MODE);
    }
    this.#ready = true;
  }

  readonly #checkMetricsDir = (): void => this.#checkDirOncePerRun('metrics');

  /**
   * Checks a sub-directory once per synchronous run of writes (a writer's slice, the exit
   * write, a slice of an analytics pass) rather than once per file: the check is an `lstat`, a
   * tenth of the cost of reopening a log, and a run lasts one slice at most. A microtask clears
   * the marks, so the next slice looks again.
   */
  #checkDirOncePerRun(kind: Kind): void {
    if (this.#checkedThisRun.has(kind)) return;
    this.#checkDir(kind);
    if (this.#checkedThisRun.size === 0) queueMicrotask(() => this.#checkedThisRun.clear());
    this.#checkedThisRun.add(kind);
  }

  #checkDir(kind: Kind): { mode: number } {
    const sub = join(this.dir, kind);
    const st = lstatSync(sub);
    if (st.isSymbolicLink()) throw new StorageRefusedError(sub, 'it is a symbolic link (perftrack never follows links inside its store)');
    if (!st.isDirectory()) throw new StorageRefusedError(sub, 'it is not a directory');
    return st;
  }

  /**
   * Appends JSON lines (one record each, no newline) to the session's log now, synchronously;
   * never throws: the outcome says how many lines reached the file, in order, and what stopped
   * the rest. `PerformanceStorage` uses this to write off the tool's path and, at process exit,
   * synchronously.
   */
  appendLinesSync(sessionId: string, lines: readonly string[]): AppendOutcome {
    if (
      (this.#journaled.size > 0 || this.#moving !== undefined) &&
      (this.#journaled.has(sessionId) || this.#moving?.has(sessionId) === true)
    ) {
      // this session's earlier records are in our journal: so are these, to stay in order
      const outcome = this.#segment.append(new Map([[sessionId, lines]])).get(sessionId) as AppendOutcome;
      if (outcome.written > 0) this.#journaled.add(sessionId); // in the new segment: it stays until a checkpoint moves that too
      if (outcome.written > 0 || outcome.error === undefined) return outcome;
      // the journal cannot be written now (a full disk, a planted link): the log, out of order rather than lost
    }
    return this.#appendToLog(sessionId, lines);
  }

  #appendToLog(sessionId: string, lines: readonly string[]): AppendOutcome {
    let path: string;
    try {
      path = this.#path('metrics', sessionId);
      this.#ensureDirs();
    } catch (error) {
      return { written: 0, error };
    }
    const outcome = this.#appender.append(path, lines, this.#checkMetricsDir);
    if (this.#fsync && outcome.written > 0) this.#appender.sync(path);
    return outcome;
  }

  async appendMetrics(sessionId: string, records: readonly ToolExecutionMetrics[]): Promise<void> {
    encodeSessionId(sessionId);
    if (records.length === 0) return;
    const lines: string[] = [];
    for (const r of records) {
      const line = serializeRecord(r);
      if (typeof line !== 'string')
        throw new TypeError(`appendMetrics: record ${JSON.stringify(String(r?.id))} cannot be stored: ${line.unstorable}`);
      lines.push(line);
    }
    const outcome = this.appendLinesSync(sessionId, lines);
    if (outcome.error !== undefined) throw outcome.written > 0 ? new PartialAppendError(outcome.written, outcome.error) : outcome.error;
  }

  async *readMetrics(sessionId: string, report?: ReadReport): AsyncIterable<ToolExecutionMetrics> {
    const path = this.#path('metrics', sessionId);
    // the journal first: a record a checkpoint moves meanwhile is then in the log or in what was read here
    this.#journal.refresh();
    const journaled = this.#journal.recordsOf(sessionId);
    // a session only in the journal (the common case after an exit) has no log: one lstat, not an open
    const fh = journaled.size > 0 && lstatSync(path, { throwIfNoEntry: false }) === undefined ? undefined : await this.#openForRead(path);
    if (fh !== undefined) yield* readLogMerged(fh, journaled, report);
    else yield* journaled.values();
  }

  /** Opens a store file for reading without following a link; undefined when it does not exist. */
  async #openForRead(path: string): Promise<FileHandle | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(path, READ);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENAMETOOLONG') return undefined; // no such file can exist
      throw asRefusal(path, e);
    }
    const refusal = fileRefusal(
      path,
      await fh.stat().catch(async (e: unknown) => {
        await fh.close();
        throw e;
      }),
    );
    if (refusal) {
      await fh.close();
      throw refusal;
    }
    return fh;
  }

  async writeSnapshot(kind: SnapshotKind, sessionId: string, value: unknown): Promise<void> {
    const path = this.#path(kind, sessionId);
    this.#ensureDirs();
    this.#checkDir(kind);
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`writeSnapshot: the ${kind} snapshot is not JSON-serialisable`);
    const existing = await lstat(path).catch(() => undefined);
    if (existing?.isDirectory()) throw new StorageRefusedError(path, 'it is a directory');
    // A fresh file (O_EXCL: never an existing one, never through a link) renamed over the old
    // name: a reader sees the old or the new snapshot; a planted link is replaced, not followed.
    const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE);
      try {
        await fh.writeFile(text, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => {}); // no temporary file is left behind on any failure
      throw e;
    }
    const dh = await open(join(this.dir, kind), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch(() => undefined);
    if (dh)
      await dh
        .sync()
        .catch(() => {})
        .finally(() => dh.close());
  }

  /**
   * A batch of snapshot writes, each synchronous (a fresh `O_EXCL` temporary file renamed over
   * the old name, as {@link writeSnapshot}, but no fsync per file), made durable together by
   * `commit()`: one fsync of each directory touched. A process killed at any point leaves every
   * snapshot whole (old or new); what power loss can cost is said in README ("Storage").
   */
  beginSnapshots(): SnapshotBatch {
    const touched = new Set<SnapshotKind>();
    const tmpSuffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}-`;
    let written = 0;
    return {
      write: (kind: SnapshotKind, sessionId: string, value: unknown): void => {
        const path = this.#path(kind, sessionId);
        const text = JSON.stringify(value);
        if (text === undefined) throw new TypeError(`writeSnapshot: the ${kind} snapshot is not JSON-serialisable`);
        this.#ensureDirs();
        this.#checkDirOncePerRun(kind);
        replaceFileSync(path, `${path}${tmpSuffix}${written++}`, text);
        touched.add(kind);
      },
      commit: async (): Promise<void> => {
        const kinds = [...touched];
        touched.clear();
        for (const kind of kinds) await this.#syncDir(kind);
      },
    };
  }

  /** fsyncs a sub-directory (its entries: creations and renames); failures are ignored, as a directory fsync is not possible everywhere. */
  async #syncDir(kind: Kind): Promise<void> {
    const dh = await open(join(this.dir, kind), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch(() => undefined);
    if (dh)
      await dh
        .sync()
        .catch(() => {})
        .finally(() => dh.close());
  }

  async readSnapshot(kind: SnapshotKind, sessionId: string, report?: ReadReport): Promise<unknown> {
    const path = this.#path(kind, sessionId);
    const fh = await this.#openForRead(path);
    if (fh === undefined) return undefined;
    let text: string;
    try {
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      if (report) report.corruptLines++;
      return undefined;
    }
  }

  /** Sessions with at least one regular file; links and temporary files are not listed. */
  async listSessions(): Promise<StoredSessionInfo[]> {
    this.#journal.refresh();
    return listStoredSessions(this.dir, this.#journal);
  }

  async deleteSession(sessionId: string): Promise<string[]> {
    encodeSessionId(sessionId);
    this.#journal.refresh();
    if (this.#journal.has(sessionId)) {
      // journal lines cannot be removed one by one: move them into the logs first, then delete
      const done = await this.checkpoint();
      if (done.error !== undefined || done.pending > 0)
        throw done.error ?? new Error(`deleteSession: the journal could not be checkpointed first`);
      this.#journal.refresh();
      if (this.#journal.has(sessionId))
        throw new Error(
          `deleteSession: session ${JSON.stringify(sessionId)} has records in the active journal of a writer still running or gone less than 10 minutes ago (metrics/${JOURNAL_DIR}/*.jsonl.open), or in a journal another process is moving now; delete it once that writer has shut down`,
        );
    }
    const removed: string[] = [];
    for (const kind of Object.keys(KINDS) as Kind[]) {
      const path = this.#path(kind, sessionId);
      if (kind === 'metrics') this.#appender.forget(path);
      try {
        await unlink(path); // removes a link itself, never its target
        removed.push(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    return removed;
  }

  /**
   * @internal Writes several sessions at once, synchronously (`StorageWriter` at shutdown and exit): when
   * 256 or more of them have no open log, those go into one exit journal (one file, one fsync)
   * and the rest to their logs. Undefined (nothing written) otherwise; throws a
   * `JournalWriteError` (nothing written) when the journal cannot be written.
   */
  [appendSessionsSync](groups: ReadonlyMap<string, readonly string[]>): GroupsOutcome | undefined {
    const outcomes = new Map<string, AppendOutcome>();
    if (this.#exitJournal && groups.size >= JOURNAL_MIN_SESSIONS) {
      // sessions whose log is open are cheap to append to; the others (most, at exit) are not
      const open = new Set<string>();
      for (const sessionId of groups.keys()) if (this.#bypassesJournal(sessionId)) open.add(sessionId);
      if (groups.size - open.size >= JOURNAL_MIN_SESSIONS) {
        let journaled = 0;
        try {
          this.#ensureDirs();
          this.#checkMetricsDir();
          writeJournalSync(
            this.#journalDir,
            (function* () {
              for (const [sessionId, lines] of groups)
                if (!open.has(sessionId)) {
                  journaled += lines.length;
                  yield lines;
                }
            })(),
          );
        } catch (error) {
          throw new JournalWriteError(error); // written nowhere: the caller writes every session to its own log
        }
        let failed = false;
        for (const sessionId of open) {
          const outcome = this.appendLinesSync(sessionId, groups.get(sessionId) as string[]);
          outcomes.set(sessionId, outcome);
          failed ||= outcome.error !== undefined;
        }
        if (!failed) return { outcomes, journaled, allWritten: true };
        for (const [sessionId, lines] of groups) if (!outcomes.has(sessionId)) outcomes.set(sessionId, { written: lines.length });
        return { outcomes, journaled };
      }
    }
    return undefined;
  }

  /**
   * Whether a session's records go to its log rather than a journal: its log is open (cheap to
   * append to), or its id is invalid or its log's name too long for the filesystem (its own
   * append then says why; in a journal it would only fail later, at the checkpoint).
   */
  #bypassesJournal(sessionId: string): boolean {
    try {
      const name = encodeSessionId(sessionId) + KINDS.metrics;
      if (Buffer.byteLength(name) > MAX_NAME_BYTES) return true;
      return this.#appender.openFiles > 0 && this.#appender.isOpen(join(this.dir, 'metrics', name));
    } catch {
      return true;
    }
  }

  /**
   * @internal Writes several sessions of an ordinary flush at once (`StorageWriter`, in chunks):
   * when {@link FLUSH_JOURNAL_MIN_SESSIONS} or more of them have no open log, those (and any
   * session already in our journal) go to the journal segment in a few large writes, the rest to
   * their logs; every session of `groups` then has its outcome. Undefined (nothing written)
   * otherwise, for the caller to write each session to its log as usual.
   */
  [journalSessionsSync](groups: ReadonlyMap<string, readonly string[]>): Map<string, AppendOutcome> | undefined {
    if (!this.#flushJournal || (groups.size < FLUSH_JOURNAL_MIN_SESSIONS && !this.#appender.full)) return undefined;
    const toJournal = new Map<string, readonly string[]>();
    const toLogs: string[] = [];
    const room = MAX_JOURNALED_SESSIONS - this.#journaled.size;
    for (const [sessionId, lines] of groups) {
      const open = this.#bypassesJournal(sessionId);
      const known = this.#journaled.has(sessionId) || this.#moving?.has(sessionId) === true;
      if (known || (!open && toJournal.size < room)) toJournal.set(sessionId, lines);
      else toLogs.push(sessionId);
    }
    // few new sessions go to their logs, unless every open-file slot is taken: then each would
    // close another log to open its own, on every flush (more live sessions than open files)
    if (toJournal.size < FLUSH_JOURNAL_MIN_SESSIONS && !(this.#appender.full && toJournal.size > 0)) return undefined;
    try {
      this.#ensureDirs();
      this.#checkMetricsDir();
    } catch {
      return undefined; // each session's own append says why
    }
    const outcomes = this.#segment.append(toJournal);
    let anyWritten = false;
    let failure: unknown;
    for (const [sessionId, outcome] of outcomes) {
      failure ??= outcome.error;
      if (outcome.written === 0) {
        outcomes.delete(sessionId); // not in the journal: the caller writes it to its log
        continue;
      }
      anyWritten = true;
      this.#journaled.add(sessionId);
    }
    if (!anyWritten) throw new JournalWriteError(failure, 'journal segment'); // the caller writes every session to its log
    for (const sessionId of toLogs) outcomes.set(sessionId, this.#appendToLog(sessionId, groups.get(sessionId) as string[]));
    return outcomes;
  }

  /** Segments this instance sealed since the last checkpoint, and whether it still holds sessions in its journal: a checkpoint is due. */
  get journalBacklog(): { readonly sealed: number; readonly sessions: number } {
    return { sealed: this.#segment.sealed, sessions: this.#journaled.size };
  }

  /**
   * Moves the records of exit journals into their sessions' logs and removes the journals
   * (exactly once, with any number of processes at it: see README "Storage"). `PerformanceStorage`
   * starts one when it first writes. Concurrent calls share one run.
   */
  checkpoint(options: { signal?: AbortSignal } = {}): Promise<CheckpointResult> {
    const running = this.#checkpoint;
    if (running !== undefined) {
      // a run under way (one started for journals others left, say) did not seal what we wrote
      // since: one more run after it, so a caller's checkpoint covers our own journal too
      if (this.#journaled.size === 0 && this.#segment.size === 0) return running;
      return (this.#chained ??= running
        .catch(() => undefined)
        .then(() => {
          this.#chained = undefined;
          return this.checkpoint(options);
        }));
    }
    // our active segment is sealed so it moves too; sessions in it keep going to the journal
    // (a new segment) until this run has moved them
    this.#segment.seal();
    this.#segment.sealed = 0;
    const moving = new Set([...(this.#moving ?? []), ...this.#journaled]);
    this.#moving = moving.size > 0 ? moving : undefined;
    this.#journaled = new Set();
    this.#checkpoint = checkpointJournals({
      journalDir: this.#journalDir,
      append: (sessionId, lines) => this.#appendToLog(sessionId, lines),
      logIds: async (sessionId) => {
        const ids = new Set<string>();
        const fh = await this.#openForRead(this.#path('metrics', sessionId));
        if (fh !== undefined) for await (const rec of readLogMerged(fh, new Map(), undefined)) ids.add(rec.id);
        return ids;
      },
      signal: options.signal,
      ownClaims: this.#ownClaims,
    })
      .then((result) => {
        // moved: those sessions' next records may go to their logs again (else they stay in the journal)
        if (result.pending === 0 && result.error === undefined && this.#moving === moving) this.#moving = undefined;
        return result;
      })
      .finally(() => {
        this.#checkpoint = undefined;
      });
    return this.#checkpoint;
  }

  /** Closes the log files kept open between flushes and seals the journal segment. The storage stays usable (they reopen on demand). */
  close(): void {
    this.#appender.closeAll();
    this.#segment.seal();
  }

  /** Metrics logs open now (bounded by `maxOpenFiles`). */
  get openFiles(): number {
    return this.#appender.openFiles;
  }
}
