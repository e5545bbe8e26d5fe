import { trackPerformance, type CallContext, type CustomMetadata, type WrappingAdapterOptions } from '@perftrack/core';
import { checkAdapterOptions, Diagnostics, sampleRateOf, withAdapterStamp, WRAPPING_ADAPTER_KEYS } from '@perftrack/core/internal';
import type { ToolExecutionOptions, ToolSet } from 'ai';

/** One tool call as the AI SDK makes it: what a {@link TrackToolsOptions.sessionId} function sees. */
export interface ToolCallInfo {
  /** The key of the tool in the `tools` record (the name the model calls). */
  readonly toolName: string;
  /** The AI SDK's id of this call (`toolCallId`), recorded as the record's `callId`. */
  readonly toolCallId: string;
  /** The parsed input the tool receives. */
  readonly input: unknown;
  /** `experimental_context` of the `generateText`/`streamText` call, if any. */
  readonly context: unknown;
}

/** Options of {@link trackTools}. Unknown keys are rejected. */
export interface TrackToolsOptions<T extends ToolSet = ToolSet> extends Omit<WrappingAdapterOptions, 'sampleRates'> {
  /**
   * The conversation's session id: a string (wrap the tools once per conversation), or a function
   * of the call. Default: `experimental_context.sessionId` when it is a string, else the
   * collector's default session.
   */
  sessionId?: string | ((call: ToolCallInfo) => string | undefined);
  /** Sample rates by tool name; a name that is not in the record does not compile (and throws). */
  sampleRates?: Partial<Record<keyof T & string, number>>;
  /** Record input and output sizes in bytes (never the values). The input is the tool's input only, not the AI SDK's options. Default true. */
  trackInputOutput?: boolean;
  /** Extra fields for each record: an object, or a function of `([input, options], result)`. */
  customMetadata?: CustomMetadata;
  /** Receives the one-time warnings (a tool without `execute`, nothing to track). Default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

/** Stamped on every record's metadata (`perftrack doctor` names the adapter and version); kept equal to package.json by a test. */
const STAMP = Object.freeze({ framework: 'ai-sdk', adapterVersion: '0.1.0' });

function linkOf(ctx: unknown, key: 'runId' | 'parentCallId' | 'parentSessionId'): string | undefined {
  if (typeof ctx !== 'object' || ctx === null) return undefined;
  const v = (ctx as Record<string, unknown>)[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

type Resolver = (call: ToolCallInfo) => string | undefined;

function sessionFromContext(call: ToolCallInfo): string | undefined {
  const ctx = call.context;
  if (typeof ctx !== 'object' || ctx === null) return undefined;
  const id = (ctx as { sessionId?: unknown }).sessionId;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/**
 * Tracks every tool of an AI SDK `tools` record (for `generateText`, `streamText`, agents):
 * returns a copy whose tools' `execute` functions record timing, outcome and sizes into a
 * perftrack collector, with the AI SDK's `toolCallId` as the record's `callId` and the
 * conversation's session id. Tools without `execute` (client-side tools) are kept as they are.
 * An empty record, and tools without `execute`, are named in a one-time warning (`onWarning`).
 *
 * Tools behave as before: same input, options, result, thrown error and `this`; an `async *execute`
 * that streams preliminary results still streams (timed from first to last value).
 *
 * @example
 * const tools = trackTools({ weather, search }, { sessionId: chatId, collector: perf.collector });
 * const result = await generateText({ model, tools, prompt, stopWhen: stepCountIs(5) });
 * @throws TypeError for unknown or invalid options, or a `sampleRates` entry naming no tool.
 */
export function trackTools<T extends ToolSet>(tools: T, options: TrackToolsOptions<T> = {}): T {
  if (typeof tools !== 'object' || tools === null || Array.isArray(tools))
    throw new TypeError('trackTools: expected a record of AI SDK tools');
  const sampleRates = checkAdapterOptions(options as WrappingAdapterOptions, WRAPPING_ADAPTER_KEYS, { owner: 'trackTools' });
  // the rest are core's own options, passed through (and validated) as they are
  const { sessionId, sampleRates: _checked, onWarning, ...track } = options;
  const diagnostics = new Diagnostics({ onWarning }, 'trackTools');
  let resolve: Resolver;
  if (sessionId === undefined) resolve = sessionFromContext;
  else if (typeof sessionId === 'string' && sessionId.length > 0) resolve = () => sessionId;
  else if (typeof sessionId === 'function') resolve = sessionId;
  else throw new TypeError(`trackTools: sessionId must be a non-empty string or a function of the call, got ${JSON.stringify(sessionId)}`);
  for (const name of Object.keys(sampleRates)) {
    if (!Object.hasOwn(tools, name)) {
      throw new TypeError(`trackTools: sampleRates names "${name}", which is not among the tools (${Object.keys(tools).join(', ')})`);
    }
  }
  const out: Record<string, unknown> = {};
  const untracked: string[] = [];
  for (const [name, tool] of Object.entries(tools)) {
    if (typeof tool !== 'object' || tool === null || typeof (tool as { execute?: unknown }).execute !== 'function') {
      untracked.push(name);
      out[name] = tool;
      continue;
    }
    const context = (args: ArrayLike<unknown>): CallContext => {
      const opts = args[1] as Partial<ToolExecutionOptions> | undefined;
      const toolCallId = typeof opts?.toolCallId === 'string' ? opts.toolCallId : undefined;
      // no usable session id: core records the collector's default session
      const shared = opts?.experimental_context;
      return {
        sessionId: resolve({ toolName: name, toolCallId: toolCallId ?? '', input: args[0], context: shared }),
        callId: toolCallId,
        // parent links the caller put in experimental_context (an agent step, a parent conversation)
        runId: linkOf(shared, 'runId'),
        parentCallId: linkOf(shared, 'parentCallId'),
        parentSessionId: linkOf(shared, 'parentSessionId'),
      };
    };
    out[name] = trackPerformance({
      ...track,
      trackInputOutput: track.trackInputOutput ?? true,
      customMetadata: withAdapterStamp(track.customMetadata, STAMP),
      sampleRate: sampleRateOf(sampleRates, name, track.sampleRate),
      toolId: name,
      context,
      input: (args) => args[0],
    })(tool as unknown as { id: string; execute(...a: never[]): unknown });
  }
  if (Object.keys(tools).length === 0) {
    diagnostics.warnOnce(
      'empty',
      'perftrack: trackTools was given an empty tools record: nothing to wrap, so no tool call will be recorded.',
    );
  }
  if (untracked.length > 0) {
    diagnostics.warnOnce(
      'untracked',
      `perftrack: trackTools cannot track ${untracked.map((n) => `"${n}"`).join(', ')}: no execute() (client-side tools, whose calls the AI SDK returns to the caller).` +
        (untracked.length === Object.keys(tools).length ? ' No tool of the record is tracked.' : ''),
    );
  }
  return out as T;
}
