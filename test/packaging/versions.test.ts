import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Copies of a package compare their VERSION constant to decide whether they share process-wide
// defaults; scripts/sync-version.mjs keeps it equal to package.json after a version bump.
const packages = join(__dirname, '..', '..', 'packages');

test('every src/version.ts (core: src/internal/version.ts) holds its package.json version', () => {
  const checked: string[] = [];
  for (const dir of readdirSync(packages)) {
    const file = [join(packages, dir, 'src', 'version.ts'), join(packages, dir, 'src', 'internal', 'version.ts')].find((f) =>
      existsSync(f),
    );
    if (file === undefined) continue;
    const { version } = JSON.parse(readFileSync(join(packages, dir, 'package.json'), 'utf8')) as { version: string };
    expect({ dir, constant: /export const VERSION = '([^']*)';/.exec(readFileSync(file, 'utf8'))?.[1] }).toEqual({
      dir,
      constant: version,
    });
    checked.push(dir);
  }
  expect(checked).toEqual(expect.arrayContaining(['analytics', 'core', 'integration', 'storage']));
});
