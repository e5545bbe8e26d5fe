import { fail, type Spec, type TrackOptions } from './options';
import { constant } from './tool-ids';
import { isTracked, type AnyFunction } from './function-shape';
import { instrument } from './wrap-call';

/** A `Tool.define`-style tool: an id and an `execute(args, ctx)` function (opencode, AI SDK, Mastra `createTool`). */
export interface ExecutableTool {
  readonly id: string;
  readonly description?: string;
  readonly parameters?: unknown;
  execute(...args: never[]): unknown;
}

/** A LangChain.js tool (`StructuredTool`, `tool()`, `DynamicStructuredTool`): a name and `invoke(input, config)`. */
export interface InvocableTool {
  readonly name: string;
  invoke(...args: never[]): unknown;
}

/** A tool {@link trackPerformance} and {@link wrapTools} can wrap: an {@link ExecutableTool} or an {@link InvocableTool}. */
export type ToolLike = ExecutableTool | InvocableTool;

/** Options of {@link wrapTools}: defaults for every tool, and per-tool overrides by tool id. */
export interface WrapToolsOptions extends Omit<TrackOptions, 'toolId'> {
  /** Options for single tools, by tool id; each must name a tool in the list. */
  perTool?: Readonly<Record<string, Omit<TrackOptions, 'toolId' | 'collector'>>>;
}

/** The method of a tool object that runs it: `execute`, else a LangChain tool's `invoke`; undefined for neither. */
export function runMethodOf(tool: object): 'execute' | 'invoke' | undefined {
  if (typeof (tool as { execute?: unknown }).execute === 'function') return 'execute';
  if (typeof (tool as { invoke?: unknown }).invoke === 'function' && typeof (tool as { name?: unknown }).name === 'string') return 'invoke';
  return undefined;
}

/** A LangChain `ToolMessage` (what `invoke` returns for a tool call): its content is the tool's output. */
function toolMessageContent(result: unknown): unknown {
  if (
    typeof result === 'object' &&
    result !== null &&
    typeof (result as { tool_call_id?: unknown }).tool_call_id === 'string' &&
    'content' in result
  ) {
    return (result as { content: unknown }).content;
  }
  return result;
}

/** The id of a tool object: its string `id`, else its `name` (LangChain). */
export function toolIdOf(tool: object): string | undefined {
  const { id, name } = tool as { id?: unknown; name?: unknown };
  if (typeof id === 'string' && id.length > 0) return id;
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}

export function wrapToolObject<T extends ToolLike>(tool: T, spec: Spec): T {
  const method = runMethodOf(tool) ?? fail('a tool object needs an execute() method, or a name and invoke() (LangChain)');
  const id = spec.toolId ?? toolIdOf(tool);
  if (typeof id !== 'string' || id.length === 0) fail('a tool object needs a non-empty string `id` or `name` (or the toolId option)');
  const run = (tool as unknown as Record<string, unknown>)[method] as AnyFunction;
  if (isTracked(run)) return tool;
  const copy = Object.create(Object.getPrototypeOf(tool) as object | null, Object.getOwnPropertyDescriptors(tool)) as T;
  // LangChain's invoke(toolCall) returns a ToolMessage: size its content, not the message
  const callSpec: Spec = method === 'invoke' ? { ...spec, outputOf: toolMessageContent } : spec;
  Object.defineProperty(copy, method, {
    value: instrument(run, callSpec, constant(id)),
    writable: true,
    enumerable: Object.getOwnPropertyDescriptor(tool, method)?.enumerable ?? true,
    configurable: true,
  });
  return copy;
}
