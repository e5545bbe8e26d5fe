import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import { MetricsCollector, type ListeningAdapterOptions } from '@perftrack/core';
import {
  checkListeningOptions,
  Diagnostics,
  errorMessage,
  errorType,
  sampleRateOf,
  SizeEstimator,
  type ResolvedListeningOptions,
} from '@perftrack/core/internal';

/** What a {@link PerftrackCallbackHandlerOptions.sessionId} function sees of one tool run. */
export interface LangChainToolRunInfo {
  /** The tool's name (LangChain's run name). */
  readonly toolName: string;
  /** LangChain's id of this tool run. */
  readonly runId: string;
  /** The run that started this tool run (the agent step or chain), if any. */
  readonly parentRunId: string | undefined;
  /** The outermost run this tool run belongs to (the whole agent invocation), if seen. */
  readonly rootRunId: string | undefined;
  /** The run's metadata (LangChain copies `configurable` ids such as `thread_id` into it). */
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
  readonly tags: readonly string[] | undefined;
}

/** Options of {@link PerftrackCallbackHandler}. Unknown keys are rejected. */
export interface PerftrackCallbackHandlerOptions extends ListeningAdapterOptions {
  /**
   * Session of each tool run: a string, or a function of the run. Default: the run metadata's
   * `thread_id` (LangGraph copies `configurable.thread_id` there; so does `@langchain/core` 1.0,
   * while 1.1 and later show `configurable` only to LangSmith: pass `metadata: { thread_id }`),
   * else `session_id` / `sessionId` / `conversation_id`, else the collector's default session.
   */
  sessionId?: string | ((run: LangChainToolRunInfo) => string | undefined);
  /** Record input and output sizes in bytes (the tool's arguments and its output content, never the values). Default true. */
  trackInputOutput?: boolean;
}

/** Counters of a {@link PerftrackCallbackHandler}. */
export interface PerftrackCallbackHandlerStats {
  /** Tool runs recorded (successes and failures). */
  readonly recorded: number;
  /** Successful tool runs not recorded by sampling. */
  readonly sampledOut: number;
  /** Tool runs started and not yet ended. */
  readonly inFlight: number;
  /** Tool runs recorded as `Abandoned` (evicted past `maxInFlight`, or open at {@link PerftrackCallbackHandler.abandonInFlight}). */
  readonly abandoned: number;
  /** Tool ends or errors for a run this handler never saw start (attached mid-run): not recorded. */
  readonly unmatched: number;
}

/** Marks records from this adapter (what `perftrack doctor` lists as a record's source). */
/** Shared by every record (no per-call allocation); `perftrack doctor` prints `framework@adapterVersion`. Kept equal to package.json by a test. */
const FRAMEWORK = Object.freeze({ framework: 'langchain', adapterVersion: '0.1.0' });
const SESSION_KEYS = ['thread_id', 'threadId', 'session_id', 'sessionId', 'conversation_id', 'conversationId'] as const;

interface OpenRun {
  readonly toolId: string;
  readonly sessionId: string | undefined;
  readonly start: number;
  readonly inputSize: number | undefined;
  readonly toolCallId: string | undefined;
  readonly parentRunId: string | undefined;
  readonly rootRunId: string | undefined;
  readonly sampledIn: boolean;
}

