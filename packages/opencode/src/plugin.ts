import { writeFile } from 'node:fs/promises';
import { PerformanceIntegration, type IntegrationStats, type RandomSource } from '@perftrack/integration';
import { resolveOpencodeOptions, type ResolvedOpencodeOptions } from './config';
import type { OpencodePlugin, OpencodePluginInput, PerftrackHooks } from './opencode-types';
import { OpencodeRecorder, type OpencodeRecorderStats } from './recorder';

const DONE: Promise<void> = Promise.resolve();

export type { PerftrackHooks } from './opencode-types';

/** Seams for tests and embedders: clocks, randomness, where warnings go. */
export interface PerftrackOpencodeDeps {
  /** Epoch-ms clock for the recorder. Default `Date.now`. */
  readonly now?: () => number;
  /** Random source for sampling. Default `Math.random`. */
  readonly random?: RandomSource;
  /**
   * Receives the line saying where the plugin records (`info`, once per storage directory) and
   * perftrack's own warnings and errors (a failed write). Default: opencode's log, else nothing.
   */
  readonly log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** What {@link PerftrackOpencode.stats} returns, and what `statsFile` holds. */
export interface PerftrackOpencodeStats {
  readonly schema: 'perftrack.opencode-stats/1';
  readonly recorder: OpencodeRecorderStats;
  /** Mean time spent in perftrack's handlers per recorded or sampled-out call, in µs. */
  readonly overheadPerCallUs: number;
  /** The same after the first call (which pays for compiling perftrack's code), in µs. */
  readonly overheadPerWarmCallUs: number;
  readonly integration: IntegrationStats;
}

/**
 * perftrack inside one opencode process, for one storage directory: the integration (collector,
 * storage, live analytics) plus the recorder that turns opencode's hooks and events into records.
 * The plugin shares one per directory between opencode's plugin instances.
 */
export class PerftrackOpencode {
  readonly options: ResolvedOpencodeOptions;
  readonly integration: PerformanceIntegration;
  readonly recorder: OpencodeRecorder;
  readonly #log: (level: 'info' | 'warn' | 'error', message: string) => void;
  #shutdown: Promise<void> | undefined;

  constructor(options: ResolvedOpencodeOptions, deps: PerftrackOpencodeDeps = {}) {
    this.options = options;
    const log = deps.log ?? (() => {});
    this.#log = log;
    this.integration = new PerformanceIntegration({
      storageDir: options.dir,
      historySessions: options.historySessions,
      trackMemory: false,
      trackInputOutput: options.trackInputOutput,
      analyticsInterval: 0, // reports are written when a session goes idle, and at shutdown
      flushOnExit: false, // opencode owns the process: it awaits the plugin's dispose instead
      ...(deps.random ? { random: deps.random } : {}),
      onWarning: (m) => log('warn', m),
      onError: (e, source) => log('error', `perftrack: ${source}: ${e instanceof Error ? e.message : String(e)}`),
    });
    this.recorder = new OpencodeRecorder(this.integration.collector, {
      sampleRates: options.sampleRates,
      sampleRate: options.sampleRate,
      trackInputOutput: options.trackInputOutput,
      failOnNonZeroExit: options.failOnNonZeroExit,
      callTimeoutMs: options.callTimeoutMs,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.random ? { random: deps.random } : {}),
    });
  }

