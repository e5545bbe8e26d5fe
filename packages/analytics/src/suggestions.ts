import type { RunComparison } from './compare';
import type { InefficiencyReport } from './inefficiencies';
import type { AnalyticsData } from './types';

/** What a suggestion would save: time, failures and, with a cost model, money. */
export interface SuggestionImpact {
  readonly timeMs: number;
  readonly failures: number;
  readonly cost: number;
  /** The single number suggestions are ranked by: `timeMs + failures × failureCostMs`. */
  readonly score: number;
}

interface Base {
  readonly message: string;
  readonly impact: SuggestionImpact;
}

/** A typed, ranked optimisation suggestion; `kind` says which evidence it carries. */
export type Suggestion =
  | (Base & { readonly kind: 'cache-tool'; readonly toolId: string; readonly evidence: { readonly repeatedCalls: number; readonly calls: number | null; readonly sessions: number; readonly exampleRecordId: string } })
  | (Base & { readonly kind: 'batch-reads'; readonly toolId: string; readonly evidence: { readonly rereads: number; readonly targets: number; readonly exampleRecordId: string } })
  | (Base & { readonly kind: 'replace-failing-chain'; readonly chain: readonly string[]; readonly evidence: { readonly occurrences: number; readonly failedCalls: number; readonly exampleSessionId: string; readonly exampleRecordId: string } })
  | (Base & { readonly kind: 'stop-retry-loop'; readonly toolId: string; readonly evidence: { readonly errorType: string; readonly loops: number; readonly wastedCalls: number; readonly longest: number; readonly exampleSessionId: string; readonly exampleRecordId: string } })
  | (Base & { readonly kind: 'raise-sample-rate'; readonly toolId: string; readonly evidence: { readonly effectiveSampleRate: number; readonly timedSamples: number; readonly estimatedCalls: number; readonly minSamples: number } })
  | (Base & { readonly kind: 'investigate-regression'; readonly toolId: string; readonly evidence: { readonly reasons: readonly string[]; readonly p50Change: number | null; readonly errorRateChange: number | null; readonly callsInB: number } });

/** The kinds of {@link Suggestion}. */
export type SuggestionKind = Suggestion['kind'];

/** What {@link suggestOptimizations} reads; give what you have. */
export interface SuggestionInput {
  /** Figures of the run (for sample rates, call counts and mean durations). */
  readonly analytics?: AnalyticsData;
  /** Wasted work found by `findInefficiencies`. */
  readonly inefficiencies?: InefficiencyReport;
  /** A comparison of the previous run (A) with this one (B). */
  readonly comparison?: RunComparison;
}

