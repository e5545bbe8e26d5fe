import { SESSION_ID_MAX_LENGTH, sessionIdProblem } from '@perftrack/core/internal';

/** Thrown for a session id that cannot be stored (see core's `sessionIdProblem`: empty, over 200 characters, a NUL, not a string). */
export class InvalidSessionIdError extends TypeError {
  constructor(
    readonly sessionId: unknown,
    reason: string,
  ) {
    super(`invalid session id ${JSON.stringify(typeof sessionId === 'string' ? sessionId.slice(0, 60) : String(sessionId))}: ${reason}`);
    this.name = 'InvalidSessionIdError';
  }
}

/** Longest session id accepted. */
export const MAX_SESSION_ID_LENGTH: number = SESSION_ID_MAX_LENGTH;

const SAFE = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Throws {@link InvalidSessionIdError} unless `sessionId` can be stored (the rule is core's `sessionIdProblem`, applied where records are built). */
export function validateSessionId(sessionId: unknown): asserts sessionId is string {
  const problem = sessionIdProblem(sessionId);
  if (problem !== undefined) throw new InvalidSessionIdError(sessionId, problem);
}

/**
 * The file name (without extension) for a session id. Ids of letters, digits, `_`, `-` and
 * non-leading `.` are used as they are; any other id (`../../etc`, `a/b`, `C:\x`, `.hidden`,
 * unicode) becomes `~` + its base64url form, which cannot contain a path separator or `..`.
 */
export function encodeSessionId(sessionId: string): string {
  validateSessionId(sessionId);
  return fileNameOf(sessionId);
}

function fileNameOf(sessionId: string): string {
  return SAFE.test(sessionId) ? sessionId : `~${Buffer.from(sessionId, 'utf8').toString('base64url')}`;
}

/** Inverse of {@link encodeSessionId}; undefined for a name no session id encodes to. */
export function decodeSessionId(name: string): string | undefined {
  if (name.startsWith('~')) {
    const body = name.slice(1);
    if (!/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
    const id = Buffer.from(body, 'base64url').toString('utf8');
    return sessionIdProblem(id) === undefined && fileNameOf(id) === name ? id : undefined;
  }
  return SAFE.test(name) && name.length <= MAX_SESSION_ID_LENGTH ? name : undefined;
}
