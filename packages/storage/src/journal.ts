import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { sessionIdProblem } from '@perftrack/core/internal';
import type { AppendOutcome } from './adapter';
import { closeQuietly, writeFully } from './fd-io';
import { MAX_WRITE_CHARS } from './log-appender';
import { parseRecord } from './record';
import { asRefusal, fileRefusal, StorageRefusedError } from './refusal';

/**
 * The exit journal (a write-ahead log in the spirit of SQLite's WAL): at shutdown or process
 * exit, records of many sessions whose logs are not open go into ONE file,
 * `<dir>/metrics/.journal/<writer>.jsonl` (the same JSON Lines, each record carrying its
 * `sessionId`), instead of creating one log per session. Readers see journal records as part of
 * their session's log; a later checkpoint moves them into the logs (see `journal-checkpoint.ts`).
 *
 * Ordinary flushes that touch many sessions whose logs are not open append to a journal too:
 * an active segment (see `journal-segment.ts`).
 *
 * File names (`<w>` is `<pid>-<hex>`, the writer; `<o>` is the checkpointer that claimed it):
 * - `<w>.jsonl.partial`: an exit journal being written; never read (a writer killed while
 *   writing leaves it: a checkpoint adopts it once that pid is gone, its torn last line skipped
 *   and counted);
 * - `<w>.jsonl.open`: an active segment, appended to by its one writer with whole lines; read
 *   (up to its last newline), never checkpointed while that writer lives; sealed by a rename to
 *   `<w>.jsonl` when full or closed (a checkpoint adopts one whose pid is gone);
 * - `<w>.jsonl`: complete (fsynced, then renamed into place), never changed again;
 * - `<w>.jsonl.ckpt-<o>`: claimed by a checkpointer (renamed, so exactly one process owns it).
 */
export const JOURNAL_DIR = '.journal';

/** Sessions whose logs are not open from which a shutdown or exit write goes to the journal instead. */
export const JOURNAL_MIN_SESSIONS = 256;

/** A write of several sessions at once into an exit journal, synchronously (shutdown, exit): what `StorageWriter` tries first when an adapter has it; undefined when it wrote nothing. */
export const appendSessionsSync: unique symbol = Symbol('perftrack.storage.appendSessionsSync');

/** A write of several sessions of an ordinary flush, synchronously, to a journal segment when many have no open log: what `StorageWriter` tries per chunk when an adapter has it. */
export const journalSessionsSync: unique symbol = Symbol('perftrack.storage.journalSessionsSync');

/** What {@link appendSessionsSync} did: each session's outcome, and how many records went to the journal. */
export interface GroupsOutcome {
  /** Each session's outcome (not filled when `allWritten`). */
  readonly outcomes: ReadonlyMap<string, AppendOutcome>;
  readonly journaled: number;
  /** Every line of every session was written (to the journal or its log). */
  readonly allWritten?: boolean;
}

