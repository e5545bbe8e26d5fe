import { VERSION } from '../version';

/**
 * What every copy of `@perftrack/core` in a process shares: the default collector. Copies of
 * the package exist whenever a package manager cannot dedupe (a partial upgrade nests a second
 * copy under a dependant, an application mixes `import` and `require`): without one shared
 * slot each copy would record into its own default, and the integration would see none of the
 * calls the user's decorators made.
 */
export interface CoreGlobal {
  /** The version of the copy that created this slot. */
  readonly version: string;
  /** Where that copy was loaded from. */
  readonly path: string;
  /** The process-wide default collector, created on first use by whichever copy asks first. */
  collector?: unknown;
}

/** The key on `globalThis`. `Symbol.for` gives every copy the same symbol. */
export const CORE_GLOBAL_KEY = Symbol.for('perftrack.core.global');

const VERSION_PATTERN = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * Whether this copy (`own`) can use a slot made by `other`, after OpenTelemetry's API
 * (`internal/semver.ts`): equal versions always; a pre-release only its exact self; otherwise
 * the same major, and then for 0.x the same minor (a 0.x minor may change the API), for 1.x and
 * later a slot at least as new (an older copy may use a newer default, not the reverse).
 */
export function isCompatibleVersion(own: string, other: string): boolean {
  if (own === other) return true;
  const a = VERSION_PATTERN.exec(own);
  const b = VERSION_PATTERN.exec(other);
  if (a === null || b === null || a[4] !== undefined || b[4] !== undefined) return false;
  if (a[1] !== b[1]) return false;
  if (a[1] === '0') return a[2] === b[2];
  return Number(b[2]) >= Number(a[2]);
}

function loadedFrom(): string {
  // CommonJS has __filename; the ESM build defines it from import.meta.url; bundlers may not.
  return typeof __filename === 'string' ? __filename : '(unknown path)';
}

/**
 * The slot this copy uses: the process's shared one when it was made by a compatible copy (or
 * by nobody yet: then this copy makes it), else a private one, after one warning that names
 * both versions and paths. An incompatible copy still records, into its own default.
 */
export function coreGlobal(): CoreGlobal {
  const root = globalThis as { [CORE_GLOBAL_KEY]?: CoreGlobal };
  const path = loadedFrom();
  const existing = root[CORE_GLOBAL_KEY];
  if (existing === undefined || typeof existing !== 'object' || existing === null) {
    const created: CoreGlobal = { version: VERSION, path };
    Object.defineProperty(root, CORE_GLOBAL_KEY, { value: created, writable: true, enumerable: false, configurable: true });
    return created;
  }
  if (isCompatibleVersion(VERSION, String(existing.version))) return existing;
  process.emitWarning(
    `two incompatible copies of @perftrack/core are loaded: ${String(existing.version)} from ${String(existing.path)} and ${VERSION} from ${path}. ` +
      `Calls tracked through ${VERSION} go to its own default collector, which the other copy's integration and exporters do not see. ` +
      'Install one version (npm ls @perftrack/core shows which package brings each).',
    { type: 'PerftrackWarning', code: 'PERFTRACK_INCOMPATIBLE_CORE' },
  );
  return { version: VERSION, path };
}
