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
  readdirSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { sessionIdProblem } from '@perftrack/core/internal';
import type { AppendOutcome } from './adapter';
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
 * File names (`<w>` is `<pid>-<hex>`, the writer; `<o>` is the checkpointer that claimed it):
 * - `<w>.jsonl.partial`: being written; never read (a writer killed while writing leaves it:
 *   a checkpoint adopts it once that pid is gone, its torn last line skipped and counted);
 * - `<w>.jsonl`: complete (fsynced, then renamed into place), never changed again;
 * - `<w>.jsonl.ckpt-<o>`: claimed by a checkpointer (renamed, so exactly one process owns it).
 */
export const JOURNAL_DIR = '.journal';

/** Sessions whose logs are not open from which a shutdown or exit write goes to the journal instead. */
export const JOURNAL_MIN_SESSIONS = 256;

/** A write of several sessions at once into an exit journal, synchronously (shutdown, exit): what `StorageWriter` tries first when an adapter has it; undefined when it wrote nothing. */
export const appendSessionsSync: unique symbol = Symbol('perftrack.storage.appendSessionsSync');

/** What {@link appendSessionsSync} did: each session's outcome, and how many records went to the journal. */
export interface GroupsOutcome {
  /** Each session's outcome (not filled when `allWritten`). */
  readonly outcomes: ReadonlyMap<string, AppendOutcome>;
  readonly journaled: number;
  /** Every line of every session was written (to the journal or its log). */
  readonly allWritten?: boolean;
}

