import {
  chmodSync,
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { onProcessExit } from '@perftrack/core/internal';
import type { AppendOutcome } from './adapter';
import { freshId, journalDirState, syncDirQuietly } from './journal';
import { asRefusal } from './refusal';

/** A segment is sealed (renamed `<w>.jsonl`, checkpointable) once it holds this many bytes. */
export const SEGMENT_BYTES = 16 * 1024 * 1024;
/** Bytes handed to one `write(2)`: the segment has one writer, so a write need not be small, only end with a newline. */
const WRITE_BYTES = 256 * 1024;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

function shortWrite(path: string, took: number, of: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: short write to ${path} (${took} of ${of} bytes)`), { code: 'ENOSPC' });
}

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
    let at = 0;
    try {
      while (at < bytes.length) {
        const took = writeSync(this.#fd, bytes, at, bytes.length - at);
        if (took <= 0) throw shortWrite(this.#path, at, bytes.length);
        at += took;
      }
      this.#size += bytes.length;
      return undefined;
    } catch (error) {
      try {
        if (at > 0) ftruncateSync(this.#fd, this.#size); // nobody else writes here: what we added is cut off exactly
      } catch {
        // the segment is given up below; its reader skips a torn last line
      }
      this.#abandon();
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
        try {
          closeSync(this.#release()); // left as it is: nothing is renamed through the link either
        } catch {
          // already closed
        }
        throw e;
      }
      const st = lstatSync(this.#path, { throwIfNoEntry: false });
      if (st !== undefined && st.ino === this.#ino && st.dev === this.#dev && st.nlink === 1 && st.isFile()) return;
      this.#abandon(); // renamed or removed by someone else: never write into a file no one reads
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

  /** Closes the active segment and renames it `<w>.jsonl` (complete: readable and checkpointable); nothing when none is open. */
  seal(): void {
    if (this.#fd < 0) return;
    const path = this.#path;
    const size = this.#size;
    const fd = this.#release();
    try {
      if (this.#fsync) fdatasyncSync(fd);
    } catch {
      // sealed anyway: what reached the file is read back
    }
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    if (!this.#dirIsReal()) return; // a `.journal` swapped for a link: nothing renamed or removed through it
    if (size === 0) {
      this.#remove(path);
      return;
    }
    try {
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (st === undefined || st.ino !== this.#ino || st.dev !== this.#dev) return; // taken meanwhile
      renameSync(path, path.slice(0, -'.open'.length));
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

  /** Removes an empty segment of ours (nothing in it to keep). */
  #remove(path: string): void {
    try {
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (st !== undefined && st.ino === this.#ino && st.dev === this.#dev && st.size === 0) unlinkSync(path);
    } catch {
      // a checkpoint removes it once this process is gone
    }
  }

  /** Gives up the open segment after a failure or a takeover: closed and left under its name (sealed by a later checkpoint, or now). */
  #abandon(): void {
    const fd = this.#release();
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    if (!this.#dirIsReal()) return;
    try {
      const st = lstatSync(this.#path, { throwIfNoEntry: false });
      if (st !== undefined && st.ino === this.#ino && st.dev === this.#dev) {
        if (st.size === 0) unlinkSync(this.#path);
        else {
          renameSync(this.#path, this.#path.slice(0, -'.open'.length));
          this.sealed++;
        }
      }
    } catch {
      // a checkpoint seals it once this process is gone
    }
  }
}
