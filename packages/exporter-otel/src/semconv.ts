// Names from the OpenTelemetry GenAI semantic conventions (open-telemetry/semantic-conventions-genai
// v0.1.0, which continues the GenAI part of open-telemetry/semantic-conventions v1.41.0):
// docs/gen-ai/gen-ai-spans.md "Execute tool span" and docs/gen-ai/gen-ai-metrics.md
// "gen_ai.execute_tool.duration". All are at Development stability, so they are kept here, in one place.

/** The GenAI semantic-conventions release these names follow. */
export const GEN_AI_SEMCONV_VERSION = 'semantic-conventions-genai v0.1.0';

/** GenAI (and general) attribute keys written on `execute_tool` spans and the duration histogram. */
export const GenAiAttributes = {
  /** Always `execute_tool` here. Required. */
  OPERATION_NAME: 'gen_ai.operation.name',
  /** The tool's id. Required. */
  TOOL_NAME: 'gen_ai.tool.name',
  /** The framework's tool-call id (e.g. opencode's `callID`), else perftrack's record id. */
  TOOL_CALL_ID: 'gen_ai.tool.call.id',
  /** `function`, `extension` or `datastore`, when configured. */
  TOOL_TYPE: 'gen_ai.tool.type',
  /** The perftrack session. */
  CONVERSATION_ID: 'gen_ai.conversation.id',
  /** The agent's name, when configured. */
  AGENT_NAME: 'gen_ai.agent.name',
  /** The record's `errorType` (`error.code`, else the error's name), `_OTHER` when unknown; failures only. */
  ERROR_TYPE: 'error.type',
} as const;

/** perftrack's own attribute keys, under the `perftrack.` namespace. */
export const PerftrackAttributes = {
  /** Change of the V8 used heap across the call, bytes (may be negative); when `trackMemory` is on. */
  MEMORY_DELTA: 'perftrack.memory.delta',
  /** Approximate input size, bytes; when `trackInputOutput` is on. */
  INPUT_SIZE: 'perftrack.io.input_size',
  /** Approximate output size, bytes; when `trackInputOutput` is on. */
  OUTPUT_SIZE: 'perftrack.io.output_size',
  /** True when input sizing stopped at its work limit (the size is a lower bound). */
  INPUT_SIZE_CAPPED: 'perftrack.io.input_size_capped',
  /** True when output sizing stopped at its work limit. */
  OUTPUT_SIZE_CAPPED: 'perftrack.io.output_size_capped',
  /** How many calls this span stands for: `1 / sampleRate` for sampled successes, 1 otherwise. */
  SAMPLE_WEIGHT: 'perftrack.sample_weight',
  /** perftrack's record id (unique per call). */
  RECORD_ID: 'perftrack.record.id',
  /** The message (turn) the call belongs to, when known. */
  MESSAGE_ID: 'perftrack.message.id',
  /** True for a sampled-out call that failed: kept, but never timed (the span has zero length). */
  UNTIMED: 'perftrack.untimed',
  /** The call or run that made this call (the record's `parentCallId`). */
  PARENT_CALL_ID: 'perftrack.parent_call.id',
  /** The session that spawned this call's session (the record's `parentSessionId`). */
  PARENT_SESSION_ID: 'perftrack.parent_session.id',
  /** The framework's run this call belongs to (the record's `runId`). */
  RUN_ID: 'perftrack.run.id',
} as const;

/** The duration histogram's name (unit `s`). */
export const EXECUTE_TOOL_DURATION = 'gen_ai.execute_tool.duration';

/** The explicit bucket boundaries, in seconds, the conventions advise for the duration histogram. */
export const EXECUTE_TOOL_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
]);
