import { MetricsCollector, checkOptionKeys, trackPerformance, type CallContext, type CustomMetadata } from '@perftrack/core';
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';

/** What a {@link InstrumentMcpOptions.sessionId} function sees of one tool call. */
export interface McpCallInfo {
  /** The tool's registered name. */
  readonly toolName: string;
  /** The transport's session id (Streamable HTTP), if any. */
  readonly transportSessionId: string | undefined;
  /** The JSON-RPC request id of the `tools/call` request. */
  readonly requestId: string | number | undefined;
}

/** Options of {@link instrumentMcpServer}. Unknown keys are rejected. */
export interface InstrumentMcpOptions {
  /** Collector to record into. Default: `MetricsCollector.default`, looked up at call time. */
  collector?: MetricsCollector;
  /**
   * Session of each call: a string, or a function of the call. Default: the transport's session
   * id (Streamable HTTP), else the collector's default session (stdio and in-memory transports have none).
   */
  sessionId?: string | ((call: McpCallInfo) => string | undefined);
  /** Share of successful calls recorded, in [0, 1]. Failures (thrown or `isError`) are always kept. Default 1. */
  sampleRate?: number;
  /** Sample rates by tool name, for tools registered now or later. */
  sampleRates?: Readonly<Record<string, number>>;
  /** Record the sizes of the arguments and of the `CallToolResult` in bytes (never the values). Default true. */
  trackInputOutput?: boolean;
  /** Record a stable hash of the arguments (never the arguments). Default false. */
  hashInput?: boolean;
  /** Record the heap delta across each call. Default false. */
  trackMemory?: boolean;
  /** Extra fields for each record: an object, or a function of `(handler arguments, result)`. */
  customMetadata?: CustomMetadata;
}

const OPTION_KEYS = ['collector', 'sessionId', 'sampleRate', 'sampleRates', 'trackInputOutput', 'hashInput', 'trackMemory', 'customMetadata'] as const;
const INSTRUMENTED = Symbol.for('perftrack.mcp.instrumented');

type Handler = (...args: never[]) => unknown;
interface ToolRegistry {
  _registeredTools?: Record<string, RegisteredTool>;
}

/** The error an `isError: true` result stands for: its first text content as the message. */
export class McpToolError extends Error {
  override name = 'McpToolError';
}

function failureOf(result: unknown): McpToolError | undefined {
  if (typeof result !== 'object' || result === null || (result as { isError?: unknown }).isError !== true) return undefined;
  const content = (result as { content?: unknown }).content;
  let message = 'the tool returned isError: true';
  if (Array.isArray(content)) {
    const text = content.find((c: unknown) => typeof c === 'object' && c !== null && (c as { type?: unknown }).type === 'text') as { text?: unknown } | undefined;
    if (typeof text?.text === 'string' && text.text.length > 0) message = text.text;
  }
  return new McpToolError(message);
}

/** The handler's `extra` argument: the last one (`(args, extra)` with an input schema, `(extra)` without). */
function extraOf(args: ArrayLike<unknown>): { sessionId?: unknown; requestId?: unknown } | undefined {
  const extra = args[args.length - 1];
  return typeof extra === 'object' && extra !== null ? (extra as { sessionId?: unknown; requestId?: unknown }) : undefined;
}

/**
 * Tracks every tool of an `@modelcontextprotocol/sdk` `McpServer`: tools registered before this
 * call and after it (`registerTool`, `tool`), and callbacks replaced with `update({ callback })`.
 * Each call records the tool name, timing, outcome and sizes; a handler that throws, and a result
 * with `isError: true`, are failures (the message is the result's first text). Clients see
 * exactly what they saw before. Task-based tools (`registerToolTask`) are not tracked.
 *
 * Idempotent: instrumenting a server twice changes nothing. Returns the server.
 *
 * @example
 * const server = instrumentMcpServer(new McpServer({ name: 'files', version: '1.0.0' }), { collector: perf.collector });
 * server.registerTool('read', { inputSchema: { path: z.string() } }, async ({ path }) => ...);
 * @throws TypeError for an invalid server or options.
 */
