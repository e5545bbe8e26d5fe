// Storage: this build next to today's (the storage of the commit named by BASELINE, built in a
// separate clone: see README), measured in the same process, interleaved round by round.
// CPU is process.cpuUsage() (user + system, every thread: the kernel side of write(2) included).
//
//   PERFTRACK_BASELINE_STORAGE=/path/to/main/packages/storage/dist/index.js pnpm bench storage
//
// Without PERFTRACK_BASELINE_STORAGE only this build is measured.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const CURRENT = require.resolve('@perftrack/storage');
const BASELINE = process.env.PERFTRACK_BASELINE_STORAGE;
const impls = [{ name: 'this build', path: CURRENT }, ...(BASELINE ? [{ name: 'today (main)', path: BASELINE }] : [])];
for (const impl of impls)
  Object.assign(impl, { PerformanceStorage: require(impl.path).PerformanceStorage, FileStorage: require(impl.path).FileStorage });
const ROUNDS = 3;
const tick = () => new Promise((r) => setImmediate(r));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function record(i, sessionId) {
  const t = 1_700_000_000_000 + i;
  return {
    id: `a1b2c3d4e5f6-${i}`,
    toolId: ['read', 'grep', 'edit', 'bash'][i & 3],
    sessionId,
    messageId: `msg_${i >> 6}`,
    startTime: t,
    endTime: t + 3.25,
    duration: 3.25,
    success: (i & 15) !== 0,
    sampleWeight: 1,
    inputSize: 120,
    outputSize: 4096,
  };
}

async function withDir(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-bench-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Feeds `records` 1,000 per event-loop turn (as an app yields), then shuts down; wall ms and CPU µs per record. */
async function feed(PerformanceStorage, dir, records, options = {}) {
  const storage = new PerformanceStorage({ dir, onWarning: () => {}, ...options });
  globalThis.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let n = 0; n < records.length; ) {
    const end = Math.min(records.length, n + 1000);
    for (; n < end; n++) storage.onMetric(records[n]);
    await tick();
  }
  await storage.shutdown();
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  // per record stored: a writer that drops records under this feed is not credited for them
  const written = storage.stats().written;
  return {
    recordsPerSecond: Math.round(written / (ms / 1000)),
    cpuUsPerRecord: +((cpu.user + cpu.system) / written).toFixed(2),
    stats: storage.stats(),
  };
}

async function singleWriter(impl) {
  const records = Array.from({ length: 200_000 }, (_, i) => record(i, 'bench'));
  return withDir((dir) => feed(impl.PerformanceStorage, dir, records));
}

function child(impl, dir, writer, count) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [join(here, 'storage-writer-child.mjs')], {
      env: { ...process.env, STORAGE: impl.path, DIR: dir, SESSION: 'shared', WRITER: writer, COUNT: String(count) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`writer exited ${code}`))));
  });
}

/** Lines of a log that are not records, and records missing or twice, by id. */
function audit(file, expectedIds) {
  const seen = new Map();
  let corrupt = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const id = JSON.parse(line).id;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    } catch {
      corrupt++;
    }
  }
  let missing = 0;
  let twice = 0;
  for (const id of expectedIds) {
    const n = seen.get(id) ?? 0;
    if (n === 0) missing++;
    if (n > 1) twice += n - 1;
  }
  return { corruptLines: corrupt, missing, duplicates: twice };
}

async function twoProcesses(impl) {
  const count = 100_000;
  return withDir(async (dir) => {
    const t0 = performance.now();
    const [a, b] = await Promise.all([child(impl, dir, 'a', count), child(impl, dir, 'b', count)]);
    const ms = performance.now() - t0;
    const ids = [...Array.from({ length: count }, (_, n) => `a-${n}`), ...Array.from({ length: count }, (_, n) => `b-${n}`)];
    return {
      recordsPerSecond: Math.round((2 * count) / (ms / 1000)),
      cpuUsPerRecord: +((a.cpuUs + b.cpuUs) / (2 * count)).toFixed(2),
      ...audit(join(dir, 'metrics', 'shared.jsonl'), ids),
    };
  });
}

