import { SizeEstimator } from '@perftrack/core/internal';
import type { MetricsCollector, RandomSource } from '@perftrack/integration';

/** Shared by every record (no per-call allocation); `perftrack doctor` prints `framework@adapterVersion`. Kept equal to package.json by a test. */
const STAMP = Object.freeze({ framework: 'opencode', adapterVersion: '0.1.0' });

/** Options of an {@link OpencodeRecorder}. */
export interface OpencodeRecorderOptions {
  /** Share of successful calls recorded, by tool id; failures are always kept. */
  readonly sampleRates?: Readonly<Record<string, number>>;
  /** Share of successful calls recorded for tools not in `sampleRates`. Default 1. */
  readonly sampleRate?: number;
  /** Record input and output sizes in bytes (never the values). Default true. */
  readonly trackInputOutput?: boolean;
  /** A completed call whose metadata has a non-zero numeric `exit` (bash) is a failure. Default true. */
  readonly failOnNonZeroExit?: boolean;
  /** A started call with no end after this long is closed as abandoned. Default 3,600,000 (1 h). */
  readonly callTimeoutMs?: number;
  /** Calls in flight kept at most; reaching it closes the oldest tenth as abandoned. Default 10,000. */
  readonly maxInFlight?: number;
  /** Epoch-ms clock. Default `Date.now`. */
  readonly now?: () => number;
  /** Random source for sampling. Default `Math.random`. */
  readonly random?: RandomSource;
}

/** Counters of an {@link OpencodeRecorder}. */
export interface OpencodeRecorderStats {
  /** Calls recorded (sampled-in successes and every failure). */
  readonly recorded: number;
  readonly failures: number;
  readonly sampledOut: number;
  /** Calls closed without an end (session idle, shutdown, timeout, or too many in flight). */
  readonly abandoned: number;
  /** Calls started and not yet recorded. */
  readonly inFlight: number;
  /** Ends of calls already recorded, and parts of calls that predate the recorder: ignored. */
  readonly ignored: number;
  /** Recorded calls whose times came from the hooks because opencode sent no tool part for them. */
  readonly hookTimed: number;
  /** Time spent in the recorder's handlers, in ms (what perftrack costs opencode). */
  readonly handlerMs: number;
  /** Of `handlerMs`, the time until the first call was recorded: the cold start (code not yet compiled). */
  readonly warmupMs: number;
  /** Events and hook calls handled. */
  readonly handled: number;
}

/** The parts of opencode's tool part (`message.part.updated`) the recorder reads. */
interface ToolPartLike {
  readonly type?: unknown;
  readonly tool?: unknown;
  readonly callID?: unknown;
  readonly sessionID?: unknown;
  readonly messageID?: unknown;
  readonly state?: {
    readonly status?: unknown;
    readonly input?: unknown;
    readonly output?: unknown;
    readonly error?: unknown;
    readonly metadata?: unknown;
    readonly time?: { readonly start?: unknown; readonly end?: unknown; readonly compacted?: unknown };
  };
}

interface Call {
  readonly key: string;
  tool: string;
  readonly sessionId: string;
  readonly callId: string;
  messageId: string | undefined;
  /** When the recorder first heard of the call (epoch ms): for the timeout. */
  readonly seenAt: number;
  partStart: number | undefined;
  hookStart: number | undefined;
  hookEnd: number | undefined;
  inputSize: number | undefined;
  outputSize: number | undefined;
  /** Set by tool.execute.after: the error a completed call stands for (non-zero exit), or null for success. */
  afterFailure: Failure | null | undefined;
  /** The failure of an `invalid` call (see {@link invalidToolFailure}), from its input. */
  invalidFailure: Failure | undefined;
}

/** How a subagent's session hangs off its parent: the session that spawned it and the `task` call that did. */
interface SessionLink {
  parentSessionId: string | undefined;
  parentCallId: string | undefined;
}

interface Failure {
  readonly message: string;
  readonly type: string;
}

