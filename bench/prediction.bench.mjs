// Next-tool prediction on real agent sessions: split by session (80% train / 20% test, by a hash
// of the session id), every call after the first of each test session is predicted from the calls
// before it. Baselines: most frequent tool, 1st-order Markov, 2nd-order Markov with backoff.
// The tracker's prediction options are chosen on a validation split carved out of the training
// sessions (never the test split), then the model is retrained on all training sessions.
import { UsagePatternTracker } from '@perftrack/analytics';
import { bucketOf, loadTraceSessions } from './traces.mjs';

const TRAIN_SHARE = 205; // of 256: ~80%

function counts() {
  return new Map();
}
function bump(map, key, tool) {
  let m = map.get(key);
  if (m === undefined) map.set(key, (m = new Map()));
  m.set(tool, (m.get(tool) ?? 0) + 1);
}
function topOf(m, k, exclude = []) {
  return [...m.entries()].filter(([t]) => !exclude.includes(t)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k).map(([t]) => t);
}

/** Markov model of order `order` that backs off to shorter contexts and fills the top-k from them. */
function markov(train, order) {
  const ctx = counts();
  for (const { records } of train) {
    for (let i = 0; i < records.length; i++) {
      let key = '';
      bump(ctx, key, records[i].toolId);
      for (let k = 1; k <= order && i - k >= 0; k++) {
        key = `${records[i - k].toolId}\u0000${key}`;
        bump(ctx, key, records[i].toolId);
      }
    }
  }
  return (history, k) => {
    const out = [];
    for (let len = Math.min(order, history.length); len >= 0 && out.length < k; len--) {
      let key = '';
      for (let j = 1; j <= len; j++) key = `${history[history.length - j].toolId}\u0000${key}`;
      const m = ctx.get(key);
      if (m) out.push(...topOf(m, k - out.length, out));
    }
    return out;
  };
}

function tracker(train, options) {
  const t = new UsagePatternTracker({ maxSessions: 100_000, ...options });
  for (const { records } of train) for (const r of records) t.onMetric(r);
  t.settle();
  return (history, k) => t.predictNextTools(history.map((r) => ({ toolId: r.toolId, success: r.success })), k).map((p) => p.toolId);
}

function evaluate(test, predict) {
  let n = 0;
  let top1 = 0;
  let top3 = 0;
  for (const { records } of test) {
    for (let i = 1; i < records.length; i++) {
      const guess = predict(records.slice(0, i), 3);
      n++;
      if (guess[0] === records[i].toolId) top1++;
      if (guess.slice(0, 3).includes(records[i].toolId)) top3++;
    }
  }
  return { predictions: n, top1: +(top1 / n).toFixed(4), top3: +(top3 / n).toFixed(4) };
}

export async function run() {
  const sessions = loadTraceSessions();
  const train = sessions.filter((s) => bucketOf(s.id) < TRAIN_SHARE);
  const test = sessions.filter((s) => bucketOf(s.id) >= TRAIN_SHARE);
  const fit = train.filter((s) => bucketOf(s.id, 1) >= 51);
  const validation = train.filter((s) => bucketOf(s.id, 1) < 51);

  // choose the tracker's options on the validation split
  const grid = [];
  for (const maxSequenceLength of [3, 4, 5])
    for (const outcomeAware of [false, true])
      for (const cacheWeight of [0, 0.3, 0.5, 0.7])
        for (const cacheHalfLength of cacheWeight === 0 ? [5] : [2, 5, 10]) grid.push({ maxSequenceLength, prediction: { outcomeAware, cacheWeight, cacheHalfLength } });
  let best;
  for (const options of grid) {
    const score = evaluate(validation, tracker(fit, options));
    if (best === undefined || score.top3 > best.score.top3 || (score.top3 === best.score.top3 && score.top1 > best.score.top1)) best = { options, score };
  }

  const rows = [
    { model: 'most frequent tool', ...evaluate(test, markov(train, 0)) },
    { model: '1st-order Markov', ...evaluate(test, markov(train, 1)) },
    { model: '2nd-order Markov with backoff', ...evaluate(test, markov(train, 2)) },
    { model: 'UsagePatternTracker, tools only, no session cache', ...evaluate(test, tracker(train, { prediction: { outcomeAware: false, cacheWeight: 0 } })) },
    { model: 'UsagePatternTracker, defaults', ...evaluate(test, tracker(train, {})) },
    { model: `UsagePatternTracker, options chosen on validation`, options: best.options, ...evaluate(test, tracker(train, best.options)) },
  ];
  const bestBaseline = rows.slice(0, 3).reduce((a, b) => (b.top3 > a.top3 ? b : a));
  const ours = rows[4];
  for (const r of rows) console.log(`  ${r.model.padEnd(52)} top-1 ${(r.top1 * 100).toFixed(1).padStart(5)}%  top-3 ${(r.top3 * 100).toFixed(1).padStart(5)}%`);
  const margin = { top3Points: +((ours.top3 - bestBaseline.top3) * 100).toFixed(2), top3MissesReduced: +(1 - (1 - ours.top3) / (1 - bestBaseline.top3)).toFixed(4), top1Points: +((ours.top1 - bestBaseline.top1) * 100).toFixed(2) };
  console.log(`  defaults vs best baseline (${bestBaseline.model}): top-3 +${margin.top3Points} points (${(margin.top3MissesReduced * 100).toFixed(1)}% fewer top-3 misses), top-1 +${margin.top1Points} points`);
  console.log(`  validation choice: ${JSON.stringify(best.options)} (validation top-3 ${(best.score.top3 * 100).toFixed(1)}%)`);
  return {
    data: { file: '../shared/data/agent-traces/traces.jsonl', sessions: sessions.length, calls: sessions.reduce((n, s) => n + s.records.length, 0) },
    split: { rule: 'SHA-256(session id) byte 0 < 205 -> train, else test; validation = train sessions with byte 1 < 51', train: train.length, test: test.length, fit: fit.length, validation: validation.length },
    task: 'predict each call after the first of every test session from all earlier calls of that session (tool ids and outcomes)',
    results: rows,
    bestBaseline: bestBaseline.model,
    marginOfDefaults: margin,
    validationChoice: best,
  };
}

export function readmeTable(doc) {
  const lines = ['| model | top-1 | top-3 |', '|---|---:|---:|'];
  for (const r of doc.results) lines.push(`| ${r.model} | ${(r.top1 * 100).toFixed(1)}% | ${(r.top3 * 100).toFixed(1)}% |`);
  lines.push('', `${doc.data.sessions.toLocaleString('en-US')} real sessions (${doc.data.calls.toLocaleString('en-US')} calls), split by session: ${doc.split.train} train / ${doc.split.test} test, ${doc.results[0].predictions.toLocaleString('en-US')} predictions. Defaults vs the best baseline: top-3 +${doc.marginOfDefaults.top3Points} points (${(doc.marginOfDefaults.top3MissesReduced * 100).toFixed(1)}% fewer misses), top-1 +${doc.marginOfDefaults.top1Points} points. From \`pnpm bench prediction\` (\`bench/results/prediction.json\`).`);
  return lines.join('\n');
}