/** `sessions` distinct sessions × 10 records, each session's records adjacent or spread round-robin. */
async function manySessions(impl, sessions, order) {
  const records = [];
  for (let k = 0; k < sessions * 10; k++) {
    const s = order === 'adjacent' ? Math.floor(k / 10) : k % sessions;
    records.push(record(k, `ses_${s}`));
  }
  return withDir((dir) => feed(impl.PerformanceStorage, dir, records, { maxQueue: 1_000_000 }));
}

/**
 * `sessions` records of distinct sessions queued, then shutdown timed: first with new logs, then
 * with the logs existing. `exitJournal` (this build only): `false` writes one log per session as
 * before the exit journal; `true` (the default) writes one journal, and the checkpoint the next
 * writer then runs in the background (moving those records into their logs) is timed too, before
 * the second shutdown.
 */
async function shutdownQueued(impl, sessions, exitJournal) {
  return withDir(async (dir) => {
    const adapter = () => (exitJournal === undefined ? {} : { adapter: new impl.FileStorage({ dir, exitJournal }) });
    let checkpoint;
    const once = async (offset) => {
      const storage = new impl.PerformanceStorage({
        ...adapter(),
        dir,
        onWarning: () => {},
        batchSize: sessions + 1,
        flushIntervalMs: 3_600_000,
        maxQueue: sessions + 1,
      });
      for (let s = 0; s < sessions; s++) storage.onMetric(record(offset + s, `ses_${s}`));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await storage.shutdown();
      const cpu = process.cpuUsage(cpu0);
      return {
        ms: Math.round(performance.now() - t0),
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        written: storage.stats().written,
      };
    };
    const fresh = await once(0);
    if (exitJournal === true) {
      const next = new impl.PerformanceStorage({ ...adapter(), dir, onWarning: () => {} });
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const moved = await next.checkpoint();
      const cpu = process.cpuUsage(cpu0);
      checkpoint = {
        checkpointMs: Math.round(performance.now() - t0),
        checkpointCpuMs: Math.round((cpu.user + cpu.system) / 1000),
        checkpointed: moved.records,
      };
      await next.shutdown();
    }
    const existing = await once(sessions);
    return {
      shutdownMs: fresh.ms,
      cpuMs: fresh.cpuMs,
      ...checkpoint,
      existingLogsShutdownMs: existing.ms,
      existingLogsCpuMs: existing.cpuMs,
      written: fresh.written + existing.written,
    };
  });
}

/** One session, `perFlush` records then `await flush()`, repeated: CPU per record and per flush (its handle stays open). */
async function sparse(impl, perFlush, flushes) {
  return withDir(async (dir) => {
    const storage = new impl.PerformanceStorage({ dir, onWarning: () => {} });
    let i = 0;
    for (let w = 0; w < 50; w++) {
      for (let k = 0; k < perFlush; k++) storage.onMetric(record(i++, 'sparse'));
      await storage.flush();
    }
    const cpu0 = process.cpuUsage();
    for (let f = 0; f < flushes; f++) {
      for (let k = 0; k < perFlush; k++) storage.onMetric(record(i++, 'sparse'));
      await storage.flush();
    }
    const cpu = process.cpuUsage(cpu0);
    await storage.shutdown();
    const us = cpu.user + cpu.system;
    return { cpuUsPerRecord: +(us / (flushes * perFlush)).toFixed(2), cpuUsPerFlush: +(us / flushes).toFixed(2) };
  });
}

/** `sessions` sessions whose logs are open, one record each, then `await flush()`: CPU per session per flush. */
async function sparseSessions(impl, sessions, flushes) {
  return withDir(async (dir) => {
    const storage = new impl.PerformanceStorage({ dir, onWarning: () => {} });
    let i = 0;
    const round = async () => {
      for (let s = 0; s < sessions; s++) storage.onMetric(record(i++, `ses_${s}`));
      await storage.flush();
    };
    for (let w = 0; w < 20; w++) await round();
    const cpu0 = process.cpuUsage();
    for (let f = 0; f < flushes; f++) await round();
    const cpu = process.cpuUsage(cpu0);
    await storage.shutdown();
    return { cpuUsPerSessionPerFlush: +((cpu.user + cpu.system) / (flushes * sessions)).toFixed(2) };
  });
}

