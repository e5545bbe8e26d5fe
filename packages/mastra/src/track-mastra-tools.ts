import { trackPerformance, type CallContext, type CustomMetadata, type WrappingAdapterOptions } from '@perftrack/core';
import { checkAdapterOptions, Diagnostics, sampleRateOf, withAdapterStamp, WRAPPING_ADAPTER_KEYS } from '@perftrack/core/internal';

/** One tool call as Mastra makes it: what a {@link TrackMastraToolsOptions.sessionId} function sees. */
export interface MastraToolCallInfo {
  /** The tool's id (`createTool({ id })`), else its key in the record. */
  readonly toolName: string;
  /** The model's id of this call, recorded as the record's `callId`. */
  readonly toolCallId: string | undefined;
  /** The memory thread of the agent run (`generate(…, { threadId })` or `memory.thread`). */
  readonly threadId: string | undefined;
  /** The memory resource (usually the user) of the agent run. */
  readonly resourceId: string | undefined;
  /** The agent or workflow run. */
  readonly runId: string | undefined;
}

/** Options of {@link trackMastraTools}. Unknown keys are rejected. */
export interface TrackMastraToolsOptions extends WrappingAdapterOptions {
  /** Session of each call: a string, or a function of the call. Default: the thread id, else the resource id, else the collector's default session. */
  sessionId?: string | ((call: MastraToolCallInfo) => string | undefined);
  /** Sample rates by tool id. */
  sampleRates?: Readonly<Record<string, number>>;
  /** Record the sizes of the tool's input (never Mastra's execution context) and output, in bytes. Default true. */
  trackInputOutput?: boolean;
  /** Extra fields for each record: an object, or a function of `(execute's arguments, result)`. */
  customMetadata?: CustomMetadata;
  /** Receives the one-time warnings (nothing to wrap, a tool that cannot be tracked). Default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

/** Stamped on every record's metadata (`perftrack doctor` names the adapter and version); kept equal to package.json by a test. */
const STAMP = Object.freeze({ framework: 'mastra', adapterVersion: '0.1.0' });

type Bag = Record<string, unknown>;
const bag = (v: unknown): Bag | undefined => (typeof v === 'object' && v !== null ? (v as Bag) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * Mastra's two calling conventions:
 * - 0.x: `execute({ context: input, threadId, resourceId, runId, runtimeContext, … }, { toolCallId, messages })`;
 * - 1.x: `execute(input, { agent: { toolCallId, threadId, resourceId }, workflow: { runId }, requestContext, … })`.
 */
function isLegacyArg(first: unknown): first is Bag & { context: unknown } {
  const b = bag(first);
  return b !== undefined && 'context' in b && ('runtimeContext' in b || 'mastra' in b || 'tracingContext' in b);
}

function callInfo(toolName: string, args: ArrayLike<unknown>): MastraToolCallInfo {
  const first = args[0];
  const second = bag(args[1]);
  if (isLegacyArg(first)) {
    return {
      toolName,
      toolCallId: str(second?.toolCallId),
      threadId: str(first.threadId),
      resourceId: str(first.resourceId),
      runId: str(first.runId),
    };
  }
  const agent = bag(second?.agent);
  const workflow = bag(second?.workflow);
  return {
    toolName,
    toolCallId: str(agent?.toolCallId) ?? str(second?.toolCallId),
    threadId: str(agent?.threadId) ?? str(second?.threadId),
    resourceId: str(agent?.resourceId) ?? str(second?.resourceId),
    runId: str(workflow?.runId) ?? str(agent?.runId) ?? str(second?.runId),
  };
}

/** The tool's own input: Mastra 0.x's `context`, else the first argument. */
function inputOf(args: readonly unknown[]): unknown {
  return isLegacyArg(args[0]) ? args[0].context : args[0];
}

/**
 * Tracks every tool of a Mastra `tools` record or array (`createTool()` tools, as passed to
 * `new Agent({ tools })` or a workflow step): returns a copy whose tools' `execute` functions
 * record timing, outcome and sizes into perftrack, with the tool call id as `callId`, the thread
 * (else the resource) as the session and the run id as `runId`. Only the tool's input is sized,
 * never Mastra's execution context. Works with both of Mastra's calling conventions (0.x's
 * `{ context, threadId, … }` argument and 1.x's `(input, context)`).
 *
 * A record with no tool to wrap, and a tool without `execute`, are named in a one-time warning
 * and passed through.
 *
 * @example
 * const agent = new Agent({ name: 'helper', instructions, model, tools: trackMastraTools({ weather, search }, { collector }) });
 * await agent.generate('…', { threadId: chatId, resourceId: userId });
 * @throws TypeError for invalid options.
 */
export function trackMastraTools<T extends Readonly<Record<string, unknown>> | readonly unknown[]>(
  tools: T,
  options: TrackMastraToolsOptions = {},
): T {
  if (typeof tools !== 'object' || tools === null) throw new TypeError('trackMastraTools: expected a record or an array of Mastra tools');
  const sampleRates = checkAdapterOptions(options, WRAPPING_ADAPTER_KEYS, { owner: 'trackMastraTools', tool: 'id' });
  const { sessionId, sampleRates: _checked, onWarning, ...track } = options;
  const diagnostics = new Diagnostics({ onWarning }, 'trackMastraTools');
  let wrapped = 0;
  const wrapOne = (tool: unknown, key: string): unknown => {
    const execute = bag(tool)?.execute;
    if (typeof execute !== 'function') {
      diagnostics.warnOnce(
        `untrackable:${key}`,
        `perftrack: Mastra tool "${key}" has no execute() function, so its calls are not tracked.`,
      );
      return tool;
    }
    const name = str((tool as Bag).id) ?? key;
    const context = (args: ArrayLike<unknown>): CallContext => {
      const call = callInfo(name, args);
      return {
        sessionId: typeof sessionId === 'function' ? sessionId(call) : (sessionId ?? call.threadId ?? call.resourceId),
        callId: call.toolCallId,
        runId: call.runId,
      };
    };
    wrapped++;
    return trackPerformance({
      ...track,
      trackInputOutput: track.trackInputOutput ?? true,
      customMetadata: withAdapterStamp(track.customMetadata, STAMP),
      sampleRate: sampleRateOf(sampleRates, name, track.sampleRate),
      toolId: name,
      context,
      input: inputOf,
    })(tool as { id: string; execute(...a: never[]): unknown });
  };
  const out = Array.isArray(tools)
    ? tools.map((t, i) => wrapOne(t, String(i)))
    : Object.fromEntries(Object.entries(tools).map(([k, t]) => [k, wrapOne(t, k)]));
  if (wrapped === 0) {
    const empty = (Array.isArray(tools) ? tools.length : Object.keys(tools).length) === 0;
    diagnostics.warnOnce(
      'nothing',
      empty
        ? `perftrack: trackMastraTools was given an empty ${Array.isArray(tools) ? 'array' : 'record'}: nothing to wrap, so no call will be recorded.`
        : 'perftrack: trackMastraTools found no tool with an execute() function to track; no call will be recorded.',
    );
  }
  return out as unknown as T;
}
