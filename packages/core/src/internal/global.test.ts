import { CORE_GLOBAL_KEY, coreGlobal, isCompatibleVersion } from './global';
import { VERSION } from '../version';

// The cross-copy behaviour is tested with real installed copies in test/packaging/duplicate-core.test.ts.

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
});

describe('coreGlobal', () => {
  const root = globalThis as Record<symbol, unknown>;
  let saved: unknown;
  beforeEach(() => {
    saved = root[CORE_GLOBAL_KEY];
  });
  afterEach(() => {
    root[CORE_GLOBAL_KEY] = saved;
  });

  test('joins a slot made by a compatible copy, and is that very object', () => {
    const slot = { version: VERSION, path: '/elsewhere/core/dist/index.js' };
    root[CORE_GLOBAL_KEY] = slot;
    expect(coreGlobal()).toBe(slot);
  });

  test('makes the slot when none exists, under a Symbol.for key, not enumerable', () => {
    delete root[CORE_GLOBAL_KEY];
    const slot = coreGlobal();
    expect(slot).toMatchObject({ version: VERSION, path: expect.stringContaining('global') });
    expect(root[Symbol.for('perftrack.core.global')]).toBe(slot);
    expect(Object.keys(globalThis)).not.toContain(String(CORE_GLOBAL_KEY));
  });

  test('keeps a private slot beside an incompatible one and warns, naming both versions and paths', () => {
    const other = { version: '99.0.0', path: '/other/node_modules/@perftrack/core/dist/index.js' };
    root[CORE_GLOBAL_KEY] = other;
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const slot = coreGlobal();
      expect(slot).not.toBe(other);
      expect(slot.version).toBe(VERSION);
      expect(root[CORE_GLOBAL_KEY]).toBe(other); // the first copy's slot is untouched
      expect(warn).toHaveBeenCalledTimes(1);
      const [message, options] = warn.mock.calls[0]! as [string, { type: string; code: string }];
      expect(message).toContain(`99.0.0 from ${other.path}`);
      expect(message).toContain(`${VERSION} from `);
      expect(options).toEqual({ type: 'PerftrackWarning', code: 'PERFTRACK_INCOMPATIBLE_CORE' });
    } finally {
      warn.mockRestore();
    }
  });
});
