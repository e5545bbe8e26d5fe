import type { CommonError } from './evidence';
import { formatPercent as pct } from './format-percent';

/**
 * What acting on a recommendation is worth, one shape for every kind: time and failures saved
 * (and money, with a cost model), samples missing for `raise-sample-rate`, the single `score`
 * recommendations are ranked by, and `basis`: how the numbers were computed, in words.
 */
export interface Impact {
  /** Agent time saved, ms (0 when none, or when the data has no durations). */
  readonly timeMs: number;
  /** Failed calls avoided. */
  readonly failures: number;
  /** Money saved under the cost model (0 without one). */
  readonly cost: number;
  /** Timed calls missing for reliable latency figures (`raise-sample-rate`; 0 otherwise). */
  readonly samples: number;
  /** `timeMs + failures × failureCostMs` (+ `samples` for `raise-sample-rate`): what the list is ranked by. */
  readonly score: number;
  /** How `timeMs`, `failures` and `samples` were estimated, in words. */
  readonly basis: string;
}

interface Base {
  /** One line: what is wrong, with its numbers. */
  readonly message: string;
  /** What to change: the option with its exact name, the code pattern or the tool. */
  readonly action: string;
  readonly impact: Impact;
}
interface OnTool extends Base {
  readonly toolId: string;
}
interface OnSequence extends Base {
  /** Tool ids in call order. */
  readonly sequence: readonly string[];
}

/**
 * A finding a user can act on: what is wrong (`message`), what to change (`action`), why
 * (`evidence`: the numbers that triggered it) and what it is worth (`impact`, with its
 * `basis`). One vocabulary for `getInsights().recommendations`, `suggestOptimizations()`,
 * `perftrack report`, `perftrack analyze` and the dashboard; `kind` tells which fields exist.
 */
export type Recommendation =
  | (OnTool & {
      readonly kind: 'slow-tool';
      readonly evidence: { readonly p50: number; readonly p95: number; readonly thresholdMs: number; readonly timedCalls: number };
    })
  | (OnTool & {
      readonly kind: 'dominant-tool';
      readonly evidence: {
        readonly timeShare: number;
        readonly totalDuration: number;
        readonly p50: number;
        readonly meanDuration: number;
      };
    })
  | (OnTool & {
      readonly kind: 'cache-tool';
      readonly evidence:
        | {
            readonly source: 'repeated-input';
            readonly repeatedCalls: number;
            readonly calls: number;
            readonly repeatShare: number;
            readonly meanDuration: number | null;
          }
        | {
            readonly source: 'repeat-window';
            readonly repeatedCalls: number;
            readonly calls: number | null;
            readonly sessions: number;
            readonly exampleRecordId: string;
          };
    })
  | (OnTool & {
      readonly kind: 'batch-reads';
      readonly evidence: { readonly rereads: number; readonly targets: number; readonly exampleRecordId: string };
    })
  | (OnTool & {
      readonly kind: 'error-prone-tool';
      readonly evidence: {
        readonly errorRate: number;
        readonly wilsonLowerBound: number;
        readonly failures: number;
        readonly calls: number;
        readonly topError: CommonError | null;
      };
    })
  | (OnSequence & {
      readonly kind: 'failing-sequence';
      readonly evidence:
        | {
            readonly source: 'error-prone-sequence';
            readonly errorRate: number;
            readonly baseRate: number;
            readonly wilsonLowerBound: number;
            readonly occurrences: number;
            readonly failures: number;
            readonly topError: CommonError | null;
          }
        | {
            readonly source: 'failing-chain';
            readonly occurrences: number;
            readonly failedCalls: number;
            readonly exampleSessionId: string;
            readonly exampleRecordId: string;
          };
    })
  | (OnTool & {
      readonly kind: 'stop-retry-loop';
      readonly evidence: {
        readonly errorType: string;
        readonly loops: number;
        readonly wastedCalls: number;
        readonly longest: number;
        readonly exampleSessionId: string;
        readonly exampleRecordId: string;
      };
    })
  | (OnTool & {
      readonly kind: 'raise-sample-rate';
      readonly evidence: {
        readonly effectiveSampleRate: number;
        readonly timedSamples: number;
        readonly estimatedCalls: number;
        readonly minSamples: number;
        readonly suggestedSampleRate: number;
      };
    })
  | (OnTool & {
      readonly kind: 'investigate-regression';
      readonly evidence: {
        readonly reasons: readonly string[];
        readonly p50Change: number | null;
        readonly errorRateChange: number | null;
        readonly callsInB: number;
      };
    });

/** The kinds of {@link Recommendation}. */
export type RecommendationKind = Recommendation['kind'];

/** What one failed call costs the agent by default, ms: a turn to read the error and retry. */
export const DEFAULT_FAILURE_COST_MS = 5000;

