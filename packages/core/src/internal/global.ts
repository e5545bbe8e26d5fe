import { VERSION } from './version';

/**
 * What the copies of `@perftrack/core` of one compatible version line share: the default
 * collector. Copies of the package exist whenever a package manager cannot dedupe (a partial
 * upgrade nests a second copy under each dependant, an application mixes `import` and
 * `require`): without a shared slot each copy would record into its own default, and the
 * integration would see none of the calls the user's decorators made.
 */
export interface CoreGlobal {
  /** The version of the copy that created this slot. */
  readonly version: string;
  /** Where that copy was loaded from: its package directory. */
  readonly path: string;
  /** The default collector of the line, created on first use by whichever copy asks first. */
  collector?: unknown;
  /** The other packages' process-wide defaults, by `<package>:<name>@<version line>` (see `sharedDefault`). */
  defaults?: { [key: string]: unknown };
}

/**
 * The object on `globalThis` under {@link CORE_GLOBAL_KEY}. Its layout is shared by every
 * version of the package, so it only ever grows; the `/1` in the key names this layout.
 */
interface CoreRegistry {
  /** One slot per version line (`0.1`, `0.2`, `1`, `2`…; a pre-release is its own line). */
  readonly lines: { [line: string]: CoreGlobal | undefined };
  /** Pairs of lines already warned about, so that a pair is said once per process. */
  readonly warned: string[];
}

/** The key on `globalThis`. `Symbol.for` gives every copy the same symbol. */
export const CORE_GLOBAL_KEY = Symbol.for('perftrack.core.global/1');

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

/** The line of `version` whose copies may share a slot: `0.<minor>` for 0.x, else the major. */
export function versionLine(version: string): string {
  const v = VERSION_PATTERN.exec(version);
  if (v === null || v[4] !== undefined) return version;
  return v[1] === '0' ? `0.${v[2]}` : v[1]!;
}

/** The directory of this copy of the package (what `npm ls` would show), from this file's path. */
function loadedFrom(): string {
  // CommonJS has __filename; the ESM build defines it from import.meta.url; bundlers may not.
  if (typeof __filename !== 'string') return '(unknown path)';
  const file = __filename.replace(/\\/g, '/');
  const build = Math.max(file.lastIndexOf('/dist/'), file.lastIndexOf('/src/'));
  return build > 0 ? __filename.slice(0, build) : __filename;
}

function registry(): CoreRegistry {
  const root = globalThis as { [CORE_GLOBAL_KEY]?: CoreRegistry };
  const existing = root[CORE_GLOBAL_KEY];
  if (typeof existing === 'object' && existing !== null && typeof existing.lines === 'object' && Array.isArray(existing.warned))
    return existing;
  const created: CoreRegistry = { lines: Object.create(null) as CoreRegistry['lines'], warned: [] };
  Object.defineProperty(root, CORE_GLOBAL_KEY, { value: created, writable: true, enumerable: false, configurable: true });
  return created;
}

function warnIncompatible(registered: CoreRegistry, a: CoreGlobal, b: CoreGlobal): void {
  const pair = [versionLine(a.version), versionLine(b.version)].sort().join(' | ');
  if (registered.warned.includes(pair)) return;
  registered.warned.push(pair);
  process.emitWarning(
    `two incompatible copies of @perftrack/core are loaded: ${a.version} from ${a.path} and ${b.version} from ${b.path}. ` +
      `Calls tracked through one do not reach the other's default collector (nor the integration and exporters attached to it). ` +
      'Install one version (npm ls @perftrack/core shows which package brings each).',
    { type: 'PerftrackWarning', code: 'PERFTRACK_INCOMPATIBLE_CORE' },
  );
}

/**
 * The slot this copy uses: its version line's, shared with every copy of a compatible version
 * (this copy creates it when it is the first), else a private one. When copies of another line
 * are loaded too, warns once per pair of lines, naming both versions and paths: each line
 * still records, into its own default.
 */
export function coreGlobal(version: string = VERSION, path: string = loadedFrom()): CoreGlobal {
  const registered = registry();
  const line = versionLine(version);
  const own: CoreGlobal = { version, path };
  const found = registered.lines[line];
  let slot = own;
  if (found === undefined) registered.lines[line] = own;
  else if (isCompatibleVersion(version, String(found.version))) slot = found;
  else warnIncompatible(registered, found, own); // the same line, a slot older than this copy
  for (const other of Object.keys(registered.lines)) {
    const otherSlot = registered.lines[other];
    if (other !== line && otherSlot !== undefined) warnIncompatible(registered, otherSlot, own);
  }
  return slot;
}
