import { MetricsCollector, type ListeningAdapterOptions } from '@perftrack/core';
import { checkListeningOptions, Diagnostics, errorMessage, sampleRateOf, type ResolvedListeningOptions } from '@perftrack/core/internal';

// The shapes of the OpenAI Agents SDK's tracing objects this processor reads (`@openai/agents`
// `TracingProcessor`, `Trace`, `Span`), declared here so the package needs the SDK only as a peer.

/** The part of an SDK `Trace` the processor reads. */
export interface AgentsTraceLike {
  readonly traceId: string;
  readonly groupId?: string | null;
  readonly metadata?: Readonly<Record<string, unknown>> | null;
}

/** The part of an SDK `Span` the processor reads. */
export interface AgentsSpanLike {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentId: string | null;
  readonly spanData: { readonly type: string; readonly name?: string; readonly input?: string; readonly output?: string };
  readonly error: { readonly message: string; readonly data?: Readonly<Record<string, unknown>> } | null;
}

/** What a {@link PerftrackTracingProcessorOptions.sessionId} function sees of one tool call. */
export interface AgentsToolCallInfo {
  readonly toolName: string;
  /** The trace (one `run()`), recorded as the record's `runId`. */
  readonly traceId: string;
  /** The trace's `groupId` (`new Runner({ groupId })`, `withTrace(name, fn, { groupId })`): the conversation, if set. */
  readonly groupId: string | undefined;
  readonly traceMetadata: Readonly<Record<string, unknown>> | undefined;
}

/** Options of {@link PerftrackTracingProcessor}. Unknown keys are rejected. */
export interface PerftrackTracingProcessorOptions extends ListeningAdapterOptions {
  /** Session of each call: a string, or a function of the call. Default: the trace's `groupId`, else its metadata's `sessionId`, else the collector's default session. */
  sessionId?: string | ((call: AgentsToolCallInfo) => string | undefined);
  /** Record the sizes of the tool's arguments and output as the SDK traced them (never the values). Default true. */
  trackInputOutput?: boolean;
  /** Tool calls and traces in progress kept at most; past it the oldest call is recorded as `Abandoned`. Default 10,000. */
  maxInFlight?: number;
}

/** Counters of a {@link PerftrackTracingProcessor}. */
export interface PerftrackTracingProcessorStats {
  readonly recorded: number;
  readonly sampledOut: number;
  readonly inFlight: number;
  readonly abandoned: number;
  /** Function spans that ended without a start this processor saw: not recorded. */
  readonly unmatched: number;
  /** Traces started (runs seen): with calls recorded 0 while this grows, the agents' tools are not function tools. */
  readonly traces: number;
}

interface OpenCall {
  readonly toolId: string;
  readonly traceId: string;
  readonly parentId: string | undefined;
  readonly start: number;
  readonly sampledIn: boolean;
}

/** Shared by every record (no per-call allocation); `perftrack doctor` prints `framework@adapterVersion`. Kept equal to package.json by a test. */
const FRAMEWORK = Object.freeze({ framework: 'openai-agents', adapterVersion: '0.1.0' });
const RESOLVED = Promise.resolve();

function byteLength(text: unknown): number | undefined {
  return typeof text === 'string' && text.length > 0 ? Buffer.byteLength(text) : undefined;
}

/**
 * An OpenAI Agents SDK tracing processor that records every function tool call into perftrack:
 * the tool's name, timing (from this process's monotonic clock at span start and end), outcome (a
 * tool that throws is a failure even though the SDK hands the model an error message instead),
 * the sizes of its arguments and output, the trace as `runId`, the enclosing agent or turn span
 * as `parentCallId` and the trace's `groupId` as the session. The SDK's function spans carry no
 * tool call id: `callId` is the span id.
 *
 * Register it with `addTraceProcessor(new PerftrackTracingProcessor())` (keeps the SDK's own
 * exporter) or `setTraceProcessors([...])`. With tracing disabled (`setTracingDisabled(true)`,
 * `tracingDisabled` in the run config) the SDK creates no spans and nothing can be recorded.
 *
 * @example
 * addTraceProcessor(new PerftrackTracingProcessor({ collector }));
 * await new Runner({ groupId: chatId }).run(agent, 'Plan a trip');
 * @throws TypeError for invalid options.
 */
export class PerftrackTracingProcessor {
  /** The options as checked, with their defaults. */
  readonly #options: ResolvedListeningOptions;
  readonly #sessionId: PerftrackTracingProcessorOptions['sessionId'];
  readonly #diagnostics: Diagnostics;
  readonly #open = new Map<string, OpenCall>();
  readonly #traces = new Map<string, AgentsTraceLike>();
  #recorded = 0;
  #sampledOut = 0;
  #abandoned = 0;
  #unmatched = 0;
  #traceCount = 0;

