/**
 * Natural logarithm by table and linear interpolation over the mantissa (absolute error below
 * 1e-6 for every positive finite input). `Math.log` is a call into the runtime that costs tens
 * of nanoseconds on a busy machine; the ranker takes several logarithms per candidate within a
 * prediction budget of a few microseconds. Falls back to `Math.log` for zero, negative,
 * subnormal, infinite or NaN input, and on a big-endian platform.
 * @internal
 */
const MANTISSA_BITS = 10;
const STEPS = 1 << MANTISSA_BITS;
const TABLE = Float64Array.from({ length: STEPS + 1 }, (_, i) => Math.log1p(i / STEPS));
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HIGH = LITTLE_ENDIAN ? 1 : 0;
const LOW = 1 - HIGH;
/** 2^(52 − MANTISSA_BITS): the mantissa bits below the table index, as a fraction. */
const BELOW_INDEX = 2 ** (52 - MANTISSA_BITS);

/** `Math.log(x)` to within 1e-6, fast. @internal */
export function fastLog(x: number): number {
  if (!(x >= 2.2250738585072014e-308 && x < Infinity) || !LITTLE_ENDIAN) return Math.log(x);
  scratch[0] = x;
  const high = words[HIGH]!;
  const exponent = (high >>> 20) - 1023;
  const index = (high >>> (20 - MANTISSA_BITS)) & (STEPS - 1);
  const fraction = ((high & ((1 << (20 - MANTISSA_BITS)) - 1)) * 4294967296 + words[LOW]!) / BELOW_INDEX;
  const below = TABLE[index]!;
  return exponent * Math.LN2 + below + fraction * (TABLE[index + 1]! - below);
}
