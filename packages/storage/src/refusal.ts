/**
 * Thrown when a path inside the store is not what perftrack itself would have made there: a
 * symbolic link, a file with more than one hard link, or something other than a regular file
 * or directory. perftrack never follows, writes through or chmods such a path, so nothing
 * outside the store is ever touched; the path is named so the user can inspect it.
 */
export class StorageRefusedError extends Error {
  /** Always `EPERFTRACK_REFUSED`, so callers can tell a refusal from an I/O error. */
  readonly code = 'EPERFTRACK_REFUSED';

  constructor(
    /** The refused path. */
    readonly path: string,
    /** Why, e.g. "it is a symbolic link". */
    readonly reason: string,
  ) {
    super(`perftrack storage refuses ${path}: ${reason}`);
    this.name = 'StorageRefusedError';
  }
}

const LINK = 'it is a symbolic link (perftrack never follows links inside its store)';

/** The refusal for an `lstat`/`fstat` result that is not a lone regular file, or undefined when it is one. */
export function fileRefusal(
  path: string,
  st: { isFile(): boolean; isSymbolicLink(): boolean; nlink: number },
): StorageRefusedError | undefined {
  if (st.isSymbolicLink()) return new StorageRefusedError(path, LINK);
  if (!st.isFile()) return new StorageRefusedError(path, 'it is not a regular file');
  if (st.nlink > 1)
    return new StorageRefusedError(path, `it has ${st.nlink} hard links (perftrack never writes or reads a file another name can reach)`);
  return undefined;
}

/** An `open` error caused by `O_NOFOLLOW` meeting a symbolic link, as a refusal; other errors unchanged. */
export function asRefusal(path: string, error: unknown): unknown {
  return (error as NodeJS.ErrnoException)?.code === 'ELOOP' ? new StorageRefusedError(path, LINK) : error;
}

/** Error codes retrying cannot fix: records that meet them are counted as lost instead of kept. */
const PERMANENT_CODES = new Set(['EACCES', 'EPERM', 'ENAMETOOLONG', 'EISDIR', 'ENOTDIR', 'ELOOP', 'EINVAL', 'EPERFTRACK_REFUSED']);

/** Whether a write error is one retrying cannot fix (a refused path, a name too long, no permission). */
export function isPermanentError(error: unknown): boolean {
  if (error instanceof StorageRefusedError || error instanceof TypeError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && PERMANENT_CODES.has(code);
}
