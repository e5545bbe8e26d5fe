// Core's call path in machine instructions, this build against another (PERFTRACK_BASELINE_CORE):
// a count that a shared, noisy machine does not change, for claims of "unchanged" that the
// interleaved timings of `pnpm bench core` (±10-20% here) cannot settle.
//
//   PERFTRACK_BASELINE_CORE=/path/to/other/packages/core/dist/index.js node bench/run.mjs core-instructions
//
// Each case runs in its own process under valgrind's callgrind, once with 1 M calls and once with
// 3 M; (instructions(3 M) - instructions(1 M)) / 2 M is the steady-state cost of one call, JIT
// warm-up and start-up cancelled out. Node runs with --single-threaded (no concurrent JIT or GC
// threads, whose timing would make counts vary between runs), so the GC's work is counted in line.
// Needs valgrind (`apt-get install -y valgrind`); about a minute per case and build.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, 'core-instructions-child.cjs');
const thisBuild = join(here, '..', 'packages', 'core', 'dist', 'index.js');
const CASES = ['tracked-sync', 'tool-execute-ctx', 'tracked-async', 'sampled-out', 'tracked-io'];
const LOW = 1_000_000;
const HIGH = 3_000_000;

function instructions(build, name, calls) {
  const run = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--single-threaded', child, build, name, String(calls)],
    {
      encoding: 'utf8',
    },
  );
  const m = /Collected : (\d+)/.exec(run.stderr ?? '');
  if (run.status !== 0 || !m)
    throw new Error(`valgrind failed for ${name} (${build}): ${(run.stderr ?? run.error ?? '').toString().slice(-400)}`);
  return Number(m[1]);
}

const perCall = (build, name) => (instructions(build, name, HIGH) - instructions(build, name, LOW)) / (HIGH - LOW);

export async function run() {
  const baseline = process.env.PERFTRACK_BASELINE_CORE;
  if (!baseline) throw new Error('set PERFTRACK_BASELINE_CORE to the other build of core (packages/core/dist/index.js)');
  if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is not installed (apt-get install -y valgrind)');
  const cases = {};
  for (const name of CASES) {
    const thisBuildIr = perCall(thisBuild, name);
    const baselineIr = perCall(baseline, name);
    cases[name] = { thisBuild: Math.round(thisBuildIr), baseline: Math.round(baselineIr), ratio: thisBuildIr / baselineIr };
    console.log(
      `  ${name.padEnd(18)} ${cases[name].thisBuild.toString().padStart(6)} vs ${cases[name].baseline.toString().padStart(6)} instructions a call  ${cases[name].ratio.toFixed(3)}x`,
    );
  }
  return { method: `callgrind Ir, (Ir(${HIGH}) - Ir(${LOW})) / ${HIGH - LOW} calls, one process per case and build`, baseline, cases };
}
