// An A/B of two builds of @perftrack/analytics in one process.
//   node --expose-gc bench/analytics-ab.mjs <dist of A> [<dist of B>]   (B: the workspace's build)
// 1. Same answers: both trackers learn the real traces (defaults, a small maxPatterns that prunes
//    often, outcome-free, N = 3 and 8, seeded sample weights); then every prefix of every session
//    is predicted (names only and with outcomes), with patterns, error-prone patterns, stats and
//    session predictions: toolId/support/order equal, probabilities within 1e-12.
// 2. Ingestion cost: rounds alternate between A and B (order flipped each round), each a child
//    process that feeds fresh engines (AB_SINK=engine, default), trackers or figures-only engines
//    AB_RECORDS records of bench/analytics.bench.mjs three times; median ns a record of process
//    CPU, and B/A.
// Env: AB_RECORDS (300000), AB_ROUNDS (7), AB_SINK (engine|tracker|figures|all), AB_CHECK (1), AB_TIME (1),
// AB_SHARED_SESSION_IDS (0; 1: a session's records share one session id string, as a live agent's do).
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { createSeededRandom } from '@perftrack/core';
import { records } from './analytics.bench.mjs';
import { loadTraceSessions } from './traces.mjs';

const childMode = process.argv[2] === '--child';
const [a, b] = childMode ? [] : process.argv.slice(2);
if (!childMode && !a) throw new Error('usage: node --expose-gc bench/analytics-ab.mjs <dist of A> [<dist of B>]');
const load = (dist) => (dist ? import(pathToFileURL(resolve(dist, 'index.mjs')).href) : import('@perftrack/analytics'));
const sides = childMode
  ? []
  : [
      { name: `A ${a}`, lib: await load(a) },
      { name: `B ${b ?? '@perftrack/analytics'}`, lib: await load(b) },
    ];

function compare(what, x, y, mismatches) {
  const walk = (p, u, v) => {
    if (typeof u === 'number' && typeof v === 'number') {
      if (!(u === v || Math.abs(u - v) <= 1e-12 || (Number.isNaN(u) && Number.isNaN(v)))) mismatches.push(`${what}${p}: ${u} vs ${v}`);
      return;
    }
    if (u === null || v === null || typeof u !== 'object' || typeof v !== 'object') {
      if (u !== v) mismatches.push(`${what}${p}: ${JSON.stringify(u)} vs ${JSON.stringify(v)}`);
      return;
    }
    const keys = new Set([...Object.keys(u), ...Object.keys(v)]);
    for (const k of keys) walk(`${p}.${k}`, u[k], v[k]);
  };
  walk('', x, y);
}

function check() {
  const sessions = loadTraceSessions();
  const rand = createSeededRandom(7);
  const weighted = sessions.map((s) => ({
    ...s,
    records: s.records.map((r) => ({ ...r, sampleWeight: rand() < 0.2 ? 1 + Math.floor(rand() * 4) : 1 })),
  }));
  const configs = [
    ['defaults', {}, sessions],
    ['maxPatterns 2000', { maxPatterns: 2000 }, sessions],
    ['maxPatterns 300, weighted', { maxPatterns: 300 }, weighted],
    ['outcome-free, maxSessions 50', { maxSessions: 50, prediction: { outcomeAware: false } }, sessions],
    ['N = 3, no session tables', { maxSequenceLength: 3, maxSessionPatterns: 0 }, weighted],
    ['N = 8, maxPatterns 5000', { maxSequenceLength: 8, maxPatterns: 5000 }, sessions],
    ['maxSessionPatterns 16, weighted', { maxSessionPatterns: 16 }, weighted],
  ];
  let queries = 0;
  const mismatches = [];
  for (const [label, options, data] of configs) {
    const trackers = sides.map((s) => new s.lib.UsagePatternTracker(options));
    // queries interleaved with learning, so answers are compared while the tables prune
    for (let i = 0; i < data.length; i++) {
      for (const r of data[i].records) for (const t of trackers) t.onMetric(r);
      if (i % 50 === 49) {
        const names = data[i].records.slice(0, 6).map((r) => r.toolId);
        const [x, y] = trackers.map((t) => t.predictNextTools(names, 5));
        compare(`${label} mid-learning predict ${names}`, x, y, mismatches);
        queries++;
      }
    }
    for (const s of data) {
      const steps = s.records.map((r) => ({ toolId: r.toolId, success: r.success }));
      const names = steps.map((step) => step.toolId);
      for (let i = 0; i <= Math.min(steps.length, 40); i++) {
        for (const [kind, seq] of [
          ['names', names.slice(0, i)],
          ['outcomes', steps.slice(0, i)],
        ]) {
          const [x, y] = trackers.map((t) => t.predictNextTools(seq, 5));
          compare(`${label} ${kind} ${s.id}@${i}`, x, y, mismatches);
          queries++;
        }
      }
    }
    const reads = [
      ['patterns', (t) => t.getMostCommonPatterns(200)],
      ['patterns 3..4 maximal', (t) => t.getMostCommonPatterns(100, { minLength: 3, maxLength: 4, maximalOnly: true })],
      ['patterns of a session', (t) => t.getMostCommonPatterns(50, { sessionId: data.at(-1).id })],
      ['error-prone', (t) => t.getErrorPronePatterns({ limit: 100 })],
      ['error-prone lift', (t) => t.getErrorPronePatterns({ kind: 'lift', limit: 100, minOccurrences: 2 })],
      [
        'error-prone all',
        (t) => t.getErrorPronePatterns({ limit: 1000, minOccurrences: 1, minFailures: 1, minLowerBound: 0, maximalOnly: false }),
      ],
      ['base rates', (t) => t.toolBaseRates()],
      ['stats', (t) => t.stats()],
      ['features', (t) => t._predictionFeatures(['cat', 'grep', 'sed'])],
      ...data.slice(-30).map((s) => [`session ${s.id}`, (t) => t.predictNextForSession(s.id, 5)]),
      ...data.slice(-30).map((s) => [`patterns of ${s.id}`, (t) => t.getMostCommonPatterns(500, { sessionId: s.id, minLength: 2 })]),
    ];
    for (const [what, read] of reads) {
      const [x, y] = trackers.map(read);
      compare(`${label} ${what}`, x, y, mismatches);
      queries++;
    }
    const st = trackers[1].stats();
    console.log(
      `  ${label}: ${st.records} records, ${st.patterns} patterns (${st.evictedPatterns} evicted), ${st.evictedContexts} contexts evicted`,
    );
  }
  // the engine's figures (error tallies, per-session tools) on records with durations
  const engineInput = records(200_000);
  const engines = sides.map((side) => new side.lib.AnalyticsEngine());
  for (const r of engineInput) for (const e of engines) e.onMetric(r);
  const sessionIds = [...new Set(engineInput.slice(-3000).map((r) => r.sessionId))];
  const strip = (x) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'generatedAt' ? undefined : v)));
  for (const [what, read] of [
    ['engine analyze', (e) => e.analyze()],
    ['engine insights', (e) => e.getInsights()],
    ...sessionIds.map((id) => [`engine session ${id}`, (e) => e.analyze(id)]),
  ]) {
    const [x, y] = engines.map((e) => strip(read(e)));
    compare(what, x, y, mismatches);
    queries++;
  }
  console.log(`check: ${queries} queries compared, ${mismatches.length} mismatches`);
  for (const m of mismatches.slice(0, 20)) console.log(`  ${m}`);
  if (mismatches.length > 0) process.exitCode = 1;
}

