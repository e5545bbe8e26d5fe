import type { ToolExecutionMetrics } from '@perftrack/core';
import { addCost, emptyCost, type CostBreakdown } from './cost';
import { ErrorTally } from './evidence';
import { QuantileSketch } from './quantile-sketch';
import type { AnalyticsSummary, SizeSummary, ToolAnalytics } from './types';

// Running figures of the engine: per direction of I/O, per tool, per scope (all, or one session).

/** Sizes (bytes) of one direction of a tool's I/O. */
/** @internal */
export class SizeAccumulator {
  n = 0;
  sum = 0;
  weighted = 0;
  max = 0;

  add(size: number | undefined, w: number): void {
    if (typeof size !== 'number' || !Number.isFinite(size)) return;
    this.n++;
    this.sum += size;
    this.weighted += w * size;
    if (size > this.max) this.max = size;
  }

  summary(): SizeSummary | null {
    return this.n > 0 ? { samples: this.n, mean: this.sum / this.n, max: this.max, total: this.weighted } : null;
  }
}

/** Running figures of one tool in one scope. O(1) per record. */
/** @internal */
export class ToolAccumulator {
  count = 0;
  weighted = 0;
  failures = 0;
  failW = 0;
  timedN = 0;
  timedW = 0;
  totalMs = 0;
  sampled = 0;
  memN = 0;
  memSum = 0;
  memPeak = -Infinity;
  readonly input = new SizeAccumulator();
  readonly output = new SizeAccumulator();
  repeatW = 0;
  repeatMs = 0;
  hashes: Map<string, true> | undefined;
  /** Made at the tool's first failure: most (session, tool) pairs never fail. */
  errors: ErrorTally | undefined;
  readonly sketch: QuantileSketch;
  cost: CostBreakdown | undefined;

  constructor(relativeAccuracy: number) {
    this.sketch = new QuantileSketch({ relativeAccuracy });
  }

  add(m: ToolExecutionMetrics, w: number, timed: boolean, maxHashes: number, errorText: string, cost: CostBreakdown | undefined): void {
    this.count++;
    this.weighted += w;
    if (w > 1) this.sampled++;
    if (cost !== undefined) addCost((this.cost ??= emptyCost()), cost);
    if (timed) {
      this.timedN++;
      this.timedW += w;
      this.totalMs += w * m.duration;
      this.sketch.add(m.duration, w);
    }
    if (m.success !== true) {
      this.failures++;
      this.failW += w;
      (this.errors ??= new ErrorTally(5)).add(m.errorType, errorText, 1);
    }
    const mem = m.memoryUsed;
    if (typeof mem === 'number' && Number.isFinite(mem)) {
      this.memN++;
      this.memSum += mem;
      if (mem > this.memPeak) this.memPeak = mem;
    }
    this.input.add(m.inputSize, w);
    this.output.add(m.outputSize, w);
    const hash = m.inputHash;
    if (typeof hash === 'string' && maxHashes > 0) {
      const seen = (this.hashes ??= new Map());
      if (seen.has(hash)) {
        this.repeatW += w;
        if (timed) this.repeatMs += w * m.duration;
      } else {
        seen.set(hash, true);
        // forget the oldest hash past the bound (Map keeps insertion order)
        if (seen.size > maxHashes) seen.delete(seen.keys().next().value as string);
      }
    }
  }

  summary(toolId: string): ToolAnalytics {
    const s = this.sketch;
    const timed = this.timedW > 0;
    return {
      toolId,
      count: this.count,
      estimatedCount: this.weighted,
      failures: this.failures,
      successRate: this.weighted > 0 ? 1 - this.failW / this.weighted : 0,
      errorRate: this.weighted > 0 ? this.failW / this.weighted : 0,
      totalDuration: this.totalMs,
      meanDuration: timed ? this.totalMs / this.timedW : null,
      p50: timed ? s.quantile(0.5) : null,
      p95: timed ? s.quantile(0.95) : null,
      p99: timed ? s.quantile(0.99) : null,
      minDuration: timed ? s.min : null,
      maxDuration: timed ? s.max : null,
      timedCount: this.timedN,
      sampledCount: this.sampled,
      effectiveSampleRate: timed ? this.timedN / this.timedW : 1,
      memory: this.memN > 0 ? { samples: this.memN, mean: this.memSum / this.memN, peak: this.memPeak } : null,
      input: this.input.summary(),
      output: this.output.summary(),
      repeatedInputs: this.repeatW,
      commonErrors: this.errors?.top(3) ?? [],
      cost: this.cost === undefined ? null : { ...this.cost, perCall: this.weighted > 0 ? this.cost.total / this.weighted : 0 },
    };
  }
}

