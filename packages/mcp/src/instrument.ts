import { trackPerformance, type CallContext, type CustomMetadata, type WrappingAdapterOptions } from '@perftrack/core';
import { checkAdapterOptions, Diagnostics, sampleRateOf, withAdapterStamp, WRAPPING_ADAPTER_KEYS } from '@perftrack/core/internal';
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';

/** What a {@link InstrumentMcpOptions.sessionId} function sees of one tool call. */
export interface McpCallInfo {
  /** The tool's registered name. */
  readonly toolName: string;
  /** The transport's session id (Streamable HTTP), if any. */
  readonly transportSessionId: string | undefined;
  /** The JSON-RPC request id of the `tools/call` request. */
  readonly requestId: string | number | undefined;
  /** The request's `params._meta` (e.g. a client's own conversation id), if the client sent one. */
  readonly meta: Readonly<Record<string, unknown>> | undefined;
  /** The connected client's `clientInfo` from its `initialize` request (`{ name, version }`), if known. */
  readonly clientInfo: { readonly name: string; readonly version: string } | undefined;
}

/** Options of {@link instrumentMcpServer}. Unknown keys are rejected. */
export interface InstrumentMcpOptions extends WrappingAdapterOptions {
  /**
   * Session of each call: a string, or a function of the call (which sees the request's `_meta`
   * and the client's info). Default: the transport's session id (Streamable HTTP), else a string
   * `_meta.sessionId` the client sent, else the collector's default session (stdio and in-memory
   * transports have no session of their own).
   */
  sessionId?: string | ((call: McpCallInfo) => string | undefined);
  /** Share of successful calls recorded, in [0, 1]. Failures (thrown or `isError`) are always kept. Default 1. */
  sampleRate?: number;
  /** Record the sizes of the arguments and of the `CallToolResult` in bytes (never the values). Default true. */
  trackInputOutput?: boolean;
  /** Extra fields for each record: an object, or a function of `(handler arguments, result)`. */
  customMetadata?: CustomMetadata;
}

/** Stamped on every record's metadata (`perftrack doctor` names the adapter and version); kept equal to package.json by a test. */
const STAMP = Object.freeze({ framework: 'mcp', adapterVersion: '0.1.0' });
const INSTRUMENTED = Symbol.for('perftrack.mcp.instrumented');

type Handler = (...args: never[]) => unknown;
interface ToolRegistry {
  _registeredTools?: Record<string, RegisteredTool>;
  server?: { getClientVersion?: () => unknown };
}
/**
 * Where the SDK keeps a tool's function: `handler` from 1.24 on, `callback` before (1.17–1.23).
 * Both are wrapped when both are there; only the one the SDK calls ever runs.
 */
const FUNCTION_FIELDS = ['handler', 'callback'] as const;
type ToolFields = Partial<Record<(typeof FUNCTION_FIELDS)[number], unknown>>;

/** The error an `isError: true` result stands for: its first text content as the message. */
export class McpToolError extends Error {
  override name = 'McpToolError';
}

function failureOf(result: unknown): McpToolError | undefined {
  if (typeof result !== 'object' || result === null || (result as { isError?: unknown }).isError !== true) return undefined;
  const content = (result as { content?: unknown }).content;
  let message = 'the tool returned isError: true';
  if (Array.isArray(content)) {
    const text = content.find((c: unknown) => typeof c === 'object' && c !== null && (c as { type?: unknown }).type === 'text') as
      | { text?: unknown }
      | undefined;
    if (typeof text?.text === 'string' && text.text.length > 0) message = text.text;
  }
  return new McpToolError(message);
}

interface Extra {
  sessionId?: unknown;
  requestId?: unknown;
  _meta?: unknown;
}

/** The handler's `extra` argument: the last one (`(args, extra)` with an input schema, `(extra)` without). */
function extraOf(args: ArrayLike<unknown>): Extra | undefined {
  const extra = args[args.length - 1];
  return typeof extra === 'object' && extra !== null ? (extra as Extra) : undefined;
}

