// @perftrack/openai-agents — the whole public surface.

export { PerftrackTracingProcessor } from './tracing-processor';
export type {
  PerftrackTracingProcessorOptions,
  PerftrackTracingProcessorStats,
  AgentsToolCallInfo,
  AgentsTraceLike,
  AgentsSpanLike,
} from './tracing-processor';