/** Options of {@link suggestOptimizations}. */
export interface SuggestionOptions {
  /** What one failed call costs the agent, in ms, to rank failures against time. Default `5000` (a turn to read the error and retry). */
  failureCostMs?: number;
  /** Timed calls below which a sampled tool's figures are too thin. Default `30`. */
  minSamples?: number;
  /** At most this many suggestions. Default `20`. */
  limit?: number;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/**
 * Turns evidence into typed suggestions, ranked by estimated impact: cache a tool whose
 * identical inputs repeat, batch reads of the same targets, replace a chain that keeps failing,
 * stop a retry loop, raise a sample rate whose data is too thin, investigate a regressed tool.
 * Each cites its evidence (counts, example record ids) so it can be checked.
 */
export function suggestOptimizations(input: SuggestionInput, options: SuggestionOptions = {}): Suggestion[] {
  const failureCostMs = options.failureCostMs ?? 5000;
  const minSamples = options.minSamples ?? 30;
  const limit = options.limit ?? 20;
  const impact = (timeMs: number, failures: number, cost = 0): SuggestionImpact => ({ timeMs, failures, cost, score: timeMs + failures * failureCostMs });
  const tools = new Map((input.analytics?.tools ?? []).map((t) => [t.toolId, t]));
  const out: Suggestion[] = [];
  const ineff = input.inefficiencies;

  for (const r of ineff?.repeatedCalls ?? []) {
    const t = tools.get(r.toolId);
    const perCallCost = t?.cost ? t.cost.perCall : 0;
    out.push({
      kind: 'cache-tool',
      toolId: r.toolId,
      message: `cache ${r.toolId}: ${r.repeats} calls repeated an identical input within a few calls (${r.sessions} session${r.sessions === 1 ? '' : 's'})${r.savingMs === null ? '' : `, ${fmt(r.savingMs)} ms`}`,
      impact: impact(r.savingMs ?? 0, 0, perCallCost * r.repeats),
      evidence: { repeatedCalls: r.repeats, calls: t?.estimatedCount ?? null, sessions: r.sessions, exampleRecordId: r.exampleRecordId },
    });
  }
  const rereadsByTool = new Map<string, { n: number; targets: number; ms: number | null; example: string }>();
  for (const r of ineff?.rereads ?? []) {
    const e = rereadsByTool.get(r.toolId) ?? { n: 0, targets: 0, ms: r.savingMs === null ? null : 0, example: r.exampleRecordId };
    e.n += r.rereads;
    e.targets++;
    if (e.ms !== null && r.savingMs !== null) e.ms += r.savingMs;
    rereadsByTool.set(r.toolId, e);
  }
  for (const [toolId, e] of rereadsByTool) {
    out.push({
      kind: 'batch-reads',
      toolId,
      message: `keep what ${toolId} read: ${e.n} reads of ${e.targets} target${e.targets === 1 ? '' : 's'} repeated one with no write in between${e.ms === null ? '' : `, ${fmt(e.ms)} ms`}`,
      impact: impact(e.ms ?? 0, 0),
      evidence: { rereads: e.n, targets: e.targets, exampleRecordId: e.example },
    });
  }
  for (const l of ineff?.retryLoops ?? []) {
    out.push({
      kind: 'stop-retry-loop',
      toolId: l.toolId,
      message: `${l.toolId} was retried after failing with ${l.errorType} ${l.wastedCalls} times in ${l.loops} loop${l.loops === 1 ? '' : 's'} (longest ${l.longest} in a row): change course after the first ${l.errorType}`,
      impact: impact(l.wastedMs ?? 0, l.wastedCalls),
      evidence: { errorType: l.errorType, loops: l.loops, wastedCalls: l.wastedCalls, longest: l.longest, exampleSessionId: l.exampleSessionId, exampleRecordId: l.exampleRecordId },
    });
  }
  for (const c of ineff?.failingChains ?? []) {
    // the first failure of a chain is information; the rest is what a different step avoids
    const avoidable = c.failedCalls - c.occurrences;
    if (avoidable <= 0) continue;
    out.push({
      kind: 'replace-failing-chain',
      chain: c.chain,
      message: `replace ${c.chain.join(' → ')}: it failed all the way through ${c.occurrences} time${c.occurrences === 1 ? '' : 's'} (${c.failedCalls} failed calls)`,
      impact: impact(0, avoidable),
      evidence: { occurrences: c.occurrences, failedCalls: c.failedCalls, exampleSessionId: c.exampleSessionId, exampleRecordId: c.exampleRecordId },
    });
  }
  for (const t of input.analytics?.tools ?? []) {
    if (t.sampledCount === 0 || t.timedCount >= minSamples || t.estimatedCount < minSamples) continue;
    out.push({
      kind: 'raise-sample-rate',
      toolId: t.toolId,
      message: `raise ${t.toolId}'s sample rate: ${t.timedCount} timed calls stand for ${fmt(t.estimatedCount)}, too few for reliable latency figures`,
      // no time is saved; rank it by the samples missing, as a small share of a failure
      impact: { timeMs: 0, failures: 0, cost: 0, score: minSamples - t.timedCount },
      evidence: { effectiveSampleRate: t.effectiveSampleRate, timedSamples: t.timedCount, estimatedCalls: t.estimatedCount, minSamples },
    });
  }
  for (const c of input.comparison?.tools ?? []) {
    if (c.verdict !== 'regressed') continue;
    const extraMs = c.p50 && c.a.p50 !== null && c.b.p50 !== null ? Math.max(0, (c.b.p50 - c.a.p50) * c.b.calls) : 0;
    const extraFailures = c.errorRate ? Math.max(0, c.errorRate.absolute * c.b.calls) : 0;
    out.push({
      kind: 'investigate-regression',
      toolId: c.toolId,
      message: `investigate ${c.toolId}: it regressed from ${input.comparison!.labels.a} to ${input.comparison!.labels.b} (${c.reasons.join('; ')})`,
      impact: impact(extraMs, extraFailures),
      evidence: { reasons: c.reasons, p50Change: c.p50?.relative ?? null, errorRateChange: c.errorRate?.absolute ?? null, callsInB: c.b.calls },
    });
  }
  return out.sort((a, b) => b.impact.score - a.impact.score || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0)).slice(0, limit);
}
