import { normalizeErrorMessage } from '@perftrack/core/internal';
/**
 * Lower bound of the Wilson score interval for a proportion: with `n` trials of which
 * `rate` were hits, the true rate is at least this with the interval's confidence (z = 1.96:
 * 95% two-sided). Used instead of a raw rate so one failure out of one call proves nothing.
 *
 * @example wilsonLowerBound(1, 1) // ≈ 0.21, not 1.0
 * @example wilsonLowerBound(0.5, 100) // ≈ 0.40
 */
export function wilsonLowerBound(rate: number, n: number, z = 1.96): number {
  return wilsonInterval(rate, n, z)[0];
}

/** The Wilson score interval `[lower, upper]` of a proportion `rate` observed over `n` trials; `[0, 1]` without trials. */
export function wilsonInterval(rate: number, n: number, z = 1.96): [number, number] {
  if (!(n > 0) || !Number.isFinite(rate)) return [0, 1];
  const p = Math.min(1, Math.max(0, rate));
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, (centre - spread) / (1 + z2 / n)), Math.min(1, (centre + spread) / (1 + z2 / n))];
}

// One normaliser for every consumer: core's record pipeline applies it once per failed record.
export { normalizeErrorMessage };

/** Messages longer than this are normalised every time (the memo's memory stays small). */
const MEMO_MAX_MESSAGE = 512;
const MEMO_ENTRIES = 256;

/**
 * {@link normalizeErrorMessage} with a small memo of recent messages: agents repeat the same
 * failure text, and normalising costs about a microsecond of regular expressions. Bounded: at
 * `MEMO_ENTRIES` distinct messages it starts over.
 * @internal
 */
export class ErrorTextMemo {
  readonly #texts = new Map<string, string>();

  normalize(message: string): string {
    if (message.length > MEMO_MAX_MESSAGE) return normalizeErrorMessage(message);
    let text = this.#texts.get(message);
    if (text === undefined) {
      text = normalizeErrorMessage(message);
      if (this.#texts.size >= MEMO_ENTRIES) this.#texts.clear();
      this.#texts.set(message, text);
    }
    return text;
  }
}

/** One group of errors: a type and a normalised message, with how often it was seen. */
export interface CommonError {
  /** `errorType` of the records (e.g. `"ENOENT"`, `"TypeError"`), or `"Error"` when absent. */
  readonly errorType: string;
  /** The normalised message (see {@link normalizeErrorMessage}); `""` when records had none. */
  readonly message: string;
  /** Failures in this group. An upper bound when {@link ErrorTally} had to replace a group. */
  readonly count: number;
}

/**
 * The most frequent error groups in a stream, in bounded memory (the space-saving algorithm
 * over `slots` groups: a new group replaces the least frequent one and inherits its count, so
 * counts are upper bounds and every group more frequent than total/slots is kept).
 * @internal
 */
export class ErrorTally {
  readonly #keys: string[] = [];
  readonly #types: string[] = [];
  readonly #messages: string[] = [];
  readonly #counts: number[] = [];
  readonly #slots: number;
  /** Whether a held key came from a part with a NUL (then keys are compared too). */
  #hasNul = false;

  constructor(slots = 5) {
    this.#slots = slots;
  }

  /** Counts one failure; `text` is the already normalised message (normalise once per record, not per tally). */
  add(errorType: string | undefined, text: string, weight = 1): void {
    const type = errorType || 'Error';
    // the usual hit compares the parts, building no key; a NUL in a part could make two different
    // pairs one key, so then the key decides, as it always did
    const nul = this.#hasNul || type.includes('\u0000') || text.includes('\u0000');
    if (!nul) {
      const types = this.#types;
      const messages = this.#messages;
      for (let j = 0; j < types.length; j++) {
        if (types[j] === type && messages[j] === text) {
          this.#counts[j]! += weight;
          return;
        }
      }
    }
    const key = `${type}\u0000${text}`;
    if (nul) {
      const i = this.#keys.indexOf(key);
      if (i >= 0) {
        this.#counts[i]! += weight;
        return;
      }
      this.#hasNul = true;
    }
    if (this.#keys.length < this.#slots) {
      this.#keys.push(key);
      this.#types.push(type);
      this.#messages.push(text);
      this.#counts.push(weight);
      return;
    }
    let min = 0;
    for (let j = 1; j < this.#counts.length; j++) if (this.#counts[j]! < this.#counts[min]!) min = j;
    this.#keys[min] = key;
    this.#types[min] = type;
    this.#messages[min] = text;
    this.#counts[min]! += weight;
  }

  top(limit = this.#slots): CommonError[] {
    const order = this.#counts
      .map((_, i) => i)
      .sort((a, b) => this.#counts[b]! - this.#counts[a]! || (this.#keys[a]! < this.#keys[b]! ? -1 : 1));
    return order.slice(0, limit).map((i) => ({ errorType: this.#types[i]!, message: this.#messages[i]!, count: this.#counts[i]! }));
  }

  get size(): number {
    return this.#keys.length;
  }
}
