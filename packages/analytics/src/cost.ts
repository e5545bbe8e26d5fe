import { isTimed, isUsableRecord, weightOf, type ToolExecutionMetrics } from '@perftrack/core';

/** What one call of a tool costs, in the model's currency. Every rate defaults to 0. */
export interface CostRates {
  /** Fixed cost of one call. */
  readonly perCall?: number;
  /** Cost per second of the call's runtime. */
  readonly perSecond?: number;
  /** Cost per kilobyte (1,024 bytes) of input (needs `trackInputOutput`). */
  readonly perInputKB?: number;
  /** Cost per kilobyte of output. */
  readonly perOutputKB?: number;
}

/** Price of tokens, per million. */
export interface TokenPrice {
  readonly inputPerMillion: number;
  readonly outputPerMillion: number;
}

/**
 * A cost model: per-tool rates (with defaults), and token prices applied to token counts your
 * tools put in their `customMetadata` (default paths `tokens.input`, `tokens.output`, and
 * `model` to pick a price; `*` is the price for any other model).
 *
 * @example
 * const model: CostModel = {
 *   currency: 'USD',
 *   default: { perSecond: 0.0001 },
 *   tools: { webfetch: { perCall: 0.001, perOutputKB: 0.00001 } },
 *   tokenPrices: { 'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 }, '*': { inputPerMillion: 1, outputPerMillion: 4 } },
 * };
 */
export interface CostModel {
  /** Shown with every figure. Default `USD`. */
  readonly currency?: string;
  /** Rates of tools not listed in `tools`. */
  readonly default?: CostRates;
  /** Rates per tool id (replacing `default` for that tool). */
  readonly tools?: Readonly<Record<string, CostRates>>;
  /** Token prices by model name; `*` for any model (or calls naming none). */
  readonly tokenPrices?: Readonly<Record<string, TokenPrice>>;
  /** Where token counts and the model name are read in a record's metadata (dotted paths). */
  readonly metadataPaths?: { readonly inputTokens?: string; readonly outputTokens?: string; readonly model?: string };
}

/** One call's cost, split by source (all sample-weighted: a kept record of weight w stands for w calls). */
export interface CostBreakdown {
  total: number;
  fixed: number;
  runtime: number;
  io: number;
  tokens: number;
}

/** A cost model checked and ready: {@link compileCostModel}. */
export interface CompiledCostModel {
  readonly currency: string;
  /**
   * Writes a record's (weighted) cost into `out`, replacing what it held, so one scratch object
   * serves every record; returns whether tokens were present but had no price.
   */
  price(record: ToolExecutionMetrics, out: CostBreakdown): boolean;
}

/** An empty breakdown to add to. */
export function emptyCost(): CostBreakdown {
  return { total: 0, fixed: 0, runtime: 0, io: 0, tokens: 0 };
}

/** Adds `one` to `into`, part by part. */
export function addCost(into: CostBreakdown, one: CostBreakdown): void {
  into.total += one.total;
  into.fixed += one.fixed;
  into.runtime += one.runtime;
  into.io += one.io;
  into.tokens += one.tokens;
}

