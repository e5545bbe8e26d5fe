import type { Diagnostics } from '@perftrack/core/internal';
import type { AnalyticsData, AnalyticsEngine, UsagePatternTracker } from '@perftrack/analytics';
import type { PerformanceStorage } from '@perftrack/storage';

/** The set of sessions with calls since the last pass, as the pass uses it. */
export interface ActiveSessionSet extends Iterable<string> {
  readonly size: number;
  add(sessionId: string): unknown;
  clear(): void;
}

/** What the pass reads and writes; the integration owns all of it. */
export interface AnalyticsPassParts {
  readonly enabled: boolean;
  readonly saveReports: boolean;
  /** Resolves once stored history is replayed (a pass waits for it). */
  whenReady(): Promise<void>;
  readonly storage: PerformanceStorage;
  readonly analytics: AnalyticsEngine;
  readonly patterns: UsagePatternTracker | undefined;
  /** Sessions with calls since the last pass (the integration's bounded set): a pass takes them and clears it. */
  readonly dirty: ActiveSessionSet;
  readonly diagnostics: Diagnostics<'analytics' | 'report'>;
  /** The patterns snapshot of one session; `analytics` is the session's figures the report just computed (reuse them). */
  patternsOf(sessionId: string, analytics: AnalyticsData): unknown;
}

/** Tuning of an {@link AnalyticsPass}; the defaults are what the integration uses. */
export interface AnalyticsPassOptions {
  /** Synchronous work between two yields to the event loop, in ms. Default 10. */
  readonly sliceMs?: number;
  /** The clock deadlines are measured on (ms). Default `performance.now`. */
  readonly now?: () => number;
}

/** Time the last pass before the process ends may spend saving reports (ms). */
export const FINAL_PASS_BUDGET_MS = 1000;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The analytics pass: flush what is buffered, then save the report and patterns snapshot of
 * every session active since the last pass.
 *
 * - Cost: every snapshot of a pass goes into one storage {@link PerformanceStorage.snapshotBatch}
 *   (with files: a temporary file renamed over the old one, no fsync per file), made durable by
 *   one `commit()` at the end of the pass (one fsync per snapshot directory).
 * - Latency: the work runs in slices of {@link AnalyticsPassOptions.sliceMs} with a turn of the
 *   event loop between them, so the loop is never held for long however many sessions are active.
 * - Shutdown: {@link final} gives the pass a time budget; sessions whose reports it could not save
 *   in time are counted in {@link reportsNotSaved} and warned about once (their records are in the
 *   metrics logs; only the derived snapshots are stale).
 *
 * Passes never overlap: a pass asked for while one runs shares it. Errors go to the
 * diagnostics' error handler, never to the caller.
 */
export class AnalyticsPass {
  /** Passes run. */
  passes = 0;
  /** Session reports saved. */
  reportsSaved = 0;
  /** Session reports not saved because the final pass ran out of time. */
  reportsNotSaved = 0;

  readonly #parts: AnalyticsPassParts;
  readonly #sliceMs: number;
  readonly #now: () => number;
  #running: Promise<void> | undefined;
  /** When the reports being saved now must stop (on {@link #now}'s clock); Infinity: no limit. */
  #deadline = Infinity;
  /** Time left for saving reports (ms), set by {@link final}; Infinity for ordinary passes. */
  #budgetLeft = Infinity;
  /** Whether reports are being saved now, and since when the budget is spent. */
  #saving = false;
  #savingSince = 0;

  constructor(parts: AnalyticsPassParts, options: AnalyticsPassOptions = {}) {
    this.#parts = parts;
    this.#sliceMs = options.sliceMs ?? 10;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Runs a pass (or joins the one under way) and resolves when it is done. */
  run(): Promise<void> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /**
   * The last pass before the process ends: a pass under way is held to `budgetMs`, then one
   * more pass (it may predate the latest calls) with what is left of the budget. Reports still
   * unsaved are counted in {@link reportsNotSaved} and warned about once.
   */
  async final(budgetMs = FINAL_PASS_BUDGET_MS): Promise<void> {
    this.#budgetLeft = budgetMs;
    if (this.#running !== undefined) {
      if (this.#saving) {
        this.#savingSince = this.#now();
        this.#deadline = Math.min(this.#deadline, this.#savingSince + budgetMs);
      }
      await this.#running;
    }
    await this.run();
    this.#budgetLeft = Infinity;
    const left = this.#parts.dirty.size;
    if (left === 0 || !this.#parts.saveReports) return;
    this.#parts.dirty.clear();
    this.reportsNotSaved += left;
    this.#parts.diagnostics.warnOnce(
      'reports-not-saved',
      `perftrack: ${left} session reports were not saved: the last analytics pass stops saving after ${budgetMs} ms so the process is not held up (their records are stored; counted in stats().reportsNotSaved)`,
    );
  }

  async #pass(): Promise<void> {
    const p = this.#parts;
    if (!p.enabled) return;
    try {
      await p.whenReady();
      await p.storage.flush();
      await p.patterns?.flush();
      this.passes++;
      if (!p.saveReports) return;
      await this.#saveReports([...p.dirty]);
    } catch (e) {
      p.diagnostics.report(e, 'analytics', (err) => `perftrack: an analytics pass failed (${String(err)})`);
    }
  }

  async #saveReports(sessions: string[]): Promise<void> {
    const p = this.#parts;
    p.dirty.clear();
    const batch = p.storage.snapshotBatch();
    // the budget counts from here: flushing records before is storage's own (shutdown) work
    this.#saving = true;
    this.#savingSince = this.#now();
    this.#deadline = this.#savingSince + this.#budgetLeft;
    let sliceEnd = this.#savingSince + this.#sliceMs;
    let i = 0;
    try {
      for (; i < sessions.length; i++) {
        const now = this.#now();
        if (now >= this.#deadline) break;
        if (now >= sliceEnd) {
          await yieldToLoop();
          sliceEnd = this.#now() + this.#sliceMs;
        }
        const id = sessions[i] as string;
        if (!p.analytics.hasSession(id)) continue;
        try {
          const report = p.analytics.sessionReport(id);
          const analytics = batch.write('analytics', id, report);
          if (analytics !== undefined) await analytics;
          if (p.patterns !== undefined) {
            const patterns = batch.write('patterns', id, p.patternsOf(id, report.analytics));
            if (patterns !== undefined) await patterns;
          }
          this.reportsSaved++;
        } catch (e) {
          p.diagnostics.report(e, 'report', (err) => `perftrack: a session report could not be saved (${String(err)})`);
        }
      }
    } finally {
      this.#saving = false;
      this.#budgetLeft = Math.max(0, this.#budgetLeft - (this.#now() - this.#savingSince));
      this.#deadline = Infinity;
      // out of time: the rest stays due (the final pass counts what is left)
      for (; i < sessions.length; i++) p.dirty.add(sessions[i] as string);
      await batch
        .commit()
        .catch((e: unknown) =>
          p.diagnostics.report(e, 'report', (err) => `perftrack: saved session reports could not be made durable (${String(err)})`),
        );
    }
  }
}
