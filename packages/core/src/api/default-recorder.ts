import { coreGlobal } from '../internal/global';
import { NOOP_RECORDER, RECORDER, type Recordable, type Recorder } from './recorder';

/** Shared with every compatible copy of this package in the process: holds the default collector. */
const shared = coreGlobal();
/** Makes the default collector on first use; registered by the collector implementation when it loads. */
let createDefault: (() => Recordable) | undefined;

/**
 * Registers how the default collector is made on first use (`MetricsCollector` does, when its
 * module loads). Until one is registered, instrumentation records into {@link NOOP_RECORDER}.
 */
export function provideDefaultRecorder(create: () => Recordable): void {
  createDefault = create;
}

/**
 * The recorder of the process-wide default collector, made on first use; the no-op recorder
 * when no collector implementation is loaded. Looked up at call time, so `setDefault` applies to
 * functions wrapped before it.
 */
export function defaultRecorder(): Recorder {
  const collector = shared.collector as Recordable | undefined;
  if (collector !== undefined) return collector[RECORDER];
  return createDefault === undefined ? NOOP_RECORDER : (shared.collector = createDefault())[RECORDER];
}
