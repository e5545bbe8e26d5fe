import { withAdapterStamp } from '@perftrack/core/internal';

describe('withAdapterStamp', () => {
  const stamp = Object.freeze({ framework: 'demo', adapterVersion: '1.2.3' });

  test('no customMetadata: the stamp itself, shared by reference', () => {
    expect(withAdapterStamp(undefined, stamp)).toBe(stamp);
  });

  test('a customMetadata object: merged once with the stamp, the stamp winning on its own keys', () => {
    expect(withAdapterStamp({ team: 'x', framework: 'mine' }, stamp)).toEqual({ team: 'x', framework: 'demo', adapterVersion: '1.2.3' });
  });

  test('a customMetadata function is kept as it is (stamping its results would allocate per call)', () => {
    const fn = () => ({ a: 1 });
    expect(withAdapterStamp(fn, stamp)).toBe(fn);
  });
});