/**
 * This build with one log per session always (`FileStorage({ flushJournal: false })`): flushes
 * of many sessions without open logs open or create each log, as before the flush journal.
 */
const NO_FLUSH_JOURNAL = 'this build, flushJournal: false';
function withoutFlushJournal(impl) {
  const { PerformanceStorage, FileStorage } = impl;
  return {
    name: NO_FLUSH_JOURNAL,
    path: impl.path,
    FileStorage,
    PerformanceStorage: class extends PerformanceStorage {
      constructor(options) {
        super({ ...options, adapter: new FileStorage({ dir: options.dir, flushJournal: false }) });
      }
    },
  };
}

/** Rounds interleaved across implementations (default: this build and the baseline); the median of each numeric field. */
async function interleaved(label, rounds, fn, list = impls) {
  const samples = list.map(() => []);
  for (let r = 0; r < rounds; r++) for (let i = 0; i < list.length; i++) samples[i].push(await fn(list[i]));
  const out = {};
  list.forEach((impl, i) => {
    const merged = {};
    for (const key of Object.keys(samples[i][0])) {
      const values = samples[i].map((s) => s[key]);
      merged[key] = typeof values[0] === 'number' ? median(values) : values.at(-1);
    }
    out[impl.name] = merged;
  });
  console.log(`  ${label}:`);
  for (const [name, v] of Object.entries(out)) console.log(`    ${name.padEnd(13)} ${JSON.stringify(v)}`);
  return out;
}

/**
 * While `fn` runs, the longest gap between 1 ms timer ticks (wall: includes time the OS ran other
 * processes, so on a loaded machine it overstates) and the most CPU the process used between two
 * ticks (what the code itself held the event loop for, GC included).
 */
async function withLoopWatch(fn) {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let maxGapMs = 0;
  let maxCpuMs = 0;
  const watch = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    maxGapMs = Math.max(maxGapMs, now - last);
    maxCpuMs = Math.max(maxCpuMs, (cpu.user + cpu.system) / 1000);
    last = now;
    lastCpu = process.cpuUsage();
  }, 1);
  try {
    const value = await fn();
    return { value, maxGapMs: +maxGapMs.toFixed(1), maxCpuMs: +maxCpuMs.toFixed(1) };
  } finally {
    clearInterval(watch);
  }
}

/**
 * The integration's analytics pass over `sessions` active sessions (5 calls each), driven through
 * `AnalyticsPass` with an engine that keeps that many sessions. `batched`: this build's pass (one
 * snapshot batch, sliced); `per-file`: the pass as it was before (await saveAnalytics + savePatterns
 * per session, each an fsync'd file plus a directory fsync), same engine and reports.
 */