  constructor(options: PerftrackTracingProcessorOptions = {}) {
    this.#options = checkListeningOptions(options, {
      owner: 'PerftrackTracingProcessor',
    });
    this.#sessionId = options.sessionId;
    this.#diagnostics = new Diagnostics({ onWarning: this.#options.onWarning }, 'PerftrackTracingProcessor');
  }

  /** Counters since creation. */
  stats(): PerftrackTracingProcessorStats {
    return {
      recorded: this.#recorded,
      sampledOut: this.#sampledOut,
      inFlight: this.#open.size,
      abandoned: this.#abandoned,
      unmatched: this.#unmatched,
      traces: this.#traceCount,
    };
  }

  onTraceStart(trace: AgentsTraceLike): Promise<void> {
    try {
      this.#traceCount++;
      this.#traces.set(trace.traceId, { traceId: trace.traceId, groupId: trace.groupId, metadata: trace.metadata });
      if (this.#traces.size > this.#options.maxInFlight) this.#traces.delete(this.#traces.keys().next().value as string);
    } catch {
      // never into the SDK
    }
    return RESOLVED;
  }

  onTraceEnd(trace: AgentsTraceLike): Promise<void> {
    this.#traces.delete(trace?.traceId);
    return RESOLVED;
  }

  onSpanStart(span: AgentsSpanLike): Promise<void> {
    try {
      if (span.spanData?.type !== 'function') return RESOLVED;
      const toolId = span.spanData.name ?? 'unknown';
      const rate = this.#rateOf(toolId);
      this.#open.set(span.spanId, {
        toolId,
        traceId: span.traceId,
        parentId: span.parentId ?? undefined,
        start: this.#options.clock.now(),
        sampledIn: rate >= 1 || (rate > 0 && this.#options.random() < rate),
      });
      if (this.#open.size > this.#options.maxInFlight) this.#abandonOldest();
    } catch (e) {
      this.#diagnostics.warnOnce(
        'start-failed',
        `perftrack: PerftrackTracingProcessor could not start a tool call (${errorMessage(e)}); it is not recorded.`,
      );
    }
    return RESOLVED;
  }

  onSpanEnd(span: AgentsSpanLike): Promise<void> {
    try {
      if (span.spanData?.type !== 'function') return RESOLVED;
      const end = this.#options.clock.now();
      const open = this.#open.get(span.spanId);
      if (open === undefined) {
        this.#unmatched++;
        this.#diagnostics.warnOnce(
          'unmatched',
          'perftrack: PerftrackTracingProcessor saw a function span end that it never saw start (registered mid-run?); counted in stats().unmatched.',
        );
        return RESOLVED;
      }
      this.#open.delete(span.spanId);
      const toolId = span.spanData.name ?? 'unknown';
      const collector = this.#options.collector ?? MetricsCollector.default;
      const failed = span.error !== null && span.error !== undefined;
      if (!failed && !open.sampledIn) {
        this.#sampledOut++;
        collector.countSampledOut();
        return RESOLVED;
      }
      const origin = this.#options.clock.timeOrigin;
      const detail = span.error?.data?.error;
      this.#recorded++;
      collector.recordExecution({
        toolId,
        sessionId: this.#sessionOf(toolId, span.traceId) ?? collector.defaultSessionId,
        callId: span.spanId,
        parentCallId: span.parentId ?? undefined,
        runId: span.traceId,
        startTime: origin + open.start,
        endTime: origin + end,
        duration: end - open.start,
        success: !failed,
        error: failed ? (typeof detail === 'string' && detail.length > 0 ? detail : span.error!.message) : undefined,
        errorType: failed ? 'ToolError' : undefined,
        inputSize: this.#options.trackInputOutput ? byteLength(span.spanData.input) : undefined,
        outputSize: this.#options.trackInputOutput && !failed ? byteLength(span.spanData.output) : undefined,
        sampleWeight: failed ? 1 : 1 / Math.max(this.#rateOf(toolId), Number.MIN_VALUE),
        metadata: FRAMEWORK,
      });
    } catch (e) {
      this.#diagnostics.warnOnce('end-failed', `perftrack: PerftrackTracingProcessor could not record a tool call (${errorMessage(e)}).`);
    }
    return RESOLVED;
  }

  /** Nothing is buffered here (records go to the collector at once). */
  forceFlush(): Promise<void> {
    return RESOLVED;
  }

  /** Records every call still open as `Abandoned`. Safe to call twice. */
  shutdown(): Promise<void> {
    while (this.#open.size > 0) this.#abandonOldest();
    return RESOLVED;
  }

  #rateOf(toolId: string): number {
    return sampleRateOf(this.#options.sampleRates, toolId, this.#options.sampleRate);
  }

  #sessionOf(toolName: string, traceId: string): string | undefined {
    const trace = this.#traces.get(traceId);
    const groupId = typeof trace?.groupId === 'string' && trace.groupId.length > 0 ? trace.groupId : undefined;
    const traceMetadata = trace?.metadata ?? undefined;
    if (typeof this.#sessionId === 'function') return this.#sessionId({ toolName, traceId, groupId, traceMetadata });
    if (this.#sessionId !== undefined) return this.#sessionId;
    const fromMetadata = traceMetadata?.sessionId;
    return groupId ?? (typeof fromMetadata === 'string' && fromMetadata.length > 0 ? fromMetadata : undefined);
  }

  #abandonOldest(): void {
    const [spanId, call] = this.#open.entries().next().value as [string, OpenCall];
    this.#open.delete(spanId);
    this.#abandoned++;
    this.#diagnostics.warnOnce(
      'abandoned',
      `perftrack: an OpenAI Agents tool call never ended (more than maxInFlight=${this.#options.maxInFlight} open, or open at shutdown); recorded as an Abandoned failure.`,
    );
    const collector = this.#options.collector ?? MetricsCollector.default;
    const at = this.#options.clock.timeOrigin + this.#options.clock.now();
    this.#recorded++;
    collector.recordExecution({
      toolId: call.toolId,
      sessionId: this.#sessionOf(call.toolId, call.traceId) ?? collector.defaultSessionId,
      callId: spanId,
      parentCallId: call.parentId,
      runId: call.traceId,
      startTime: at,
      endTime: at,
      duration: 0,
      untimed: true,
      success: false,
      error: 'the tool call never ended',
      errorType: 'Abandoned',
      metadata: FRAMEWORK,
    });
  }
}
