// Written by scripts/sync-version.mjs from package.json (`pnpm run version-packages` runs it);
// a test checks that the two agree.
/** This copy of `@perftrack/core`'s version, as in its package.json. */
export const VERSION = '0.1.0';
