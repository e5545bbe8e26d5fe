import { checkOptionKeys } from '@perftrack/core/internal';

describe('checkOptionKeys', () => {
  it('accepts known keys and names the owner, the key and the known ones otherwise', () => {
    expect(() => checkOptionKeys({ a: 1 }, ['a', 'b'], 'Thing')).not.toThrow();
    expect(() => checkOptionKeys({ c: 1 }, ['a', 'b'], 'Thing')).toThrow('Thing: unknown option "c" (known: a, b)');
    expect(() => checkOptionKeys(null, ['a'], 'Thing')).toThrow('Thing: options must be an object, got null');
    expect(() => checkOptionKeys([], ['a'], 'Thing')).toThrow('Thing: options must be an object, got an array');
  });
});
