import type { RecordDraft, Recorder, RecorderErrorSource } from '../api/recorder';
import type { Clock, RandomSource } from '../api/types';
import type { Diagnostics } from '../internal/diagnostics';
import type { CollectorErrorSource } from './collector-options';
import type { SizeEstimator } from './size-estimator';

/** What a {@link CollectorRecorder} is made of: its collector's parts and callbacks. */
export interface CollectorRecorderParts {
  readonly enabled: boolean;
  readonly defaultSessionId: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly sizer: SizeEstimator;
  readonly diagnostics: Diagnostics<CollectorErrorSource>;
  /** The heap size, or NaN when heap reads are not allowed. */
  readonly heapSize: () => number;
  readonly reportError: (error: unknown, source: CollectorErrorSource) => void;
  /** Builds, buffers and publishes the record of a draft (the collector's one builder). */
  readonly publish: (draft: RecordDraft) => void;
}

/**
 * A collector's {@link Recorder}: the friend object `trackPerformance` records through, kept off
 * `MetricsCollector`'s public surface (reached through the `RECORDER` symbol). Plain data fields
 * and prototype methods, so the call path's reads stay monomorphic and inline.
 * The collector reads and writes `enabled` and the two counters directly.
 */
export class CollectorRecorder implements Recorder {
  enabled: boolean;
  readonly defaultSessionId: string;
  /** Calls skipped by sampling. */
  sampledOutCalls = 0;
  /** Calls whose promise or iteration is still running. */
  pendingCalls = 0;
  readonly #parts: CollectorRecorderParts;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #sizer: SizeEstimator;

  constructor(parts: CollectorRecorderParts) {
    this.enabled = parts.enabled;
    this.defaultSessionId = parts.defaultSessionId;
    this.#parts = parts;
    this.#clock = parts.clock;
    this.#random = parts.random;
    this.#sizer = parts.sizer;
  }

  now(): number {
    return this.#clock.now();
  }

  random(): number {
    return this.#random();
  }

  memory(): number {
    return this.#parts.heapSize();
  }

  size(value: unknown): number {
    return this.#sizer.estimate(value);
  }

  sizeCapped(): boolean {
    return this.#sizer.capped;
  }

  sampledOut(): void {
    this.sampledOutCalls++;
  }

  pending(delta: 1 | -1): void {
    this.pendingCalls += delta;
  }

  reportError(error: unknown, source: RecorderErrorSource): void {
    this.#parts.reportError(error, source);
  }

  warnOnce(key: string, message: string): void {
    this.#parts.diagnostics.warnOnce(key, message);
  }

  record(draft: RecordDraft): void {
    this.#parts.publish(draft);
  }
}
