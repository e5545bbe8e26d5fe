import { defaultRecorder } from '../api/default-recorder';
import { validate } from './options';
import { runMethodOf, toolIdOf, wrapToolObject, type ToolLike, type WrapToolsOptions } from './tool-objects';

/**
 * Wraps every tool of an array or record with {@link trackPerformance}; returns the same shape
 * with tracked copies (the originals are untouched). Per-tool options override the shared ones.
 * An empty array or record is returned as it is, with a one-time warning through the
 * collector's `onWarning` (nothing to wrap).
 *
 * @example
 * const tools = wrapTools([readTool, grepTool], { trackInputOutput: true, perTool: { grep: { sampleRate: 0.1 } } });
 */
export function wrapTools<T extends readonly ToolLike[] | Readonly<Record<string, ToolLike>>>(tools: T, options: WrapToolsOptions = {}): T {
  if (typeof tools !== 'object' || tools === null) throw new TypeError('wrapTools: expected an array or a record of tools');
  if (typeof options !== 'object' || options === null) throw new TypeError('wrapTools: options must be an object');
  const { perTool = {}, ...shared } = options;
  const sharedSpec = validate(shared);
  const seen = new Set<string>();
  const wrapOne = (tool: ToolLike, key: string): ToolLike => {
    if (typeof tool !== 'object' || tool === null || runMethodOf(tool) === undefined) {
      throw new TypeError(`wrapTools: tool "${key}" must be an object with an execute() method, or a LangChain tool (name and invoke())`);
    }
    const id = toolIdOf(tool) ?? key;
    seen.add(id);
    // own keys only: a tool named `constructor` or `__proto__` must not pick up Object.prototype's
    const own = Object.hasOwn(perTool, id) ? perTool[id] : undefined;
    const spec = validate({ ...shared, ...own, toolId: id }, `perTool["${id}"]`);
    return wrapToolObject(tool, spec);
  };
  let out: unknown;
  if (Array.isArray(tools)) out = (tools as readonly ToolLike[]).map((t, i) => wrapOne(t, String(i)));
  else {
    const rec: Record<string, ToolLike> = {};
    // defineProperty: a `__proto__` key stays an own key of the record, not its prototype
    for (const [k, t] of Object.entries(tools as Record<string, ToolLike>)) {
      Object.defineProperty(rec, k, { value: wrapOne(t, k), writable: true, enumerable: true, configurable: true });
    }
    out = rec;
  }
  if (Object.keys(tools).length === 0) {
    // never a silent zero: an empty registry records nothing, which looks like an idle agent
    (sharedSpec.recorder ?? defaultRecorder()).warnOnce(
      'wrapTools:empty',
      `perftrack: wrapTools was given an empty ${Array.isArray(tools) ? 'array' : 'record'}: nothing to wrap, so no tool call will be recorded.`,
    );
  }
  for (const id of Object.keys(perTool)) {
    if (!seen.has(id)) throw new TypeError(`wrapTools: perTool names "${id}", which is not among the tools (${[...seen].join(', ')})`);
  }
  return out as T;
}
