import { createSeededRandom, isTimed, isUsableRecord, weightOf, type RandomSource, type ToolExecutionMetrics } from '@perftrack/core';
import { checkInteger } from '@perftrack/core/internal';
import { compileCostModel, emptyCost, type CompiledCostModel, type CostModel } from './cost';
import { wilsonInterval } from './evidence';
import { formatTable, terminalSafe } from './format-report';
import { formatPercent as pct } from './format-percent';

/** What a comparison concludes for a tool (or overall). */
export type Verdict = 'improved' | 'regressed' | 'unchanged' | 'insufficient-data';

/** Options of {@link compareRuns}. */
export interface CompareOptions {
  /** Names of the two runs in the document and the table. Default `A` and `B`. */
  readonly labels?: { readonly a?: string; readonly b?: string };
  /** Confidence of the comparison as a whole: the error budget is split over every test behind every verdict. Default 0.95. */
  readonly confidence?: number;
  /** Timed calls per run a latency verdict needs, and calls per run an error-rate verdict needs. Default 30. */
  readonly minSamples?: number;
  /** Smallest relative change of p50 latency called a change, even when significant. Default 0.1 (10%). */
  readonly minLatencyChange?: number;
  /** Smallest absolute change of error rate called a change, even when significant. Default 0.02 (2 points). */
  readonly minErrorRateChange?: number;
  /** Bootstrap resamples for the latency intervals. Default 400. */
  readonly bootstrapResamples?: number;
  /** Durations kept per tool and run (a uniform reservoir sample beyond it). Default 5,000. */
  readonly maxSamples?: number;
  /** What a task is, for calls per task. Default: the session. */
  readonly taskOf?: (record: ToolExecutionMetrics) => string;
  /** Seed of the resampling, so a comparison is reproducible. Default 1. */
  readonly seed?: number;
  /** Prices calls: each side then carries its cost and cost per task, and the change. Default: none. */
  readonly costModel?: CostModel;
}

/** One run's figures for a tool (or overall). */
export interface RunFigures {
  /** Estimated calls (sum of sample weights). */
  readonly calls: number;
  /** Calls with a duration (sampled in, not untimed). */
  readonly timedCalls: number;
  /** Estimated failed calls. */
  readonly failures: number;
  readonly errorRate: number;
  /** Milliseconds; `null` without timed calls. */
  readonly p50: number | null;
  readonly p95: number | null;
  /** Estimated calls per task (session by default). */
  readonly callsPerTask: number;
  /** Estimated cost under `costModel`, and per task; `null` without a model. */
  readonly cost: number | null;
  readonly costPerTask: number | null;
}

/** A change with its confidence interval. */
export interface Change {
  /** `B − A`. */
  readonly absolute: number;
  /** `(B − A) / A`, `null` when A is 0. */
  readonly relative: number | null;
  /** Confidence interval of the relative change (latency) or of the absolute change (error rate); `null` without enough data. */
  readonly interval: readonly [number, number] | null;
}

/** The comparison of one tool (or of all tools pooled, `toolId: "*"`). */
export interface ToolComparison {
  readonly toolId: string;
  readonly a: RunFigures;
  readonly b: RunFigures;
  /** p50 change: relative interval from a bootstrap. `null` below `minSamples` timed calls per run. */
  readonly p50: Change | null;
  /** p95 change, reported (not used for the verdict). */
  readonly p95: Change | null;
  /** Two-sided Mann-Whitney U test of the durations (normal approximation, ties corrected). */
  readonly latencyTest: { readonly u: number; readonly z: number; readonly pValue: number } | null;
  /** Error-rate change (absolute, Newcombe interval) and a two-proportion z-test. */
  readonly errorRate: (Change & { readonly z: number; readonly pValue: number }) | null;
  readonly callsPerTask: Change;
  /** Change of cost per task (reported, not used for the verdict); `null` without a cost model. */
  readonly costPerTask: Change | null;
  readonly verdict: Verdict;
  /** Whether p50 latency changed significantly (`unknown`: too few timed calls). */
  readonly latencyChange: SignificantChange;
  /** Whether the error rate changed significantly (`unknown`: too few calls). */
  readonly errorRateChange: SignificantChange;
  /** Why, in words, with the numbers. */
  readonly reasons: readonly string[];
}

/** A figure's change between the runs: up or down beyond noise and the minimum change, neither, or not enough data. */
export type SignificantChange = 'rose' | 'fell' | 'none' | 'unknown';

