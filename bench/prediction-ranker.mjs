// Trains the next-tool ranker's weights (packages/analytics/src/next-tool-ranker.ts) on real
// sessions: features are cross-fitted (each session's features come from a tracker trained on
// the other inner folds, so the counts never include the session being predicted), then a
// softmax over each prediction's candidates is fitted by cross-entropy (Adam, fixed order and
// seed: the same sessions give the same weights).
//   node bench/prediction-ranker.mjs          trains on the shared traces and prints the weights
//   node bench/prediction-ranker.mjs --write  also writes packages/analytics/src/next-tool-ranker-weights.ts
// The prediction bench calls trainRankerWeights on each training fold only (nested: the test
// fold never shapes the weights it is evaluated with).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsagePatternTracker } from '@perftrack/analytics';
import { bucketOf, loadTracesOrSample } from './traces.mjs';

const INNER_FOLDS = 4;
// the weights are the mean of fits over three inner-fold assignments (SHA-256 bytes 1, 2, 3 of
// the id): one fit moves ±0.1 points of top-3 with the assignment, the mean much less
const BAGS = [1, 2, 3];

function trackerOn(sessions, options = {}) {
  const tracker = new UsagePatternTracker({ maxSessions: 100_000, ...options });
  for (const { records } of sessions) for (const r of records) tracker.onMetric(r);
  tracker.settle();
  return tracker;
}

/** Cross-fitted examples: candidates' features (flat) and the index of the tool that came next. */
function examplesOf(sessions, byte = 1) {
  const examples = [];
  for (let f = 0; f < INNER_FOLDS; f++) {
    const tracker = trackerOn(
      sessions.filter((s) => bucketOf(s.id, byte) % INNER_FOLDS !== f),
      { prediction: { rankerWeights: null } },
    );
    for (const s of sessions) {
      if (bucketOf(s.id, byte) % INNER_FOLDS !== f) continue;
      const tools = s.records.map((r) => r.toolId);
      for (let i = 1; i < tools.length; i++) {
        const candidates = tracker._predictionFeatures(tools.slice(0, i));
        const answer = candidates.findIndex((c) => c.toolId === tools[i]);
        if (answer < 0) continue;
        examples.push({ features: candidates.map((c) => c.features), answer });
      }
    }
  }
  return examples;
}

/** Softmax cross-entropy with Adam over mini-batches; deterministic. */
function fit(examples, { epochs = 8, batch = 32, rate = 0.01, l2 = 1e-5 } = {}) {
  const dims = examples[0].features[0].length;
  const weights = new Float64Array(dims);
  weights[0] = 1; // start from the layered model's own ranking
  const m = new Float64Array(dims);
  const v = new Float64Array(dims);
  const gradient = new Float64Array(dims);
  let step = 0;
  // a fixed permutation (LCG), so the weights depend on the data only
  const order = examples.map((_, i) => i);
  let seed = 12345;
  for (let i = order.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let start = 0; start < order.length; start += batch) {
      gradient.fill(0);
      const end = Math.min(order.length, start + batch);
      for (let e = start; e < end; e++) {
        const { features, answer } = examples[order[e]];
        const scores = features.map((f) => f.reduce((sum, x, d) => sum + x * weights[d], 0));
        const best = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - best));
        const partition = exps.reduce((a, b) => a + b, 0);
        for (let c = 0; c < features.length; c++) {
          const share = exps[c] / partition - (c === answer ? 1 : 0);
          for (let d = 0; d < dims; d++) gradient[d] += share * features[c][d];
        }
      }
      step++;
      for (let d = 0; d < dims; d++) {
        const g = gradient[d] / (end - start) + l2 * weights[d];
        m[d] = 0.9 * m[d] + 0.1 * g;
        v[d] = 0.999 * v[d] + 0.001 * g * g;
        weights[d] -= (rate * (m[d] / (1 - 0.9 ** step))) / (Math.sqrt(v[d] / (1 - 0.999 ** step)) + 1e-8);
      }
    }
  }
  return [...weights].map((w) => +w.toFixed(5));
}

/** Ranker weights trained on `sessions` (bench format: `{ id, records }`): the mean of one fit per inner-fold assignment. */
export function trainRankerWeights(sessions) {
  const fits = BAGS.map((byte) => fit(examplesOf(sessions, byte)));
  return fits[0].map((_, d) => +(fits.reduce((sum, w) => sum + w[d], 0) / fits.length).toFixed(5));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { file, sample, sessions } = loadTracesOrSample();
  if (sample) console.warn(`warning: training on the shipped sample (${file}), not the shared data`);
  const weights = trainRankerWeights(sessions);
  console.log(JSON.stringify(weights));
  if (process.argv.includes('--write')) {
    const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'analytics', 'src', 'next-tool-ranker-weights.ts');
    writeFileSync(
      out,
      `// Generated by \`node bench/prediction-ranker.mjs --write\` from ${sessions.length} real sessions: do not edit by hand.\n` +
        `/** The ranker's default weights, one per feature of \`RANKER_FEATURE_NAMES\`. @internal */\n` +
        `export const DEFAULT_RANKER_WEIGHTS: readonly number[] = [${weights.join(', ')}];\n`,
    );
    console.log(`wrote ${out}`);
  }
}
