import { readFile } from 'node:fs/promises';
import { compileCostModel, type Anomaly, type CostModel } from '@perftrack/analytics';
import type { RandomSource } from '@perftrack/core';
import type { StorageAdapter } from '@perftrack/storage';

/**
 * Configuration of {@link PerformanceIntegration}: the seed's fields plus where data goes.
 * Every field is optional and validated; unknown fields are rejected (a typo must not silently
 * fall back to a default).
 */
export interface PerformanceConfig {
  /** `false`: nothing is tracked, stored or scheduled; wrapped tools are the originals. Default true. */
  enabled?: boolean;
  /** Write each active session's report and patterns to storage every `analyticsInterval` and at shutdown. Default true. */
  saveReports?: boolean;
  /** Completed records kept in memory by the collector (older ones still reach storage and analytics). Default 1,000. */
  maxMetrics?: number;
  /**
   * Measure heap deltas: by default for tools wrapped by {@link PerformanceIntegration.wrapTools}
   * and for the manual start/complete API. `false` also overrides decorators that ask for it. Default true.
   */
  trackMemory?: boolean;
  /** Learn tool sequences, next-tool predictions and error-prone sequences. Default true. */
  trackPatterns?: boolean;
  /** Milliseconds between analytics passes (flush, then save reports of active sessions); `0` disables the timer. Default 300,000. */
  analyticsInterval?: number;
  /** Storage directory. Default `$PERFTRACK_DIR`, else `./.perftrack`. */
  storageDir?: string;
  /** A storage adapter instead of files in `storageDir` (e.g. `new InMemoryStorage()`). */
  storage?: StorageAdapter;
  /** Most recently active stored sessions replayed into analytics at start, so insights include history. Default 200; `0` for none. */
  historySessions?: number;
  /** Record approximate input/output sizes (never the values) for wrapped tools and the manual API. Default true. */
  trackInputOutput?: boolean;
  /** Sample rates by tool id for {@link PerformanceIntegration.wrapTools}, each in [0, 1]. Failures are always kept. */
  sampleRates?: Readonly<Record<string, number>>;
  /** Flush and save reports on `beforeExit`, `SIGTERM` and `SIGINT`. Default true. */
  flushOnExit?: boolean;
  /** Random source for sampling decisions (e.g. `createSeededRandom(seed)` for repeatable runs). Default `Math.random`. */
  random?: RandomSource;
  /**
   * Called for each anomaly the analytics find (a latency far above a tool's typical one, an
   * error burst, heap growth), on a later event-loop turn, never on the tool's call path. Setting
   * it turns anomaly detection on; `getInsights().anomalies` then lists the latest.
   */
  onAnomaly?: (anomaly: Anomaly) => void;
  /** Prices calls (per-tool, runtime, I/O and token costs): reports then carry cost per tool, session and task. */
  costModel?: CostModel;
  /** Receives perftrack's own errors (a failing write, a throwing subscriber). Default: the first of each kind is warned. */
  onError?: (error: unknown, source: string) => void;
  /** Receives one-time warnings. Default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

/** What {@link PerformanceIntegration.initialize} accepts: a config, an app config with a `performance` key, or the path of a JSON file holding either. */
export type PerformanceConfigInput = PerformanceConfig | { readonly performance: PerformanceConfig } | string;

/** A validated configuration with every default filled in. */
export interface ResolvedPerformanceConfig {
  readonly enabled: boolean;
  readonly saveReports: boolean;
  readonly maxMetrics: number;
  readonly trackMemory: boolean;
  readonly trackPatterns: boolean;
  readonly analyticsInterval: number;
  readonly storageDir: string | undefined;
  readonly storage: StorageAdapter | undefined;
  readonly historySessions: number;
  readonly trackInputOutput: boolean;
  readonly sampleRates: Readonly<Record<string, number>>;
  readonly flushOnExit: boolean;
  readonly random: RandomSource | undefined;
  readonly onAnomaly: ((anomaly: Anomaly) => void) | undefined;
  readonly costModel: CostModel | undefined;
  readonly onError: ((error: unknown, source: string) => void) | undefined;
  readonly onWarning: ((message: string) => void) | undefined;
}

/** An invalid configuration; `field` names the offending entry (e.g. `"performance.maxMetrics"`). */
export class PerformanceConfigError extends TypeError {
  /** The offending field's path, or `""` for the whole config. */
  readonly field: string;
  /** What is wrong with it. */
  readonly detail: string;
  constructor(field: string, detail: string) {
    super(`perftrack config${field ? `: ${field}` : ''} ${detail}`);
    this.name = 'PerformanceConfigError';
    this.field = field;
    this.detail = detail;
  }
}

/** The seed's defaults. */
export const DEFAULT_CONFIG = Object.freeze({
  enabled: true,
  saveReports: true,
  maxMetrics: 1000,
  trackMemory: true,
  trackPatterns: true,
  analyticsInterval: 300_000,
  historySessions: 200,
  trackInputOutput: true,
  flushOnExit: true,
});

const KEYS = [
  'enabled',
  'saveReports',
  'maxMetrics',
  'trackMemory',
  'trackPatterns',
  'analyticsInterval',
  'storageDir',
  'storage',
  'historySessions',
  'trackInputOutput',
  'sampleRates',
  'flushOnExit',
  'random',
  'onAnomaly',
  'costModel',
  'onError',
  'onWarning',
] as const satisfies readonly (keyof PerformanceConfig)[];

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v === 'function' ? 'a function' : `a${typeof v === 'object' ? 'n object' : ` ${typeof v}`}`;
};

