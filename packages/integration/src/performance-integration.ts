import {
  MetricsCollector,
  RecordPipeline,
  subscriberSink,
  wrapTools as coreWrapTools,
  type BatchSink,
  type MetricsSubscriber,
  type ToolExecutionMetrics,
  type ToolLike,
  type WrapToolsOptions,
} from '@perftrack/core';
import { Diagnostics, installExitHooks, onProcessExit, sharedDefault } from '@perftrack/core/internal';
import {
  AnalyticsEngine,
  UsagePatternTracker,
  compareRuns,
  findInefficiencies,
  suggestOptimizations,
  type CompareOptions,
  type InefficiencyOptions,
  type InefficiencyReport,
  type Insights,
  type InsightThresholds,
  type RunComparison,
  type SessionReport,
  type Suggestion,
} from '@perftrack/analytics';
import { PerformanceStorage, validateSessionId, type ExportDocument } from '@perftrack/storage';
import { VERSION } from './version';
import {
  PerformanceConfigError,
  loadConfigFile,
  resolveConfig,
  sameConfig,
  type PerformanceConfig,
  type PerformanceConfigInput,
  type ResolvedPerformanceConfig,
} from './config';
import { SessionPerformance, type SessionTracker } from './session-performance';
import { ActiveSessions } from './active-sessions';
import { findChildSessions, rollUpSessions, type SessionReportOptions, type SessionReportWithChildren } from './session-children';
import { AnalyticsPass } from './analytics-pass';
import { openHistory } from './history';
import type { IntegrationStats, SessionPatterns } from './integration-stats';

type ErrorSource = 'history' | 'analytics' | 'report' | 'exit';

/** Live records held while history loads; beyond this they are only stored (and counted). */
const MAX_WAITING = 100_000;
/** Sessions remembered as active between two analytics passes; beyond this the oldest report is not saved (counted, warned once). */
const MAX_ACTIVE_SESSIONS = 10_000;

/**
 * The instance `initialize` made and a shutdown under way, shared by every copy of this package of
 * one version line (see core's `sharedDefault`), so a duplicated integration is still initialized once.
 */
const initialized = sharedDefault<PerformanceIntegration>('@perftrack/integration:PerformanceIntegration', VERSION);
const stopping = sharedDefault<Promise<void>>('@perftrack/integration:shutdown', VERSION);

/**
 * The high-level API: one object that owns a collector, storage, analytics and per-session
 * views, wires them together, runs the periodic analytics pass and shuts everything down.
 *
 * Use the static methods (the seed's style; they act on the instance {@link initialize} made)
 * or create instances yourself (each is independent; only `initialize` installs defaults).
 *
 * @example
 * await PerformanceIntegration.initialize({ storageDir: './.perftrack' });
 * const tools = await PerformanceIntegration.wrapTools(myTools);
 * // … the agent runs …
 * const insights = await PerformanceIntegration.getInsights();
 * await PerformanceIntegration.shutdown();
 */
export class PerformanceIntegration {
  /** The validated configuration, defaults filled in. */
  readonly config: ResolvedPerformanceConfig;
  /** Receives every tracked call of this integration. */
  readonly collector: MetricsCollector;
  /** Where records, reports and patterns go. */
  readonly storage: PerformanceStorage;
  /** Live figures and insights, including replayed history. */
  readonly analytics: AnalyticsEngine;
  /** Sequences and predictions, or `undefined` when `trackPatterns` is false. */
  readonly patterns: UsagePatternTracker | undefined;
  /** Per-session live views. */
  readonly sessions: SessionPerformance;
  /** Resolves once stored history has been replayed into analytics (never rejects). */
  readonly ready: Promise<void>;

  readonly #diagnostics: Diagnostics<ErrorSource>;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #pipeline: RecordPipeline;
  readonly #dirty = new ActiveSessions(MAX_ACTIVE_SESSIONS);
  #waiting: ToolExecutionMetrics[] | undefined = [];
  #waitingIds: Set<string> | undefined = new Set();
  #droppedWhileLoading = 0;
  #history = { sessions: 0, records: 0, corruptLines: 0, loaded: false };
  #timer: NodeJS.Timeout | undefined;
  #removeExitHooks: (() => void) | undefined;
  readonly #analyticsPass: AnalyticsPass;
  #shutdown: Promise<void> | undefined;

