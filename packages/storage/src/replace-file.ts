import { closeSync, constants, openSync, renameSync, unlinkSync } from 'node:fs';
import { closeQuietly, writeFully } from './fd-io';
import { StorageRefusedError } from './refusal';

const FILE_MODE = 0o600;

/**
 * Writes `text` to a fresh file `tmp` (`O_EXCL | O_NOFOLLOW`: never an existing file, never
 * through a link) and renames it over `path` (a planted link at `path` is replaced, not
 * followed). On any failure the temporary file is removed.
 */
export function replaceFileSync(path: string, tmp: string, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE);
  try {
    writeFully(fd, bytes, tmp);
    closeSync(fd);
  } catch (e) {
    closeQuietly(fd);
    unlinkQuietly(tmp);
    throw e;
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkQuietly(tmp);
    throw (e as NodeJS.ErrnoException).code === 'EISDIR' ? new StorageRefusedError(path, 'it is a directory') : e;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
