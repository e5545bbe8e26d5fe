// Analytics costs: per-record ingestion (engine with its tracker, tracker alone), getInsights()
// on 1 M recorded calls, next-tool prediction on a model trained on 10 k+ sessions, heap held,
// and the quantile sketch's measured error. Records are the real traces (tools, outcomes, sizes)
// replicated into distinct sessions; the traces have no durations, so durations are drawn from
// a seeded log-normal (median ~20 ms).
import { measure } from 'mitata';
import { AnalyticsEngine, UsagePatternTracker, QuantileSketch } from '@perftrack/analytics';
import { createSeededRandom } from '@perftrack/core';
import { loadTracesOrSample } from './traces.mjs';

/** `target` records of the real traces replicated into distinct sessions, with seeded log-normal durations. */
export function records(target) {
  const { sessions } = loadTracesOrSample(); // the shipped sample when the shared data is absent
  const rand = createSeededRandom(11);
  const out = [];
  for (let copy = 0; out.length < target; copy++) {
    for (const s of sessions) {
      for (const r of s.records) {
        const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
        const duration = Math.exp(3 + 1.2 * z);
        out.push({
          ...r,
          id: `${r.id}/${copy}`,
          sessionId: `${r.sessionId}/${copy}`,
          duration,
          untimed: undefined,
          endTime: r.startTime + duration,
        });
        if (out.length === target) return out;
      }
    }
  }
  return out;
}

// heap after GC plus the array buffers (typed arrays' storage lives outside the JS heap, and the
// tracker's tables are typed arrays)
const heapMB = () => {
  globalThis.gc?.();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return (heapUsed + arrayBuffers) / 1048576;
};

export async function run() {
  const million = records(1_000_000);
  const sessions = new Set(million.map((r) => r.sessionId)).size;

  // heap held = heap with the engine − heap once it is dropped (the first run also flattens the
  // input's strings, which a before/after difference would count as the engine's)
  let engine = new AnalyticsEngine();
  let t0 = performance.now();
  for (const r of million) engine.onMetric(r);
  await engine.flush();
  const engineNs = ((performance.now() - t0) * 1e6) / million.length;

  // the same 1 M records over 100,000 sessions of 10 calls: what the engine holds stays bounded
  let spreadEngine = new AnalyticsEngine();
  for (let i = 0; i < million.length; i++) spreadEngine.onMetric({ ...million[i], sessionId: `spread-${Math.floor(i / 10)}` });
  await spreadEngine.flush();
  const spreadStats = spreadEngine.stats();
  const withSpread = heapMB();
  spreadEngine = undefined;
  const spreadHeldMB = withSpread - heapMB();

  const tracker = new UsagePatternTracker();
  t0 = performance.now();
  for (const r of million) tracker.onMetric(r);
  tracker.settle();
  const trackerNs = ((performance.now() - t0) * 1e6) / million.length;

  const insightRuns = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    engine.getInsights();
    insightRuns.push(performance.now() - t);
  }
  insightRuns.sort((a, b) => a - b);
  const analyzeStart = performance.now();
  engine.analyze();
  const engineStats = engine.stats();
  const withEngine = heapMB();
  engine = undefined;
  const heldMB = withEngine - heapMB();
  const analyzeMs = performance.now() - analyzeStart;

  const short = ['cat', 'grep', 'sed', 'python'];
  const long = million.slice(0, 30).map((r) => ({ toolId: r.toolId, success: r.success }));
  const predictShort = (await measure(() => tracker.predictNextTools(short, 3))).avg;
  const predictLong = (await measure(() => tracker.predictNextTools(long, 3))).avg;

  // quantile error against an exact sort
  const sketch = new QuantileSketch();
  const values = Float64Array.from(million, (r) => r.duration);
  for (const v of values) sketch.add(v);
  values.sort();
  const errors = {};
  for (const q of [0.5, 0.95, 0.99]) {
    const exact = values[Math.ceil(q * values.length) - 1];
    errors[`p${Math.round(q * 100)}`] = +(Math.abs(sketch.quantile(q) - exact) / exact).toFixed(5);
  }

  const result = {
    records: million.length,
    sessions,
    ingest: { engineNsPerRecord: +engineNs.toFixed(0), trackerNsPerRecord: +trackerNs.toFixed(0) },
    getInsightsMs: { median: +insightRuns[3].toFixed(2), max: +insightRuns[6].toFixed(2), target: 100 },
    analyzeAllMs: +analyzeMs.toFixed(2),
    predictNs: {
      sequenceOf4: +predictShort.toFixed(0),
      sequenceOf30: +predictLong.toFixed(0),
      target: 5000,
      trainedSessions: tracker.stats().liveSessions + tracker.stats().evictedSessions,
    },
    heapHeldMB: +heldMB.toFixed(1),
    heapHeldOver100kSessionsMB: +spreadHeldMB.toFixed(1),
    over100kSessions: { sessions: Math.ceil(million.length / 10), engineStats: spreadStats },
    engineStats,
    trackerStats: tracker.stats(),
    quantileRelativeError: { bound: 0.01, measured: errors },
  };
  console.log(
    `  ingest: engine (with tracker) ${result.ingest.engineNsPerRecord} ns/record, tracker alone ${result.ingest.trackerNsPerRecord} ns/record`,
  );
  console.log(
    `  getInsights on ${million.length.toLocaleString('en-US')} records / ${sessions.toLocaleString('en-US')} sessions: median ${result.getInsightsMs.median} ms (max ${result.getInsightsMs.max}; target < 100)`,
  );
  console.log(
    `  predictNextTools: ${result.predictNs.sequenceOf4} ns (4 calls), ${result.predictNs.sequenceOf30} ns (30 calls), model of ${result.predictNs.trainedSessions.toLocaleString('en-US')} sessions (target < 5000 ns)`,
  );
  console.log(
    `  heap held by the engine after 1 M records: ${result.heapHeldMB} MB; quantile error vs exact: ${JSON.stringify(errors)} (bound 0.01)`,
  );
  console.log(`  heap held by the engine after 1 M records over 100,000 sessions: ${result.heapHeldOver100kSessionsMB} MB`);
  return result;
}

export function readmeTable(doc) {
  return [
    '| measure | result |',
    '|---|---:|',
    `| ingestion, engine with its tracker | ${doc.ingest.engineNsPerRecord} ns/record |`,
    `| ingestion, tracker alone | ${doc.ingest.trackerNsPerRecord} ns/record |`,
    `| \`getInsights()\` on ${doc.records.toLocaleString('en-US')} records (${doc.sessions.toLocaleString('en-US')} sessions) | ${doc.getInsightsMs.median} ms (target < 100) |`,
    `| \`predictNextTools\`, 4-call / 30-call sequence, model of ${doc.predictNs.trainedSessions.toLocaleString('en-US')} sessions | ${doc.predictNs.sequenceOf4} / ${doc.predictNs.sequenceOf30} ns (target < 5,000) |`,
    `| heap and array buffers held after 1 M records (bounded: 1,000 sessions, 100 k sequences) | ${doc.heapHeldMB} MB |`,
    `| heap and array buffers held after 1 M records over 100,000 sessions (same bounds) | ${doc.heapHeldOver100kSessionsMB ?? '–'} MB |`,
    `| p50 / p95 / p99 error vs exact sort (bound 1%) | ${(doc.quantileRelativeError.measured.p50 * 100).toFixed(2)}% / ${(doc.quantileRelativeError.measured.p95 * 100).toFixed(2)}% / ${(doc.quantileRelativeError.measured.p99 * 100).toFixed(2)}% |`,
  ].join('\n');
}
