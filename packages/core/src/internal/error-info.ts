const MAX_ERROR_LENGTH = 1000;

/** The error's message, capped; never throws. */
export function errorMessage(error: unknown): string {
  try {
    let m: string;
    if (error instanceof Error) m = String(error.message);
    else if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
      m = (error as { message: string }).message;
    } else m = String(error);
    return m.length > MAX_ERROR_LENGTH ? m.slice(0, MAX_ERROR_LENGTH) : m;
  } catch {
    return '<unreadable error>';
  }
}

/** `error.code` when a string (e.g. `ENOENT`), else the error's name; never throws. */
export function errorType(error: unknown): string {
  try {
    if (typeof error === 'object' && error !== null) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.length > 0 && code.length <= 64) return code;
      const name = (error as { name?: unknown }).name;
      if (typeof name === 'string' && name.length > 0) return name.slice(0, 64);
      const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
      if (typeof ctor === 'string' && ctor.length > 0) return ctor.slice(0, 64);
      return 'object';
    }
    return typeof error;
  } catch {
    return 'unknown';
  }
}
