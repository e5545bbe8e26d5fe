import { closeSync, writeSync } from 'node:fs';

/** Closes a descriptor, ignoring one already closed. */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** A short write: the kernel took part of a buffer (the disk or a quota filled up). */
export function shortWriteError(path: string, took: number, of: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: short write to ${path} (${took} of ${of} bytes)`), { code: 'ENOSPC' });
}

/**
 * Writes all of `bytes` to `fd` (a file only this process writes: a fresh temporary file, a
 * journal), continuing after partial writes; a write that takes nothing is a full disk
 * (ENOSPC, naming `path`).
 */
export function writeFully(fd: number, bytes: Buffer, path: string): void {
  for (let at = 0; at < bytes.length; ) {
    const took = writeSync(fd, bytes, at, bytes.length - at);
    if (took <= 0) throw shortWriteError(path, at, bytes.length);
    at += took;
  }
}