/** Edit distance, for "did you mean" on misspelt fields. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/**
 * Validates a configuration and fills in the defaults. Accepts the config itself or an object
 * whose `performance` key holds it (the rest of that object is ignored).
 *
 * @throws PerformanceConfigError naming the field, what it must be and what it was.
 */
export function resolveConfig(
  input: PerformanceConfig | { readonly performance: PerformanceConfig } | undefined,
): ResolvedPerformanceConfig {
  let prefix = '';
  let config: unknown = input ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new PerformanceConfigError('', `must be an object, a { performance: {...} } object or a JSON file path, got ${show(config)}`);
  }
  if (Object.hasOwn(config, 'performance')) {
    prefix = 'performance.';
    config = (config as { performance: unknown }).performance ?? {};
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new PerformanceConfigError('performance', `must be an object, got ${show(config)}`);
    }
  }
  const c = config as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      const near = /^(dir|directory|path|storagePath|storageDirectory)$/i.test(key)
        ? ['storageDir']
        : KEYS.filter((k) => distance(key, k) <= 2);
      throw new PerformanceConfigError(
        `${prefix}${key}`,
        `is not a perftrack option${near.length ? ` (did you mean "${near[0]}"?)` : ''}; known options: ${KEYS.join(', ')}`,
      );
    }
  }
  const bool = (key: keyof typeof DEFAULT_CONFIG & keyof PerformanceConfig): boolean => {
    const v = c[key] ?? DEFAULT_CONFIG[key];
    if (typeof v !== 'boolean') throw new PerformanceConfigError(prefix + key, `must be true or false, got ${show(v)}`);
    return v;
  };
  const int = (key: 'maxMetrics' | 'analyticsInterval' | 'historySessions', min: number, max: number, unit = ''): number => {
    const v = c[key] ?? DEFAULT_CONFIG[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new PerformanceConfigError(prefix + key, `must be an integer from ${min} to ${max}${unit}, got ${show(v)}`);
    }
    return v;
  };
  const fn = <F>(key: 'onError' | 'onWarning' | 'random' | 'onAnomaly'): F | undefined => {
    const v = c[key];
    if (v !== undefined && typeof v !== 'function') throw new PerformanceConfigError(prefix + key, `must be a function, got ${show(v)}`);
    return v as F | undefined;
  };

  const storageDir = c.storageDir;
  if (storageDir !== undefined && (typeof storageDir !== 'string' || storageDir.trim().length === 0 || storageDir.includes('\0'))) {
    throw new PerformanceConfigError(prefix + 'storageDir', `must be a non-empty directory path, got ${show(storageDir)}`);
  }
  const storage = c.storage;
  if (storage !== undefined) {
    const methods = ['appendMetrics', 'readMetrics', 'writeSnapshot', 'readSnapshot', 'listSessions', 'deleteSession'];
    const missing =
      typeof storage === 'object' && storage !== null
        ? methods.filter((m) => typeof (storage as Record<string, unknown>)[m] !== 'function')
        : methods;
    if (missing.length > 0)
      throw new PerformanceConfigError(prefix + 'storage', `must implement StorageAdapter (missing ${missing.join(', ')})`);
    if (storageDir !== undefined)
      throw new PerformanceConfigError(prefix + 'storage', 'and storageDir cannot both be given: an adapter decides where data goes');
  }
  const rates = c.sampleRates ?? {};
  if (typeof rates !== 'object' || rates === null || Array.isArray(rates)) {
    throw new PerformanceConfigError(prefix + 'sampleRates', `must be an object of tool id -> rate, got ${show(rates)}`);
  }
  for (const [tool, rate] of Object.entries(rates)) {
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw new PerformanceConfigError(`${prefix}sampleRates.${tool}`, `must be a number from 0 to 1, got ${show(rate)}`);
    }
  }
  return Object.freeze({
    enabled: bool('enabled'),
    saveReports: bool('saveReports'),
    maxMetrics: int('maxMetrics', 1, 10_000_000),
    trackMemory: bool('trackMemory'),
    trackPatterns: bool('trackPatterns'),
    analyticsInterval: int('analyticsInterval', 0, 2_147_483_647, ' ms (0 disables the timer)'),
    storageDir: storageDir as string | undefined,
    storage: storage as StorageAdapter | undefined,
    historySessions: int('historySessions', 0, 1_000_000),
    trackInputOutput: bool('trackInputOutput'),
    sampleRates: Object.freeze({ ...(rates as Record<string, number>) }),
    flushOnExit: bool('flushOnExit'),
    random: fn<RandomSource>('random'),
    onAnomaly: fn<(anomaly: Anomaly) => void>('onAnomaly'),
    costModel: checkCostModel(c.costModel, prefix + 'costModel'),
    onError: fn<(error: unknown, source: string) => void>('onError'),
    onWarning: fn<(message: string) => void>('onWarning'),
  });
}