  /**
   * Handles one opencode event. On `session.idle` the session's open calls are recorded and
   * (with `reportOnIdle`) its report and patterns written; the promise settles when they are.
   * Never throws.
   */
  onEvent(event: { type?: unknown; properties?: unknown }): Promise<void> {
    try {
      this.recorder.event(event);
      if (event?.type === 'session.idle' && this.options.reportOnIdle) return this.integration.runAnalytics();
    } catch (e) {
      this.#log(
        'error',
        `perftrack: an opencode event could not be handled (${e instanceof Error ? e.message : String(e)}); the session is not affected`,
      );
    }
    return DONE;
  }

  /** Counters of the recorder and the integration. */
  stats(): PerftrackOpencodeStats {
    const recorder = this.recorder.stats();
    const calls = recorder.recorded + recorder.sampledOut;
    return {
      schema: 'perftrack.opencode-stats/1',
      recorder,
      overheadPerCallUs: calls === 0 ? 0 : (recorder.handlerMs * 1000) / calls,
      overheadPerWarmCallUs: calls <= 1 ? 0 : ((recorder.handlerMs - recorder.warmupMs) * 1000) / (calls - 1),
      integration: this.integration.stats(),
    };
  }

  /** Records every open call, writes the final reports, flushes and closes storage. Safe to call twice. */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.recorder.closeAll('opencode shut down');
      await this.integration.shutdown();
      const file = this.options.statsFile;
      if (file !== undefined) {
        try {
          await writeFile(file, JSON.stringify(this.stats(), null, 2) + '\n', { mode: 0o600 });
        } catch (e) {
          this.#log('error', `perftrack: could not write the stats file ${file} (${e instanceof Error ? e.message : String(e)})`);
        }
      }
    })();
    return this.#shutdown;
  }
}

/** Options of {@link createPerftrackPlugin}. */
export interface CreatePluginOptions extends PerftrackOpencodeDeps {
  /** Environment to read `PERFTRACK_*` from. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

function opencodeLog(input: OpencodePluginInput | undefined): (level: 'info' | 'warn' | 'error', message: string) => void {
  return (level, message) => {
    try {
      const app = (input?.client as { app?: { log?: (o: unknown) => Promise<unknown> } } | undefined)?.app;
      void app?.log?.({ body: { service: 'perftrack', level, message } })?.catch(() => {});
    } catch {
      // logging must never fail the host
    }
  };
}

function loadedLine(options: ResolvedOpencodeOptions): string {
  const rates = Object.entries(options.sampleRates).map(([tool, rate]) => `${tool}=${rate}`);
  const sampling =
    options.sampleRate === 1 && rates.length === 0
      ? 'every call'
      : `sample rate ${options.sampleRate}${rates.length > 0 ? `, ${rates.join(', ')}` : ''}`;
  return `perftrack: recording tool calls to ${options.dir} (${sampling}; reports ${options.reportOnIdle ? 'on idle' : 'off'})`;
}

/**
 * Builds the opencode plugin function. opencode may create several plugin instances in one
 * process (one per project instance, and again while shutting down); those with the same
 * storage directory share one {@link PerftrackOpencode}, so every call is recorded once and one
 * writer appends to each session's log. The last instance's `dispose` shuts it down.
 *
 * `server` (the package's plugin export) is `createPerftrackPlugin()`; create your own for an
 * isolated registry (tests) or other seams.
 */
export function createPerftrackPlugin(create: CreatePluginOptions = {}): OpencodePlugin {
  const shared = new Map<string, { runtime: PerftrackOpencode; refs: number }>();
  return async (input, pluginOptions) => {
    const options = resolveOpencodeOptions(pluginOptions, create.env ?? process.env, input.directory);
    if (!options.enabled) return {};
    let entry = shared.get(options.dir);
    if (entry === undefined) {
      const log = create.log ?? opencodeLog(input);
      entry = { runtime: new PerftrackOpencode(options, { ...create, log }), refs: 0 };
      shared.set(options.dir, entry);
      // Never silent: one line, in opencode's own log, saying that the plugin loaded and where it records.
      log('info', loadedLine(options));
    }
    entry.refs++;
    const { runtime } = entry;
    const recorder = runtime.recorder;
    let disposed = false;
    // The hooks return one settled promise instead of allocating one per call (they run on every
    // tool call and every event, streamed text deltas included); only session.idle waits.
    const hooks: PerftrackHooks = {
      'tool.execute.before': (i, o) => {
        recorder.before(i, o);
        return DONE;
      },
      'tool.execute.after': (i, o) => {
        recorder.after(i, o);
        return DONE;
      },
      event: ({ event }) => runtime.onEvent(event),
      dispose: async () => {
        if (disposed) return;
        disposed = true;
        const e = shared.get(options.dir);
        if (e === undefined || e.runtime !== runtime) return;
        if (--e.refs > 0) {
          await runtime.integration.runAnalytics();
          return;
        }
        shared.delete(options.dir);
        await runtime.shutdown();
      },
    };
    return hooks;
  };
}
