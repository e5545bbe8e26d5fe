// Keeps each package's VERSION constant (src/version.ts; core's src/internal/version.ts) equal to its package.json version,
// after `changeset version` bumped it. The constant is what copies of a package compare to
// decide whether they share their process-wide defaults (core: the default collector), so it
// must never lag behind.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
for (const dir of readdirSync(join(root, 'packages'))) {
  const file = [join(root, 'packages', dir, 'src', 'version.ts'), join(root, 'packages', dir, 'src', 'internal', 'version.ts')].find((f) =>
    existsSync(f),
  );
  if (file === undefined) continue;
  const { version } = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  const text = readFileSync(file, 'utf8');
  const next = text.replace(/export const VERSION = '[^']*';/, `export const VERSION = '${version}';`);
  if (!next.includes(`'${version}'`)) throw new Error(`${file}: no VERSION constant to update`);
  if (next !== text) writeFileSync(file, next);
}
