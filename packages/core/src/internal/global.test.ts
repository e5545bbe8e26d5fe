import { CORE_GLOBAL_KEY, coreGlobal, isCompatibleVersion, versionLine } from './global';
import { VERSION } from './version';

// The cross-copy behaviour is tested with real installed copies in test/packaging/duplicate-core.test.ts
// and test/packaging/registry.e2e.test.ts.

describe('isCompatibleVersion (may this copy use a slot made by another version?)', () => {
  test.each([
    ['0.1.0', '0.1.0', true],
    ['0.1.0', '0.1.9', true],
    ['0.1.9', '0.1.0', true],
    ['0.1.0', '0.2.0', false],
    ['0.2.0', '0.1.0', false],
    ['1.2.0', '1.3.0', true],
    ['1.3.0', '1.2.0', false],
    ['1.0.0', '2.0.0', false],
    ['1.0.0-rc.1', '1.0.0', false],
    ['1.0.0-rc.1', '1.0.0-rc.1', true],
    ['0.1.0', 'garbage', false],
  ])('own %s with a slot of %s: %s', (own, other, expected) => {
    expect(isCompatibleVersion(own, other)).toBe(expected);
  });

  test('version lines: 0.x by minor, then by major; a pre-release alone', () => {
    expect(['0.1.0', '0.1.7', '0.2.0', '1.0.0', '1.9.3', '2.0.0', '1.0.0-rc.1'].map(versionLine)).toEqual([
      '0.1',
      '0.1',
      '0.2',
      '1',
      '1',
      '2',
      '1.0.0-rc.1',
    ]);
  });
});

describe('coreGlobal', () => {
  const root = globalThis as Record<symbol, unknown>;
  let saved: unknown;
  let warn: jest.SpyInstance;
  beforeEach(() => {
    saved = root[CORE_GLOBAL_KEY];
    delete root[CORE_GLOBAL_KEY];
    warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
  });
  afterEach(() => {
    warn.mockRestore();
    root[CORE_GLOBAL_KEY] = saved;
  });

  test('the first copy makes its line’s slot under a Symbol.for key; compatible copies join that very object, silently', () => {
    const first = coreGlobal('0.1.0', '/app/node_modules/@perftrack/core');
    expect(first).toEqual({ version: '0.1.0', path: '/app/node_modules/@perftrack/core' });
    expect(coreGlobal('0.1.7', '/app/node_modules/@perftrack/integration/node_modules/@perftrack/core')).toBe(first);
    expect((root[Symbol.for('perftrack.core.global/1')] as { lines: Record<string, unknown> }).lines['0.1']).toBe(first);
    expect(
      Object.getOwnPropertySymbols(globalThis).includes(CORE_GLOBAL_KEY) && !Object.keys(globalThis).includes(String(CORE_GLOBAL_KEY)),
    ).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });

  test('this copy’s own slot is the one the package uses (its version, its package directory)', () => {
    expect(coreGlobal()).toMatchObject({ version: VERSION, path: expect.stringMatching(/packages[/\\]core$/) });
  });

  test('copies of another line get their own slot, shared within that line, and one warning per pair of lines naming both versions and paths', () => {
    const old = coreGlobal('0.1.0', '/a/core');
    const upgraded = coreGlobal('0.2.0', '/b/core');
    const upgradedAgain = coreGlobal('0.2.3', '/c/core');
    expect(upgraded).not.toBe(old);
    expect(upgradedAgain).toBe(upgraded);
    expect(coreGlobal('0.1.2', '/d/core')).toBe(old);
    expect(warn).toHaveBeenCalledTimes(1);
    const [message, options] = warn.mock.calls[0]! as [string, { type: string; code: string }];
    expect(message).toMatch(
      /^two incompatible copies of @perftrack\/core are loaded: 0\.1\.0 from \/a\/core and 0\.2\.0 from \/b\/core\. /,
    );
    expect(options).toEqual({ type: 'PerftrackWarning', code: 'PERFTRACK_INCOMPATIBLE_CORE' });
    coreGlobal('1.0.0', '/e/core');
    expect(warn).toHaveBeenCalledTimes(3); // 1 | 0.1 and 1 | 0.2
  });

  test('a newer minor of 1.x does not use an older slot of its line: a private slot, and a warning', () => {
    const older = coreGlobal('1.2.0', '/a/core');
    const newer = coreGlobal('1.3.0', '/b/core');
    expect(newer).not.toBe(older);
    expect(coreGlobal('1.1.0', '/c/core')).toBe(older);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
