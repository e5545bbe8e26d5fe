// @perftrack/opencode — the whole public surface.
//
// opencode loads this module as a plugin: it calls `server(input, options)` (the `id` names it).
// Everything else is for embedding and tests.

import { createPerftrackPlugin } from './plugin';

/** The plugin's id, as opencode lists it. */
export const id = 'perftrack';

/** The opencode plugin: `"plugin": ["@perftrack/opencode"]` in `opencode.json`, or `[name, { …options }]`. */
export const server = createPerftrackPlugin();

/**
 * The same plugin under a name for a file in `.opencode/plugin/`, where opencode calls every
 * export as a plugin function: `export { PerftrackPlugin } from "@perftrack/opencode";`
 * (configure it with `PERFTRACK_*` environment variables).
 */
export const PerftrackPlugin = server;

export { createPerftrackPlugin, PerftrackOpencode } from './plugin';
export type { PerftrackHooks, PerftrackOpencodeDeps, PerftrackOpencodeStats, CreatePluginOptions } from './plugin';
export type { OpencodePlugin, OpencodePluginInput } from './opencode-types';
export { OpencodeRecorder } from './recorder';
export type { OpencodeRecorderOptions, OpencodeRecorderStats } from './recorder';
export { resolveOpencodeOptions } from './config';
export type { PerftrackOpencodeOptions, ResolvedOpencodeOptions } from './config';
