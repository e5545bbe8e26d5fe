#!/usr/bin/env node
// The public surface of every package, as API Extractor reports (api/<package>.api.md), built from
// each package's built entry declarations (dist/index.d.ts) so that a change to what users can
// import shows in review.
//
//   node scripts/api-report.mjs           check: fail (exit 1) when a report differs from the build
//   node scripts/api-report.mjs --update  rewrite the reports from the build (`pnpm api:update`)
//
// Both need a fresh build (`pnpm run build`). Subpaths named `internal` are documented-unstable
// and left out of the reports.
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const reportFolder = join(root, 'api');
const update = process.argv.includes('--update');

/** Every published package and entry point: `{ dir, name, subpath, types, reportName }`. */
export function entryPoints() {
  const entries = [];
  for (const dirName of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', dirName);
    const manifestPath = join(dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.private) continue;
    const unscoped = manifest.name.replace(/^@[^/]+\//, '');
    for (const [subpath, target] of Object.entries(manifest.exports ?? { '.': { require: { types: manifest.types } } })) {
      const types = target?.require?.types ?? target?.types;
      if (typeof types !== 'string') continue; // ./package.json and the like
      const suffix = subpath === '.' ? '' : subpath.replace(/^\.\//, '').replaceAll('/', '-');
      if (suffix.split('-').includes('internal')) continue;
      entries.push({ dir, name: manifest.name, subpath, types: join(dir, types), reportName: suffix ? `${unscoped}-${suffix}` : unscoped });
    }
  }
  return entries;
}

function report(entry, tempFolder) {
  if (!existsSync(entry.types)) throw new Error(`${entry.types} is missing: run \`pnpm run build\` first`);
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: entry.dir,
      mainEntryPointFilePath: entry.types,
      compiler: { overrideTsconfig: { compilerOptions: { lib: ['ES2022'], types: ['node'], skipLibCheck: true }, include: [entry.types] } },
      apiReport: { enabled: true, reportFolder, reportTempFolder: tempFolder, reportFileName: `${entry.reportName}.api.md` },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        // The report is about the surface; TSDoc style and release tags are not checked here.
        extractorMessageReporting: {
          default: { logLevel: 'none' },
          'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
          'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: join(entry.dir, 'api-extractor.json'),
    packageJsonFullPath: join(entry.dir, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false, messageCallback: (m) => quiet(m) });
  return result;
}

/** Keep the output to what a reader acts on: errors, and compiler warnings. */
function quiet(message) {
  if (message.logLevel === 'info' || message.logLevel === 'verbose') message.handled = true;
  // "report missing / changed, copy it from <temp>": this script says that itself, with the diff
  if (String(message.messageId).startsWith('console-api-report')) message.handled = true;
}

/** The difference between the committed report and the build's, for the CI log. */
function showDiff(file, tempFolder) {
  const { stdout } = spawnSync('diff', ['-u', join(reportFolder, file), join(tempFolder, file)], { encoding: 'utf8' });
  const lines = (stdout ?? '').split('\n');
  console.error(lines.slice(0, 200).join('\n') + (lines.length > 200 ? `\n… (${lines.length - 200} more lines)` : ''));
}

function main() {
  mkdirSync(reportFolder, { recursive: true });
  const tempFolder = mkdtempSync(join(tmpdir(), 'perftrack-api-'));
  const changed = [];
  try {
    const entries = entryPoints();
    const expected = new Set(entries.map((e) => `${e.reportName}.api.md`));
    for (const entry of entries) {
      const result = report(entry, tempFolder);
      if (!result.succeeded && !result.apiReportChanged) throw new Error(`API Extractor failed on ${entry.name} (${entry.subpath})`);
      if (result.apiReportChanged) {
        changed.push(`${entry.reportName}.api.md`);
        if (!update && existsSync(join(reportFolder, `${entry.reportName}.api.md`))) showDiff(`${entry.reportName}.api.md`, tempFolder);
      }
    }
    const stale = readdirSync(reportFolder).filter((f) => f.endsWith('.api.md') && !expected.has(f));
    for (const f of stale) {
      if (update) rmSync(join(reportFolder, f));
      changed.push(`${f} (no such package entry)`);
    }
  } finally {
    rmSync(tempFolder, { recursive: true, force: true });
  }
  if (changed.length === 0) {
    console.log(`api: ${update ? 'reports up to date' : 'every report matches the build'}`);
    return 0;
  }
  if (update) {
    console.log(`api: updated ${changed.join(', ')}; review and commit api/`);
    return 0;
  }
  console.error(
    `api: the public surface changed: ${changed.join(', ')}.\n` +
      'If the change is meant, run `pnpm api:update` and commit api/ with it (the diff is the review of the change).',
  );
  return 1;
}

process.exitCode = main();
