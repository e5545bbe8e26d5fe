// Next-tool prediction on real agent sessions, evaluated two ways, through the seed's
// tool-names-only call (`predictNextTools(['read', 'grep'], k)`):
//  - k-fold cross-validation by session (5 folds by a hash of the session id): mean ± spread;
//  - leave-one-source-out: train on the other agent harnesses/models, test on the held-out one.
// Every call after the first of each test session is predicted from the calls before it.
// Baselines: most frequent tool, 1st-order Markov, 2nd-order Markov with backoff (filling the
// top-k from shorter contexts; ties by name: the same model as the independent check's).
// The tracker's ranker is evaluated nested: its weights are trained (bench/prediction-ranker.mjs)
// on each split's training sessions only, and passed as `prediction.rankerWeights`; the row
// "defaults" uses the committed weights, trained on every session (so they have seen the test
// folds: shown for reference, not the claim).
// Cost: one prediction after sequences of 10, 100 and 1,000 calls, on the model trained on
// every session. Falls back to the shipped 28-session sample when the shared data is absent.
import os from 'node:os';
import { UsagePatternTracker } from '@perftrack/analytics';
import { trainRankerWeights } from './prediction-ranker.mjs';
import { bucketOf, loadTracesOrSample } from './traces.mjs';

const FOLDS = 5;

function bump(map, key, tool) {
  let m = map.get(key);
  if (m === undefined) map.set(key, (m = new Map()));
  m.set(tool, (m.get(tool) ?? 0) + 1);
}
function topOf(m, k, exclude) {
  return [...m.entries()]
    .filter(([t]) => !exclude.includes(t))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, k)
    .map(([t]) => t);
}

/** Markov model of order `order` that backs off to shorter contexts and fills the top-k from them. */
function markov(train, order) {
  const contexts = new Map();
  for (const { tools } of train) {
    for (let i = 0; i < tools.length; i++) {
      let key = '';
      bump(contexts, key, tools[i]);
      for (let k = 1; k <= order && i - k >= 0; k++) {
        key = `${tools[i - k]}\u0000${key}`;
        bump(contexts, key, tools[i]);
      }
    }
  }
  return (history, k) => {
    const out = [];
    for (let len = Math.min(order, history.length); len >= 0 && out.length < k; len--) {
      let key = '';
      for (let j = 1; j <= len; j++) key = `${history[history.length - j]}\u0000${key}`;
      const m = contexts.get(key);
      if (m) out.push(...topOf(m, k - out.length, out));
    }
    return out;
  };
}

function trainTracker(train, options = {}) {
  const tracker = new UsagePatternTracker({ maxSessions: 100_000, ...options });
  for (const { records } of train) for (const r of records) tracker.onMetric(r);
  tracker.settle();
  return tracker;
}
/** The seed's call: tool names only. */
const namesOnly = (tracker) => (history, k) => tracker.predictNextTools(history, k).map((p) => p.toolId);
/** Steps with outcomes (what a live session knows). */
const withOutcomes = (tracker) => (_history, k, records) => tracker.predictNextTools(records, k).map((p) => p.toolId);

function evaluate(test, predict) {
  let n = 0;
  let top1 = 0;
  let top3 = 0;
  for (const { tools, records } of test) {
    for (let i = 1; i < tools.length; i++) {
      const guess = predict(tools.slice(0, i), 3, records.slice(0, i));
      n++;
      if (guess[0] === tools[i]) top1++;
      if (guess.includes(tools[i])) top3++;
    }
  }
  return { predictions: n, top1: n === 0 ? 0 : top1 / n, top3: n === 0 ? 0 : top3 / n };
}