/** The versioned document {@link compareRuns} returns, for evolution loops to consume. */
export interface RunComparison {
  readonly schema: 'perftrack.compare/1';
  readonly labels: { readonly a: string; readonly b: string };
  readonly confidence: number;
  readonly runs: {
    readonly a: { readonly records: number; readonly tasks: number };
    readonly b: { readonly records: number; readonly tasks: number };
  };
  /** All tools pooled. */
  readonly overall: ToolComparison;
  /** Tools seen in either run, by calls in B then A, descending. */
  readonly tools: readonly ToolComparison[];
}

interface Side {
  cost: number;
  calls: number;
  failures: number;
  timed: number;
  seen: number;
  samples: number[];
}

interface Collected {
  readonly tools: Map<string, Side>;
  readonly overall: Side;
  readonly tasks: number;
  readonly records: number;
}

const newSide = (): Side => ({ cost: 0, calls: 0, failures: 0, timed: 0, seen: 0, samples: [] });

/** Adds one record (its weight and whether it is timed, worked out once) to a side. */
function addTo(s: Side, r: ToolExecutionMetrics, weight: number, timed: boolean, max: number, random: RandomSource): void {
  s.calls += weight;
  if (!r.success) s.failures += weight;
  if (!timed) return;
  s.timed++;
  // reservoir sampling (algorithm R): a uniform sample of `max` durations
  if (s.samples.length < max) s.samples.push(r.duration);
  else {
    const j = Math.floor(random() * (s.timed + 1));
    if (j < max) s.samples[j] = r.duration;
  }
}

function collect(
  records: Iterable<ToolExecutionMetrics>,
  taskOf: (r: ToolExecutionMetrics) => string,
  max: number,
  random: RandomSource,
  cost: CompiledCostModel | undefined,
): Collected {
  const one = emptyCost();
  const tools = new Map<string, Side>();
  const overall = newSide();
  const tasks = new Set<string>();
  let count = 0;
  for (const r of records) {
    if (!isUsableRecord(r)) continue;
    count++;
    tasks.add(taskOf(r));
    let side = tools.get(r.toolId);
    if (side === undefined) tools.set(r.toolId, (side = newSide()));
    const weight = weightOf(r);
    const timed = isTimed(r);
    addTo(side, r, weight, timed, max, random);
    addTo(overall, r, weight, timed, max, random);
    if (cost !== undefined) {
      cost.price(r, one);
      side.cost += one.total;
      overall.cost += one.total;
    }
  }
  return { tools, overall, tasks: tasks.size, records: count };
}

/** The 0-based index of the nearest-rank q-quantile in a sorted sample of `n`. */
function rankIndex(n: number, q: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
}

/** The k-th smallest of `xs[0..n)` (0-based), reordering `xs` (quickselect). */
function select(xs: Float64Array | number[], n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = xs[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((xs[i] as number) < pivot) i++;
      while ((xs[j] as number) > pivot) j--;
      if (i <= j) {
        const t = xs[i] as number;
        xs[i] = xs[j] as number;
        xs[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return xs[k] as number;
  }
  return xs[k] as number;
}

/** The q-quantile (nearest rank) of a sample; does not reorder `xs`. */
function quantile(xs: readonly number[], q: number): number {
  const copy = Float64Array.from(xs);
  return select(copy, copy.length, rankIndex(copy.length, q));
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Two-sided p-value of a standard normal statistic. */
function twoSidedP(z: number): number {
  return Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
}

/** Two-sided Mann-Whitney U test, normal approximation with tie correction. */
export function mannWhitney(xs: readonly number[], ys: readonly number[]): { u: number; z: number; pValue: number } {
  const n1 = xs.length;
  const n2 = ys.length;
  const all = [...xs.map((v) => [v, 0] as const), ...ys.map((v) => [v, 1] as const)].sort((p, q) => p[0] - q[0]);
  const n = all.length;
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && (all[j + 1] as readonly [number, number])[0] === (all[i] as readonly [number, number])[0]) j++;
    const rank = (i + j + 2) / 2; // average of ranks i+1..j+1
    const ties = j - i + 1;
    if (ties > 1) tieTerm += ties ** 3 - ties;
    for (let k = i; k <= j; k++) if ((all[k] as readonly [number, number])[1] === 0) rankSumX += rank;
    i = j + 1;
  }
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { u, z: 0, pValue: 1 };
  const z = (u - mean) / Math.sqrt(variance);
  return { u, z, pValue: twoSidedP(z) };
}

/** Bootstrap interval of the relative change of the q-quantile from `xs` to `ys`. */
function bootstrapRelative(
  xs: readonly number[],
  ys: readonly number[],
  q: number,
  resamples: number,
  alpha: number,
  random: RandomSource,
): [number, number] {
  const bx = new Float64Array(xs.length);
  const by = new Float64Array(ys.length);
  const kx = rankIndex(xs.length, q);
  const ky = rankIndex(ys.length, q);
  const out = new Float64Array(resamples);
  // xorshift32 inline, seeded from `random`: millions of index draws, bit operations only
  let state = Math.floor(random() * 4294967295) >>> 0 || 0x9e3779b9;
  const draw = (n: number): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < bx.length; i++) bx[i] = xs[draw(xs.length)] as number;
    for (let i = 0; i < by.length; i++) by[i] = ys[draw(ys.length)] as number;
    const qa = select(bx, bx.length, kx);
    const qb = select(by, by.length, ky);
    out[r] = qa > 0 ? (qb - qa) / qa : 0;
  }
  out.sort();
  const at = (p: number) => out[Math.min(resamples - 1, Math.max(0, Math.round(p * (resamples - 1))))] as number;
  return [at(alpha / 2), at(1 - alpha / 2)];
}

