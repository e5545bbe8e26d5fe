// pnpm bench — every speed claim of perftrack comes from here, never from a timed test.
// Usage: node --expose-gc bench/run.mjs [suite ...]   (suites: core, storage, prediction, analytics, integration, exporters, opencode, history, postgres; default: all;
// core-instructions only when named)
// Each suite prints a table and writes bench/results/<suite>.json.
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { spawnSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');
const suites = {
  core: () => import('./core.bench.mjs'),
  storage: () => import('./storage.bench.mjs'),
  prediction: () => import('./prediction.bench.mjs'),
  analytics: () => import('./analytics.bench.mjs'),
  integration: () => import('./integration.bench.mjs'),
  exporters: () => import('./exporters.bench.mjs'),
  opencode: () => import('./opencode.bench.mjs'),
  history: () => import('./history.bench.mjs'),
  postgres: () => import('./postgres.bench.mjs'),
  'core-instructions': () => import('./core-instructions.bench.mjs'),
};
/** Suites that need something set up first, run only when named. */
const ON_REQUEST = new Set(['core-instructions']);

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(suites).filter((name) => !ON_REQUEST.has(name));
for (const name of names) {
  if (!(name in suites)) {
    console.error(`unknown suite "${name}" (have: ${Object.keys(suites).join(', ')})`);
    process.exit(2);
  }
}

// Several suites: one child process each, so no suite inherits another's JIT state or global
// OpenTelemetry setup.
if (names.length > 1) {
  for (const name of names) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name], { stdio: 'inherit' });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
  process.exit(0);
}

mkdirSync(resultsDir, { recursive: true });
for (const name of names) {
  const mod = await suites[name]();
  console.log(`\n=== ${name} ===`);
  const result = await mod.run();
  const doc = {
    suite: name,
    date: new Date().toISOString(),
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      platform: process.platform,
      loadAverage1m: os.loadavg()[0],
    },
    ...result,
  };
  const file = join(resultsDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  console.log(`wrote ${file}`);
  if (typeof mod.readmeTable === 'function') updateReadme(name, mod.readmeTable(doc));
}

/** Replaces the block between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in README.md. */
function updateReadme(name, table) {
  const readme = join(here, '..', 'README.md');
  const text = readFileSync(readme, 'utf8');
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const start = text.indexOf(open);
  if (start < 0) return;
  const end = text.indexOf(close, start);
  const after = end < 0 ? text.slice(start + open.length) : text.slice(end + close.length);
  writeFileSync(readme, `${text.slice(0, start)}${open}\n${table.trim()}\n${close}${after}`);
  console.log(`updated README.md table ${name}`);
}