async function analyticsPass(sessions, mode) {
  const { AnalyticsPass } = require('../packages/integration/dist/analytics-pass.js');
  const { AnalyticsEngine } = require('@perftrack/analytics');
  const { Diagnostics } = require('@perftrack/core/internal');
  const { PerformanceStorage } = impls[0];
  return withDir(async (dir) => {
    const storage = new PerformanceStorage({ dir, onWarning: () => {}, maxQueue: sessions * 5 + 1 });
    const analytics = new AnalyticsEngine({ maxSessions: sessions, patterns: {} });
    const patterns = analytics.patterns;
    const dirty = new Set();
    for (let s = 0; s < sessions; s++) {
      for (let k = 0; k < 5; k++) {
        const r = record(s * 5 + k, `ses_${s}`);
        analytics.onMetric(r);
        storage.onMetric(r);
      }
      dirty.add(`ses_${s}`);
    }
    await storage.flush();
    // the flush went to the journal: moved into the logs first (as the writer does once idle), so
    // the pass is measured alone, with every session's log in place
    await storage.checkpoint();
    const patternsOf = (sessionId, figures = analytics.analyze(sessionId)) => ({
      schema: 'perftrack.patterns/1',
      sessionId,
      generatedAt: new Date().toISOString(),
      sequences: patterns.getMostCommonPatterns(20, { sessionId }),
      errorPatterns: figures.errorPatterns,
      predictions: patterns.hasSession(sessionId) ? patterns.predictNextForSession(sessionId, 5) : [],
    });
    const diagnostics = new Diagnostics({ onWarning: () => {} });
    const pass = new AnalyticsPass({
      enabled: true,
      saveReports: true,
      whenReady: () => Promise.resolve(),
      storage,
      analytics,
      patterns,
      dirty,
      diagnostics,
      patternsOf,
    });
    const perFile = async () => {
      for (const id of [...dirty]) {
        await storage.saveAnalytics(id, analytics.sessionReport(id));
        await storage.savePatterns(id, patternsOf(id));
      }
      dirty.clear();
    };
    globalThis.gc?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { maxGapMs, maxCpuMs } = await withLoopWatch(() => (mode === 'batched' ? pass.run() : perFile()));
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    const out = {
      sessions,
      wallMs: Math.round(wallMs),
      cpuMsPerSession: +((cpu.user + cpu.system) / 1000 / sessions).toFixed(3),
      maxLoopBlockedMs: maxGapMs,
      maxCpuBetweenTicksMs: maxCpuMs,
      reportsSaved: mode === 'batched' ? pass.reportsSaved : sessions,
    };
    if (mode === 'batched') {
      // the last pass at shutdown: every session due again, 1 s budget
      for (let s = 0; s < sessions; s++) dirty.add(`ses_${s}`);
      const t1 = performance.now();
      const final = await withLoopWatch(() => pass.final(1000));
      out.finalPass = {
        budgetMs: 1000,
        wallMs: Math.round(performance.now() - t1),
        maxLoopBlockedMs: final.maxGapMs,
        maxCpuBetweenTicksMs: final.maxCpuMs,
        saved: pass.reportsSaved - out.reportsSaved,
        notSaved: pass.reportsNotSaved,
      };
    }
    await storage.shutdown();
    return out;
  });
}

/** A bare loop creating `sessions` files (open O_CREAT + write + close): the kernel's floor for a shutdown that must create every log. */
function createFilesFloor(sessions) {
  const { openSync, writeSync, closeSync, constants } = require('node:fs');
  const line = Buffer.from(JSON.stringify(record(0, 'ses_0')) + '\n');
  return withDir((dir) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let s = 0; s < sessions; s++) {
      const fd = openSync(
        join(dir, `ses_${s}.jsonl`),
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
        0o600,
      );
      writeSync(fd, line);
      closeSync(fd);
    }
    const cpu = process.cpuUsage(cpu0);
    return { ms: Math.round(performance.now() - t0), cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
  });
}

/** 10 M tracked calls (decorator → collector → storage on disk) in a child with --expose-gc: heap after GC. */
function tenMillion() {
  return withDir(
    (dir) =>
      new Promise((resolve, reject) => {
        const script = join(here, '..', 'packages', 'storage', 'src', 'test-support', 'heap-child.js');
        const c = spawn(process.execPath, ['--expose-gc', script], {
          env: { ...process.env, DIR: dir, COUNT: '10000000', SESSIONS: '20' },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        c.stdout.on('data', (d) => (out += d));
        c.on('error', reject);
        c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`heap child exited ${code}`))));
      }),
  );
}

/** This build alone, and the baseline (when given) alone. */
const current = impls.filter((i) => i.path === CURRENT);
const baseline = impls.filter((i) => i.path !== CURRENT);

/** Runs `fn` once for each implementation of `list` (not interleaved: for cases too slow to repeat) and prints the figures. */
async function only(list, label, fn) {
  const out = {};
  for (const impl of list) out[impl.name] = await fn(impl);
  console.log(`  ${label}:`);
  for (const [name, v] of Object.entries(out)) console.log(`    ${name.padEnd(13)} ${JSON.stringify(v)}`);
  return out;
}

/** The committed results of the last run (a partial run keeps the figures it does not measure). */
function lastRun() {
  const previous = JSON.parse(readFileSync(join(here, 'results', 'storage.json'), 'utf8'));
  const { suite: _s, date, machine: _m, partialRun: _p, ...kept } = previous;
  return { previous, date, kept };
}

