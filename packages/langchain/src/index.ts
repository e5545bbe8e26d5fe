// @perftrack/langchain — the whole public surface.

export { PerftrackCallbackHandler } from './callback-handler';
export type { PerftrackCallbackHandlerOptions, PerftrackCallbackHandlerStats, LangChainToolRunInfo } from './callback-handler';