export function instrumentMcpServer<S extends McpServer>(server: S, options: InstrumentMcpOptions = {}): S {
  if (typeof server !== 'object' || server === null || typeof (server as { registerTool?: unknown }).registerTool !== 'function') {
    throw new TypeError('instrumentMcpServer: expected an McpServer from @modelcontextprotocol/sdk');
  }
  checkOptionKeys(options, OPTION_KEYS, 'instrumentMcpServer');
  // the rest are core's own options, passed through (and validated by core) as they are
  const { sessionId, sampleRates = {}, ...track } = options;
  const { collector, sampleRate } = track;
  if (collector !== undefined && !(collector instanceof MetricsCollector)) throw new TypeError('instrumentMcpServer: collector must be a MetricsCollector');
  if (sessionId !== undefined && !(typeof sessionId === 'function' || (typeof sessionId === 'string' && sessionId.length > 0))) {
    throw new TypeError(`instrumentMcpServer: sessionId must be a non-empty string or a function of the call, got ${JSON.stringify(sessionId)}`);
  }
  if (typeof sampleRates !== 'object' || sampleRates === null) throw new TypeError('instrumentMcpServer: sampleRates must be a record of tool name to rate');
  // checked now, not when a tool registers later
  for (const [name, rate] of Object.entries({ ...sampleRates, ...(sampleRate !== undefined ? { '(sampleRate)': sampleRate } : {}) })) {
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new TypeError(`instrumentMcpServer: the sample rate of ${name} must be a number from 0 to 1, got ${JSON.stringify(rate)}`);
  }
  if ((server as unknown as Record<symbol, unknown>)[INSTRUMENTED]) return server;

  const wrap = (name: string, handler: unknown): unknown => {
    if (typeof handler !== 'function') return handler; // task handlers are objects: left alone
    const context = (args: ArrayLike<unknown>): CallContext => {
      const extra = extraOf(args);
      const transportSessionId = typeof extra?.sessionId === 'string' ? extra.sessionId : undefined;
      const requestId = typeof extra?.requestId === 'string' || typeof extra?.requestId === 'number' ? extra.requestId : undefined;
      // no usable session id: core records the collector's default session
      return {
        sessionId: typeof sessionId === 'function' ? sessionId({ toolName: name, transportSessionId, requestId }) : (sessionId ?? transportSessionId),
        callId: requestId === undefined ? undefined : String(requestId),
      };
    };
    return trackPerformance({
      ...track,
      trackInputOutput: track.trackInputOutput ?? true,
      // an own property only: a tool named "constructor" is not Object's
      sampleRate: Object.prototype.hasOwnProperty.call(sampleRates, name) ? sampleRates[name] : sampleRate,
      toolId: name,
      context,
      input: (args) => (args.length >= 2 ? args[0] : undefined),
      failureOf,
    })(handler as Handler);
  };

  const instrumentTool = (name: string, registered: RegisteredTool): void => {
    let current = name;
    let original: unknown = registered.handler;
    registered.handler = wrap(current, original) as RegisteredTool['handler'];
    const update = registered.update.bind(registered);
    registered.update = ((updates: Parameters<RegisteredTool['update']>[0]) => {
      update(updates);
      if (typeof updates?.name === 'string') current = updates.name;
      if (updates?.callback !== undefined) original = updates.callback;
      // a rename or a new callback: track the current callback under the current name
      if (typeof updates?.name === 'string' || updates?.callback !== undefined) registered.handler = wrap(current, original) as RegisteredTool['handler'];
    }) as RegisteredTool['update'];
  };

  for (const [name, registered] of Object.entries((server as unknown as ToolRegistry)._registeredTools ?? {})) instrumentTool(name, registered);
  for (const method of ['registerTool', 'tool'] as const) {
    const original = (server[method] as (...a: unknown[]) => RegisteredTool).bind(server);
    Object.defineProperty(server, method, {
      configurable: true,
      writable: true,
      value: (name: string, ...rest: unknown[]): RegisteredTool => {
        const registered = original(name, ...rest);
        instrumentTool(name, registered);
        return registered;
      },
    });
  }
  Object.defineProperty(server, INSTRUMENTED, { value: true });
  return server;
}
