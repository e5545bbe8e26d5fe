// @perftrack/ai-sdk — the whole public surface.

export { trackTools } from './track-tools';
export type { TrackToolsOptions, ToolCallInfo } from './track-tools';