/** One side's cost in this process: `runs` fresh sinks fed the records; the median ns a record. */
async function measureHere(lib, kind, input, runs) {
  const ns = [];
  for (let run = 0; run < runs; run++) {
    const { UsagePatternTracker, AnalyticsEngine } = lib;
    const sink = kind === 'tracker' ? new UsagePatternTracker() : new AnalyticsEngine(kind === 'figures' ? { patterns: false } : {});
    globalThis.gc?.();
    const t0 = process.cpuUsage();
    for (const r of input) sink.onMetric(r);
    if (kind === 'tracker') sink.settle();
    else await sink.flush();
    const u = process.cpuUsage(t0);
    ns.push(((u.user + u.system) * 1000) / input.length);
  }
  return median(ns);
}

function median(xs) {
  return [...xs].sort((p, q) => p - q)[xs.length >> 1];
}

function input() {
  let out = records(Number(process.env.AB_RECORDS ?? 300_000));
  if (process.env.AB_SHARED_SESSION_IDS === '1') {
    // one session id string per session, as a live agent passes it (records() makes one per record)
    const ids = new Map();
    out = out.map((r) => {
      let id = ids.get(r.sessionId);
      if (id === undefined) ids.set(r.sessionId, (id = r.sessionId));
      return { ...r, sessionId: id };
    });
  }
  return out;
}

// Each measurement runs in a child process of its own: two builds loaded into one process are not
// measured alike (the copy loaded second ran ~25% faster in an A/A test of two identical copies).
async function time() {
  const rounds = Number(process.env.AB_ROUNDS ?? 5);
  const sinkKind = process.env.AB_SINK ?? 'engine';
  const kinds = sinkKind === 'all' ? ['engine', 'tracker', 'figures'] : [sinkKind];
  const dists = [a, b ?? ''];
  for (const kind of kinds) {
    const ns = [[], []];
    for (let round = 0; round < rounds; round++) {
      for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
        const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', dists[i], kind], {
          encoding: 'utf8',
          env: { ...process.env },
        });
        if (child.status !== 0) throw new Error(`child failed: ${child.stderr}`);
        ns[i].push(Number(child.stdout.trim().split('\n').at(-1)));
      }
    }
    const [ma, mb] = ns.map(median);
    console.log(
      `${kind}: A ${ma.toFixed(0)} ns/record, B ${mb.toFixed(0)} ns/record, B/A ${(mb / ma).toFixed(3)} (median of ${rounds} processes a side, each the median of 3 runs of ${Number(process.env.AB_RECORDS ?? 300_000)} records)`,
    );
  }
}

if (process.argv[2] === '--child') {
  const [, , , dist, kind] = process.argv;
  const lib = await load(dist || undefined);
  console.log((await measureHere(lib, kind, input(), 3)).toFixed(1));
  process.exit(0);
}
if (!childMode && process.env.AB_CHECK !== '0') check();
if (!childMode && process.env.AB_TIME !== '0') await time();
