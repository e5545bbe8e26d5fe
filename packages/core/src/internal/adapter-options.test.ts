import { FakeClock, MetricsCollector } from '@perftrack/core';
import {
  checkAdapterOptions,
  checkListeningOptions,
  LISTENING_ADAPTER_KEYS,
  sampleRateOf,
  WRAPPING_ADAPTER_KEYS,
} from '@perftrack/core/internal';

const naming = { owner: 'trackThings' };

describe('checkAdapterOptions', () => {
  it('returns a copy of the sample rates that ignores later changes and Object.prototype', () => {
    const given: Record<string, number> = { read: 0.5 };
    const rates = checkAdapterOptions({ sampleRate: 0.1, sampleRates: given }, WRAPPING_ADAPTER_KEYS, naming);
    given.read = 1;
    expect(sampleRateOf(rates, 'read', 0.1)).toBe(0.5);
    expect(sampleRateOf(rates, 'constructor', 0.1)).toBe(0.1);
    expect(sampleRateOf(rates, 'toString', undefined)).toBeUndefined();
  });

  it('takes a __proto__ tool name as a tool name', () => {
    const rates = checkAdapterOptions({ sampleRates: JSON.parse('{"__proto__": 0.25}') }, WRAPPING_ADAPTER_KEYS, naming);
    expect(sampleRateOf(rates, '__proto__', 1)).toBe(0.25);
  });

  it.each([
    [{ colector: 1 }, 'trackThings: unknown option "colector"'],
    [{ collector: {} }, 'trackThings: collector must be a MetricsCollector'],
    [{ sessionId: '' }, 'trackThings: sessionId must be a non-empty string or a function of the call, got ""'],
    [{ sampleRates: null }, 'trackThings: sampleRates must be a record of tool name to rate'],
    [{ sampleRate: 2 }, 'trackThings: the sample rate of (sampleRate) must be a number from 0 to 1, got 2'],
    [{ sampleRates: { read: Number.NaN } }, 'trackThings: the sample rate of read must be a number from 0 to 1, got null'],
  ])('refuses %j', (options, message) => {
    expect(() => checkAdapterOptions(options as never, WRAPPING_ADAPTER_KEYS, naming)).toThrow(TypeError);
    expect(() => checkAdapterOptions(options as never, WRAPPING_ADAPTER_KEYS, naming)).toThrow(message);
  });

  it("names the framework's words in its messages", () => {
    expect(() => checkAdapterOptions({ sessionId: 3 } as never, WRAPPING_ADAPTER_KEYS, { owner: 'H', call: 'run' })).toThrow(
      'a function of the run, got 3',
    );
    expect(() => checkAdapterOptions({ sampleRates: 'x' } as never, WRAPPING_ADAPTER_KEYS, { owner: 'H', tool: 'id' })).toThrow(
      'a record of tool id to rate',
    );
  });
});

describe('checkListeningOptions', () => {
  it('fills the defaults', () => {
    const o = checkListeningOptions({}, naming);
    expect(o).toMatchObject({ collector: undefined, sampleRate: 1, trackInputOutput: true, maxInFlight: 10_000, onWarning: undefined });
    expect(typeof o.clock.now).toBe('function');
    expect(o.random).toBe(Math.random);
  });

  it('keeps what was given', () => {
    const collector = new MetricsCollector();
    const clock = new FakeClock();
    const random = () => 0.5;
    const o = checkListeningOptions({ collector, clock, random, maxInFlight: 3, trackInputOutput: false, sampleRate: 0.5 }, naming);
    expect(o).toMatchObject({ collector, clock, random, maxInFlight: 3, trackInputOutput: false, sampleRate: 0.5 });
  });

  it.each([
    [{ maxInFlight: 0 }, 'trackThings: maxInFlight must be an integer >= 1, got 0'],
    [{ trackInputOutput: 'yes' }, 'trackThings: trackInputOutput must be a boolean'],
    [{ clock: { now: () => 1 } }, 'trackThings: clock must be { now(), timeOrigin }'],
    [{ random: 0.5 }, 'trackThings: random must be a function'],
    [{ hashInput: true }, 'trackThings: unknown option "hashInput"'],
  ])('refuses %j', (options, message) => {
    expect(() => checkListeningOptions(options as never, naming)).toThrow(TypeError);
    expect(() => checkListeningOptions(options as never, naming)).toThrow(message);
  });

  it('knows the listening keys', () => {
    expect(LISTENING_ADAPTER_KEYS).toContain('maxInFlight');
    expect(WRAPPING_ADAPTER_KEYS).not.toContain('maxInFlight');
  });
});