function figures(s: Side, tasks: number, priced: boolean): RunFigures {
  return {
    calls: s.calls,
    timedCalls: s.timed,
    failures: s.failures,
    errorRate: s.calls > 0 ? s.failures / s.calls : 0,
    p50: s.samples.length > 0 ? quantile(s.samples, 0.5) : null,
    p95: s.samples.length > 0 ? quantile(s.samples, 0.95) : null,
    callsPerTask: tasks > 0 ? s.calls / tasks : 0,
    cost: priced ? s.cost : null,
    costPerTask: priced ? (tasks > 0 ? s.cost / tasks : 0) : null,
  };
}

const relative = (a: number, b: number): number | null => (a !== 0 ? (b - a) / a : null);

function compareSide(
  toolId: string,
  sa: Side,
  sb: Side,
  tasksA: number,
  tasksB: number,
  o: ResolvedOptions,
  random: RandomSource,
  testAlpha: number,
): ToolComparison {
  const a = figures(sa, tasksA, o.priced);
  const b = figures(sb, tasksB, o.priced);
  const alpha = 1 - o.confidence;
  const reasons: string[] = [];
  let better = false;
  let worse = false;
  let decided = false;

  let latencyChange: SignificantChange = 'unknown';
  let errorRateChange: SignificantChange = 'unknown';
  let p50: Change | null = null;
  let p95: Change | null = null;
  let latencyTest: ToolComparison['latencyTest'] = null;
  if (sa.samples.length >= o.minSamples && sb.samples.length >= o.minSamples) {
    decided = true;
    latencyTest = mannWhitney(sa.samples, sb.samples);
    p50 = {
      absolute: b.p50! - a.p50!,
      relative: relative(a.p50!, b.p50!),
      interval: bootstrapRelative(sa.samples, sb.samples, 0.5, o.resamples, testAlpha, random),
    };
    p95 = {
      absolute: b.p95! - a.p95!,
      relative: relative(a.p95!, b.p95!),
      interval: bootstrapRelative(sa.samples, sb.samples, 0.95, o.resamples, alpha, random),
    };
    const [lo, hi] = p50.interval!;
    const change = p50.relative ?? 0;
    const significant = latencyTest.pValue < testAlpha && (lo > 0 || hi < 0) && Math.abs(change) >= o.minLatencyChange;
    latencyChange = significant ? (change > 0 ? 'rose' : 'fell') : 'none';
    if (significant) {
      if (change > 0) worse = true;
      else better = true;
      reasons.push(
        `p50 ${change > 0 ? 'rose' : 'fell'} ${pct(Math.abs(change))} (${a.p50!.toFixed(2)} → ${b.p50!.toFixed(2)} ms; interval ${pct(lo)} to ${pct(hi)}; Mann-Whitney p = ${latencyTest.pValue.toPrecision(2)})`,
      );
    } else {
      reasons.push(
        `p50 ${a.p50!.toFixed(2)} → ${b.p50!.toFixed(2)} ms: no change beyond noise (p = ${latencyTest.pValue.toPrecision(2)}, threshold ${pct(o.minLatencyChange)})`,
      );
    }
  } else {
    reasons.push(`latency: ${sa.samples.length} and ${sb.samples.length} timed calls, ${o.minSamples} needed in each run`);
  }

  let errorRate: ToolComparison['errorRate'] = null;
  if (sa.calls >= o.minSamples && sb.calls >= o.minSamples) {
    decided = true;
    const pooled = (sa.failures + sb.failures) / (sa.calls + sb.calls);
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / sa.calls + 1 / sb.calls));
    const diff = b.errorRate - a.errorRate;
    const z = se > 0 ? diff / se : 0;
    const pValue = se > 0 ? twoSidedP(z) : 1;
    // Newcombe's hybrid score interval for a difference of proportions
    const zc = quantileZ(1 - testAlpha / 2);
    const [la, ua] = wilsonInterval(a.errorRate, sa.calls, zc);
    const [lb, ub] = wilsonInterval(b.errorRate, sb.calls, zc);
    const interval: [number, number] = [
      diff - Math.sqrt((b.errorRate - lb) ** 2 + (ua - a.errorRate) ** 2),
      diff + Math.sqrt((ub - b.errorRate) ** 2 + (a.errorRate - la) ** 2),
    ];
    errorRate = { absolute: diff, relative: relative(a.errorRate, b.errorRate), interval, z, pValue };
    const significant = pValue < testAlpha && (interval[0] > 0 || interval[1] < 0) && Math.abs(diff) >= o.minErrorRateChange;
    errorRateChange = significant ? (diff > 0 ? 'rose' : 'fell') : 'none';
    if (significant) {
      if (diff > 0) worse = true;
      else better = true;
      reasons.push(
        `error rate ${diff > 0 ? 'rose' : 'fell'} ${pct(a.errorRate)} → ${pct(b.errorRate)} (interval ${pct(interval[0])} to ${pct(interval[1])} points; p = ${pValue.toPrecision(2)})`,
      );
    } else {
      reasons.push(`error rate ${pct(a.errorRate)} → ${pct(b.errorRate)}: no change beyond noise (p = ${pValue.toPrecision(2)})`);
    }
  } else {
    reasons.push(`error rate: ${sa.calls.toFixed(0)} and ${sb.calls.toFixed(0)} calls, ${o.minSamples} needed in each run`);
  }

  const verdict: Verdict = worse ? 'regressed' : better ? 'improved' : decided ? 'unchanged' : 'insufficient-data';
  return {
    toolId,
    a,
    b,
    p50,
    p95,
    latencyTest,
    errorRate,
    callsPerTask: { absolute: b.callsPerTask - a.callsPerTask, relative: relative(a.callsPerTask, b.callsPerTask), interval: null },
    costPerTask:
      a.costPerTask === null || b.costPerTask === null
        ? null
        : { absolute: b.costPerTask - a.costPerTask, relative: relative(a.costPerTask, b.costPerTask), interval: null },
    verdict,
    latencyChange,
    errorRateChange,
    reasons,
  };
}