/** A journal (the exit journal, a flush's segment) could not be written (nothing of it counts): the records are to be written to their logs. */
export class JournalWriteError extends Error {
  constructor(
    override readonly cause: unknown,
    what = 'exit journal',
  ) {
    super(`the ${what} could not be written: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'JournalWriteError';
  }
}

const NAME = /^(\d{1,10})-([0-9a-f]{8,32})\.jsonl(\.partial|\.open|\.ckpt-(\d{1,10})-([0-9a-f]{8,32}))?$/;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const NEWLINE = 0x0a;

/** A journal file name, parsed; undefined for anything else (ignored). */
export interface JournalName {
  readonly base: string;
  readonly writerPid: number;
  readonly state: 'partial' | 'open' | 'complete' | 'claimed';
  /** The claiming checkpointer (`<pid>-<hex>`), for a claimed journal. */
  readonly owner?: string;
  readonly ownerPid?: number;
}

export function parseJournalName(name: string): JournalName | undefined {
  const m = NAME.exec(name);
  if (m === null) return undefined;
  const base = `${m[1]}-${m[2]}`;
  if (m[3] === undefined) return { base, writerPid: Number(m[1]), state: 'complete' };
  if (m[3] === '.partial') return { base, writerPid: Number(m[1]), state: 'partial' };
  if (m[3] === '.open') return { base, writerPid: Number(m[1]), state: 'open' };
  return { base, writerPid: Number(m[1]), state: 'claimed', owner: `${m[4]}-${m[5]}`, ownerPid: Number(m[4]) };
}

/**
 * A fresh `<pid>-<hex>` id for a journal or a checkpoint claim: the time in ms, a sequence
 * number, then random, so one writer's journals sort in the order they were made (a checkpoint
 * moves them in that order, keeping each log in time order).
 */
export function freshId(): string {
  sequence = (sequence + 1) % 0x100000;
  return `${process.pid}-${Date.now().toString(16).padStart(11, '0')}${sequence.toString(16).padStart(5, '0')}${randomBytes(4).toString('hex')}`;
}
/** Ids made in the same millisecond by this copy of the package still sort in the order made. */
let sequence = 0;

/** Refuses `path` unless it is a real directory (never a link); undefined when it does not exist. */
export function journalDirState(path: string): 'absent' | 'ok' {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return 'absent';
  if (st.isSymbolicLink()) throw new StorageRefusedError(path, 'it is a symbolic link (perftrack never follows links inside its store)');
  if (!st.isDirectory()) throw new StorageRefusedError(path, 'it is not a directory');
  return 'ok';
}

/** fsyncs a directory's entries; ignored where a directory cannot be fsynced. */
export function syncDirQuietly(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    fsyncSync(fd);
  } catch {
    // not possible everywhere
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

/**
 * Writes the lines of every group into one new journal in `journalDir` (created 0700; a link is
 * refused): `<id>.jsonl.partial` (`O_EXCL | O_NOFOLLOW`, 0600), whole lines in writes of at most
 * {@link MAX_WRITE_CHARS} characters, one fsync, then renamed to `<id>.jsonl` and the directory
 * fsynced. All or nothing: on any failure the partial file is removed and the error thrown, so
 * the caller can write the records another way. Returns the journal's path.
 */
export function writeJournalSync(journalDir: string, groups: Iterable<readonly string[]>): string {
  try {
    mkdirSync(journalDir, { mode: DIR_MODE });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  journalDirState(journalDir);
  const st = lstatSync(journalDir);
  if ((st.mode & 0o777) !== DIR_MODE) chmodSync(journalDir, DIR_MODE);
  const id = freshId();
  const partial = join(journalDir, `${id}.jsonl.partial`);
  const complete = join(journalDir, `${id}.jsonl`);
  let fd: number;
  try {
    fd = openSync(partial, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE);
  } catch (e) {
    throw asRefusal(partial, e);
  }
  const writeAll = (text: string): void => writeFully(fd, Buffer.from(text, 'utf8'), partial);
  try {
    let chunk = '';
    for (const lines of groups) {
      for (const line of lines) {
        if (chunk.length > 0 && chunk.length + line.length + 1 > MAX_WRITE_CHARS) {
          writeAll(chunk);
          chunk = '';
        }
        chunk += `${line}\n`;
      }
    }
    if (chunk.length > 0) writeAll(chunk);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(partial, complete);
  } catch (e) {
    if (fd >= 0) closeQuietly(fd);
    try {
      unlinkSync(partial);
    } catch {
      // already gone
    }
    throw e;
  }
  syncDirQuietly(journalDir);
  return complete;
}

/** One journal file's content, parsed: per session, its records' lines in journal order. */
export interface ParsedJournal {
  readonly sessions: Map<string, { ids: string[]; lines: string[] }>;
  /** Complete lines that were not a valid record. */
  corruptLines: number;
  /** A last line without its newline (a writer killed mid-write): skipped, never joined. */
  tornLines: number;
  records: number;
}

/** Parses a journal's bytes; only whole lines (newline-terminated) are taken. `pause` is asked every 256 lines whether to yield first. */
export async function parseJournal(bytes: Buffer, pause?: () => Promise<void> | undefined): Promise<ParsedJournal> {
  const parsed: ParsedJournal = { sessions: new Map(), corruptLines: 0, tornLines: 0, records: 0 };
  let start = 0;
  for (let n = 1; ; n++) {
    // a large journal is parsed in slices: `pause` yields to the event loop when its slice is spent
    if ((n & 255) === 0 && pause !== undefined) {
      const waiting = pause();
      if (waiting !== undefined) await waiting;
    }
    const end = bytes.indexOf(NEWLINE, start);
    if (end < 0) break;
    if (end > start) {
      const line = bytes.toString('utf8', start, end);
      const rec = line.trim().length === 0 ? null : parseRecord(line);
      if (rec === undefined || (rec !== null && sessionIdProblem(rec.sessionId) !== undefined)) parsed.corruptLines++;
      else if (rec !== null) {
        let group = parsed.sessions.get(rec.sessionId);
        if (group === undefined) parsed.sessions.set(rec.sessionId, (group = { ids: [], lines: [] }));
        group.ids.push(rec.id);
        group.lines.push(line);
        parsed.records++;
      }
    }
    start = end + 1;
  }
  if (bytes.subarray(start).toString('utf8').trim().length > 0) parsed.tornLines++;
  return parsed;
}

/** Opens a journal for reading without following a link and checks it is a lone regular file; reads it whole. */
export function readJournalFile(path: string): { bytes: Buffer; dev: number; ino: number; size: number; mtimeMs: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw asRefusal(path, e);
  }
  try {
    const st = fstatSync(fd);
    const refusal = fileRefusal(path, st);
    if (refusal) throw refusal;
    const bytes = Buffer.alloc(st.size);
    for (let at = 0; at < st.size; ) {
      const got = readSync(fd, bytes, at, st.size - at, at);
      if (got <= 0) break;
      at += got;
    }
    return { bytes, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  } finally {
    closeQuietly(fd);
  }
}
