import type { Clock } from '../api/types';

/** The process's monotonic clock (`performance.now()`), read at call time, never captured at import. */
export const systemClock: Clock = {
  now: () => performance.now(),
  get timeOrigin() {
    return performance.timeOrigin;
  },
};

/**
 * A clock tests move by hand, so recorded durations are exact.
 *
 * @example
 * const clock = new FakeClock();
 * const collector = new MetricsCollector({ clock });
 * clock.advance(12.5); // the next tracked call that spans this advance lasts 12.5 ms
 */
export class FakeClock implements Clock {
  #now: number;
  readonly timeOrigin: number;

  constructor(options: { start?: number; timeOrigin?: number } = {}) {
    this.#now = options.start ?? 0;
    this.timeOrigin = options.timeOrigin ?? 1_700_000_000_000;
  }

  now(): number {
    return this.#now;
  }

  /** Moves the clock forward by `ms` (must be ≥ 0). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${String(ms)}`);
    this.#now += ms;
  }
}
