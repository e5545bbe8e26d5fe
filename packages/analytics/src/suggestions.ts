import type { RunComparison } from './compare';
import type { InefficiencyReport } from './inefficiencies';
import {
  DEFAULT_FAILURE_COST_MS,
  impactOf,
  raiseSampleRate,
  rankRecommendations,
  type Impact,
  type Recommendation,
  type RecommendationKind,
} from './recommendations';
import type { AnalyticsData, Insights } from './types';

/** @deprecated The same type as {@link Recommendation}: suggestions and insights share one vocabulary. */
export type Suggestion = Recommendation;
/** @deprecated The same type as {@link RecommendationKind}. */
export type SuggestionKind = RecommendationKind;
/** @deprecated The same type as {@link Impact}. */
export type SuggestionImpact = Impact;

/** What {@link suggestOptimizations} reads; give what you have. */
export interface SuggestionInput {
  /** Figures of the run (for sample rates, call counts and mean durations). */
  readonly analytics?: AnalyticsData;
  /** The engine's insights over the same run: their recommendations join the list (deduplicated). */
  readonly insights?: Insights;
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
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Turns evidence into recommendations, ranked by estimated impact: cache a tool whose
 * identical inputs repeat, keep what a tool read, replace a sequence that keeps failing, stop
 * a retry loop, raise a sample rate whose data is too thin, investigate a regressed tool — plus
 * the engine's own findings when `insights` is given. Each says what to change (`action`),
 * cites its evidence (counts, example record ids) and says how its impact was computed
 * (`impact.basis`). The same finding from two sources is listed once.
 */
export function suggestOptimizations(input: SuggestionInput, options: SuggestionOptions = {}): Recommendation[] {
  const failureCostMs = options.failureCostMs ?? DEFAULT_FAILURE_COST_MS;
  const minSamples = options.minSamples ?? 30;
  const limit = options.limit ?? 20;
  const impact = (parts: Parameters<typeof impactOf>[0], basis: string) => impactOf(parts, basis, failureCostMs);
  const tools = new Map((input.analytics?.tools ?? []).map((t) => [t.toolId, t]));
  const out: Recommendation[] = [];
  const ineff = input.inefficiencies;

  for (const r of ineff?.repeatedCalls ?? []) {
    const t = tools.get(r.toolId);
    const perCallCost = t?.cost ? t.cost.perCall : 0;
    out.push({
      kind: 'cache-tool',
      toolId: r.toolId,
      message: `${r.toolId}: ${r.repeats} calls repeated an identical input within a few calls (${plural(r.sessions, 'session')})${r.savingMs === null ? '' : `, ${fmt(r.savingMs)} ms`}`,
      action: `memoise ${r.toolId} on its input (key a cache on the input hash), invalidated when what it reads changes`,
      impact: {
        ...impact(
          { timeMs: r.savingMs ?? 0 },
          r.savingMs === null
            ? 'no durations in the data: the repeated calls are counted, their time is not'
            : 'the durations of the repeated calls, which a cache would have answered',
        ),
        cost: perCallCost * r.repeats,
      },
      evidence: {
        source: 'repeat-window',
        repeatedCalls: r.repeats,
        calls: t?.estimatedCount ?? null,
        sessions: r.sessions,
        exampleRecordId: r.exampleRecordId,
      },
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
      message: `${toolId}: ${e.n} reads of ${plural(e.targets, 'target')} repeated one with no write in between${e.ms === null ? '' : `, ${fmt(e.ms)} ms`}`,
      action: `keep what ${toolId} returned for a target until that target is written, instead of reading it again`,
      impact: impact(
        { timeMs: e.ms ?? 0 },
        e.ms === null ? 'no durations in the data: the re-reads are counted, their time is not' : 'the durations of the re-reads',
      ),
      evidence: { rereads: e.n, targets: e.targets, exampleRecordId: e.example },
    });
  }
  for (const l of ineff?.retryLoops ?? []) {
    out.push({
      kind: 'stop-retry-loop',
      toolId: l.toolId,
      message: `${l.toolId} was retried after failing with ${l.errorType} ${l.wastedCalls} times in ${plural(l.loops, 'loop')} (longest ${l.longest} in a row)`,
      action: `after the first ${l.errorType} from ${l.toolId}, change the input or the approach instead of calling it again the same way`,
      impact: impact(
        { timeMs: l.wastedMs ?? 0, failures: l.wastedCalls },
        `the repeated failures after the first of each loop (${l.wastedCalls})${l.wastedMs === null ? '' : ' and their time'}`,
      ),
      evidence: {
        errorType: l.errorType,
        loops: l.loops,
        wastedCalls: l.wastedCalls,
        longest: l.longest,
        exampleSessionId: l.exampleSessionId,
        exampleRecordId: l.exampleRecordId,
      },
    });
  }
  for (const c of ineff?.failingChains ?? []) {
    // the first failure of a chain is information; the rest is what a different step avoids
    const avoidable = c.failedCalls - c.occurrences;
    if (avoidable <= 0) continue;
    out.push({
      kind: 'failing-sequence',
      sequence: c.chain,
      message: `${c.chain.join(' → ')} failed all the way through ${plural(c.occurrences, 'time')} (${c.failedCalls} failed calls)`,
      action: `stop at the first failure of ${c.chain.join(' → ')} and fix its cause: the calls after it failed too`,
      impact: impact({ failures: avoidable }, `failed calls after the first failure of each chain: ${c.failedCalls} − ${c.occurrences}`),
      evidence: {
        source: 'failing-chain',
        occurrences: c.occurrences,
        failedCalls: c.failedCalls,
        exampleSessionId: c.exampleSessionId,
        exampleRecordId: c.exampleRecordId,
      },
    });
  }
  for (const t of input.analytics?.tools ?? []) {
    if (t.sampledCount === 0 || t.timedCount >= minSamples || t.estimatedCount < minSamples) continue;
    out.push(raiseSampleRate(t, minSamples, failureCostMs));
  }
  for (const c of input.comparison?.tools ?? []) {
    if (c.verdict !== 'regressed') continue;
    const extraMs = c.p50 && c.a.p50 !== null && c.b.p50 !== null ? Math.max(0, (c.b.p50 - c.a.p50) * c.b.calls) : 0;
    const extraFailures = c.errorRate ? Math.max(0, c.errorRate.absolute * c.b.calls) : 0;
    const labels = input.comparison!.labels;
    out.push({
      kind: 'investigate-regression',
      toolId: c.toolId,
      message: `${c.toolId} regressed from ${labels.a} to ${labels.b} (${c.reasons.join('; ')})`,
      action: `look at what changed for ${c.toolId} between ${labels.a} and ${labels.b} (its inputs, its implementation, the prompts that call it) before shipping ${labels.b}`,
      impact: impact(
        { timeMs: extraMs, failures: extraFailures },
        `the p50 increase × ${labels.b}'s ${c.b.calls} calls, and the error-rate increase × those calls`,
      ),
      evidence: {
        reasons: c.reasons,
        p50Change: c.p50?.relative ?? null,
        errorRateChange: c.errorRate?.absolute ?? null,
        callsInB: c.b.calls,
      },
    });
  }
  return rankRecommendations([out, input.insights?.recommendations ?? []], limit);
}