const MODELS = [
  ['most frequent tool', (train) => markov(train, 0)],
  ['1st-order Markov', (train) => markov(train, 1)],
  ['2nd-order Markov with backoff', (train) => markov(train, 2)],
  [
    'UsagePatternTracker, names only, no session adaptation, no ranker',
    (train) => namesOnly(trainTracker(train, { prediction: { sessionAdaptation: false, rankerWeights: null } })),
  ],
  ['UsagePatternTracker, names only, no ranker', (train) => namesOnly(trainTracker(train, { prediction: { rankerWeights: null } }))],
  [
    'UsagePatternTracker, names only, ranker trained on the training split',
    (train) => namesOnly(trainTracker(train, { prediction: { rankerWeights: trainRankerWeights(train) } })),
  ],
  ['UsagePatternTracker, names only (defaults: committed weights, seen every session)', (train) => namesOnly(trainTracker(train))],
  ['UsagePatternTracker, steps with outcomes (defaults)', (train) => withOutcomes(trainTracker(train))],
];
const BASELINE = '2nd-order Markov with backoff';
const OURS = 'UsagePatternTracker, names only, ranker trained on the training split';

const round = (x, digits = 4) => +x.toFixed(digits);
function meanAndSpread(xs) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean: round(mean), sd: round(sd), min: round(Math.min(...xs)), max: round(Math.max(...xs)) };
}

function splitEvaluation(splits) {
  const perModel = {};
  for (const [name, build] of MODELS) perModel[name] = splits.map(({ train, test }) => evaluate(test, build(train)));
  return perModel;
}

function summary(perModel, labels) {
  const rows = MODELS.map(([name]) => ({
    model: name,
    top1: meanAndSpread(perModel[name].map((r) => r.top1)),
    top3: meanAndSpread(perModel[name].map((r) => r.top3)),
    perSplit: perModel[name].map((r, i) => ({ split: labels[i], predictions: r.predictions, top1: round(r.top1), top3: round(r.top3) })),
  }));
  const margin = (metric) => meanAndSpread(perModel[OURS].map((r, i) => (r[metric] - perModel[BASELINE][i][metric]) * 100));
  return { rows, marginOverBaselinePoints: { top1: margin('top1'), top3: margin('top3') } };
}

function costPerPrediction(tracker, plain, sessions) {
  // real call sequences, concatenated to the length wanted
  const pool = sessions.flatMap((s) => s.tools);
  const out = {};
  for (const length of [10, 100, 1000]) {
    const sequences = [];
    for (let i = 0; i < 64; i++) {
      const start = (i * 997) % Math.max(1, pool.length - length);
      const seq = [];
      for (let j = 0; j < length; j++) seq.push(pool[(start + j) % pool.length]);
      sequences.push(seq);
    }
    // wall time and this process's CPU time (user + system, all threads): on a shared, loaded
    // machine the wall time includes the time other processes ran, the CPU time does not
    // interleaved round by round with the same tracker without its ranker, for the ranker's own cost
    const wall = [];
    const cpu = [];
    const plainCpu = [];
    let sink = 0;
    const iterations = 2_000;
    for (let r = 0; r < 15; r++) {
      let cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) sink += tracker.predictNextTools(sequences[i & 63], 3).length;
      wall.push(Number(process.hrtime.bigint() - t0) / iterations);
      let used = process.cpuUsage(cpu0);
      cpu.push(((used.user + used.system) * 1000) / iterations);
      cpu0 = process.cpuUsage();
      for (let i = 0; i < iterations; i++) sink += plain.predictNextTools(sequences[i & 63], 3).length;
      used = process.cpuUsage(cpu0);
      plainCpu.push(((used.user + used.system) * 1000) / iterations);
    }
    wall.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    plainCpu.sort((a, b) => a - b);
    out[`sequenceOf${length}`] = {
      cpuNsMedian: Math.round(cpu[7]),
      cpuNsMin: Math.round(cpu[0]),
      wallNsMedian: Math.round(wall[7]),
      wallNsMin: Math.round(wall[0]),
      withoutRankerCpuNsMedian: Math.round(plainCpu[7]),
      checksum: sink,
    };
  }
  return out;
}