function clientInfoOf(server: ToolRegistry): McpCallInfo['clientInfo'] {
  try {
    const info = server.server?.getClientVersion?.() as { name?: unknown; version?: unknown } | undefined;
    return typeof info?.name === 'string' && typeof info.version === 'string' ? { name: info.name, version: info.version } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Tracks every tool of an `@modelcontextprotocol/sdk` `McpServer`: tools registered before this
 * call and after it (`registerTool`, `tool`), and callbacks replaced with `update({ callback })`.
 * Each call records the tool name, timing, outcome and sizes; a handler that throws, and a result
 * with `isError: true`, are failures (the message is the result's first text). Clients see
 * exactly what they saw before. Task-based tools (`registerToolTask`) are not tracked.
 *
 * Idempotent: instrumenting a server twice changes nothing. Returns the server. A server that is
 * connected (`connect()`) with no tool registered warns once through `onWarning`: nothing to wrap.
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
  // checked now, not when a tool registers later
  const sampleRates = checkAdapterOptions(options, WRAPPING_ADAPTER_KEYS, { owner: 'instrumentMcpServer' });
  // the rest are core's own options, passed through (and validated by core) as they are
  const { sessionId, sampleRates: _checked, onWarning, ...track } = options;
  const diagnostics = new Diagnostics({ onWarning }, 'instrumentMcpServer');
  const { sampleRate } = track;
  if ((server as unknown as Record<symbol, unknown>)[INSTRUMENTED]) return server;

  const registry = server as unknown as ToolRegistry;
  const wrap = (name: string, handler: unknown): unknown => {
    const context = (args: ArrayLike<unknown>): CallContext => {
      const extra = extraOf(args);
      const transportSessionId = typeof extra?.sessionId === 'string' ? extra.sessionId : undefined;
      const requestId = typeof extra?.requestId === 'string' || typeof extra?.requestId === 'number' ? extra.requestId : undefined;
      const meta = typeof extra?._meta === 'object' && extra._meta !== null ? (extra._meta as Record<string, unknown>) : undefined;
      const metaSession = typeof meta?.sessionId === 'string' ? meta.sessionId : undefined;
      // no usable session id: core records the collector's default session
      return {
        sessionId:
          typeof sessionId === 'function'
            ? sessionId({ toolName: name, transportSessionId, requestId, meta, clientInfo: clientInfoOf(registry) })
            : (sessionId ?? transportSessionId ?? metaSession),
        callId: requestId === undefined ? undefined : String(requestId),
      };
    };
    return trackPerformance({
      ...track,
      trackInputOutput: track.trackInputOutput ?? true,
      customMetadata: withAdapterStamp(track.customMetadata, STAMP),
      // an own property only: a tool named "constructor" is not Object's
      sampleRate: sampleRateOf(sampleRates, name, sampleRate),
      toolId: name,
      context,
      input: (args) => (args.length >= 2 ? args[0] : undefined),
      failureOf,
    })(handler as Handler);
  };

  const instrumentTool = (name: string, registered: RegisteredTool): void => {
    if (typeof registered !== 'object' || registered === null) return;
    const fields = registered as unknown as ToolFields;
    let current = name;
    // the untracked function of each field the SDK may call
    const originals = new Map<(typeof FUNCTION_FIELDS)[number], unknown>();
    const installed = new Map<(typeof FUNCTION_FIELDS)[number], unknown>();
    const rewrap = (): void => {
      let wrapped = 0;
      for (const [field, original] of originals) {
        if (typeof original !== 'function') continue;
        const tracked = wrap(current, original);
        fields[field] = tracked;
        installed.set(field, tracked);
        wrapped++;
      }
      if (wrapped === 0) {
        const why = FUNCTION_FIELDS.some((f) => typeof fields[f] === 'object' && fields[f] !== null)
          ? 'it is a task-based tool (registerToolTask), whose handler is an object'
          : 'this SDK version keeps its function in neither `handler` nor `callback`';
        diagnostics.warnOnce(
          `untrackable:${current}`,
          `perftrack: MCP tool "${current}" is not tracked: ${why}. Its calls are not recorded.`,
        );
      }
    };
    for (const field of FUNCTION_FIELDS) if (field in fields) originals.set(field, fields[field]);
    rewrap();
    if (typeof registered.update !== 'function') return;
    const update = registered.update.bind(registered);
    registered.update = ((updates: Parameters<RegisteredTool['update']>[0]) => {
      update(updates);
      const renamed = typeof updates?.name === 'string';
      if (renamed) current = updates.name as string;
      // the SDK stored the new callback in its field: remember it untracked
      if (updates?.callback !== undefined) {
        for (const field of originals.keys()) if (fields[field] !== installed.get(field)) originals.set(field, fields[field]);
      }
      // a rename or a new callback: track the current callback under the current name
      if (renamed || updates?.callback !== undefined) rewrap();
    }) as RegisteredTool['update'];
  };

  for (const [name, registered] of Object.entries(registry._registeredTools ?? {})) instrumentTool(name, registered);
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
  // Never a silent zero: a server connected with no tool answers no tools/call (the SDK installs
  // its tools handlers only with the first tool), so connect() is the one moment that always comes.
  const connect = (server.connect as (...a: unknown[]) => Promise<void>).bind(server);
  Object.defineProperty(server, 'connect', {
    configurable: true,
    writable: true,
    value: (...args: unknown[]): Promise<void> => {
      if (Object.keys(registry._registeredTools ?? {}).length === 0) {
        diagnostics.warnOnce(
          'empty',
          'perftrack: an instrumented MCP server was connected with no tool registered: nothing to wrap yet, so no call is recorded ' +
            '(tools registered later are still tracked).',
        );
      }
      return connect(...args);
    },
  });
  Object.defineProperty(server, INSTRUMENTED, { value: true });
  return server;
}
