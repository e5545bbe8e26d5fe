import { isAbsolute, join, resolve } from 'node:path';

/**
 * Options of the perftrack opencode plugin, given as the second element of its `opencode.json`
 * entry (`"plugin": [["@perftrack/opencode", { … }]]`). Each falls back to a `PERFTRACK_*`
 * environment variable, then to its default. Unknown keys are rejected.
 */
export interface PerftrackOpencodeOptions {
  /** `false`: the plugin registers no hooks and writes nothing. Env `PERFTRACK_ENABLED` (`0`/`false`/`off`), which wins over this option as a kill switch. Default true. */
  enabled?: boolean;
  /** Storage directory (relative paths are from the project directory). Env `PERFTRACK_DIR`. Default `<project>/.perftrack`. */
  dir?: string;
  /** Share of successful calls recorded, by tool id, each in [0, 1]; failures are always kept. Env `PERFTRACK_SAMPLE_RATES` as `read=0.1,grep=0.5` or JSON. */
  sampleRates?: Readonly<Record<string, number>>;
  /** Share of successful calls recorded for other tools. Env `PERFTRACK_SAMPLE_RATE`. Default 1. */
  sampleRate?: number;
  /** Record input and output sizes in bytes (never the values). Env `PERFTRACK_TRACK_IO`. Default true. */
  trackInputOutput?: boolean;
  /** A bash call that exits non-zero is a failure ("Command exited with code N"). Default true. */
  failOnNonZeroExit?: boolean;
  /** Write the session's report and patterns when it goes idle. Env `PERFTRACK_REPORT_ON_IDLE`. Default true. */
  reportOnIdle?: boolean;
  /** Most recent stored sessions replayed into live analytics at start. Default 50. */
  historySessions?: number;
  /** A call with no end after this many ms is recorded as abandoned. Default 3,600,000. */
  callTimeoutMs?: number;
  /** Write the plugin's counters (calls, failures, time spent in its handlers) to this JSON file at shutdown. Env `PERFTRACK_STATS_FILE`. */
  statsFile?: string;
}

/** Options with every default filled in. */
export interface ResolvedOpencodeOptions {
  readonly enabled: boolean;
  readonly dir: string;
  readonly sampleRates: Readonly<Record<string, number>>;
  readonly sampleRate: number;
  readonly trackInputOutput: boolean;
  readonly failOnNonZeroExit: boolean;
  readonly reportOnIdle: boolean;
  readonly historySessions: number;
  readonly callTimeoutMs: number;
  readonly statsFile: string | undefined;
}

const KEYS = [
  'enabled',
  'dir',
  'sampleRates',
  'sampleRate',
  'trackInputOutput',
  'failOnNonZeroExit',
  'reportOnIdle',
  'historySessions',
  'callTimeoutMs',
  'statsFile',
] as const;

function fail(message: string): never {
  throw new TypeError(`@perftrack/opencode: ${message}`);
}

function bool(name: string, v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
  }
  return fail(`${name} must be a boolean (or 1/0, true/false, on/off), got ${JSON.stringify(v)}`);
}

function rate(name: string, v: unknown): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !(n >= 0 && n <= 1)) fail(`${name} must be a number from 0 to 1, got ${JSON.stringify(v)}`);
  return n;
}

function intOption(name: string, v: unknown, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) fail(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

/** Parses `read=0.1,grep=0.5` (or a JSON object) into rates by tool id. */
export function parseSampleRates(name: string, v: unknown): Record<string, number> {
  let obj: unknown = v;
  if (typeof v === 'string') {
    const text = v.trim();
    if (text.startsWith('{')) {
      try {
        obj = JSON.parse(text);
      } catch {
        fail(`${name} is not valid JSON: ${JSON.stringify(v)}`);
      }
    } else {
      obj = Object.create(null) as Record<string, string>;
      for (const item of text.split(',')) {
        if (item.trim() === '') continue;
        const eq = item.indexOf('=');
        if (eq <= 0) fail(`${name} entries must look like tool=rate, got ${JSON.stringify(item)}`);
        (obj as Record<string, string>)[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
      }
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    fail(`${name} must be a record of tool id to rate, got ${JSON.stringify(v)}`);
  const out = Object.create(null) as Record<string, number>; // a tool may be called "__proto__"
  for (const [tool, r] of Object.entries(obj as Record<string, unknown>)) out[tool] = rate(`${name}["${tool}"]`, r);
  return out;
}

/**
 * Merges plugin options, `PERFTRACK_*` environment variables and defaults; throws a TypeError
 * naming the bad field. `directory` is opencode's project directory.
 */
export function resolveOpencodeOptions(options: unknown, env: NodeJS.ProcessEnv, directory: string): ResolvedOpencodeOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) fail(`options must be an object, got ${JSON.stringify(options)}`);
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (!(KEYS as readonly string[]).includes(key)) fail(`unknown option "${key}" (known: ${KEYS.join(', ')})`);
  const envEnabled = bool('PERFTRACK_ENABLED', env.PERFTRACK_ENABLED === '' ? undefined : env.PERFTRACK_ENABLED);
  const enabled = envEnabled === false ? false : (bool('enabled', o.enabled) ?? envEnabled ?? true);
  const dirOption = o.dir ?? (env.PERFTRACK_DIR || undefined);
  if (dirOption !== undefined && (typeof dirOption !== 'string' || dirOption.length === 0))
    fail(`dir must be a non-empty string, got ${JSON.stringify(dirOption)}`);
  const dir = dirOption === undefined ? join(directory, '.perftrack') : isAbsolute(dirOption) ? dirOption : resolve(directory, dirOption);
  const statsFile = o.statsFile ?? (env.PERFTRACK_STATS_FILE || undefined);
  if (statsFile !== undefined && (typeof statsFile !== 'string' || statsFile.length === 0))
    fail(`statsFile must be a non-empty string, got ${JSON.stringify(statsFile)}`);
  return {
    enabled,
    dir,
    sampleRates:
      o.sampleRates !== undefined
        ? parseSampleRates('sampleRates', o.sampleRates)
        : env.PERFTRACK_SAMPLE_RATES
          ? parseSampleRates('PERFTRACK_SAMPLE_RATES', env.PERFTRACK_SAMPLE_RATES)
          : {},
    sampleRate:
      o.sampleRate !== undefined
        ? rate('sampleRate', o.sampleRate)
        : env.PERFTRACK_SAMPLE_RATE
          ? rate('PERFTRACK_SAMPLE_RATE', env.PERFTRACK_SAMPLE_RATE)
          : 1,
    trackInputOutput:
      bool('trackInputOutput', o.trackInputOutput) ?? bool('PERFTRACK_TRACK_IO', env.PERFTRACK_TRACK_IO || undefined) ?? true,
    failOnNonZeroExit: bool('failOnNonZeroExit', o.failOnNonZeroExit) ?? true,
    reportOnIdle:
      bool('reportOnIdle', o.reportOnIdle) ?? bool('PERFTRACK_REPORT_ON_IDLE', env.PERFTRACK_REPORT_ON_IDLE || undefined) ?? true,
    historySessions: intOption('historySessions', o.historySessions, 0) ?? 50,
    callTimeoutMs: intOption('callTimeoutMs', o.callTimeoutMs, 1) ?? 3_600_000,
    statsFile: statsFile === undefined ? undefined : isAbsolute(statsFile) ? statsFile : resolve(directory, statsFile),
  };
}
