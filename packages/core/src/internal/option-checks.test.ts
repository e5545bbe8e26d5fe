import { checkInteger, describeValue } from '@perftrack/core/internal';

describe('checkInteger', () => {
  it('returns an integer inside the range, bounds included', () => {
    expect(checkInteger('Owner', 'size', 1, 1, 10)).toBe(1);
    expect(checkInteger('Owner', 'size', 10, 1, 10)).toBe(10);
    expect(checkInteger('Owner', 'size', Number.MAX_SAFE_INTEGER, 0)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('names the owner, the option, the range and the value', () => {
    expect(() => checkInteger('FileStorage', 'maxOpenFiles', 0, 1, 65_536)).toThrow(
      new TypeError('FileStorage: maxOpenFiles must be an integer from 1 to 65536, got 0'),
    );
    expect(() => checkInteger('AnalyticsEngine', 'maxTools', 1, 2)).toThrow(
      new TypeError('AnalyticsEngine: maxTools must be an integer >= 2, got 1'),
    );
  });

  it('refuses what is not an integer number, strings shown quoted', () => {
    for (const bad of [1.5, Number.NaN, Infinity, -Infinity, '3', null, undefined, true, 3n, {}, []]) {
      expect(() => checkInteger('O', 'n', bad, 0)).toThrow(TypeError);
    }
    expect(() => checkInteger('O', 'n', '3', 0)).toThrow('O: n must be an integer >= 0, got "3"');
  });
});

describe('describeValue', () => {
  it('describes values whose conversion to a string throws', () => {
    expect(describeValue(Object.create(null))).toBe('[object Object]');
    expect(
      describeValue({
        toString: () => {
          throw new Error('no');
        },
      }),
    ).toBe('[object Object]');
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
  });
});