function checkRates(where: string, rates: unknown): CostRates {
  if (rates === null || typeof rates !== 'object') throw new TypeError(`CostModel: ${where} must be an object of rates`);
  for (const [k, v] of Object.entries(rates)) {
    if (!['perCall', 'perSecond', 'perInputKB', 'perOutputKB'].includes(k))
      throw new TypeError(`CostModel: ${where} has an unknown rate "${k}" (perCall, perSecond, perInputKB, perOutputKB)`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new TypeError(`CostModel: ${where}.${k} must be a finite number >= 0, got ${String(v)}`);
  }
  return rates as CostRates;
}

function pathReader(path: string): (meta: Readonly<Record<string, unknown>> | undefined) => unknown {
  const parts = path.split('.');
  return (meta) => {
    if (meta === undefined || meta === null) return undefined;
    if (path in meta) return (meta as Record<string, unknown>)[path]; // a flat "tokens.input" key
    let v: unknown = meta;
    for (const p of parts) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string, unknown>)[p];
    }
    return v;
  };
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** Checks a {@link CostModel} (a clear `TypeError` naming the bad field) and prepares it for fast use. */
export function compileCostModel(model: CostModel): CompiledCostModel {
  if (model === null || typeof model !== 'object') throw new TypeError('CostModel: must be an object');
  for (const k of Object.keys(model)) {
    if (!['currency', 'default', 'tools', 'tokenPrices', 'metadataPaths'].includes(k))
      throw new TypeError(`CostModel: unknown field "${k}"`);
  }
  const currency = model.currency ?? 'USD';
  if (typeof currency !== 'string' || currency === '') throw new TypeError('CostModel: currency must be a non-empty string');
  const fallback = checkRates('default', model.default ?? {});
  const tools = new Map<string, CostRates>();
  for (const [id, r] of Object.entries(model.tools ?? {})) tools.set(id, checkRates(`tools[${JSON.stringify(id)}]`, r));
  const prices = new Map<string, TokenPrice>();
  for (const [name, p] of Object.entries(model.tokenPrices ?? {})) {
    for (const k of ['inputPerMillion', 'outputPerMillion'] as const) {
      const v = (p as unknown as Record<string, unknown>)?.[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw new TypeError(`CostModel: tokenPrices[${JSON.stringify(name)}].${k} must be a finite number >= 0, got ${String(v)}`);
    }
    prices.set(name, p);
  }
  const paths = model.metadataPaths ?? {};
  const inputTokens = pathReader(paths.inputTokens ?? 'tokens.input');
  const outputTokens = pathReader(paths.outputTokens ?? 'tokens.output');
  const modelName = pathReader(paths.model ?? 'model');
  return {
    currency,
    price(r, out) {
      const w = weightOf(r);
      const rates = tools.get(r.toolId) ?? fallback;
      const fixed = rates.perCall ?? 0;
      // a failure of a sampled-out call has no duration: its runtime cost is unknown, not zero-cost work
      const runtime = isTimed(r) ? ((rates.perSecond ?? 0) * r.duration) / 1000 : 0;
      const io = ((rates.perInputKB ?? 0) * (r.inputSize ?? 0) + (rates.perOutputKB ?? 0) * (r.outputSize ?? 0)) / 1024;
      let tokens = 0;
      let unpriced = false;
      const tin = count(inputTokens(r.metadata));
      const tout = count(outputTokens(r.metadata));
      if (tin > 0 || tout > 0) {
        const name = modelName(r.metadata);
        const price = (typeof name === 'string' ? prices.get(name) : undefined) ?? prices.get('*');
        if (price) tokens = (tin * price.inputPerMillion + tout * price.outputPerMillion) / 1e6;
        else unpriced = true;
      }
      out.fixed = w * fixed;
      out.runtime = w * runtime;
      out.io = w * io;
      out.tokens = w * tokens;
      out.total = w * (fixed + runtime + io + tokens);
      return unpriced;
    },
  };
}

/** Cost of one tool in a {@link CostReport}. */
export interface ToolCost extends CostBreakdown {
  readonly toolId: string;
  /** Estimated calls. */
  readonly calls: number;
  readonly perCall: number;
}

/** What {@link estimateCosts} returns. */
export interface CostReport {
  readonly currency: string;
  readonly total: CostBreakdown;
  /** Most expensive first. */
  readonly tools: readonly ToolCost[];
  /** Most expensive first (at most `maxSessions`). */
  readonly sessions: readonly { readonly sessionId: string; readonly total: number; readonly calls: number }[];
  /** Distinct tasks and the mean cost of one. */
  readonly tasks: { readonly count: number; readonly meanCost: number };
  /** Records with token counts but no price for their model (their tokens cost 0 here). */
  readonly unpricedTokenRecords: number;
}

/**
 * Cost per tool, per session and per task of a set of records under a {@link CostModel}. A task
 * is the message (`messageId`) within its session by default, else the session.
 */
export function estimateCosts(
  records: Iterable<ToolExecutionMetrics>,
  model: CostModel | CompiledCostModel,
  options: { taskOf?: (r: ToolExecutionMetrics) => string; maxSessions?: number } = {},
): CostReport {
  const compiled =
    'price' in model && typeof model.price === 'function' ? (model as CompiledCostModel) : compileCostModel(model as CostModel);
  const taskOf =
    options.taskOf ?? ((r: ToolExecutionMetrics) => (r.messageId === undefined ? r.sessionId : `${r.sessionId}\u0000${r.messageId}`));
  const total = emptyCost();
  const tools = new Map<string, CostBreakdown & { calls: number }>();
  const sessions = new Map<string, { total: number; calls: number }>();
  const tasks = new Set<string>();
  let unpriced = 0;
  const one = emptyCost();
  for (const r of records) {
    if (!isUsableRecord(r)) continue;
    if (compiled.price(r, one)) unpriced++;
    const w = weightOf(r);
    let t = tools.get(r.toolId);
    if (!t) tools.set(r.toolId, (t = { ...emptyCost(), calls: 0 }));
    t.calls += w;
    let s = sessions.get(r.sessionId);
    if (!s) sessions.set(r.sessionId, (s = { total: 0, calls: 0 }));
    s.total += one.total;
    s.calls += w;
    addCost(t, one);
    addCost(total, one);
    tasks.add(taskOf(r));
  }
  return {
    currency: compiled.currency,
    total,
    tools: [...tools]
      .map(([toolId, t]) => ({ toolId, ...t, perCall: t.calls > 0 ? t.total / t.calls : 0 }))
      .sort((a, b) => b.total - a.total),
    sessions: [...sessions]
      .map(([sessionId, s]) => ({ sessionId, ...s }))
      .sort((a, b) => b.total - a.total)
      .slice(0, options.maxSessions ?? 100),
    tasks: { count: tasks.size, meanCost: tasks.size > 0 ? total.total / tasks.size : 0 },
    unpricedTokenRecords: unpriced,
  };
}