/** Running figures of one scope (a session, or everything). */
/** @internal */
export class ScopeAccumulator {
  readonly tools = new Map<string, ToolAccumulator>();
  count = 0;
  weighted = 0;
  failures = 0;
  failW = 0;
  busyMs = 0;
  firstStart = Infinity;
  lastEnd = -Infinity;
  memPeak = -Infinity;
  /** Tasks begun: a session's first call, and each change of its message id. */
  tasks = 0;
  /** The message id of this session's latest call (session scopes only). */
  lastMessage: string | undefined | null = null;
  cost: CostBreakdown | undefined;
  /** Weight of the timed records (the mean's denominator). */
  timedW = 0;
  /** The latest failed record (session scopes only). */
  lastFailed: ToolExecutionMetrics | undefined;
  /** The latest tool ids, a ring written at `recentNext` (session scopes only; see {@link remember}). */
  recent: string[] | undefined;
  recentNext = 0;

  /** Remembers the record's tool id in the ring of the latest `keep`, and the record if it failed (session scopes). */
  remember(m: ToolExecutionMetrics, keep: number): void {
    if (m.success !== true) this.lastFailed = m;
    if (keep === 0) return;
    const ring = (this.recent ??= []);
    ring[this.recentNext] = m.toolId;
    this.recentNext = this.recentNext + 1 === keep ? 0 : this.recentNext + 1;
  }

  /** The remembered tool ids, oldest first. */
  recentTools(): string[] {
    const ring = this.recent;
    if (ring === undefined) return [];
    return this.recentNext === ring.length ? ring.slice() : [...ring.slice(this.recentNext), ...ring.slice(0, this.recentNext)];
  }

  add(
    m: ToolExecutionMetrics,
    toolId: string,
    w: number,
    timed: boolean,
    accuracy: number,
    maxHashes: number,
    errorText: string,
    cost: CostBreakdown | undefined,
  ): void {
    this.count++;
    if (cost !== undefined) addCost((this.cost ??= emptyCost()), cost);
    this.weighted += w;
    if (m.success !== true) {
      this.failures++;
      this.failW += w;
    }
    if (timed) {
      this.busyMs += w * m.duration;
      this.timedW += w;
    }
    if (Number.isFinite(m.startTime) && m.startTime < this.firstStart) this.firstStart = m.startTime;
    if (Number.isFinite(m.endTime) && m.endTime > this.lastEnd) this.lastEnd = m.endTime;
    if (typeof m.memoryUsed === 'number' && m.memoryUsed > this.memPeak) this.memPeak = m.memoryUsed;
    let tool = this.tools.get(toolId);
    if (tool === undefined) this.tools.set(toolId, (tool = new ToolAccumulator(accuracy)));
    tool.add(m, w, timed, maxHashes, errorText, cost);
  }

  summary(sessions: number, currency: string | undefined): AnalyticsSummary {
    const empty = this.count === 0;
    const wall = empty || this.lastEnd < this.firstStart ? 0 : this.lastEnd - this.firstStart;
    return {
      totalOperations: this.count,
      estimatedOperations: this.weighted,
      failures: this.failures,
      errorRate: this.weighted > 0 ? this.failW / this.weighted : 0,
      firstStart: empty || !Number.isFinite(this.firstStart) ? null : this.firstStart,
      lastEnd: empty || !Number.isFinite(this.lastEnd) ? null : this.lastEnd,
      wallDuration: wall,
      busyDuration: this.busyMs,
      throughput: wall > 0 ? (this.weighted * 1000) / wall : 0,
      peakMemory: Number.isFinite(this.memPeak) ? this.memPeak : null,
      sessions,
      tasks: this.tasks,
      cost:
        currency === undefined
          ? null
          : {
              currency,
              ...(this.cost ?? emptyCost()),
              perCall: this.weighted > 0 ? (this.cost?.total ?? 0) / this.weighted : 0,
              perTask: this.tasks > 0 ? (this.cost?.total ?? 0) / this.tasks : 0,
            },
    };
  }

  toolSummaries(): ToolAnalytics[] {
    const out: ToolAnalytics[] = [];
    for (const [toolId, acc] of this.tools) out.push(acc.summary(toolId));
    return out.sort((a, b) => b.estimatedCount - a.estimatedCount || (a.toolId < b.toolId ? -1 : 1));
  }
}
