import { systemClock } from '../collector/clock';
import { MetricsCollector } from '../collector/metrics-collector';
import { checkOptionKeys } from './option-keys';
import type { Clock, CustomMetadata, RandomSource } from '../api/types';
import { checkInteger } from './option-checks';

/**
 * The options every framework adapter (`@perftrack/ai-sdk`, `mcp`, `mastra`, `langchain`,
 * `openai-agents`) takes, documented and checked once. Each adapter adds its own `sessionId`
 * (a string, or a function of the framework's call).
 */
export interface AdapterOptions {
  /** Collector to record into. Default: `MetricsCollector.default`, looked up at call time. */
  collector?: MetricsCollector;
  /** Share of successful calls recorded, in [0, 1]. Failures are always kept. Default 1. */
  sampleRate?: number;
  /** Sample rates by tool name, for tools seen now or later; a tool not named here uses `sampleRate`. */
  sampleRates?: Readonly<Record<string, number>>;
  /** Record input and output sizes in bytes (never the values). Default true. */
  trackInputOutput?: boolean;
  /** Receives the adapter's one-time warnings (a tool it cannot track, nothing to track…). Default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

/** Options of the adapters that wrap each tool's function with `trackPerformance` (AI SDK, MCP, Mastra). */
export interface WrappingAdapterOptions extends AdapterOptions {
  /** Record a stable hash of each input, for repeated-call detection (never the input). Default false. */
  hashInput?: boolean;
  /** Record the heap delta across each call. Default false. */
  trackMemory?: boolean;
  /** Extra fields for each record: an object, or a function of the tool function's arguments and result. */
  customMetadata?: CustomMetadata;
}

/** Options of the adapters that listen to a framework's start and end events (LangChain, OpenAI Agents). */
export interface ListeningAdapterOptions extends AdapterOptions {
  /** Tool calls started and not yet ended, at most; past it the oldest is recorded as `Abandoned`. Default 10,000. */
  maxInFlight?: number;
  /** Clock of the timings. Default: the system's monotonic clock. */
  clock?: Clock;
  /** Randomness of the sampling decisions. Default `Math.random`. */
  random?: RandomSource;
}

/** The option keys of a wrapping adapter (its `sessionId` included). */
export const WRAPPING_ADAPTER_KEYS: readonly string[] = Object.freeze([
  'collector',
  'sessionId',
  'sampleRate',
  'sampleRates',
  'trackInputOutput',
  'hashInput',
  'trackMemory',
  'customMetadata',
  'onWarning',
]);

/** The option keys of a listening adapter (its `sessionId` included). */
export const LISTENING_ADAPTER_KEYS: readonly string[] = Object.freeze([
  'collector',
  'sessionId',
  'sampleRate',
  'sampleRates',
  'trackInputOutput',
  'maxInFlight',
  'clock',
  'random',
  'onWarning',
]);

/** How an adapter's error messages name things: `owner` prefixes each, `call` and `tool` name the framework's words. */
export interface AdapterNaming {
  /** The function or class the user called (`trackTools`, `PerftrackCallbackHandler`). */
  readonly owner: string;
  /** What a `sessionId` function receives: `"call"` (default) or `"run"`. */
  readonly call?: string;
  /** What `sampleRates` is keyed by: `"name"` (default) or `"id"`. */
  readonly tool?: string;
}

/**
 * Checks what every adapter shares: no unknown key (`keys`), a `MetricsCollector` if any, a
 * non-empty string or a function as `sessionId`, `sampleRates` a record and every rate (with
 * `sampleRate`) a number from 0 to 1. Throws a `TypeError` prefixed with the owner; returns a copy
 * of `sampleRates`, so later changes to the caller's object change nothing.
 */
export function checkAdapterOptions(
  options: AdapterOptions & { readonly sessionId?: unknown },
  keys: readonly string[],
  naming: AdapterNaming,
): Readonly<Record<string, number>> {
  const { owner } = naming;
  checkOptionKeys(options, keys, owner);
  const { collector, sessionId, sampleRate, sampleRates = {} } = options;
  if (collector !== undefined && !(collector instanceof MetricsCollector))
    throw new TypeError(`${owner}: collector must be a MetricsCollector`);
  if (sessionId !== undefined && !(typeof sessionId === 'function' || (typeof sessionId === 'string' && sessionId.length > 0))) {
    throw new TypeError(
      `${owner}: sessionId must be a non-empty string or a function of the ${naming.call ?? 'call'}, got ${JSON.stringify(sessionId)}`,
    );
  }
  if (typeof sampleRates !== 'object' || sampleRates === null)
    throw new TypeError(`${owner}: sampleRates must be a record of tool ${naming.tool ?? 'name'} to rate`);
  const rates: Record<string, number> = Object.create(null);
  for (const [name, rate] of Object.entries({ ...(sampleRate !== undefined ? { '(sampleRate)': sampleRate } : {}), ...sampleRates })) {
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw new TypeError(`${owner}: the sample rate of ${name} must be a number from 0 to 1, got ${JSON.stringify(rate)}`);
    }
  }
  for (const [name, rate] of Object.entries(sampleRates)) rates[name] = rate as number;
  return rates;
}

/** The sample rate of one tool: its own entry in `sampleRates` (own keys only: never `Object.prototype`'s), else `fallback`. */
export function sampleRateOf<F extends number | undefined>(
  sampleRates: Readonly<Record<string, number>>,
  toolName: string,
  fallback: F,
): number | F {
  return Object.hasOwn(sampleRates, toolName) ? (sampleRates[toolName] as number) : fallback;
}

/** A listening adapter's options, checked and with their defaults. */
export interface ResolvedListeningOptions {
  readonly collector: MetricsCollector | undefined;
  readonly sampleRate: number;
  readonly sampleRates: Readonly<Record<string, number>>;
  readonly trackInputOutput: boolean;
  readonly maxInFlight: number;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly onWarning: ((message: string) => void) | undefined;
}

/** {@link checkAdapterOptions} plus the listening adapters' own options (`maxInFlight`, `clock`, `random`), with defaults. */
export function checkListeningOptions(
  options: ListeningAdapterOptions & { readonly sessionId?: unknown },
  naming: AdapterNaming,
): ResolvedListeningOptions {
  const { owner } = naming;
  const sampleRates = checkAdapterOptions(options, LISTENING_ADAPTER_KEYS, naming);
  const {
    collector,
    sampleRate = 1,
    trackInputOutput = true,
    maxInFlight = 10_000,
    clock = systemClock,
    random = Math.random,
    onWarning,
  } = options;
  if (typeof trackInputOutput !== 'boolean') throw new TypeError(`${owner}: trackInputOutput must be a boolean`);
  checkInteger(owner, 'maxInFlight', maxInFlight, 1);
  if (typeof clock?.now !== 'function' || !Number.isFinite(clock.timeOrigin))
    throw new TypeError(`${owner}: clock must be { now(), timeOrigin }`);
  if (typeof random !== 'function') throw new TypeError(`${owner}: random must be a function`);
  return { collector, sampleRate, sampleRates, trackInputOutput, maxInFlight, clock, random, onWarning };
}
