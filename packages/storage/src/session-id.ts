/** Thrown for a session id that cannot be stored (empty, NUL byte, over 200 characters, not a string). */
export class InvalidSessionIdError extends TypeError {
  constructor(readonly sessionId: unknown, reason: string) {
    super(`invalid session id ${JSON.stringify(typeof sessionId === 'string' ? sessionId.slice(0, 60) : String(sessionId))}: ${reason}`);
    this.name = 'InvalidSessionIdError';
  }
}

/** Longest session id accepted. */
export const MAX_SESSION_ID_LENGTH = 200;

const SAFE = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Throws {@link InvalidSessionIdError} unless `sessionId` can be stored. */
export function validateSessionId(sessionId: unknown): asserts sessionId is string {
  if (typeof sessionId !== 'string') throw new InvalidSessionIdError(sessionId, 'must be a string');
  if (sessionId.length === 0) throw new InvalidSessionIdError(sessionId, 'must not be empty');
  if (sessionId.length > MAX_SESSION_ID_LENGTH) throw new InvalidSessionIdError(sessionId, `longer than ${MAX_SESSION_ID_LENGTH} characters`);
  if (sessionId.includes('\0')) throw new InvalidSessionIdError(sessionId, 'contains a NUL byte');
}

/**
 * The file name (without extension) for a session id. Ids of letters, digits, `_`, `-` and
 * non-leading `.` are used as they are; any other id (`../../etc`, `a/b`, `C:\x`, `.hidden`,
 * unicode) becomes `~` + its base64url form, which cannot contain a path separator or `..`.
 */
export function encodeSessionId(sessionId: string): string {
  validateSessionId(sessionId);
  return SAFE.test(sessionId) ? sessionId : `~${Buffer.from(sessionId, 'utf8').toString('base64url')}`;
}

/** Inverse of {@link encodeSessionId}; undefined for a name no session id encodes to. */
export function decodeSessionId(name: string): string | undefined {
  if (name.startsWith('~')) {
    const body = name.slice(1);
    if (!/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
    const id = Buffer.from(body, 'base64url').toString('utf8');
    try {
      return encodeSessionId(id) === name ? id : undefined;
    } catch {
      return undefined;
    }
  }
  return SAFE.test(name) && name.length <= MAX_SESSION_ID_LENGTH ? name : undefined;
}
