import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { satisfies } from 'semver';
import { repoRoot } from './pack';

// README promises Node >= 20.19, and `pnpm install` warns for any package whose `engines` say
// otherwise (ini 7, through @opencode-ai/plugin's effect, wanted Node 22). Every package in the
// lockfile, dev dependencies included, must accept the oldest supported Node.

const OLDEST_NODE = '20.19.0';

/** `engines.node` of every package in pnpm-lock.yaml, by `name@version`. */
function lockedEngines(): Map<string, string> {
  const lines = readFileSync(join(repoRoot, 'pnpm-lock.yaml'), 'utf8').split('\n');
  const engines = new Map<string, string>();
  let section = '';
  let current = '';
  for (const line of lines) {
    if (/^\S/.test(line)) section = line.replace(/:.*$/, '');
    else if (section === 'packages' && /^ {2}\S.*:$/.test(line)) current = line.trim().slice(0, -1).replace(/^'|'$/g, '');
    else if (section === 'packages') {
      const match = /^ {4}engines: \{.*?node: '?([^',}]+)'?/.exec(line);
      if (match) engines.set(current, match[1]!.trim());
    }
  }
  return engines;
}

test(`every locked package supports Node ${OLDEST_NODE} (no engine warning on install)`, () => {
  const engines = lockedEngines();
  expect(engines.size).toBeGreaterThan(100);
  const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
  expect(root.engines.node).toBe(`>=${OLDEST_NODE.replace(/\.0$/, '')}`);
  const unsupported = [...engines]
    .filter(([, range]) => !satisfies(OLDEST_NODE, range))
    .map(([pkg, range]) => `${pkg} wants node ${range}`);
  expect(unsupported).toEqual([]);
});
