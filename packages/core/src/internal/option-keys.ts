/**
 * Checks that `options` is an object whose keys are all in `known`, so a misspelt option fails
 * loudly instead of being ignored. Throws a `TypeError` naming the owner, the key and the known ones.
 */
export function checkOptionKeys(options: unknown, known: readonly string[], owner: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      `${owner}: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${owner}: unknown option "${key}" (known: ${known.join(', ')})`);
  }
}