/** The exit journal could not be written (nothing of it counts): the records are to be written to their logs. */
export class JournalWriteError extends Error {
  constructor(override readonly cause: unknown) {
    super(`the exit journal could not be written: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'JournalWriteError';
  }
}

const NAME = /^(\d{1,10})-([0-9a-f]{8,32})\.jsonl(\.partial|\.ckpt-(\d{1,10})-([0-9a-f]{8,32}))?$/;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const NEWLINE = 0x0a;

/** A journal file name, parsed; undefined for anything else (ignored). */
export interface JournalName {
  readonly base: string;
  readonly writerPid: number;
  readonly state: 'partial' | 'complete' | 'claimed';
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
  return { base, writerPid: Number(m[1]), state: 'claimed', owner: `${m[4]}-${m[5]}`, ownerPid: Number(m[4]) };
}

/** A fresh `<pid>-<hex>` id for a journal or a checkpoint claim. */
export function freshId(): string {
  return `${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Refuses `path` unless it is a real directory (never a link); undefined when it does not exist. */
export function journalDirState(path: string): 'absent' | 'ok' {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return 'absent';
  if (st.isSymbolicLink()) throw new StorageRefusedError(path, 'it is a symbolic link (perftrack never follows links inside its store)');
  if (!st.isDirectory()) throw new StorageRefusedError(path, 'it is not a directory');
  return 'ok';
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
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
  const writeAll = (text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    for (let at = 0; at < bytes.length; ) {
      const took = writeSync(fd, bytes, at, bytes.length - at);
      if (took <= 0) throw Object.assign(new Error(`ENOSPC: short write to ${partial}`), { code: 'ENOSPC' });
      at += took;
    }
  };
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

/** Parses a journal's bytes; only whole lines (newline-terminated) are taken. */
export function parseJournal(bytes: Buffer): ParsedJournal {
  const parsed: ParsedJournal = { sessions: new Map(), corruptLines: 0, tornLines: 0, records: 0 };
  let start = 0;
  for (;;) {
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

interface IndexedFile {
  readonly size: number;
  readonly mtimeMs: number;
  name: string;
  readonly sessions: Map<string, { ids: string[]; lines: string[] }>;
  readonly bytesBySession: Map<string, number>;
}

/**
 * What readers know of the journals: every complete or claimed journal's records by session,
 * rebuilt only when the journal directory changes (one `lstat` a read otherwise: journals are
 * never modified in place, only created, renamed and removed). Journals that are links or
 * hard-linked are refused and named in {@link refused}, never read.
 */
export class JournalIndex {
  readonly #dir: string;
  #stamp: string | undefined;
  #files: IndexedFile[] = [];
  /** Paths refused since last taken (by a checkpoint, which reports them). */
  readonly refused = new Set<string>();

  constructor(journalDir: string) {
    this.#dir = journalDir;
  }

  /** Brings the index up to date with the directory. */
  refresh(): void {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(this.#dir, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (st === undefined) {
      this.#stamp = undefined;
      this.#files = [];
      return;
    }
    if (st.isSymbolicLink() || !st.isDirectory()) {
      this.refused.add(this.#dir);
      this.#stamp = undefined;
      this.#files = [];
      return;
    }
    const stamp = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.ctimeMs}`;
    if (stamp === this.#stamp) return;
    const previous = new Map(this.#files.map((f) => [f.name, f]));
    const files: IndexedFile[] = [];
    let names: string[];
    try {
      names = readdirSync(this.#dir);
    } catch {
      names = [];
    }
    for (const name of names.sort()) {
      const parsed = parseJournalName(name);
      if (parsed === undefined || parsed.state === 'partial') continue;
      const path = join(this.#dir, name);
      let file: ReturnType<typeof readJournalFile>;
      try {
        const known = [...previous.values()].find((f) => f.name.startsWith(`${parsed.base}.`));
        const lst = lstatSync(path, { throwIfNoEntry: false });
        if (lst === undefined) continue;
        if (known !== undefined && lst.isFile() && lst.nlink === 1 && lst.size === known.size) {
          known.name = name; // claimed meanwhile: same content, new name
          files.push(known);
          continue;
        }
        file = readJournalFile(path);
      } catch (e) {
        if (e instanceof StorageRefusedError) this.refused.add(path);
        continue;
      }
      if (file === undefined) continue;
      const parsedFile = parseJournal(file.bytes);
      const bytesBySession = new Map<string, number>();
      for (const [sessionId, group] of parsedFile.sessions) {
        let bytes = 0;
        for (const line of group.lines) bytes += line.length + 1;
        bytesBySession.set(sessionId, bytes);
      }
      files.push({ size: file.size, mtimeMs: file.mtimeMs, name, sessions: parsedFile.sessions, bytesBySession });
    }
    this.#files = files;
    this.#stamp = stamp;
  }

  /** Whether any journal holds records now (after a refresh). */
  get empty(): boolean {
    return this.#files.length === 0;
  }

  /** The session's journal records by id, in journal order (the first of repeated ids kept); refresh first. */
  recordsOf(sessionId: string): Map<string, ToolExecutionMetrics> {
    const out = new Map<string, ToolExecutionMetrics>();
    for (const file of this.#files) {
      const group = file.sessions.get(sessionId);
      if (group === undefined) continue;
      for (const line of group.lines) {
        const rec = parseRecord(line);
        if (rec !== undefined && !out.has(rec.id)) out.set(rec.id, rec);
      }
    }
    return out;
  }

  /** Per session in any journal: bytes of its journal lines and the newest journal's time. */
  sessions(): Map<string, { bytes: number; lastModified: number }> {
    const out = new Map<string, { bytes: number; lastModified: number }>();
    for (const file of this.#files) {
      for (const [sessionId, bytes] of file.bytesBySession) {
        const entry = out.get(sessionId);
        if (entry === undefined) out.set(sessionId, { bytes, lastModified: file.mtimeMs });
        else {
          entry.bytes += bytes;
          entry.lastModified = Math.max(entry.lastModified, file.mtimeMs);
        }
      }
    }
    return out;
  }

  /** Whether a journal holds records of `sessionId` (refresh first). */
  has(sessionId: string): boolean {
    return this.#files.some((f) => f.sessions.has(sessionId));
  }
}
