import { checkInteger } from '@perftrack/core/internal';
import type { PredictorSettings } from './next-tool-predictor';
import { RANKER_FEATURES } from './next-tool-ranker';
import { DEFAULT_RANKER_WEIGHTS } from './next-tool-ranker-weights';
import { MAX_TOOLS_LIMIT } from './tool-registry';
import type { PredictionOptions, UsagePatternTrackerOptions } from './usage-pattern-types';

/** Defaults of the tracker's bounds. */
export const DEFAULTS = {
  maxSequenceLength: 5,
  maxPatterns: 100_000,
  maxSessions: 1_000,
  maxTools: 1_000,
  reorderWindow: 16,
  sessionHistory: 32,
  maxSessionPatterns: 128,
};
const PREDICTION_DEFAULTS: Required<PredictionOptions> = {
  discount: 0.75,
  sessionAdaptation: true,
  sessionDecay: 0.97,
  sessionUnigramPrior: 50,
  sessionBigramPrior: 20,
  sessionTrigramPrior: 20,
  outcomeAware: true,
  rankerWeights: DEFAULT_RANKER_WEIGHTS,
};

const checkInt = (name: string, value: unknown, min: number, max: number): number =>
  checkInteger('UsagePatternTracker', name, value, min, max);
function checkNumber(name: string, value: unknown, min: number, max: number, openMin: boolean, openMax: boolean): number {
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    (openMin ? value <= min : value < min) ||
    (openMax ? value >= max : value > max)
  ) {
    throw new TypeError(
      `UsagePatternTracker: ${name} must be a number in ${openMin ? '(' : '['}${min}, ${max}${openMax ? ')' : ']'}, got ${String(value)}`,
    );
  }
  return value;
}
function checkWeights(value: unknown): Float64Array | null {
  if (value === null) return null;
  if (!Array.isArray(value) || value.length !== RANKER_FEATURES || !value.every((w) => typeof w === 'number' && Number.isFinite(w))) {
    throw new TypeError(`UsagePatternTracker: prediction.rankerWeights must be null or an array of ${RANKER_FEATURES} finite numbers`);
  }
  return Float64Array.from(value as number[]);
}
function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`UsagePatternTracker: ${name} must be a boolean, got ${typeof value}`);
  return value;
}

/** A tracker's options, checked, with defaults filled in. */
export interface ResolvedTrackerOptions {
  readonly maxSequenceLength: number;
  readonly maxPatterns: number;
  readonly maxSessions: number;
  readonly maxTools: number;
  readonly reorderWindow: number;
  readonly sessionHistory: number;
  readonly maxSessionPatterns: number;
  readonly outcomeAware: boolean;
  readonly settings: PredictorSettings;
}

/**
 * Checks a {@link UsagePatternTrackerOptions} and fills in the defaults.
 *
 * @throws TypeError naming the option for an unknown key or a value out of range.
 */
export function resolveTrackerOptions(options: UsagePatternTrackerOptions): ResolvedTrackerOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('UsagePatternTracker: options must be an object');
  const known = new Set([...Object.keys(DEFAULTS), 'prediction']);
  for (const key of Object.keys(options)) if (!known.has(key)) throw new TypeError(`UsagePatternTracker: unknown option "${key}"`);
  const maxSequenceLength = checkInt('maxSequenceLength', options.maxSequenceLength ?? DEFAULTS.maxSequenceLength, 2, 8);
  const maxPatterns = checkInt('maxPatterns', options.maxPatterns ?? DEFAULTS.maxPatterns, 16, 10_000_000);
  const maxSessions = checkInt('maxSessions', options.maxSessions ?? DEFAULTS.maxSessions, 1, 10_000_000);
  const maxTools = checkInt('maxTools', options.maxTools ?? DEFAULTS.maxTools, 2, MAX_TOOLS_LIMIT);
  const reorderWindow = checkInt('reorderWindow', options.reorderWindow ?? DEFAULTS.reorderWindow, 0, 10_000);
  const sessionHistory = checkInt('sessionHistory', options.sessionHistory ?? DEFAULTS.sessionHistory, 1, 4_096);
  const maxSessionPatterns = checkInt('maxSessionPatterns', options.maxSessionPatterns ?? DEFAULTS.maxSessionPatterns, 0, 1_000_000);
  const p = options.prediction ?? {};
  if (p === null || typeof p !== 'object') throw new TypeError('UsagePatternTracker: prediction must be an object');
  for (const key of Object.keys(p))
    if (!(key in PREDICTION_DEFAULTS)) throw new TypeError(`UsagePatternTracker: unknown option "prediction.${key}"`);
  const outcomeAware = checkBoolean('prediction.outcomeAware', p.outcomeAware ?? PREDICTION_DEFAULTS.outcomeAware);
  const settings: PredictorSettings = {
    discount: checkNumber('prediction.discount', p.discount ?? PREDICTION_DEFAULTS.discount, 0, 1, true, true),
    sessionAdaptation: checkBoolean('prediction.sessionAdaptation', p.sessionAdaptation ?? PREDICTION_DEFAULTS.sessionAdaptation),
    sessionDecay: checkNumber('prediction.sessionDecay', p.sessionDecay ?? PREDICTION_DEFAULTS.sessionDecay, 0, 1, true, false),
    sessionUnigramPrior: checkNumber(
      'prediction.sessionUnigramPrior',
      p.sessionUnigramPrior ?? PREDICTION_DEFAULTS.sessionUnigramPrior,
      0,
      1e9,
      true,
      false,
    ),
    sessionBigramPrior: checkNumber(
      'prediction.sessionBigramPrior',
      p.sessionBigramPrior ?? PREDICTION_DEFAULTS.sessionBigramPrior,
      0,
      1e9,
      true,
      false,
    ),
    sessionTrigramPrior: checkNumber(
      'prediction.sessionTrigramPrior',
      p.sessionTrigramPrior ?? PREDICTION_DEFAULTS.sessionTrigramPrior,
      0,
      1e9,
      true,
      false,
    ),
    rankerWeights: checkWeights(p.rankerWeights === undefined ? PREDICTION_DEFAULTS.rankerWeights : p.rankerWeights),
  };
  return {
    maxSequenceLength,
    maxPatterns,
    maxSessions,
    maxTools,
    reorderWindow,
    sessionHistory,
    maxSessionPatterns,
    outcomeAware,
    settings,
  };
}