export async function run() {
  const result = {
    method: `median of ${ROUNDS} rounds, implementations interleaved round by round in one process; CPU = process.cpuUsage() user+system`,
    implementations: impls.map((i) => i.name),
  };
  // PERFTRACK_BENCH_STORAGE_CASE=analytics-pass runs only the analytics pass case; =shutdown only
  // the shutdown case (the other figures are kept from the last full run, named in `partialRun`)
  const passOnly = process.env.PERFTRACK_BENCH_STORAGE_CASE === 'analytics-pass';
  if (process.env.PERFTRACK_BENCH_STORAGE_CASE === 'shutdown') {
    const { previous, date, kept } = lastRun();
    const shutdown = await shutdownCase();
    // without a baseline now, today's shutdown figure stays the one the full run measured
    for (const name of previous.implementations.slice(1))
      if (shutdown[name] === undefined && kept.shutdown?.[name]) shutdown[name] = kept.shutdown[name];
    return { ...kept, shutdown, partialRun: `only "shutdown" measured now; the other figures are from the full run of ${date}` };
  }
  if (!passOnly) {
    result.singleWriter = await interleaved('single writer, 200,000 records, one session', ROUNDS, singleWriter);
    result.twoProcesses = await interleaved('two processes × 100,000 records on one session', ROUNDS, twoProcesses);
    result.sparse1 = await interleaved('sparse flushes: 1 record per flush (5,000 flushes)', ROUNDS, (impl) => sparse(impl, 1, 5_000));
    result.sparse16 = await interleaved('sparse flushes: 16 records per flush (2,000 flushes)', ROUNDS, (impl) => sparse(impl, 16, 2_000));
    // with the flush journal, the 64 sessions' first flush goes to the journal and so do the next
    // (each session stays there until a checkpoint): the case of open logs is flushJournal: false
    const withOpenLogs = [impls[0], withoutFlushJournal(impls[0]), ...impls.slice(1)];
    result.sparseSessions = await interleaved(
      'a flush touching 64 sessions, 1 record each (500 flushes): this build (the journal), with logs open (flushJournal: false), today (logs open)',
      ROUNDS,
      (impl) => sparseSessions(impl, 64, 500),
      withOpenLogs,
    );
    // today's writer keeps up with ~680 records/s on many sessions: it runs on fewer, said in the label
    result.manySessions = {
      ...(await only([...current, ...current.map(withoutFlushJournal)], '100,000 sessions × 10 records (adjacent per session)', (i) =>
        manySessions(i, 100_000, 'adjacent'),
      )),
      ...(await only(baseline, '2,000 sessions × 10 records (adjacent per session; today’s writer is too slow for 100,000)', (i) =>
        manySessions(i, 2_000, 'adjacent'),
      )),
    };
    // round-robin: consecutive records never share a session, so no batch groups them (more sessions than open files)
    result.manySessionsRoundRobin = await interleaved(
      '5,000 sessions × 10 records, round-robin (every record a different session than the last)',
      1,
      (i) => manySessions(i, 5_000, 'round-robin'),
      withOpenLogs,
    );
    result.shutdown = await shutdownCase();
  }
  result.analyticsPass = {
    [PASS_10K]: await analyticsPass(10_000, 'batched'),
    [PASS_OLD]: await analyticsPass(1_000, 'per-file'),
    [PASS_1K]: await analyticsPass(1_000, 'batched'),
  };
  console.log('  analytics pass:');
  for (const [name, v] of Object.entries(result.analyticsPass)) console.log(`    ${name}: ${JSON.stringify(v)}`);
  if (passOnly) {
    // the other figures stay those of the last full run, named in `partialRun`
    const { date, kept } = lastRun();
    return {
      ...kept,
      analyticsPass: result.analyticsPass,
      partialRun: `only "analyticsPass" measured now; the other figures are from the full run of ${date}`,
    };
  }
  if (!passOnly && process.env.PERFTRACK_BENCH_SKIP_10M !== '1') {
    const heap = await tenMillion();
    const first = heap.samples[0].heapMB;
    result.tenMillionCalls = { ...heap, heapGrowthMB: +(Math.max(...heap.samples.map((s) => s.heapMB)) - first).toFixed(2) };
    console.log(
      `  10 M tracked calls: heap after GC ${heap.samples.map((s) => s.heapMB).join(' → ')} MB; growth ${result.tenMillionCalls.heapGrowthMB} MB; ${heap.seconds} s`,
    );
  }
  return result;
}

