import { constants, fchmodSync, fstatSync, fsyncSync, lstatSync, openSync, readSync, writeSync } from 'node:fs';
import { LRUCache } from 'lru-cache';
import type { AppendOutcome } from './adapter';
import { closeQuietly, shortWriteError } from './fd-io';
import { asRefusal, fileRefusal } from './refusal';

/**
 * Characters carried by one `write(2)` at most (≤ 48 KiB of UTF-8). Each write holds only whole
 * lines: on local filesystems (ext4, xfs, btrfs, tmpfs) an `O_APPEND` write is placed at the end
 * of the file and copied under the inode's lock, so writes of other processes land before or
 * after it, never inside. Node's own `appendFile` splits buffers over 512 KiB into several
 * writes, which is what let other processes interleave; we never hand it more than this.
 * A single line longer than this is written alone, still in one call.
 */
export const MAX_WRITE_CHARS = 16_384;

interface OpenLog {
  readonly fd: number;
  readonly dev: number;
  readonly ino: number;
  /** The file's size right after our last write, which ended with a newline (-1: unknown). */
  end: number;
}

// read-write: the last byte is read before each write (see #separator)
const APPEND = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const FILE_MODE = 0o600;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const PAGE = 4096;
/** Reads of an unchanged size before a page-aligned tail is taken as torn (each a few µs). */
const SETTLE_CHECKS = 8;

/**
 * Appends JSON lines to log files with synchronous `O_APPEND | O_NOFOLLOW` writes, keeping a
 * bounded LRU of open descriptors. The rules that make many writers safe:
 *
 * - each `write(2)` carries only whole lines (`{…}\n`), and starts with a newline when the file
 *   ends in a torn line (its tail is read just before): a line left torn by anyone (a process
 *   killed mid-write, a foreign or older writer) is closed off, never joined to a record.
 *   Between that read and the write another process could still tear a line: that takes a
 *   writer killed inside its own `write(2)` within those microseconds;
 * - after a short write the appender knows which lines reached the file; a torn fragment of its
 *   own at the end of the file is overwritten with spaces in place (no other writer's bytes are
 *   touched, unlike a truncate), the next record completes that line as valid JSON, and the
 *   caller retries only the lines that did not make it;
 * - a cached descriptor is reused only while `lstat` of its path still names the same inode, so
 *   a log deleted or replaced by another process is reopened, not written into the void;
 * - a symbolic link, a file with several hard links, or anything not a regular file is refused.
 */
export class LogAppender {
  readonly #open: LRUCache<string, OpenLog>;
  /**
   * Where logs closed to make room ended after our last write (file identity and size), so a
   * log reopened unchanged needs no tail read: with more sessions than open files, each record
   * may reopen its log. Bounded; 8 × the open files.
   */
  readonly #closedEnds: LRUCache<string, OpenLog>;
  readonly #lastByte = Buffer.alloc(1);

