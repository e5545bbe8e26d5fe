import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '@perftrack/core/internal';

test('VERSION is the version in package.json (scripts/sync-version.mjs keeps them equal)', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  expect(VERSION).toBe(manifest.version);
});