function sessionFromMetadata(metadata: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (metadata === undefined) return undefined;
  for (const key of SESSION_KEYS) {
    const v = metadata[key];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return undefined;
}

/**
 * The tool's input as LangChain hands it to callbacks: JSON text of the arguments (`@langchain/core`
 * 1.1 and later), or of the whole `ToolCall` envelope (1.0): then only its `args` are sized, and
 * its `id` is the tool call id (1.0 passes no `toolCallId` to callbacks).
 */
function readInput(input: unknown, sized: boolean): { bytes: number | undefined; toolCallId: string | undefined } {
  if (typeof input !== 'string') return { bytes: undefined, toolCallId: undefined };
  if (input.includes('"type":"tool_call"')) {
    try {
      const parsed = JSON.parse(input) as { type?: unknown; args?: unknown; id?: unknown };
      if (parsed?.type === 'tool_call') {
        return {
          bytes: sized ? Buffer.byteLength(JSON.stringify(parsed.args ?? null)) : undefined,
          toolCallId: typeof parsed.id === 'string' && parsed.id.length > 0 ? parsed.id : undefined,
        };
      }
    } catch {
      // not JSON after all: sized as it is
    }
  }
  return { bytes: sized ? Buffer.byteLength(input) : undefined, toolCallId: undefined };
}

/** The tool's output inside what `handleToolEnd` gets: a ToolMessage's content, or the value itself. */
function outputOf(output: unknown): unknown {
  if (
    typeof output === 'object' &&
    output !== null &&
    'content' in output &&
    typeof (output as { tool_call_id?: unknown }).tool_call_id === 'string'
  ) {
    return (output as { content: unknown }).content;
  }
  return output;
}

function toolCallIdOf(output: unknown): string | undefined {
  const id = typeof output === 'object' && output !== null ? (output as { tool_call_id?: unknown }).tool_call_id : undefined;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/**
 * A LangChain.js callback handler that records every tool run into perftrack: the tool's name,
 * timing, outcome (a tool that throws is a failure with its error), the sizes of its arguments and
 * output, the tool call id as `callId`, the parent run as `parentCallId`, the outermost run as
 * `runId` and the thread as the session. Pass it in `callbacks` (of an `invoke`, an agent, a
 * chain) or set it on the model or tools; one handler serves many concurrent runs.
 *
 * It is awaited by LangChain (`awaitHandlers`), so timings are taken on the tool's own path, not
 * in LangChain's background callback queue; its work per event is a map lookup and a record.
 * Runs LangChain refuses before the tool starts (input that fails the schema) fire no callback
 * and are not recorded; tracked tools (core's `wrapTools`) record those as failures.
 *
 * @example
 * const perf = new PerftrackCallbackHandler({ collector });
 * await agent.invoke({ messages }, { callbacks: [perf], configurable: { thread_id: chatId } });
 * @throws TypeError for invalid options.
 */
export class PerftrackCallbackHandler extends BaseCallbackHandler {
  /** The handler's name, as LangChain lists it. */
  name = 'perftrack';
  /** Called inline, so start and end times are the tool's. */
  override awaitHandlers = true;
  /** The options as checked, with their defaults. */
  readonly #options: ResolvedListeningOptions;
  readonly #sessionId: PerftrackCallbackHandlerOptions['sessionId'];
  readonly #diagnostics: Diagnostics;
  readonly #sizer = new SizeEstimator();
  readonly #open = new Map<string, OpenRun>();
  /** Chain runs in progress → their outermost run, so a tool run knows the agent run it is part of. */
  readonly #roots = new Map<string, string>();
  #recorded = 0;
  #sampledOut = 0;
  #abandoned = 0;
  #unmatched = 0;

  constructor(options: PerftrackCallbackHandlerOptions = {}) {
    super({ _awaitHandler: true });
    this.#options = checkListeningOptions(options, {
      owner: 'PerftrackCallbackHandler',
      call: 'run',
    });
    this.#sessionId = options.sessionId;
    this.#diagnostics = new Diagnostics({ onWarning: this.#options.onWarning }, 'PerftrackCallbackHandler');
  }

  /** LangChain copies handlers for child runs: every copy is this one, so runs started and ended meet. */
  override copy(): this {
    return this;
  }

  /** The handler's counters. */
  stats(): PerftrackCallbackHandlerStats {
    return {
      recorded: this.#recorded,
      sampledOut: this.#sampledOut,
      inFlight: this.#open.size,
      abandoned: this.#abandoned,
      unmatched: this.#unmatched,
    };
  }

  /** Records every tool run still open as an `Abandoned` failure (e.g. at shutdown); returns how many. */
  abandonInFlight(): number {
    const runs = [...this.#open.keys()];
    for (const runId of runs) this.#abandon(runId);
    return runs.length;
  }

  // LangChain calls it as (chain, inputs, runId, parentRunId, tags, metadata, runType, runName):
  // the declared signature names the fourth parameter runType, the runtime passes the parent run.
  override handleChainStart(_chain: Serialized, _inputs: unknown, runId: string, parentRunId?: string): void {
    try {
      if (typeof runId !== 'string') return;
      const root = typeof parentRunId === 'string' ? (this.#roots.get(parentRunId) ?? parentRunId) : runId;
      this.#roots.set(runId, root);
      if (this.#roots.size > this.#options.maxInFlight) this.#roots.delete(this.#roots.keys().next().value as string);
    } catch {
      // never into LangChain
    }
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.#roots.delete(runId);
  }

  override handleChainError(_err: unknown, runId: string): void {
    this.#roots.delete(runId);
  }

  override handleToolStart(
    tool: Serialized,
    input: string,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
    toolCallId?: string,
  ): void {
    try {
      const start = this.#options.clock.now();
      const toolId = typeof runName === 'string' && runName.length > 0 ? runName : nameOf(tool);
      const rootRunId = typeof parentRunId === 'string' ? (this.#roots.get(parentRunId) ?? parentRunId) : undefined;
      const rate = sampleRateOf(this.#options.sampleRates, toolId, this.#options.sampleRate);
      const sampledIn = rate >= 1 || (rate > 0 && this.#options.random() < rate);
      const sessionId =
        typeof this.#sessionId === 'function'
          ? this.#sessionId({ toolName: toolId, runId, parentRunId, rootRunId, metadata, tags })
          : (this.#sessionId ?? sessionFromMetadata(metadata));
      const read = readInput(input, this.#options.trackInputOutput && sampledIn);
      this.#open.set(runId, {
        toolId,
        sessionId,
        start,
        inputSize: read.bytes,
        toolCallId: typeof toolCallId === 'string' && toolCallId.length > 0 ? toolCallId : read.toolCallId,
        parentRunId: typeof parentRunId === 'string' ? parentRunId : undefined,
        rootRunId,
        sampledIn,
      });
      if (this.#open.size > this.#options.maxInFlight) this.#abandon(this.#open.keys().next().value as string);
    } catch (e) {
      this.#diagnostics.warnOnce(
        'start-failed',
        `perftrack: PerftrackCallbackHandler could not start a tool run (${errorMessage(e)}); it is not recorded.`,
      );
    }
  }

  override handleToolEnd(output: unknown, runId: string): void {
    this.#end(runId, true, output);
  }

  override handleToolError(err: unknown, runId: string): void {
    this.#end(runId, false, err);
  }

  #end(runId: string, success: boolean, value: unknown): void {
    try {
      const end = this.#options.clock.now();
      const run = this.#open.get(runId);
      if (run === undefined) {
        this.#unmatched++;
        this.#diagnostics.warnOnce(
          'unmatched',
          'perftrack: PerftrackCallbackHandler saw a tool run end that it never saw start (attached mid-run?); such runs are counted in stats().unmatched, not recorded.',
        );
        return;
      }
      this.#open.delete(runId);
      const collector = this.#options.collector ?? MetricsCollector.default;
      if (success && !run.sampledIn) {
        this.#sampledOut++;
        collector.countSampledOut();
        return;
      }
      let outputSize: number | undefined;
      let outputSizeCapped: boolean | undefined;
      if (success && this.#options.trackInputOutput) {
        outputSize = this.#sizer.estimate(outputOf(value));
        if (this.#sizer.capped) outputSizeCapped = true;
      }
      const origin = this.#options.clock.timeOrigin;
      this.#recorded++;
      collector.recordExecution({
        toolId: run.toolId,
        sessionId: run.sessionId ?? collector.defaultSessionId,
        callId: run.toolCallId ?? (success ? toolCallIdOf(value) : undefined) ?? runId,
        parentCallId: run.parentRunId,
        runId: run.rootRunId ?? runId,
        startTime: origin + run.start,
        endTime: origin + end,
        duration: end - run.start,
        success,
        error: success ? undefined : errorMessage(value),
        errorType: success ? undefined : errorType(value),
        inputSize: run.inputSize,
        outputSize,
        outputSizeCapped,
        sampleWeight: success ? 1 / this.#rateOf(run.toolId) : 1,
        metadata: FRAMEWORK,
      });
    } catch (e) {
      this.#diagnostics.warnOnce('end-failed', `perftrack: PerftrackCallbackHandler could not record a tool run (${errorMessage(e)}).`);
    }
  }

  #rateOf(toolId: string): number {
    const rate = sampleRateOf(this.#options.sampleRates, toolId, this.#options.sampleRate);
    return rate > 0 ? rate : 1;
  }

  #abandon(runId: string): void {
    const run = this.#open.get(runId);
    if (run === undefined) return;
    this.#open.delete(runId);
    this.#abandoned++;
    this.#diagnostics.warnOnce(
      'abandoned',
      `perftrack: a LangChain tool run never ended (more than maxInFlight=${this.#options.maxInFlight} open, or still open when abandoned); recorded as an Abandoned failure and counted in stats().abandoned.`,
    );
    const collector = this.#options.collector ?? MetricsCollector.default;
    const at = this.#options.clock.timeOrigin + this.#options.clock.now();
    this.#recorded++;
    collector.recordExecution({
      toolId: run.toolId,
      sessionId: run.sessionId ?? collector.defaultSessionId,
      callId: run.toolCallId ?? runId,
      parentCallId: run.parentRunId,
      runId: run.rootRunId ?? runId,
      startTime: at,
      endTime: at,
      duration: 0,
      untimed: true,
      success: false,
      error: 'the tool run never ended',
      errorType: 'Abandoned',
      metadata: FRAMEWORK,
    });
  }
}

/** A tool's name from its serialized form (the last part of its id path), for runs without a run name. */
function nameOf(tool: Serialized): string {
  const id = (tool as { id?: unknown }).id;
  const last = Array.isArray(id) ? id[id.length - 1] : undefined;
  return typeof last === 'string' && last.length > 0 ? last : 'unknown';
}