  constructor(maxOpenFiles: number) {
    this.#closedEnds = new LRUCache<string, OpenLog>({ max: maxOpenFiles * 8 });
    this.#open = new LRUCache<string, OpenLog>({
      max: maxOpenFiles,
      dispose: (log, path, reason) => {
        closeQuietly(log.fd);
        if (reason === 'evict' && log.end >= 0) this.#closedEnds.set(path, log);
      },
    });
  }

  /** Open descriptors now. */
  get openFiles(): number {
    return this.#open.size;
  }

  /** Whether every descriptor slot is taken: opening one more log closes another (more live sessions than open files). */
  get full(): boolean {
    return this.#open.size >= this.#open.max;
  }

  /**
   * Appends `lines` (without newlines) to `path`. `beforeOpen` runs before a new descriptor is
   * opened (to check the directory). Never throws: the outcome says how many lines were written.
   */
  append(path: string, lines: readonly string[], beforeOpen: () => void): AppendOutcome {
    let log: OpenLog;
    let size: number;
    try {
      [log, size] = this.#handle(path, beforeOpen);
    } catch (error) {
      return { written: 0, error };
    }
    let written = 0;
    let i = 0;
    while (i < lines.length) {
      // a torn line left by anyone (a writer killed mid-write) is closed off, never joined
      let chunk: string;
      try {
        if (i > 0) size = fstatSync(log.fd).size;
        // the size we left, with our newline last: nobody wrote since, no need to read the tail
        chunk = size === log.end ? '' : this.#separator(log.fd, size);
      } catch (error) {
        this.#open.delete(path);
        return { written, error };
      }
      chunk += (lines[i] as string) + '\n';
      let end = i + 1;
      while (end < lines.length && chunk.length + (lines[end] as string).length + 1 <= MAX_WRITE_CHARS)
        chunk += (lines[end++] as string) + '\n';
      const bytes = Buffer.from(chunk, 'utf8');
      let took: number;
      try {
        took = writeSync(log.fd, bytes, 0, bytes.length);
      } catch (error) {
        this.#open.delete(path);
        return { written, error };
      }
      if (took === bytes.length) {
        written += end - i;
        i = end;
        log.end = size + took; // wrong (too small) if another write landed first: then it just never matches
        continue;
      }
      written += this.#settleShortWrite(path, log, bytes, took);
      this.#open.delete(path);
      return { written, error: shortWriteError(path, took, bytes.length) };
    }
    return { written };
  }

  /**
   * What the next write must start with: nothing when the file is empty, ends with a newline, or
   * ends with a fragment this appender blanked (spaces: the next record completes that line as
   * valid JSON); a newline when it ends in a torn line. The kernel grows a file page by page while
   * it copies a write, so a tail that looks torn at a page boundary is read again until the size
   * settles: another process's write in progress is not mistaken for a torn line.
   */
  #separator(fd: number, size: number): string {
    for (let settled = 0; size > 0; ) {
      readSync(fd, this.#lastByte, 0, 1, size - 1);
      if (this.#lastByte[0] === NEWLINE) return '';
      if (size % PAGE === 0 && settled < SETTLE_CHECKS) {
        const now = fstatSync(fd).size;
        settled = now === size ? settled + 1 : 0;
        size = now;
        continue;
      }
      const span = Math.min(size, 65_536);
      const tail = Buffer.alloc(span);
      readSync(fd, tail, 0, span, size - span);
      for (let i = span - 1; i >= 0; i--) {
        if (tail[i] === NEWLINE) return '';
        if (tail[i] !== SPACE) return '\n';
      }
      return '';
    }
    return '';
  }

  /** Whether `path` has an open descriptor now (its next append needs no open). */
  isOpen(path: string): boolean {
    return this.#open.has(path);
  }

  /** fsyncs the log's open descriptor, if any (failures surface on the next append). */
  sync(path: string): void {
    const log = this.#open.get(path);
    if (log === undefined) return;
    try {
      fsyncSync(log.fd);
    } catch {
      this.#open.delete(path);
    }
  }

  /** Closes the descriptor of `path`, if open (before the file is deleted, say). */
  forget(path: string): void {
    this.#open.delete(path);
    this.#closedEnds.delete(path);
  }

  /** Closes every descriptor. */
  closeAll(): void {
    this.#open.clear();
    this.#closedEnds.clear();
  }

  /** The open log of `path` and its size now (a cached descriptor only while the path still names its file). */
  #handle(path: string, beforeOpen: () => void): [OpenLog, number] {
    const cached = this.#open.get(path);
    if (cached !== undefined) {
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (st !== undefined && st.ino === cached.ino && st.dev === cached.dev && st.nlink === 1 && st.isFile()) return [cached, st.size];
      this.#open.delete(path); // deleted, replaced or linked by someone else: look again
    }
    beforeOpen();
    // No lstat first: O_NOFOLLOW refuses a link (ELOOP) and fstat below checks what was opened.
    let fd: number;
    try {
      fd = openSync(path, APPEND, FILE_MODE);
    } catch (error) {
      throw asRefusal(path, error);
    }
    try {
      const opened = fstatSync(fd);
      const refusal = fileRefusal(path, opened);
      if (refusal) throw refusal;
      // fchmod on the descriptor: the inode we checked, never whatever the path names by now
      if ((opened.mode & 0o777) !== FILE_MODE) fchmodSync(fd, FILE_MODE);
      const closed = this.#closedEnds.get(path);
      if (closed !== undefined) this.#closedEnds.delete(path); // taken: the open log carries it on
      const end = closed !== undefined && closed.ino === opened.ino && closed.dev === opened.dev ? closed.end : -1;
      const log: OpenLog = { fd, dev: opened.dev, ino: opened.ino, end };
      this.#open.set(path, log);
      return [log, opened.size];
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
  }

  /**
   * The kernel took `took` of `bytes` (`[\n]{a}\n{b}\n…`). Returns how many of the chunk's
   * records are complete in the file (every byte of their JSON: a missing newline is added by the
   * next write) and blanks the torn remainder when it is still the end of the file.
   */
  #settleShortWrite(path: string, log: OpenLog, bytes: Buffer, took: number): number {
    let complete = 0;
    let start = bytes[0] === NEWLINE ? 1 : 0;
    while (start < took) {
      const end = bytes.indexOf(NEWLINE, start);
      if (end < 0 || end > took) break;
      complete++;
      start = end + 1;
    }
    if (took > start) this.#blankTail(path, log, bytes.subarray(start, took));
    return complete;
  }

  /** Overwrites `fragment` with spaces if it is still the last bytes of the file (a blank line reads as nothing). */
  #blankTail(path: string, log: OpenLog, fragment: Buffer): void {
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW);
      const st = fstatSync(fd);
      if (st.ino !== log.ino || st.dev !== log.dev || st.size < fragment.length) return;
      const tail = Buffer.alloc(fragment.length);
      readSync(fd, tail, 0, tail.length, st.size - tail.length);
      if (tail.equals(fragment)) writeSync(fd, Buffer.alloc(tail.length, 0x20), 0, tail.length, st.size - tail.length);
      // otherwise another process appended after it: the fragment stays a lone torn line, skipped by readers
    } catch {
      // best effort: a torn line is closed off by the next write and skipped by readers anyway
    } finally {
      if (fd !== undefined) closeQuietly(fd);
    }
  }
}
