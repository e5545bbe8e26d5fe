// Written by scripts/sync-version.mjs from package.json (`pnpm run version-packages` runs it);
// a test checks that the two agree.
/** This copy of `@perftrack/analytics`'s version: copies of one version line share their defaults. */
export const VERSION = '0.1.0';