/** The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
function quantileZ(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  const poly = (k: number[], x: number) => k.reduce((acc, v) => acc * x + v, 0);
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - pl) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(c, q) / (poly(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}

interface ResolvedOptions {
  confidence: number;
  minSamples: number;
  minLatencyChange: number;
  minErrorRateChange: number;
  resamples: number;
  priced: boolean;
}

/**
 * Compares two runs (two sessions, two sets of sessions, two generations of a self-improving
 * agent's tools) per tool and overall: p50/p95 latency change with a bootstrap interval and a
 * Mann-Whitney test, error-rate change with a two-proportion test, calls per task, and a verdict
 * that does not call noise a change: a tool is `improved` or `regressed` only when a change is
 * both significant and at least `minLatencyChange` / `minErrorRateChange`. Significance is
 * family-wise (Bonferroni over both tests of every tool and the pooled entry), so two runs of
 * the same distribution get any change verdict at most `1 − confidence` of the time. A
 * regression on either axis wins over an improvement on the other.
 *
 * @example
 * ```ts
 * const doc = compareRuns(await storage.loadMetrics('gen-7'), await storage.loadMetrics('gen-8'), { labels: { a: 'gen-7', b: 'gen-8' } });
 * for (const t of doc.tools) if (t.verdict === 'regressed') console.log(t.toolId, t.reasons);
 * ```
 */
