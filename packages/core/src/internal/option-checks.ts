/**
 * An integer option, checked once where it is read: returns `value` when it is an integer from `min`
 * to `max`; otherwise throws a `TypeError` that names the owner, the option, the range and the value
 * (`"FileStorage: maxOpenFiles must be an integer from 1 to 65536, got 0"`; without `max`,
 * `"... must be an integer >= 1, got 0"`). For our packages' constructors and functions; not for users.
 */
export function checkInteger(owner: string, name: string, value: unknown, min: number, max?: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
    const range = max === undefined ? `>= ${min}` : `from ${min} to ${max}`;
    throw new TypeError(`${owner}: ${name} must be an integer ${range}, got ${describeValue(value)}`);
  }
  return value;
}

/** A value as an error message shows it: strings quoted (so `"10"` is not read as 10), the rest as `String` gives it. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'symbol') return value.toString();
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value); // an object whose toString throws, or a null-prototype object
  }
}
