import type { CallContext } from '../api/types';

// The default context resolver: where the agent frameworks we know put a tool call's ids.
//
//   opencode           execute(args, { sessionID, messageID, callID })
//   AI SDK             execute(input, { toolCallId, messages, experimental_context: { sessionId… } })
//   Mastra 1.x         execute(input, { agent: { toolCallId, threadId, resourceId }, workflow: { runId }, requestContext })
//   Mastra 0.x         execute({ context: input, threadId, resourceId, runId, runtimeContext }, { toolCallId })
//   LangChain.js       invoke(input | { type: 'tool_call', id, args }, { runId, configurable: { thread_id }, metadata, toolCall })
//   generic            execute(input, { sessionId | threadId | conversationId, messageId, callId | toolCallId, runId })

type Bag = Record<string, unknown>;

function bag(value: unknown): Bag | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Bag) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function firstString(b: Bag | undefined, keys: readonly string[]): string | undefined {
  if (b === undefined) return undefined;
  for (const key of keys) {
    const v = str(b[key]);
    if (v !== undefined) return v;
  }
  return undefined;
}

const SESSION_KEYS = ['sessionID', 'sessionId', 'threadId', 'thread_id', 'conversationId', 'conversation_id', 'session_id'] as const;
const CALL_KEYS = ['callID', 'callId', 'toolCallId', 'tool_call_id'] as const;
const MESSAGE_KEYS = ['messageID', 'messageId'] as const;
const RUN_KEYS = ['runId', 'run_id'] as const;
/** Keys that mark a second argument as a framework's call context (not part of the tool's input). */
const CONTEXT_MARKERS = [
  ...SESSION_KEYS,
  ...CALL_KEYS,
  ...MESSAGE_KEYS,
  ...RUN_KEYS,
  'experimental_context',
  'abortSignal',
  'requestContext',
  'runtimeContext',
  'agent',
  'configurable',
  'callbacks',
  'toolCall',
  'recursionLimit',
  'runName',
  'metadata',
  'tags',
] as const;

/** A LangChain `ToolCall` envelope (`tool.invoke(toolCall)`): the tool's input is its `args`. */
export function isLangChainToolCall(value: unknown): value is { id?: unknown; args: unknown; name?: unknown } {
  const b = bag(value);
  return b !== undefined && b.type === 'tool_call' && 'args' in b;
}

/** Mastra 0.x's single execution argument: the tool's input is its `context`. */
function isMastraLegacyArg(value: unknown): value is Bag & { context: unknown } {
  const b = bag(value);
  return b !== undefined && 'context' in b && ('runtimeContext' in b || 'mastra' in b || 'tracingContext' in b);
}

/** Whether `value` looks like a framework's call context (the `ctx` of `execute(args, ctx)`). */
export function isFrameworkContext(value: unknown): boolean {
  const b = bag(value);
  if (b === undefined) return false;
  try {
    for (const key of CONTEXT_MARKERS) if (key in b) return true;
  } catch {
    // a proxy that throws on `in`
  }
  return false;
}

/** Session, message, call, run and parent ids from the frameworks' call arguments; undefined when none is found. */
export function frameworkContext(first: unknown, second: unknown): CallContext | undefined {
  try {
    const ctx = bag(second);
    // opencode first: the hot path of the basic wrapper
    if (ctx !== undefined && typeof ctx.sessionID === 'string' && ctx.sessionID.length > 0) {
      return { sessionId: ctx.sessionID, messageId: str(ctx.messageID), callId: str(ctx.callID) };
    }
    let sessionId: string | undefined;
    let messageId: string | undefined;
    let callId: string | undefined;
    let runId: string | undefined;
    let parentCallId: string | undefined;
    let parentSessionId: string | undefined;
    if (ctx !== undefined) {
      const agent = bag(ctx.agent); // Mastra 1.x
      const workflow = bag(ctx.workflow);
      const shared = bag(ctx.experimental_context); // AI SDK
      const configurable = bag(ctx.configurable); // LangChain / LangGraph
      const metadata = bag(ctx.metadata);
      sessionId =
        firstString(ctx, SESSION_KEYS) ??
        firstString(agent, ['threadId', 'resourceId']) ??
        firstString(shared, SESSION_KEYS) ??
        firstString(configurable, SESSION_KEYS) ??
        firstString(metadata, SESSION_KEYS) ??
        str(ctx.resourceId);
      messageId = firstString(ctx, MESSAGE_KEYS);
      callId = firstString(ctx, CALL_KEYS) ?? firstString(agent, CALL_KEYS) ?? firstString(bag(ctx.toolCall), ['id']);
      runId =
        firstString(ctx, RUN_KEYS) ?? firstString(workflow, RUN_KEYS) ?? firstString(agent, RUN_KEYS) ?? firstString(shared, RUN_KEYS);
      parentCallId = firstString(ctx, ['parentCallId']) ?? firstString(shared, ['parentCallId']);
      parentSessionId = firstString(ctx, ['parentSessionId']) ?? firstString(shared, ['parentSessionId']);
    }
    // the first argument can be a framework's envelope: Mastra 0.x's execution argument, a LangChain ToolCall
    if (isMastraLegacyArg(first)) {
      sessionId ??= firstString(first, ['threadId', 'resourceId']);
      runId ??= str(first.runId);
    } else if (isLangChainToolCall(first)) {
      callId ??= str(first.id);
    }
    if (
      sessionId === undefined &&
      messageId === undefined &&
      callId === undefined &&
      runId === undefined &&
      parentCallId === undefined &&
      parentSessionId === undefined
    ) {
      return undefined;
    }
    return { sessionId, messageId, callId, runId, parentCallId, parentSessionId };
  } catch {
    // a throwing getter or proxy: no context, the collector's default session
    return undefined;
  }
}

/**
 * The tool's own input among a call's arguments: the first argument whenever the second is a
 * framework context (or absent), Mastra 0.x's `context`, a LangChain tool call's `args`; else
 * every argument.
 */
export function frameworkInput(args: ArrayLike<unknown>): unknown {
  const first = args.length > 0 ? args[0] : undefined;
  try {
    if (isMastraLegacyArg(first)) return first.context;
    if (isLangChainToolCall(first)) return first.args;
  } catch {
    // a throwing getter: fall through
  }
  if (args.length === 1 || (args.length === 2 && isFrameworkContext(args[1]))) return first;
  return Array.prototype.slice.call(args);
}