const FLOOR = 'bare loop: create 100,000 files (open+write+close)';
const NO_JOURNAL = 'this build, exitJournal: false (one log per session, as before the journal)';

/**
 * Shutdown with 100,000 sessions queued: the exit journal and one log per session (the same build,
 * `exitJournal: false`), interleaved round by round in this process (3 rounds, median), next to
 * the kernel's floor for creating the files and, with a baseline, today's writer on 10,000.
 */
async function shutdownCase() {
  const out = { [FLOOR]: await createFilesFloor(100_000) };
  for (const impl of current) {
    const variants = [
      [impl.name, true],
      [NO_JOURNAL, false],
    ];
    const samples = variants.map(() => []);
    for (let r = 0; r < ROUNDS; r++)
      for (const [v, [, exitJournal]] of variants.entries()) samples[v].push(await shutdownQueued(impl, 100_000, exitJournal));
    for (const [v, [name]] of variants.entries()) {
      const merged = {};
      for (const key of Object.keys(samples[v][0])) merged[key] = median(samples[v].map((s) => s[key]));
      out[name] = merged;
    }
    console.log('  shutdown with 100,000 sessions queued:');
    for (const [name] of variants) console.log(`    ${name} ${JSON.stringify(out[name])}`);
  }
  Object.assign(out, await only(baseline, 'shutdown with 10,000 sessions queued (today)', (i) => shutdownQueued(i, 10_000)));
  return out;
}
const PASS_10K = 'this build (one snapshot batch, sliced), 10,000 sessions';
const PASS_OLD = 'before (fsync per file), 1,000 sessions';
const PASS_1K = 'this build, 1,000 sessions';
const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '—');

