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
  const collector = shared.collector as Partial<Recordable> | undefined;
  if (collector !== undefined) return collector[RECORDER] ?? foreignDefault();
  return createDefault === undefined ? NOOP_RECORDER : (shared.collector = createDefault())[RECORDER];
}

/**
 * The default collector was made by a copy of the package whose collectors have no recorder of
 * this layout: tracked calls must still run, so they record nothing, and one warning says why.
 */
function foreignDefault(): Recorder {
  if (!warnedForeign) {
    warnedForeign = true;
    process.emitWarning(
      'perftrack: the default MetricsCollector was created by a copy of @perftrack/core this copy cannot record into; calls tracked through this copy are not recorded. Install one version of @perftrack/core.',
      { type: 'PerftrackWarning', code: 'PERFTRACK_FOREIGN_COLLECTOR' },
    );
  }
  return NOOP_RECORDER;
}
let warnedForeign = false;
