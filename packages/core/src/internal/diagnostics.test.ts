import { Diagnostics } from '@perftrack/core/internal';

describe('Diagnostics', () => {
  test('without onError, the first error of each source (or warn key) is warned about once', () => {
    const warnings: string[] = [];
    const d = new Diagnostics({ onWarning: (w) => warnings.push(w) });
    const describe = (e: unknown) => `failed: ${(e as Error).message}`;
    d.report(new Error('a1'), 'subscriber', describe);
    d.report(new Error('a2'), 'subscriber', describe);
    d.report(new Error('b1'), 'metadata', describe);
    d.report(new Error('c1'), 'append x', describe, 'error:append');
    d.report(new Error('c2'), 'append y', describe, 'error:append');
    expect(warnings).toEqual(['failed: a1', 'failed: b1', 'failed: c1']);
    d.reset();
    d.report(new Error('a3'), 'subscriber', describe);
    expect(warnings.at(-1)).toBe('failed: a3');
  });

  test('onError receives every error with its source; a throwing handler or sink never escapes', () => {
    const seen: [unknown, string][] = [];
    const d = new Diagnostics({ onError: (e, s) => seen.push([e, s]) });
    const err = new Error('x');
    d.report(err, 'flush', () => 'unused');
    d.report(err, 'flush', () => 'unused');
    expect(seen).toEqual([
      [err, 'flush'],
      [err, 'flush'],
    ]);
    const hostile = new Diagnostics({
      onError: () => {
        throw new Error('handler bug');
      },
      onWarning: () => {
        throw new Error('sink bug');
      },
    });
    expect(() => hostile.report(err, 's', () => 'm')).not.toThrow();
    expect(() => hostile.warnOnce('k', 'm')).not.toThrow();
  });

  test('a handler that is not a function is refused, naming the owner', () => {
    expect(() => new Diagnostics({ onWarning: 'console' as never }, 'PerformanceStorage')).toThrow(
      new TypeError('PerformanceStorage: onWarning must be a function, got string'),
    );
  });
});
