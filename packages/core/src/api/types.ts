/**
 * One completed (or abandoned) tool call, as every subscriber receives it.
 *
 * Records hold sizes and, on request, a hash of the input: never the raw input or output.
 */
export interface ToolExecutionMetrics {
  /** Unique per process and, with high probability, across processes; never reused. */
  readonly id: string;
  readonly toolId: string;
  readonly sessionId: string;
  readonly messageId?: string;
  /** The framework's own id for this tool call (e.g. opencode's `callID`), when known. */
  readonly callId?: string;
  /** Epoch milliseconds with sub-millisecond precision. */
  readonly startTime: number;
  /** Epoch milliseconds with sub-millisecond precision. */
  readonly endTime: number;
  /** Milliseconds, from a monotonic clock. `0` when {@link untimed} is set. */
  readonly duration: number;
  readonly success: boolean;
  /** The error's message (capped at 1,000 characters). */
  readonly error?: string;
  /** `error.code` when it is a string (e.g. `"ENOENT"`), else the error's name (e.g. `"TypeError"`). */
  readonly errorType?: string;
  /** Approximate size in bytes of the input (JSON-like measure), when `trackInputOutput` is on. */
  readonly inputSize?: number;
  /** True when sizing stopped at its work limit: {@link inputSize} is then a lower bound. */
  readonly inputSizeCapped?: boolean;
  /** Approximate size in bytes of the output, when `trackInputOutput` is on. */
  readonly outputSize?: number;
  /** True when sizing stopped at its work limit: {@link outputSize} is then a lower bound. */
  readonly outputSizeCapped?: boolean;
  /** Stable hash of the input (16 hex chars), only when `hashInput` is on. */
  readonly inputHash?: string;
  /**
   * Change of the V8 used-heap size across the call, in bytes, when `trackMemory` is on.
   * It includes whatever else ran concurrently and can be negative when a GC ran.
   */
  readonly memoryUsed?: number;
  /** `1 / sampleRate` for kept successes; `1` for failures, which are always kept. */
  readonly sampleWeight: number;
  /**
   * True for a failure of a call that was sampled out: it was kept (failures always are) but
   * never timed, so `duration` is 0 and must not enter latency statistics.
   */
  readonly untimed?: boolean;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /**
   * The call or run that made this call, when the framework says: the opencode `task` call that
   * started a subagent's session, LangChain's parent run id, an agent step's id.
   */
  readonly parentCallId?: string;
  /** The session that spawned this call's session (a subagent's parent session), when known. */
  readonly parentSessionId?: string;
  /** The framework's id of the run this call belongs to (LangChain's root run, Mastra's run id). */
  readonly runId?: string;
}

/**
 * Receives every record as it is completed. `onMetric` runs synchronously on the tool's call
 * path: keep it cheap (count, enqueue), never do I/O there.
 *
 * A subscriber that throws is reported to the collector's error handler, never to the tool.
 */
export interface MetricsSubscriber {
  onMetric(metric: ToolExecutionMetrics): void;
  /** Write out whatever is buffered. Safe to call at any time, and twice. */
  flush?(): Promise<void>;
  /** Flush and release resources. Safe to call twice. */
  shutdown?(): Promise<void>;
}

/** Where a call belongs: found per call by a {@link ContextResolver}. */
export interface CallContext {
  /** Absent, empty or not a string: the collector's default session (the call keeps its message and call ids). */
  readonly sessionId?: string;
  readonly messageId?: string;
  readonly callId?: string;
  /** See {@link ToolExecutionMetrics.parentCallId}. */
  readonly parentCallId?: string;
  /** See {@link ToolExecutionMetrics.parentSessionId}. */
  readonly parentSessionId?: string;
  /** See {@link ToolExecutionMetrics.runId}. */
  readonly runId?: string;
}

/**
 * Finds the session (and message) of one call from its arguments and `this`.
 * Return `undefined` to fall back to the collector's default session.
 */
export type ContextResolver = (args: ArrayLike<unknown>, thisArg: unknown) => CallContext | undefined;

/** A monotonic clock in milliseconds, plus the epoch time at which it read 0. */
export interface Clock {
  now(): number;
  readonly timeOrigin: number;
}

/** Reads the current heap size in bytes. Called twice per tracked call when `trackMemory` is on. */
export type MemorySource = () => number;

/** Returns a number in [0, 1). Used only for sampling decisions. */
export type RandomSource = () => number;

/** Custom metadata: a fixed object, or a function of the call's arguments and result. */
export type CustomMetadata =
  | Readonly<Record<string, unknown>>
  | ((args: readonly unknown[], result: unknown) => Readonly<Record<string, unknown>> | undefined);