const SWEEP_EVERY_MS = 10_000;
/** Sessions whose parent links are remembered at most (subagent sessions), oldest forgotten first. */
const MAX_LINKED_SESSIONS = 10_000;
/** The tool opencode runs in place of a call it cannot run: an unknown tool, or arguments that fail its schema. */
const INVALID_TOOL = 'invalid';
const MAX_FINISHED = 20_000;
const MAX_ERROR_LENGTH = 1000;

/** An error type for opencode's error strings, which carry no code: a leading `XxxError:`, else a few known kinds. */
export function classifyToolError(message: string): string {
  const named = /^([A-Z][A-Za-z]{0,60}Error):/.exec(message);
  if (named) return named[1]!;
  if (/rejected permission|permission (was )?denied|not allowed/i.test(message)) return 'PermissionDenied';
  if (/abort|cancel+ed|interrupted/i.test(message)) return 'Aborted';
  if (/timed? ?out/i.test(message)) return 'Timeout';
  if (/not found|could not find|no such file|ENOENT/i.test(message)) return 'NotFound';
  return 'ToolError';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function byteSize(v: unknown): number | undefined {
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : undefined;
}

/**
 * The failure an `invalid` call stands for. opencode's repair step turns a call to a tool that
 * does not exist (the AI SDK's NoSuchToolError) or with arguments that fail the schema into a
 * call of its `invalid` tool, input `{ tool, error }`, which "completes" with a message.
 */
function invalidToolFailure(input: unknown): Failure {
  const { tool, error } = (typeof input === 'object' && input !== null ? input : {}) as { tool?: unknown; error?: unknown };
  const message =
    typeof error === 'string' && error.length > 0
      ? error
      : `the model called a tool opencode cannot run${typeof tool === 'string' ? ` (${tool})` : ''}`;
  return { message, type: /unavailable tool|no ?such ?tool|unknown tool/i.test(message) ? 'UnknownTool' : 'InvalidToolInput' };
}

function exitFailure(metadata: unknown): Failure | null {
  if (typeof metadata !== 'object' || metadata === null) return null;
  const exit = (metadata as { exit?: unknown }).exit;
  if (typeof exit !== 'number' || exit === 0 || !Number.isFinite(exit)) return null;
  return { message: `Command exited with code ${exit}`, type: 'NonZeroExit' };
}

/**
 * Turns opencode's two views of a tool call into one perftrack record each:
 * `tool.execute.before`/`after` hooks (successful calls only: a failing tool never fires
 * `after`) and `message.part.updated` events whose tool part goes `pending` → `running` →
 * `completed` | `error` with opencode's own start and end times.
 *
 * A call is recorded once, when its part completes or fails, with the part's timestamps; from the
 * hooks' times when no part ever comes. Calls still open when their session goes idle, at
 * shutdown, after `callTimeoutMs` or beyond `maxInFlight` are recorded as abandoned failures, so
 * nothing stays in flight. Inputs and outputs are sized, never kept.
 */
export class OpencodeRecorder {
  readonly #collector: MetricsCollector;
  readonly #rates: Readonly<Record<string, number>>;
  readonly #rate: number;
  readonly #trackIO: boolean;
  readonly #failOnExit: boolean;
  readonly #timeoutMs: number;
  readonly #maxInFlight: number;
  readonly #now: () => number;
  readonly #random: RandomSource;
  readonly #sizer = new SizeEstimator();
  readonly #calls = new Map<string, Call>();
  /** Keys of recorded calls (bounded, oldest forgotten first): later updates of them are ignored. */
  readonly #finished = new Set<string>();
  /** Subagent sessions → their parent session and `task` call (bounded, oldest forgotten first). */
  readonly #links = new Map<string, SessionLink>();
  /** The call of the latest lookup (open), so a call's consecutive events skip the key and the map. */
  #last: Call | undefined;
  /** Parts of calls started before this time are history (a resumed session, compaction): ignored. */
  readonly #since: number;
  #lastSweep: number;
  #recorded = 0;
  #failures = 0;
  #sampledOut = 0;
  #abandoned = 0;
  #ignored = 0;
  #hookTimed = 0;
  #handlerMs = 0;
  #warmupMs: number | undefined;
  #handled = 0;

  constructor(collector: MetricsCollector, options: OpencodeRecorderOptions = {}) {
    this.#collector = collector;
    this.#rates = options.sampleRates ?? {};
    this.#rate = options.sampleRate ?? 1;
    this.#trackIO = options.trackInputOutput ?? true;
    this.#failOnExit = options.failOnNonZeroExit ?? true;
    this.#timeoutMs = options.callTimeoutMs ?? 3_600_000;
    this.#maxInFlight = options.maxInFlight ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#since = this.#now();
    this.#lastSweep = this.#since;
  }

  /** The `tool.execute.before` hook. */
  before(input: { tool: string; sessionID: string; callID: string }, output: { args: unknown }): void {
    const t0 = performance.now();
    try {
      const call = this.#open(input.sessionID, input.callID, input.tool);
      if (call === undefined) return;
      call.hookStart ??= this.#now();
      if (this.#trackIO && call.inputSize === undefined) call.inputSize = this.#sizer.estimate(output?.args);
      if (call.tool === INVALID_TOOL) call.invalidFailure ??= invalidToolFailure(output?.args);
    } finally {
      this.#spent(t0);
    }
  }

  /** The `tool.execute.after` hook (fires for successful calls only). */
  after(input: { tool: string; sessionID: string; callID: string }, output: { output?: unknown; metadata?: unknown }): void {
    const t0 = performance.now();
    try {
      const call = this.#open(input.sessionID, input.callID, input.tool);
      if (call === undefined) return;
      call.hookEnd = this.#now();
      call.outputSize ??= byteSize(output?.output);
      call.afterFailure =
        call.tool === INVALID_TOOL
          ? (call.invalidFailure ?? invalidToolFailure(undefined))
          : this.#failOnExit
            ? exitFailure(output?.metadata)
            : null;
    } finally {
      this.#spent(t0);
    }
  }

  /** The `event` hook: reads tool parts of `message.part.updated`, closes a session's calls on `session.idle`/`session.error`/`session.deleted`. */
  event(event: { type?: unknown; properties?: unknown }): void {
    const type = event?.type;
    if (type === 'message.part.updated') {
      const part = (event.properties as { part?: ToolPartLike } | undefined)?.part;
      if (part?.type !== 'tool') return;
      const t0 = performance.now();
      try {
        this.#part(part);
      } finally {
        this.#spent(t0);
      }
    } else if (type === 'session.created' || type === 'session.updated') {
      const info = (event.properties as { info?: { id?: unknown; parentID?: unknown } } | undefined)?.info;
      const id = str(info?.id);
      const parent = str(info?.parentID);
      if (id !== undefined && parent !== undefined) this.#link(id).parentSessionId = parent;
    } else if (type === 'session.idle' || type === 'session.error' || type === 'session.deleted') {
      const props = event.properties as { sessionID?: unknown; info?: { id?: unknown } } | undefined;
      const id = str(props?.sessionID) ?? str(props?.info?.id);
      if (id !== undefined)
        this.closeSession(
          id,
          type === 'session.idle' ? 'the session went idle' : type === 'session.error' ? 'the session failed' : 'the session was deleted',
        );
    }
  }

  /** The parent links of a session, created when first needed. */
  #link(sessionId: string): SessionLink {
    let link = this.#links.get(sessionId);
    if (link === undefined) {
      link = { parentSessionId: undefined, parentCallId: undefined };
      this.#links.set(sessionId, link);
      if (this.#links.size > MAX_LINKED_SESSIONS) this.#links.delete(this.#links.keys().next().value as string);
    }
    return link;
  }

  /** Records every open call of a session (with its hooks' times when it completed, else as abandoned). Returns how many. */
  closeSession(sessionId: string, reason: string): number {
    let n = 0;
    for (const call of this.#calls.values()) {
      if (call.sessionId !== sessionId) continue;
      this.#close(call, reason);
      n++;
    }
    return n;
  }

  /** Records every open call (at shutdown). Returns how many. */
  closeAll(reason: string): number {
    const calls = [...this.#calls.values()];
    for (const call of calls) this.#close(call, reason);
    return calls.length;
  }

  stats(): OpencodeRecorderStats {
    return {
      recorded: this.#recorded,
      failures: this.#failures,
      sampledOut: this.#sampledOut,
      abandoned: this.#abandoned,
      inFlight: this.#calls.size,
      ignored: this.#ignored,
      hookTimed: this.#hookTimed,
      handlerMs: this.#handlerMs,
      warmupMs: this.#warmupMs ?? this.#handlerMs,
      handled: this.#handled,
    };
  }

  // ---- internals ----------------------------------------------------------------------------

  #spent(t0: number): void {
    this.#handlerMs += performance.now() - t0;
    this.#handled++;
    if (this.#warmupMs === undefined && this.#recorded + this.#sampledOut > 0) this.#warmupMs = this.#handlerMs;
  }

  /** The open call for this key, created if new (unless `existingOnly`); undefined once recorded (a late duplicate). */
  #open(sessionId: unknown, callId: unknown, tool: unknown, existingOnly = false): Call | undefined {
    const s = str(sessionId);
    const c = str(callId);
    if (s === undefined || c === undefined) return undefined;
    // a call's events arrive together: the last call seen answers most lookups without building a key
    const last = this.#last;
    if (last !== undefined && last.callId === c && last.sessionId === s) {
      if (str(tool) !== undefined) last.tool = tool as string;
      return last;
    }
    const key = `${s}\u0000${c}`;
    let call = this.#calls.get(key);
    if (call !== undefined) {
      // the latest name wins: opencode renames a call to a tool that does not exist to `invalid`
      if (str(tool) !== undefined) call.tool = tool as string;
      this.#last = call;
      return call;
    }
    if (existingOnly || this.#finished.has(key)) {
      this.#ignored++;
      return undefined;
    }
    const now = this.#now();
    if (now - this.#lastSweep >= SWEEP_EVERY_MS) this.#sweep(now);
    if (this.#calls.size >= this.#maxInFlight) {
      // Close the oldest tenth at once: one pass per many calls (evicting one at a time from the
      // front of a Map re-walks its deleted slots on every call).
      let n = Math.ceil(this.#maxInFlight / 10);
      for (const old of this.#calls.values()) {
        if (n-- <= 0) break;
        this.#close(old, `more than ${this.#maxInFlight} calls were in flight`);
      }
    }
    call = {
      key,
      tool: str(tool) ?? 'unknown',
      sessionId: s,
      callId: c,
      messageId: undefined,
      seenAt: now,
      partStart: undefined,
      hookStart: undefined,
      hookEnd: undefined,
      inputSize: undefined,
      outputSize: undefined,
      afterFailure: undefined,
      invalidFailure: undefined,
    };
    this.#calls.set(key, call);
    this.#last = call;
    return call;
  }

  #part(part: ToolPartLike): void {
    const state = part.state;
    const status = state?.status;
    const start = num(state?.time?.start);
    // The end of a call never seen starting is recorded only if it started while we listened.
    const ending = status === 'completed' || status === 'error';
    if (!ending && status !== 'pending' && status !== 'running') return;
    const call = this.#open(
      part.sessionID,
      part.callID,
      part.tool,
      ending && (start === undefined || start < this.#since || state?.time?.compacted !== undefined),
    );
    if (call === undefined) return;
    call.messageId ??= str(part.messageID);
    if (start !== undefined) call.partStart = start;
    if (call.tool === 'task') {
      // the task tool names the subagent's session in its metadata as soon as it has one
      const child = str((state?.metadata as { sessionId?: unknown } | undefined)?.sessionId);
      if (child !== undefined) {
        const link = this.#link(child);
        link.parentCallId = call.callId;
        link.parentSessionId = call.sessionId;
      }
    }
    if (call.tool === INVALID_TOOL && status !== 'pending' && state?.input !== undefined)
      call.invalidFailure = invalidToolFailure(state.input);
    if (this.#trackIO && call.inputSize === undefined && status !== 'pending' && state?.input !== undefined) {
      call.inputSize = this.#sizer.estimate(state.input);
    }
    if (status === 'completed') {
      const end = num(state?.time?.end);
      const failure =
        call.tool === INVALID_TOOL
          ? (call.invalidFailure ?? invalidToolFailure(undefined))
          : this.#failOnExit
            ? exitFailure(state?.metadata)
            : null;
      this.#finish(
        call,
        start ?? call.hookStart ?? end ?? this.#now(),
        end ?? this.#now(),
        failure,
        byteSize(state?.output) ?? call.outputSize,
        false,
      );
    } else if (status === 'error') {
      const message = typeof state?.error === 'string' && state.error.length > 0 ? state.error : 'the tool failed';
      const end = num(state?.time?.end) ?? this.#now();
      this.#finish(call, start ?? call.hookStart ?? end, end, { message, type: classifyToolError(message) }, undefined, false);
    }
  }

  /** Closes a call that has no part end: the hooks' times if `after` ran, else an abandoned failure. */
  #close(call: Call, reason: string): void {
    if (call.afterFailure !== undefined && call.hookEnd !== undefined) {
      this.#hookTimed++;
      this.#finish(call, call.partStart ?? call.hookStart ?? call.hookEnd, call.hookEnd, call.afterFailure, call.outputSize, false);
      return;
    }
    this.#abandoned++;
    const start = call.partStart ?? call.hookStart ?? call.seenAt;
    this.#finish(call, start, start, { message: `no end was seen for this call: ${reason}`, type: 'Abandoned' }, undefined, true);
  }

  #finish(call: Call, start: number, end: number, failure: Failure | null, outputSize: number | undefined, untimed: boolean): void {
    this.#calls.delete(call.key);
    if (this.#last === call) this.#last = undefined;
    this.#finished.add(call.key);
    if (this.#finished.size > MAX_FINISHED) {
      let n = MAX_FINISHED / 4; // forget the oldest quarter in one pass (see the in-flight eviction)
      for (const k of this.#finished) {
        if (n-- <= 0) break;
        this.#finished.delete(k);
      }
    }
    if (end < start) end = start;
    let weight = 1;
    if (failure === null) {
      const rate = Object.hasOwn(this.#rates, call.tool) ? this.#rates[call.tool]! : this.#rate; // not Object.prototype's "constructor"
      if (rate < 1) {
        if (rate <= 0 || this.#random() >= rate) {
          this.#sampledOut++;
          this.#collector.countSampledOut();
          return;
        }
        weight = 1 / rate;
      }
    }
    const failed = failure !== null;
    const link = this.#links.get(call.sessionId);
    const record = this.#collector.recordExecution({
      toolId: call.tool,
      sessionId: call.sessionId,
      messageId: call.messageId,
      callId: call.callId,
      parentCallId: link?.parentCallId,
      parentSessionId: link?.parentSessionId,
      startTime: start,
      endTime: end,
      duration: untimed ? 0 : end - start,
      success: !failed,
      error: failed
        ? failure.message.length > MAX_ERROR_LENGTH
          ? failure.message.slice(0, MAX_ERROR_LENGTH)
          : failure.message
        : undefined,
      errorType: failed ? failure.type : undefined,
      inputSize: this.#trackIO ? call.inputSize : undefined,
      // a non-zero exit still produced output; other failures have none
      outputSize: this.#trackIO && (!failed || failure.type === 'NonZeroExit') ? outputSize : undefined,
      untimed: untimed ? true : undefined,
      sampleWeight: weight,
      metadata: STAMP,
    });
    if (record === undefined) return; // collector disabled
    this.#recorded++;
    if (failure !== null) this.#failures++;
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const call of [...this.#calls.values()]) {
      if (now - (call.partStart ?? call.hookStart ?? call.seenAt) >= this.#timeoutMs)
        this.#close(call, `no end after ${this.#timeoutMs} ms`);
    }
  }
}
