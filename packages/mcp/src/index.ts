// @perftrack/mcp — the whole public surface.

export { instrumentMcpServer, McpToolError } from './instrument';
export type { InstrumentMcpOptions, McpCallInfo } from './instrument';