export function readmeTable(doc) {
  const [cur, base] = [doc.implementations[0], doc.implementations[1]];
  const row = (label, pick, unit) => `| ${label} | ${fmt(pick(doc, cur))} ${unit} | ${base ? `${fmt(pick(doc, base))} ${unit}` : '—'} |`;
  return [
    '`pnpm bench storage`, results in `bench/results/storage.json` (CPU: `process.cpuUsage()`, user + system):',
    '',
    `| storage | this build | today (${base ? 'main before issue 18' : 'not measured'}) |`,
    '|---|---:|---:|',
    row('single writer, 200,000 records', (d, k) => d.singleWriter[k]?.recordsPerSecond, 'records/s'),
    row('single writer, CPU per record', (d, k) => d.singleWriter[k]?.cpuUsPerRecord, 'µs'),
    row('single writer, records dropped (queue full) of 200,000', (d, k) => d.singleWriter[k]?.stats.dropped, ''),
    row('two processes on one session', (d, k) => d.twoProcesses[k]?.recordsPerSecond, 'records/s'),
    row('two processes, CPU per record', (d, k) => d.twoProcesses[k]?.cpuUsPerRecord, 'µs'),
    row(
      'two processes, records lost or corrupt (of 200,000)',
      (d, k) => (d.twoProcesses[k] ? d.twoProcesses[k].missing + d.twoProcesses[k].corruptLines : undefined),
      '',
    ),
    row('sparse flushes, 1 record a flush: CPU per record', (d, k) => d.sparse1[k]?.cpuUsPerRecord, 'µs'),
    row('sparse flushes, 16 records a flush: CPU per record', (d, k) => d.sparse16[k]?.cpuUsPerRecord, 'µs'),
    row(
      'a flush touching 64 sessions (this build: in its journal): CPU per session',
      (d, k) => d.sparseSessions[k]?.cpuUsPerSessionPerFlush,
      'µs',
    ),
    ...(doc.sparseSessions?.[NO_FLUSH_JOURNAL]
      ? [
          `| … the same with their logs open (\`flushJournal: false\`; today: logs open) | ${fmt(doc.sparseSessions[NO_FLUSH_JOURNAL].cpuUsPerSessionPerFlush)} µs | — |`,
        ]
      : []),
    row(
      'many sessions × 10 records, adjacent (100,000 sessions; today: 2,000)',
      (d, k) => d.manySessions[k]?.recordsPerSecond,
      'records/s',
    ),
    ...(doc.manySessions?.[NO_FLUSH_JOURNAL]
      ? [
          `| … this build with one log per session (\`flushJournal: false\`), 100,000 sessions | ${fmt(doc.manySessions[NO_FLUSH_JOURNAL].recordsPerSecond)} records/s | — |`,
        ]
      : []),
    row('5,000 sessions × 10 records, round-robin', (d, k) => d.manySessionsRoundRobin[k]?.recordsPerSecond, 'records/s'),
    ...(doc.manySessionsRoundRobin?.[NO_FLUSH_JOURNAL]
      ? [
          `| … with one log per session (\`flushJournal: false\`, 128 open at most) | ${fmt(doc.manySessionsRoundRobin[NO_FLUSH_JOURNAL].recordsPerSecond)} records/s | — |`,
        ]
      : []),
    row('shutdown with sessions queued, new logs (100,000; today: 10,000): wall', (d, k) => d.shutdown[k]?.shutdownMs, 'ms'),
    row('… CPU', (d, k) => d.shutdown[k]?.cpuMs, 'ms'),
    row('shutdown with sessions queued, logs existing: wall', (d, k) => d.shutdown[k]?.existingLogsShutdownMs, 'ms'),
    row('… CPU', (d, k) => d.shutdown[k]?.existingLogsCpuMs, 'ms'),
    ...(doc.shutdown?.[NO_JOURNAL]
      ? [
          `| … the same build without the exit journal (\`exitJournal: false\`, one log per session): new logs, wall / CPU | ${fmt(doc.shutdown[NO_JOURNAL].shutdownMs)} ms / ${fmt(doc.shutdown[NO_JOURNAL].cpuMs)} ms | — |`,
          `| … without the exit journal, logs existing: wall / CPU | ${fmt(doc.shutdown[NO_JOURNAL].existingLogsShutdownMs)} ms / ${fmt(doc.shutdown[NO_JOURNAL].existingLogsCpuMs)} ms | — |`,
          `| checkpoint the next writer runs in the background (100,000 journal records into their logs): wall / CPU | ${fmt(doc.shutdown[cur]?.checkpointMs)} ms / ${fmt(doc.shutdown[cur]?.checkpointCpuMs)} ms | — |`,
        ]
      : []),
    ...(doc.shutdown?.[FLOOR]
      ? [`| … the kernel's floor: a bare loop creating 100,000 files (open, write, close) | ${fmt(doc.shutdown[FLOOR].ms)} ms | — |`]
      : []),
    ...(doc.analyticsPass
      ? [
          `| analytics pass, 1,000 sessions: CPU per session | ${doc.analyticsPass[PASS_1K].cpuMsPerSession} ms | ${doc.analyticsPass[PASS_OLD].cpuMsPerSession} ms (fsync per file) |`,
          `| analytics pass, 1,000 sessions: wall | ${fmt(doc.analyticsPass[PASS_1K].wallMs)} ms | ${fmt(doc.analyticsPass[PASS_OLD].wallMs)} ms |`,
          `| analytics pass, 10,000 sessions: wall, CPU per session | ${fmt(doc.analyticsPass[PASS_10K].wallMs)} ms, ${doc.analyticsPass[PASS_10K].cpuMsPerSession} ms | — |`,
          `| … longest event-loop block (1 ms timer): wall, CPU | ${doc.analyticsPass[PASS_10K].maxLoopBlockedMs} ms, ${doc.analyticsPass[PASS_10K].maxCpuBetweenTicksMs} ms | ${doc.analyticsPass[PASS_OLD].maxLoopBlockedMs} ms, ${doc.analyticsPass[PASS_OLD].maxCpuBetweenTicksMs} ms (1,000 sessions) |`,
          `| last pass at shutdown, 10,000 due, 1 s budget: wall (saved / counted not saved) | ${fmt(doc.analyticsPass[PASS_10K].finalPass.wallMs)} ms (${fmt(doc.analyticsPass[PASS_10K].finalPass.saved)} / ${fmt(doc.analyticsPass[PASS_10K].finalPass.notSaved)}) | — |`,
        ]
      : []),
    ...(doc.tenMillionCalls ? [`| 10 M tracked calls, heap growth after GC | ${doc.tenMillionCalls.heapGrowthMB} MB | — |`] : []),
  ].join('\n');
}