/** Builds an {@link Impact}. @internal */
export function impactOf(
  parts: { timeMs?: number; failures?: number; cost?: number; samples?: number },
  basis: string,
  failureCostMs: number,
): Impact {
  const timeMs = Math.max(0, parts.timeMs ?? 0);
  const failures = Math.max(0, parts.failures ?? 0);
  const samples = Math.max(0, parts.samples ?? 0);
  return { timeMs, failures, cost: Math.max(0, parts.cost ?? 0), samples, score: timeMs + failures * failureCostMs + samples, basis };
}

/** What a recommendation is about: its tool or its sequence. */
export function recommendationTarget(r: Recommendation): string {
  return 'toolId' in r ? r.toolId : r.sequence.join(' → ');
}

/**
 * One list from several sources: a finding of the same kind about the same tool or sequence is
 * kept once (the one with the larger impact), then ranked by `impact.score`, kind and target.
 */
export function rankRecommendations(lists: ReadonlyArray<readonly Recommendation[]>, limit: number): Recommendation[] {
  const best = new Map<string, Recommendation>();
  for (const list of lists) {
    for (const r of list) {
      const key = `${r.kind}\u0000${recommendationTarget(r)}`;
      const held = best.get(key);
      if (held === undefined || r.impact.score > held.impact.score) best.set(key, r);
    }
  }
  const order = (a: Recommendation, b: Recommendation): number => {
    if (b.impact.score !== a.impact.score) return b.impact.score - a.impact.score;
    if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
    const ta = recommendationTarget(a);
    const tb = recommendationTarget(b);
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  };
  return [...best.values()].sort(order).slice(0, limit);
}

const fmt = (n: number, digits = 0): string => (Number.isInteger(n) ? String(n) : n.toFixed(digits));

/** The sample rate that would give `minSamples` timed calls at the observed volume, rounded up to a tidy value. @internal */
export function suggestedSampleRate(estimatedCalls: number, minSamples: number): number {
  if (!(estimatedCalls > 0)) return 1;
  const needed = Math.min(1, minSamples / estimatedCalls);
  for (const rate of [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1]) if (rate >= needed) return rate;
  return 1;
}

/** `raise-sample-rate` for a sampled tool with too few timed calls. @internal */
export function raiseSampleRate(
  tool: { toolId: string; effectiveSampleRate: number; timedCount: number; estimatedCount: number },
  minSamples: number,
  failureCostMs: number,
): Recommendation {
  const rate = suggestedSampleRate(tool.estimatedCount, minSamples);
  return {
    kind: 'raise-sample-rate',
    toolId: tool.toolId,
    message: `${tool.toolId} is sampled at ${pct(tool.effectiveSampleRate)}: ${fmt(tool.timedCount)} timed calls stand for ${fmt(tool.estimatedCount)}, too few for reliable latency figures`,
    action: `set sampleRate to ${rate} for ${tool.toolId} (trackPerformance({ toolId: '${tool.toolId}', sampleRate: ${rate} }), or its entry in wrapTools' per-tool options)`,
    evidence: {
      effectiveSampleRate: tool.effectiveSampleRate,
      timedSamples: tool.timedCount,
      estimatedCalls: tool.estimatedCount,
      minSamples,
      suggestedSampleRate: rate,
    },
    impact: impactOf(
      { samples: minSamples - tool.timedCount },
      `${fmt(minSamples)} timed calls are needed for reliable p95/p99; ${fmt(tool.timedCount)} were recorded`,
      failureCostMs,
    ),
  };
}

/** `failing-sequence` from an error-prone sequence (its last call fails more than the tool's base rate). @internal */
export function failingSequence(
  p: {
    sequence: readonly string[];
    errorRate: number;
    baseRate: number;
    wilsonLowerBound: number;
    count: number;
    failures: number;
    commonErrors: readonly CommonError[];
  },
  failureCostMs: number,
): Recommendation {
  const last = p.sequence[p.sequence.length - 1]!;
  const before = p.sequence.slice(0, -1).join(' → ');
  const top = p.commonErrors[0] ?? null;
  const excess = p.failures - p.count * p.baseRate;
  return {
    kind: 'failing-sequence',
    sequence: p.sequence,
    message: `${p.sequence.join(' → ')}: ${last} fails ${pct(p.errorRate)} of the time after ${before} (${fmt(p.failures)} of ${fmt(p.count)}) against ${pct(p.baseRate)} overall${top ? `, mostly ${top.message && top.message !== top.errorType ? `${top.errorType}: ${top.message}` : top.errorType}` : ''}`,
    action: `after ${before}, check what ${last} needs before calling it${top ? ` (the usual failure is ${top.errorType})` : ''}, or give the agent a different next step there`,
    evidence: {
      source: 'error-prone-sequence',
      errorRate: p.errorRate,
      baseRate: p.baseRate,
      wilsonLowerBound: p.wilsonLowerBound,
      occurrences: p.count,
      failures: p.failures,
      topError: top,
    },
    impact: impactOf(
      { failures: excess },
      `failures of ${last} after this sequence beyond its ${pct(p.baseRate)} base rate: ${fmt(p.failures)} − ${fmt(p.count)} × ${pct(p.baseRate)}`,
      failureCostMs,
    ),
  };
}
