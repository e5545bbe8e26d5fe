// @perftrack/mastra — the whole public surface.

export { trackMastraTools } from './track-mastra-tools';
export type { TrackMastraToolsOptions, MastraToolCallInfo } from './track-mastra-tools';