export async function run() {
  const { file, sample, sessions: loaded } = loadTracesOrSample();
  const sessions = loaded.map((s) => ({ ...s, source: s.id.split('/')[0], tools: s.records.map((r) => r.toolId) }));

  // cost first, on a quiet heap; predictions learn the calls taken into the log-linear model
  // (a bounded amount each), so the backlog is drained first and timed on its own
  const full = trainTracker(sessions);
  const calls = full.stats().records;
  const learn0 = process.cpuUsage();
  let drainingPredictions = 0;
  while (full.stats().learningBacklog > 0) {
    full.predictNextTools([], 3);
    drainingPredictions++;
  }
  const learnUsed = process.cpuUsage(learn0);
  const learning = {
    calls,
    predictions: drainingPredictions,
    cpuMs: round((learnUsed.user + learnUsed.system) / 1000, 1),
    cpuNsPerCall: Math.round(((learnUsed.user + learnUsed.system) * 1000) / calls),
  };
  const cost = costPerPrediction(full, trainTracker(sessions, { prediction: { rankerWeights: null } }), sessions);

  const folds = Array.from({ length: FOLDS }, (_, f) => ({
    train: sessions.filter((s) => bucketOf(s.id) % FOLDS !== f),
    test: sessions.filter((s) => bucketOf(s.id) % FOLDS === f),
  }));
  const kfold = summary(
    splitEvaluation(folds),
    folds.map((_, f) => `fold ${f + 1}`),
  );

  const sources = [...new Set(sessions.map((s) => s.source))].sort();
  const loso = summary(
    splitEvaluation(
      sources.map((source) => ({ train: sessions.filter((s) => s.source !== source), test: sessions.filter((s) => s.source === source) })),
    ),
    sources,
  );

  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  console.log(`  data: ${file}${sample ? ' (the shipped SAMPLE: shared data absent)' : ''}: ${sessions.length} sessions`);
  console.log(`  ${FOLDS}-fold CV by session (mean ± sd)                     top-1              top-3`);
  for (const r of kfold.rows)
    console.log(
      `  ${r.model.padEnd(56)} ${pct(r.top1.mean).padStart(6)} ± ${(r.top1.sd * 100).toFixed(1)}   ${pct(r.top3.mean).padStart(6)} ± ${(r.top3.sd * 100).toFixed(1)}`,
    );
  console.log(
    `  names-only, nested ranker vs ${BASELINE}: top-1 ${kfold.marginOverBaselinePoints.top1.mean} ± ${kfold.marginOverBaselinePoints.top1.sd} points, top-3 ${kfold.marginOverBaselinePoints.top3.mean} ± ${kfold.marginOverBaselinePoints.top3.sd} points`,
  );
  console.log('  leave-one-source-out (mean over sources)');
  for (const r of loso.rows)
    console.log(`  ${r.model.padEnd(56)} ${pct(r.top1.mean).padStart(6)}          ${pct(r.top3.mean).padStart(6)}`);
  console.log(
    `  names-only, nested ranker vs ${BASELINE}: top-1 ${loso.marginOverBaselinePoints.top1.mean} points (min ${loso.marginOverBaselinePoints.top1.min}), top-3 ${loso.marginOverBaselinePoints.top3.mean} points (min ${loso.marginOverBaselinePoints.top3.min})`,
  );
  console.log(
    `  the first ${learning.predictions} predictions after ${calls} calls taken learn them: ${learning.cpuMs} ms CPU (${learning.cpuNsPerCall} ns a call)`,
  );
  for (const [k, v] of Object.entries(cost))
    console.log(
      `  predictNextTools after ${k.slice(10)} calls: CPU ${v.cpuNsMedian} ns (without the ranker ${v.withoutRankerCpuNsMedian} ns), wall ${v.wallNsMedian} ns (median of 15 rounds; fastest round ${v.wallNsMin} ns)`,
    );

  return {
    data: {
      file: sample ? 'packages/analytics/src/test-support/agent-traces-sample.jsonl' : '../shared/data/agent-traces/traces.jsonl',
      sample,
      sessions: sessions.length,
      calls: sessions.reduce((n, s) => n + s.tools.length, 0),
      sources: sources.length,
    },
    task: "predict each call after the first of every test session from the earlier calls of that session; the tracker through predictNextTools(toolNames, 3) unless the row says 'with outcomes'",
    kfold: { folds: FOLDS, rule: 'fold = SHA-256(session id) byte 0 mod 5', ...kfold },
    leaveOneSourceOut: { rule: 'train on every other session prefix (agent harness and model), test on the held-out one', ...loso },
    logLinearLearning: {
      ...learning,
      note: 'CPU time of the predictNextTools calls that drain the backlog after the tracker took every session: each prediction learns a bounded amount of work (LEARN_WORK_PER_CALL) of the calls taken into the log-linear model of next-tool-log-linear.ts',
    },
    costNsPerPrediction: {
      ...cost,
      target: 5000,
      trainedSessions: sessions.length,
      loadAverage: os.loadavg()[0],
      note: 'predictNextTools(names, 3) on the model trained on every session; median of 15 rounds of 2,000 predictions over 64 real sequences; CPU = process.cpuUsage() per prediction; withoutRanker = the same model with rankerWeights: null, interleaved round by round',
    },
    baseline: BASELINE,
    ours: OURS,
  };
}

