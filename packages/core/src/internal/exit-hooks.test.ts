import { installExitHooks } from '@perftrack/core/internal';

test('every installed part shares one listener per event, and removing the last removes them', async () => {
  const before = { exit: process.listenerCount('beforeExit'), term: process.listenerCount('SIGTERM') };
  const calls: string[] = [];
  const offA = installExitHooks({ beforeExit: async () => void calls.push('a') });
  const offB = installExitHooks({ beforeExit: async () => void calls.push('b'), signal: async () => void calls.push('b-signal') });
  expect(process.listenerCount('beforeExit')).toBe(before.exit + 1);
  expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
  process.emit('beforeExit', 0);
  await new Promise((r) => setImmediate(r));
  expect(calls).toEqual(['a', 'b']);
  offA();
  offA(); // safe twice
  expect(process.listenerCount('beforeExit')).toBe(before.exit + 1);
  offB();
  expect(process.listenerCount('beforeExit')).toBe(before.exit);
  expect(process.listenerCount('SIGTERM')).toBe(before.term);
  expect(() => installExitHooks(null as never)).toThrow('expected { beforeExit?, signal? }');
});