/**
 * Reads a JSON config file: the config itself or an app config with a `performance` key.
 *
 * @throws PerformanceConfigError when the file cannot be read or is not valid JSON, naming the file.
 */
export async function loadConfigFile(path: string): Promise<ResolvedPerformanceConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new PerformanceConfigError('', `file ${JSON.stringify(path)} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new PerformanceConfigError('', `file ${JSON.stringify(path)} is not valid JSON (${(e as Error).message})`);
  }
  try {
    return resolveConfig(parsed as PerformanceConfig);
  } catch (e) {
    if (e instanceof PerformanceConfigError) throw new PerformanceConfigError(e.field, `${e.detail} (in ${path})`);
    throw e;
  }
}

function checkCostModel(model: unknown, field: string): CostModel | undefined {
  if (model === undefined) return undefined;
  try {
    compileCostModel(model as CostModel);
  } catch (e) {
    throw new PerformanceConfigError(field, (e as Error).message.replace(/^CostModel: /, ''));
  }
  return model as CostModel;
}

/** Whether two resolved configs ask for the same thing (handlers and adapters compared by identity). */
export function sameConfig(a: ResolvedPerformanceConfig, b: ResolvedPerformanceConfig): boolean {
  return KEYS.every((k) => (k === 'sampleRates' ? JSON.stringify(a.sampleRates) === JSON.stringify(b.sampleRates) : a[k] === b[k]));
}