  /**
   * Builds and wires every part. Stored history starts loading at once ({@link ready}); calls
   * tracked meanwhile are kept and analysed after it, so nothing is missed or counted twice.
   *
   * @throws PerformanceConfigError for an invalid configuration.
   */
  constructor(config?: PerformanceConfig | { readonly performance: PerformanceConfig }) {
    this.config = resolveConfig(config);
    const c = this.config;
    this.#diagnostics = new Diagnostics<ErrorSource>({ onError: c.onError, onWarning: c.onWarning }, 'PerformanceIntegration');
    // One queue between the collector and every sink: a call pays for an enqueue; reads deliver first.
    const pipeline = (this.#pipeline = new RecordPipeline({
      name: 'PerformanceIntegration pipeline',
      onError: c.onError,
      onWarning: c.onWarning,
    }));
    const deliver = (): void => pipeline.deliver();
    this.collector = new MetricsCollector({
      enabled: c.enabled,
      maxMetrics: c.maxMetrics,
      trackMemory: c.trackMemory,
      allowMemory: c.trackMemory,
      trackInputOutput: c.trackInputOutput,
      ...(c.random !== undefined ? { random: c.random } : {}),
      onError: c.onError,
      onWarning: c.onWarning,
    });
    this.storage = new PerformanceStorage({
      ...(c.storage !== undefined ? { adapter: c.storage } : c.storageDir !== undefined ? { dir: c.storageDir } : {}),
      onError: c.onError,
      onWarning: c.onWarning,
    });
    // fed by the pipeline, off the tool's call path; every read lets the pipeline deliver first
    // (deferred: records fed one by one, as history is, are analysed on a later turn too)
    this.analytics = new AnalyticsEngine({
      patterns: c.trackPatterns ? {} : false,
      deferred: true,
      beforeRead: deliver,
      ...(c.onAnomaly ? { anomalies: { onAnomaly: c.onAnomaly } } : {}),
      ...(c.costModel ? { costModel: c.costModel } : {}),
    });
    this.patterns = this.analytics.patterns;
    // session views read the engine's per-session figures: one tally, not two
    this.sessions = new SessionPerformance({ engine: this.analytics });
    // the pass delivers what the pipeline holds before it flushes storage
    const whenReady = async (): Promise<void> => {
      await this.ready;
      pipeline.deliver();
    };
    this.#analyticsPass = new AnalyticsPass({
      enabled: c.enabled,
      saveReports: c.saveReports,
      whenReady,
      storage: this.storage,
      analytics: this.analytics,
      patterns: this.patterns,
      dirty: this.#dirty,
      diagnostics: this.#diagnostics,
      patternsOf: (id, figures) => this.#patternsOf(id, figures),
    });
    if (!c.enabled) {
      // A pure pass-through: nothing subscribed, scheduled, read or written.
      this.#waiting = this.#waitingIds = undefined;
      this.#history.loaded = true;
      this.ready = Promise.resolve();
      return;
    }
    pipeline.addSink(subscriberSink(this.storage));
    pipeline.addSink(this.#feed);
    this.#unsubscribe.push(this.collector.subscribe(pipeline));
    this.ready = this.#loadHistory();
    if (c.analyticsInterval > 0) {
      this.#timer = setInterval(() => void this.runAnalytics(), c.analyticsInterval);
      this.#timer.unref();
    }
    if (c.flushOnExit) {
      const removeHooks = installExitHooks({
        beforeExit: () =>
          this.#dirty.size > 0 || this.#pipeline.stats().queued > 0 || this.storage.stats().queued > 0
            ? this.#analyticsPass.final()
            : Promise.resolve(),
        signal: () => this.shutdown(),
      });
      // On process.exit() or an uncaught exception nothing can be awaited: hand what the pipeline
      // holds to storage synchronously, whose own exit handler (run after this one) writes it.
      const removeDelivery = onProcessExit(() => pipeline.deliver());
      this.#removeExitHooks = () => {
        removeHooks();
        removeDelivery();
      };
    }
  }

  // ---- the seed's static style ------------------------------------------------------------

  /**
   * Creates the process-wide integration and installs its parts as the defaults of
   * `MetricsCollector`, `UsagePatternTracker`, `PerformanceStorage` and `SessionPerformance`, so
   * decorators without a `collector` option and the seed's static calls use it. Resolves once
   * stored history is loaded.
   *
   * Idempotent: called again with no config or an equal one, it returns the same instance; with a
   * different one it throws (call {@link shutdown} first to reconfigure).
   *
   * @param config a config, an app config with a `performance` key, or the path of a JSON file holding either.
   * @throws PerformanceConfigError for an invalid or conflicting configuration.
   */
  static async initialize(config?: PerformanceConfigInput): Promise<PerformanceIntegration> {
    const resolved = typeof config === 'string' ? await loadConfigFile(config) : config === undefined ? undefined : resolveConfig(config);
    const stoppingNow = stopping.get();
    if (stoppingNow !== undefined) await stoppingNow;
    const current = initialized.get();
    if (current !== undefined) {
      if (resolved !== undefined && !sameConfig(current.config, resolved)) {
        throw new PerformanceConfigError(
          '',
          'differs from the one perftrack is already initialized with; call PerformanceIntegration.shutdown() first to change it',
        );
      }
      await current.ready;
      return current;
    }
    const integration = new PerformanceIntegration(resolved ?? {});
    initialized.set(integration);
    MetricsCollector.setDefault(integration.collector);
    UsagePatternTracker.setDefault(integration.patterns ?? new UsagePatternTracker());
    PerformanceStorage.setDefault(integration.storage);
    SessionPerformance.setDefault(integration.sessions);
    await integration.ready;
    return integration;
  }

  /** The instance {@link initialize} made, or `undefined` before it (and after {@link shutdown}). */
  static get current(): PerformanceIntegration | undefined {
    return initialized.get();
  }

  static #require(method: string): PerformanceIntegration {
    const current = initialized.get();
    if (current === undefined)
      throw new Error(`PerformanceIntegration.${method}: not initialized; await PerformanceIntegration.initialize(config) first`);
    return current;
  }

  /** {@link PerformanceIntegration.wrapTools} on the initialized instance. */
  static wrapTools<T extends readonly ToolLike[] | Readonly<Record<string, ToolLike>>>(tools: T, options?: WrapToolsOptions): T {
    return PerformanceIntegration.#require('wrapTools').wrapTools(tools, options);
  }

  /** {@link PerformanceIntegration.getInsights} on the initialized instance. */
  static getInsights(options?: { sessionId?: string; thresholds?: InsightThresholds }): Promise<Insights> {
    return PerformanceIntegration.#require('getInsights').getInsights(options);
  }

  /** {@link PerformanceIntegration.getSessionReport} on the initialized instance. */
  static getSessionReport(sessionId: string, options: SessionReportOptions & { includeChildren: true }): Promise<SessionReportWithChildren>;
  static getSessionReport(sessionId: string, options?: SessionReportOptions): Promise<SessionReport>;
  static getSessionReport(sessionId: string, options?: SessionReportOptions): Promise<SessionReport | SessionReportWithChildren> {
    return PerformanceIntegration.#require('getSessionReport').getSessionReport(sessionId, options);
  }

  /** {@link PerformanceIntegration.exportAllData} on the initialized instance. */
  static exportAllData(): Promise<ExportDocument> {
    return PerformanceIntegration.#require('exportAllData').exportAllData();
  }

  /** Shuts the initialized instance down (nothing to do before {@link initialize}); a later `initialize` starts afresh. */
  static shutdown(): Promise<void> {
    const current = initialized.get();
    if (current === undefined) return stopping.get() ?? Promise.resolve();
    const done = current.shutdown().finally(() => {
      if (initialized.get() === current) initialized.set(undefined);
      stopping.set(undefined);
    });
    stopping.set(done);
    return done;
  }

  // ---- instance API -------------------------------------------------------------------------

  /**
   * Wraps every tool of an array or record (see core's `wrapTools`) into this integration's
   * collector. Defaults come from the config (`trackMemory`, `trackInputOutput`, and
   * `sampleRates` for the tools listed); `options` override them. When `enabled` is false the
   * tools are returned as they are.
   */
  wrapTools<T extends readonly ToolLike[] | Readonly<Record<string, ToolLike>>>(tools: T, options: WrapToolsOptions = {}): T {
    if (!this.config.enabled) return tools;
    if (typeof options !== 'object' || options === null) throw new TypeError('wrapTools: options must be an object');
    // null prototype and own-key lookups: tools named `constructor`, `toString` or `__proto__` are tools like any other
    const perTool = Object.create(null) as Record<string, NonNullable<WrapToolsOptions['perTool']>[string]>;
    const rates = this.config.sampleRates;
    if (typeof tools === 'object' && tools !== null) {
      for (const [key, tool] of Object.entries(tools as Record<string, ToolLike>)) {
        // the id core's wrapTools uses: `id`, else a LangChain tool's `name`, else the key
        const { id: ownId, name } = (tool ?? {}) as { id?: unknown; name?: unknown };
        const id = typeof ownId === 'string' && ownId.length > 0 ? ownId : typeof name === 'string' && name.length > 0 ? name : key;
        if (Object.hasOwn(rates, id) && rates[id] !== undefined) perTool[id] = { sampleRate: rates[id] };
      }
    }
    for (const [id, own] of Object.entries(options.perTool ?? {})) perTool[id] = { ...perTool[id], ...own };
    return coreWrapTools(tools, {
      trackMemory: this.config.trackMemory,
      trackInputOutput: this.config.trackInputOutput,
      ...options,
      collector: this.collector,
      perTool,
    });
  }

  /**
   * Top tools, bottlenecks, error-prone tools and recommendations over live calls and replayed
   * history (everything, or one session). Works before anything is saved.
   */
  async getInsights(options: { sessionId?: string; thresholds?: InsightThresholds } = {}): Promise<Insights> {
    await this.ready;
    return this.analytics.getInsights(options);
  }

  /**
   * Everything about one session (figures, insights, predictions). A session beyond the
   * replayed history is rebuilt from storage; an unknown one gives a report with no calls.
   * With `includeChildren`, also the reports of the sessions it spawned (found through the
   * records' `parentSessionId` in storage, which is read once in full) and a `rollup` total of
   * calls, failures and time across the parent and its children.
   */
  async getSessionReport(sessionId: string, options: SessionReportOptions & { includeChildren: true }): Promise<SessionReportWithChildren>;
  async getSessionReport(sessionId: string, options?: SessionReportOptions): Promise<SessionReport>;
  async getSessionReport(sessionId: string, options: SessionReportOptions = {}): Promise<SessionReport | SessionReportWithChildren> {
    validateSessionId(sessionId);
    if (typeof options !== 'object' || options === null) throw new TypeError('getSessionReport: options must be an object');
    const { includeChildren = false, ...unknown } = options;
    const extra = Object.keys(unknown)[0];
    if (extra !== undefined) throw new TypeError(`getSessionReport: unknown option "${extra}" (known: includeChildren)`);
    if (typeof includeChildren !== 'boolean') throw new TypeError('getSessionReport: includeChildren must be a boolean');
    const report = await this.#sessionReport(sessionId);
    if (!includeChildren) return report;
    await this.ready;
    await this.#flushStorage();
    let links: { sessionId: string; parentSessionId: string }[] = [];
    try {
      links = await findChildSessions(this.storage, sessionId);
    } catch (e) {
      this.#diagnostics.report(
        e,
        'report',
        (err) => `perftrack: could not read stored sessions for child sessions (${String(err)}); the report has no children`,
      );
    }
    const children = [];
    for (const link of links) children.push({ ...(await this.#sessionReport(link.sessionId)), parentSessionId: link.parentSessionId });
    return { ...report, children, rollup: rollUpSessions([report, ...children]) };
  }

  async #sessionReport(sessionId: string): Promise<SessionReport> {
    await this.ready;
    if (this.analytics.hasSession(sessionId) || !this.config.enabled) return this.analytics.sessionReport(sessionId);
    // Not in live analytics (older than the replayed history, or evicted): rebuild it from its log.
    await this.#flushStorage();
    const engine = new AnalyticsEngine({
      patterns: this.config.trackPatterns ? {} : false,
      ...(this.config.costModel ? { costModel: this.config.costModel } : {}),
    });
    try {
      await openHistory({ storage: this.storage }).replayInto(engine, { sessionIds: [sessionId] });
    } catch (e) {
      this.#diagnostics.report(
        e,
        'report',
        (err) => `perftrack: could not read session history (${String(err)}); the report covers live data only`,
      );
    }
    return engine.sessionReport(sessionId);
  }

  /** The stored records of these sessions (after flushing what is queued). */
  async #recordsOf(sessionIds: string | readonly string[]): Promise<ToolExecutionMetrics[]> {
    const ids = typeof sessionIds === 'string' ? [sessionIds] : [...sessionIds];
    await this.ready;
    await this.#flushStorage();
    const out: ToolExecutionMetrics[] = [];
    await openHistory({ storage: this.storage }).replay((m) => out.push(m), { sessionIds: ids });
    return out;
  }

  /**
   * Compares two runs read from storage, each a session id or a list of them (e.g. generation N
   * and N+1 of a self-improving agent): the `perftrack.compare/1` document of `compareRuns`,
   * priced with the config's `costModel` when there is one.
   */
  async compareRuns(a: string | readonly string[], b: string | readonly string[], options: CompareOptions = {}): Promise<RunComparison> {
    const [ra, rb] = [await this.#recordsOf(a), await this.#recordsOf(b)];
    return compareRuns(ra, rb, { ...(this.config.costModel ? { costModel: this.config.costModel } : {}), ...options });
  }

  /** Wasted work (hot pairs, repeats, re-reads, retry loops, failing chains) in stored sessions (default: every one). */
  async findInefficiencies(sessionIds?: string | readonly string[], options: InefficiencyOptions = {}): Promise<InefficiencyReport> {
    const ids = sessionIds ?? (await this.storage.listSessions()).filter((s) => s.hasMetrics).map((s) => s.sessionId);
    return findInefficiencies(await this.#recordsOf(ids), options);
  }

  /**
   * Ranked, typed suggestions from the live analytics and the stored sessions' inefficiencies,
   * plus `compareWith`'s regressions when given (a comparison whose B is this run).
   */
  async getSuggestions(options: { sessionIds?: string | readonly string[]; compareWith?: RunComparison } = {}): Promise<Suggestion[]> {
    const inefficiencies = await this.findInefficiencies(options.sessionIds);
    return suggestOptimizations({
      analytics: this.analytics.analyze(),
      inefficiencies,
      ...(options.compareWith ? { comparison: options.compareWith } : {}),
    });
  }

  /**
   * Every stored session as `{ schema: "perftrack.export/1", exportDate, sessions: [{ sessionId,
   * metrics, patterns, analytics }] }`, after flushing what is buffered and saving fresh reports.
   * With `saveReports: false` the reports are computed for the export without being stored.
   */
  async exportAllData(): Promise<ExportDocument> {
    await this.ready;
    if (!this.config.enabled) return this.storage.exportAll();
    await this.runAnalytics();
    const doc = await this.storage.exportAll();
    for (const s of doc.sessions) {
      if (!this.analytics.hasSession(s.sessionId)) continue;
      if (s.analytics === undefined) s.analytics = this.analytics.sessionReport(s.sessionId);
      if (s.patterns === undefined && this.patterns !== undefined) s.patterns = this.#patternsOf(s.sessionId);
    }
    return doc;
  }

  /**
   * Adds a sink to this integration's record pipeline: a {@link BatchSink} (`onBatch`, e.g. an
   * `OpenTelemetryExporter` or `PrometheusExporter`) gets each prepared batch; a plain
   * `MetricsSubscriber` gets one `onMetric` per record. Either runs off the call path, is flushed
   * and shut down with the integration, and never throws into a tool. Returns its removal function.
   *
   * @example
   * perf.addSink(new PrometheusExporter());
   */
  addSink(sink: BatchSink | MetricsSubscriber): () => void {
    if (typeof sink !== 'object' || sink === null)
      throw new TypeError('addSink: expected an object with onBatch(batch) or onMetric(metric)');
    return this.#pipeline.addSink(
      typeof (sink as BatchSink).onBatch === 'function' ? (sink as BatchSink) : subscriberSink(sink as MetricsSubscriber),
    );
  }

  /** The live view of one session (see {@link SessionPerformance.getTracker}). */
  getTracker(sessionId: string): SessionTracker {
    return this.sessions.getTracker(sessionId);
  }

  /**
   * One analytics pass, as the timer runs it every `analyticsInterval`: flush buffered records,
   * then (with `saveReports`) write the report and patterns of every session active since the
   * last pass. Passes never overlap; errors go to `onError`, never to the caller.
   */
  runAnalytics(): Promise<void> {
    return this.#analyticsPass.run();
  }

  /**
   * Stops the timer, flushes every part, saves the final reports and closes storage; the
   * collector stops tracking (tracked tools become pass-through). Safe to call twice.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      if (this.#timer !== undefined) clearInterval(this.#timer);
      this.#timer = undefined;
      this.#removeExitHooks?.();
      await this.ready;
      await this.#analyticsPass.final(); // at most FINAL_PASS_BUDGET_MS of report saving
      await this.collector.shutdown(); // flushes and closes storage, stops tracking
      for (const off of this.#unsubscribe.splice(0)) off();
    })();
    return this.#shutdown;
  }

  /** Counters of every part. */
  stats(): IntegrationStats {
    return {
      collector: this.collector.stats(),
      pipeline: this.#pipeline.stats(),
      storage: this.storage.stats(),
      analytics: this.analytics.stats(),
      history: { ...this.#history },
      droppedWhileLoading: this.#droppedWhileLoading,
      analyticsPasses: this.#analyticsPass.passes,
      reportsSaved: this.#analyticsPass.reportsSaved,
      reportsNotSaved: this.#analyticsPass.reportsNotSaved,
    };
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Hands what the pipeline holds to storage, then flushes storage: before any read of stored records. */
  #flushStorage(): Promise<void> {
    this.#pipeline.deliver();
    return this.storage.flush();
  }

  /** Feeds analytics and marks the batch's sessions active; while history loads, records wait (bounded) so history comes first. */
  readonly #feed: BatchSink = {
    onBatch: (batch): void => {
      for (const sessionId of batch.sessions) {
        if (this.#dirty.add(sessionId)) {
          this.#diagnostics.warnOnce(
            'active-sessions',
            `perftrack: more than ${MAX_ACTIVE_SESSIONS} sessions were active between two analytics passes; the oldest ones' reports are not saved by the next pass`,
          );
        }
      }
      const waiting = this.#waiting;
      if (waiting === undefined) {
        this.analytics.onBatch(batch);
        return;
      }
      for (let i = 0; i < batch.length; i++) {
        const m = batch.records[i]!;
        if (waiting.length < MAX_WAITING) {
          waiting.push(m);
          this.#waitingIds!.add(m.id);
        } else if (this.#droppedWhileLoading++ === 0) {
          this.#diagnostics.warnOnce(
            'waiting',
            `perftrack: more than ${MAX_WAITING} calls while history loaded; later ones are stored but not in live analytics`,
          );
        }
      }
    },
  };

  async #loadHistory(): Promise<void> {
    try {
      if (this.config.historySessions > 0) {
        // Straight from the adapter: replay does not flush, so it never waits on this run's writes.
        const h = this.#history;
        const waitingIds = this.#waitingIds!;
        const read = await openHistory({ storage: this.storage }).replayInto(
          this.analytics,
          { maxSessions: this.config.historySessions },
          {
            skip: (m) => waitingIds.has(m.id), // written by this run while we read
          },
        );
        h.records += read.records;
        h.sessions += read.sessions;
        h.corruptLines += read.corruptLines;
      }
    } catch (e) {
      this.#diagnostics.report(
        e,
        'history',
        (err) => `perftrack: stored history could not be loaded (${String(err)}); insights cover live calls only`,
      );
    } finally {
      const waiting = this.#waiting ?? [];
      this.#waiting = this.#waitingIds = undefined;
      for (const m of waiting) this.analytics.onMetric(m);
      this.#history.loaded = true;
    }
  }

  #patternsOf(sessionId: string, figures = this.analytics.analyze(sessionId)): SessionPatterns {
    const p = this.patterns!;
    return {
      schema: 'perftrack.patterns/1',
      sessionId,
      generatedAt: new Date().toISOString(),
      sequences: p.getMostCommonPatterns(20, { sessionId }),
      errorPatterns: figures.errorPatterns,
      predictions: p.hasSession(sessionId) ? p.predictNextForSession(sessionId, 5) : [],
    };
  }
}
