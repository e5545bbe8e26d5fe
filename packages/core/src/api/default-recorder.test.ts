// The api layer alone: instrumentation before (or without) any collector is safe and records
// nothing. Loaded in isolation, without the collector module that registers the real default.

test('without a collector implementation loaded, tracked calls run through the no-op recorder and record nothing', () => {
  jest.isolateModules(() => {
    const { defaultRecorder } = require('./default-recorder') as typeof import('./default-recorder');
    const { NOOP_RECORDER } = require('./recorder') as typeof import('./recorder');
    const { trackPerformance } = require('../instrument/track-performance') as typeof import('../instrument/track-performance');
    expect(defaultRecorder()).toBe(NOOP_RECORDER);
    const error = new Error('boom');
    const tool = trackPerformance({ toolId: 't', trackMemory: true, trackInputOutput: true })((x: number) => {
      if (x < 0) throw error;
      return x * 2;
    });
    expect(tool(2)).toBe(4);
    expect(() => tool(-1)).toThrow(error);
    expect(Object.isFrozen(NOOP_RECORDER)).toBe(true);
    expect(NOOP_RECORDER.enabled).toBe(false);
  });
});

test('a default collector without a recorder of this layout (another copy) is not called into: calls still run, one warning', () => {
  jest.isolateModules(() => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const { coreGlobal } = require('../internal/global') as typeof import('../internal/global');
      const slot = coreGlobal();
      const saved = slot.collector;
      slot.collector = { startToolExecution: () => 'x' }; // what a foreign copy's collector looks like to this one
      try {
        const { defaultRecorder } = require('./default-recorder') as typeof import('./default-recorder');
        const { NOOP_RECORDER } = require('./recorder') as typeof import('./recorder');
        const { trackPerformance } = require('../instrument/track-performance') as typeof import('../instrument/track-performance');
        const tool = trackPerformance({ toolId: 't' })(() => 1);
        expect(tool()).toBe(1);
        expect(tool()).toBe(1);
        expect(defaultRecorder()).toBe(NOOP_RECORDER);
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0]![0])).toContain('cannot record into');
      } finally {
        slot.collector = saved;
      }
    } finally {
      warn.mockRestore();
    }
  });
});
