// Keeps @perftrack/core's VERSION constant (src/version.ts) equal to its package.json version,
// after `changeset version` bumped it. The constant is what copies of core compare to decide
// whether they share one default collector, so it must never lag behind.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const core = join(root, 'packages', 'core');
const { version } = JSON.parse(readFileSync(join(core, 'package.json'), 'utf8'));
const file = join(core, 'src', 'version.ts');
const text = readFileSync(file, 'utf8');
const next = text.replace(/export const VERSION = '[^']*';/, `export const VERSION = '${version}';`);
if (!next.includes(`'${version}'`)) throw new Error(`${file}: no VERSION constant to update`);
if (next !== text) writeFileSync(file, next);