export function compareRuns(
  a: Iterable<ToolExecutionMetrics>,
  b: Iterable<ToolExecutionMetrics>,
  options: CompareOptions = {},
): RunComparison {
  const confidence = options.confidence ?? 0.95;
  if (typeof confidence !== 'number' || !(confidence > 0.5 && confidence < 1))
    throw new TypeError(`compareRuns: confidence must be in (0.5, 1), got ${String(confidence)}`);
  const int = (name: string, value: unknown, min: number): number => checkInteger('compareRuns', name, value, min);
  const share = (name: string, value: unknown): number => {
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))
      throw new TypeError(`compareRuns: ${name} must be a finite number >= 0, got ${String(value)}`);
    return value;
  };
  const o: ResolvedOptions = {
    confidence,
    minSamples: int('minSamples', options.minSamples ?? 30, 5),
    minLatencyChange: share('minLatencyChange', options.minLatencyChange ?? 0.1),
    minErrorRateChange: share('minErrorRateChange', options.minErrorRateChange ?? 0.02),
    resamples: int('bootstrapResamples', options.bootstrapResamples ?? 400, 50),
    priced: options.costModel !== undefined,
  };
  const maxSamples = int('maxSamples', options.maxSamples ?? 5_000, 10);
  if (options.taskOf !== undefined && typeof options.taskOf !== 'function') throw new TypeError('compareRuns: taskOf must be a function');
  const taskOf = options.taskOf ?? ((r: ToolExecutionMetrics) => r.sessionId);
  const random = createSeededRandom(options.seed ?? 1);
  const cost = options.costModel === undefined ? undefined : compileCostModel(options.costModel);
  const ca = collect(a, taskOf, maxSamples, random, cost);
  const cb = collect(b, taskOf, maxSamples, random, cost);
  const ids = new Set([...ca.tools.keys(), ...cb.tools.keys()]);
  // Family-wise error control (Bonferroni): two tests for each tool and for the pooled entry, so
  // the chance that noise yields any improved/regressed verdict in the document is at most 1 − confidence.
  const entries = 1 + ids.size;
  const testAlpha = (1 - confidence) / (2 * entries);
  const tools = [...ids]
    .map((id) => compareSide(id, ca.tools.get(id) ?? newSide(), cb.tools.get(id) ?? newSide(), ca.tasks, cb.tasks, o, random, testAlpha))
    .sort((x, y) => y.b.calls - x.b.calls || y.a.calls - x.a.calls || (x.toolId < y.toolId ? -1 : 1));
  return {
    schema: 'perftrack.compare/1',
    labels: { a: options.labels?.a ?? 'A', b: options.labels?.b ?? 'B' },
    confidence,
    runs: { a: { records: ca.records, tasks: ca.tasks }, b: { records: cb.records, tasks: cb.tasks } },
    overall: compareSide('*', ca.overall, cb.overall, ca.tasks, cb.tasks, o, random, testAlpha),
    tools,
  };
}

/**
 * A readable table of a {@link RunComparison}: one row per tool and one for all tools, with
 * calls, p50, p95 and error rate in each run, the changes and the verdict.
 */
export function formatComparison(doc: RunComparison): string {
  const ms = (v: number | null) => (v === null ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1));
  const change = (c: Change | null) => (c?.relative == null ? '' : ` (${c.relative >= 0 ? '+' : ''}${(c.relative * 100).toFixed(0)}%)`);
  const priced = doc.overall.a.costPerTask !== null;
  const money = (v: number | null) => (v === null ? '-' : v.toPrecision(3));
  const rows = [doc.overall, ...doc.tools].map((t) => [
    t.toolId === '*' ? 'all tools' : terminalSafe(t.toolId),
    `${t.a.calls.toFixed(0)} → ${t.b.calls.toFixed(0)}`,
    `${t.a.failures.toFixed(0)} → ${t.b.failures.toFixed(0)}`,
    `${pct(t.a.errorRate)} → ${pct(t.b.errorRate)}`,
    `${ms(t.a.p50)} → ${ms(t.b.p50)}${change(t.p50)}`,
    `${ms(t.a.p95)} → ${ms(t.b.p95)}${change(t.p95)}`,
    ...(priced ? [`${money(t.a.costPerTask)} → ${money(t.b.costPerTask)}${change(t.costPerTask)}`] : []),
    t.verdict,
  ]);
  const header = ['tool', 'calls', 'failed', 'error rate', 'p50 ms', 'p95 ms', ...(priced ? ['cost/task'] : []), 'verdict'];
  return [
    `${terminalSafe(doc.labels.a)} → ${terminalSafe(doc.labels.b)} (${doc.runs.a.records} → ${doc.runs.b.records} records, confidence ${doc.confidence})`,
    ...formatTable(header, rows, new Set()),
  ].join('\n');
}
