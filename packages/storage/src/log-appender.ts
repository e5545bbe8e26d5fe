import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, openSync, readSync, writeSync } from 'node:fs';
import { LRUCache } from 'lru-cache';
import type { AppendOutcome } from './adapter';
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
}

const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const FILE_MODE = 0o600;
const NEWLINE = 0x0a;

/** A short write: the kernel took part of a buffer (the disk or a quota filled up). */
function shortWrite(path: string, took: number, of: number): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`ENOSPC: short write to ${path} (${took} of ${of} bytes)`);
  e.code = 'ENOSPC';
  return e;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/**
 * Appends JSON lines to log files with synchronous `O_APPEND | O_NOFOLLOW` writes, keeping a
 * bounded LRU of open descriptors. The rules that make many writers safe:
 *
 * - every record is written as a newline followed by its JSON (`\n{…}\n{…}`), and each
 *   `write(2)` carries only whole records: a torn line left by anyone (a killed process, a full
 *   disk) is always closed off by the next write's leading newline and never joined to a
 *   record. The file has no blank lines between writes (`wc -l` counts records), starts with one
 *   empty line and does not end with a newline; readers (and `jq`) take the last line as it is;
 * - after a short write the appender knows which lines reached the file; a torn fragment of its
 *   own at the end of the file is overwritten with spaces in place (no other writer's bytes are
 *   touched, unlike a truncate), and the caller retries only the lines that did not make it;
 * - a cached descriptor is reused only while `lstat` of its path still names the same inode, so
 *   a log deleted or replaced by another process is reopened, not written into the void;
 * - a symbolic link, a file with several hard links, or anything not a regular file is refused.
 */
export class LogAppender {
  readonly #open: LRUCache<string, OpenLog>;

  constructor(maxOpenFiles: number) {
    this.#open = new LRUCache<string, OpenLog>({ max: maxOpenFiles, dispose: (log) => closeQuietly(log.fd) });
  }

  /** Open descriptors now. */
  get openFiles(): number {
    return this.#open.size;
  }

  /**
   * Appends `lines` (without newlines) to `path`. `beforeOpen` runs before a new descriptor is
   * opened (to check the directory). Never throws: the outcome says how many lines were written.
   */
  append(path: string, lines: readonly string[], beforeOpen: () => void): AppendOutcome {
    let log: OpenLog;
    try {
      log = this.#handle(path, beforeOpen);
    } catch (error) {
      return { written: 0, error };
    }
    let written = 0;
    let i = 0;
    while (i < lines.length) {
      let chunk = '\n' + (lines[i] as string);
      let end = i + 1;
      while (end < lines.length && chunk.length + (lines[end] as string).length + 1 <= MAX_WRITE_CHARS) chunk += '\n' + (lines[end++] as string);
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
        continue;
      }
      written += this.#settleShortWrite(path, log, bytes, took);
      this.#open.delete(path);
      return { written, error: shortWrite(path, took, bytes.length) };
    }
    return { written };
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
  }

  /** Closes every descriptor. */
  closeAll(): void {
    this.#open.clear();
  }

  #handle(path: string, beforeOpen: () => void): OpenLog {
    const cached = this.#open.get(path);
    if (cached !== undefined) {
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (st !== undefined && st.ino === cached.ino && st.dev === cached.dev && st.nlink === 1) return cached;
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
      const log = { fd, dev: opened.dev, ino: opened.ino };
      this.#open.set(path, log);
      return log;
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
  }

  /**
   * The kernel took `took` of `bytes` (`\n{a}\n{b}…`). Returns how many of the chunk's records
   * are complete in the file (every byte of their JSON) and blanks the torn remainder when it is
   * still the end of the file.
   */
  #settleShortWrite(path: string, log: OpenLog, bytes: Buffer, took: number): number {
    let complete = 0;
    let start = 1; // after the newline that opens the record
    for (;;) {
      const nl = bytes.indexOf(NEWLINE, start);
      const end = nl < 0 ? bytes.length : nl;
      if (end > took) break;
      complete++;
      start = end + 1;
      if (nl < 0) break;
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
