import {
  chmodSync,
  constants,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { onProcessExit } from '@perftrack/core/internal';
import type { AppendOutcome } from './adapter';
import { closeQuietly, writeFully } from './fd-io';
import { freshId, journalDirState, syncDirQuietly } from './journal';
import { asRefusal } from './refusal';

/** A segment is sealed (renamed `<w>.jsonl`, checkpointable) once it holds this many bytes. */
export const SEGMENT_BYTES = 16 * 1024 * 1024;
/** Bytes handed to one `write(2)`: the segment has one writer, so a write need not be small, only end with a newline. */
const WRITE_BYTES = 256 * 1024;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * One writer's active journal segment, `metrics/.journal/<w>.jsonl.open` (Kafka's active
 * segment): the records of many sessions whose logs are not open go here in a few large
 * writes, instead of one file opened or created per session. Only this instance appends to it,
 * so after a failed or short write it truncates the file back to where the write began: the
 * segment never holds a torn line of ours, and the outcome says exactly which lines are in it.
 * Readers index it as it grows (whole lines only). Sealed (renamed to `<w>.jsonl`) when it
 * reaches {@link SEGMENT_BYTES} or when the storage closes; a segment whose writer died is
 * sealed by the next checkpoint.
 */
export class JournalSegment {
  readonly #dir: string;
  readonly #fsync: boolean;
  #fd = -1;
  #path = '';
  #size = 0;
  #dev = 0;
  #ino = 0;
  /** Segments sealed by this instance since last taken (a checkpoint is due). */
  sealed = 0;
  /** Seals the segment at process exit (after the writer's own exit write, which may add to it). */
  #removeExitHook: (() => void) | undefined;

  constructor(journalDir: string, fsync: boolean) {
    this.#dir = journalDir;
    this.#fsync = fsync;
  }

  /** Bytes in the active segment (0 when none is open). */
  get size(): number {
    return this.#fd < 0 ? 0 : this.#size;
  }

  /**
   * Appends each group's lines (one session each) in order. Never throws: per session, how many
   * of its lines are in the segment, and the error that stopped the rest (every later session
   * then has 0 written and the same error).
   */
  append(groups: ReadonlyMap<string, readonly string[]>): Map<string, AppendOutcome> {
    const outcomes = new Map<string, AppendOutcome>();
    try {
      this.#ensureOpen();
    } catch (error) {
      for (const sessionId of groups.keys()) outcomes.set(sessionId, { written: 0, error });
      return outcomes;
    }
    // the sessions of the chunk being built and their lines in it, committed once it is written
    const pending: [string, number][] = [];
    const written = new Map<string, number>();
    let chunk = '';
    let failure: unknown;
    const flush = (): boolean => {
      if (chunk.length === 0) return true;
      const error = this.#write(chunk);
      chunk = '';
      if (error !== undefined) {
        failure = error;
        return false;
      }
      for (const [sessionId, n] of pending) written.set(sessionId, (written.get(sessionId) ?? 0) + n);
      pending.length = 0;
      return true;
    };
    outer: for (const [sessionId, lines] of groups) {
      let inChunk = 0;
      for (const line of lines) {
        if (chunk.length > 0 && chunk.length + line.length + 1 > WRITE_BYTES) {
          if (inChunk > 0) pending.push([sessionId, inChunk]);
          inChunk = 0;
          if (!flush()) break outer;
        }
        chunk += `${line}\n`;
        inChunk++;
      }
      if (inChunk > 0) pending.push([sessionId, inChunk]);
    }
    if (failure === undefined) flush();
    for (const [sessionId, lines] of groups) {
      const n = written.get(sessionId) ?? 0;
      outcomes.set(sessionId, n === lines.length ? { written: n, journaled: true } : { written: n, error: failure, journaled: true });
    }
    if (failure === undefined && this.#fsync) {
      try {
        fdatasyncSync(this.#fd);
      } catch {
        // surfaces on the next write
      }
    }
    if (this.#size >= SEGMENT_BYTES) this.seal();
    return outcomes;
  }

  /** Writes `text` whole at the end; on failure truncates back to where it began and returns the error. */
  #write(text: string): unknown {
    const bytes = Buffer.from(text, 'utf8');
    try {
      writeFully(this.#fd, bytes, this.#path);
      this.#size += bytes.length;
      return undefined;
    } catch (error) {
      try {
        ftruncateSync(this.#fd, this.#size); // nobody else writes here: what we added is cut off exactly
      } catch {
        // the segment is given up below; its reader skips a torn last line
      }
      this.seal(); // given up: a new segment for the next write
      return error;
    }
  }

  /** Opens a fresh segment unless one is open and its path still names it. */
  #ensureOpen(): void {
    if (this.#fd >= 0) {
      // the directory first: a `.journal` swapped for a link meanwhile is never written through
      try {
        journalDirState(this.#dir);
      } catch (e) {
        closeQuietly(this.#release()); // left as it is: nothing is renamed through the link either
        throw e;
      }
      const st = lstatSync(this.#path, { throwIfNoEntry: false });
      if (st !== undefined && st.ino === this.#ino && st.dev === this.#dev && st.nlink === 1 && st.isFile()) return;
      this.seal(); // renamed or removed by someone else: never write into a file no one reads (nothing renamed: it is not ours by that name)
    }
    try {
      mkdirSync(this.#dir, { mode: DIR_MODE });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    journalDirState(this.#dir);
    if ((lstatSync(this.#dir).mode & 0o777) !== DIR_MODE) chmodSync(this.#dir, DIR_MODE);
    const id = freshId();
    const path = join(this.#dir, `${id}.jsonl.open`);
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE);
    } catch (e) {
      throw asRefusal(path, e);
    }
    const st = fstatSync(fd);
    this.#fd = fd;
    this.#path = path;
    this.#size = 0;
    this.#dev = st.dev;
    this.#ino = st.ino;
    this.#removeExitHook = onProcessExit(() => this.seal());
  }

  /** Forgets the open segment (closed by the caller). */
  #release(): number {
    const fd = this.#fd;
    this.#fd = -1;
    this.#removeExitHook?.();
    this.#removeExitHook = undefined;
    return fd;
  }

  /**
   * Closes the active segment and renames it `<w>.jsonl` (complete: readable and checkpointable),
   * or removes it when empty; nothing when none is open. Also how a segment is given up after a
   * failed write or a takeover: a file its path no longer names is left alone.
   */
  seal(): void {
    if (this.#fd < 0) return;
    const fd = this.#release();
    try {
      if (this.#fsync) fdatasyncSync(fd);
    } catch {
      // sealed anyway: what reached the file is read back
    }
    closeQuietly(fd);
    if (!this.#dirIsReal()) return; // a `.journal` swapped for a link: nothing renamed or removed through it
    try {
      const st = lstatSync(this.#path, { throwIfNoEntry: false });
      if (st === undefined || st.ino !== this.#ino || st.dev !== this.#dev) return; // taken meanwhile
      if (st.size === 0) {
        unlinkSync(this.#path); // nothing in it to keep
        return;
      }
      renameSync(this.#path, this.#path.slice(0, -'.open'.length));
      if (this.#fsync) syncDirQuietly(this.#dir);
      this.sealed++;
    } catch {
      // left active: a checkpoint seals it once this process is gone
    }
  }

  /** Whether the journal directory is still a real directory (not a link swapped in). */
  #dirIsReal(): boolean {
    try {
      return journalDirState(this.#dir) === 'ok';
    } catch {
      return false;
    }
  }
}