const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;

export function readmeTable(doc) {
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `| model | ${doc.kfold.folds}-fold top-1 (mean ± sd) | ${doc.kfold.folds}-fold top-3 | leave-one-source-out top-1 | leave-one-source-out top-3 |`,
    '|---|---:|---:|---:|---:|',
  ];
  doc.kfold.rows.forEach((r, i) => {
    const l = doc.leaveOneSourceOut.rows[i];
    lines.push(
      `| ${r.model} | ${pct(r.top1.mean)} ± ${(r.top1.sd * 100).toFixed(1)} | ${pct(r.top3.mean)} ± ${(r.top3.sd * 100).toFixed(1)} | ${pct(l.top1.mean)} | ${pct(l.top3.mean)} |`,
    );
  });
  const k = doc.kfold.marginOverBaselinePoints;
  const s = doc.leaveOneSourceOut.marginOverBaselinePoints;
  const c = doc.costNsPerPrediction;
  lines.push(
    '',
    `${doc.data.sessions.toLocaleString('en-US')} real sessions (${doc.data.calls.toLocaleString('en-US')} calls, ${doc.data.sources} sources)${doc.data.sample ? ' — the shipped sample, not the full data' : ''}. Names only, ranker trained on each training split only, vs the ${doc.baseline}: k-fold top-1 ${signed(k.top1.mean)} ± ${k.top1.sd.toFixed(1)} points, top-3 ${signed(k.top3.mean)} ± ${k.top3.sd.toFixed(1)} points; leave-one-source-out top-1 ${signed(s.top1.mean)} points (worst source ${signed(s.top1.min)}), top-3 ${signed(s.top3.mean)} (worst ${signed(s.top3.min)}).`,
    `One prediction (CPU time, median of 15 rounds; target ≤ ${c.target} ns): ${c.sequenceOf10.cpuNsMedian} ns after 10 calls, ${c.sequenceOf100.cpuNsMedian} ns after 100, ${c.sequenceOf1000.cpuNsMedian} ns after 1,000 (without the ranker, same process: ${c.sequenceOf10.withoutRankerCpuNsMedian} / ${c.sequenceOf100.withoutRankerCpuNsMedian} / ${c.sequenceOf1000.withoutRankerCpuNsMedian} ns; wall ${c.sequenceOf10.wallNsMedian} / ${c.sequenceOf100.wallNsMedian} / ${c.sequenceOf1000.wallNsMedian} ns at load average ${c.loadAverage.toFixed(1)} on ${os.cpus().length} cores)${doc.logLinearLearning ? `; the first ${doc.logLinearLearning.predictions ?? 1} predictions after the ${doc.logLinearLearning.calls.toLocaleString('en-US')} calls also learn them into the log-linear model (a bounded amount each): ${doc.logLinearLearning.cpuMs} ms CPU, ${doc.logLinearLearning.cpuNsPerCall} ns a call` : ''}. From \`pnpm bench prediction\` (\`bench/results/prediction.json\`).`,
  );
  return lines.join('\n');
}
