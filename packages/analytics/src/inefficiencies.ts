import { isTimed, isUsableRecord, weightOf, type ToolExecutionMetrics } from '@perftrack/core';
import { checkInteger } from '@perftrack/core/internal';

/** Options of {@link findInefficiencies}. */
export interface InefficiencyOptions {
  /** Calls looked back for a repeat of the same input (same session). Default `10`. */
  repeatWindow?: number;
  /** Tools that read a target (regular expression on the tool id). Default `/read|cat|open|view|head|tail/i`. */
  readTools?: RegExp;
  /** Tools that change a target (a read after one is not redundant). Default `/edit|write|patch|create|replace|sed|apply/i`. */
  writeTools?: RegExp;
  /** Consecutive failures of a tool with the same error that make a retry loop. Default `2`. */
  minRetries?: number;
  /** Consecutive failed calls (any tools) that make a failing chain. Default `3`. */
  minChainLength?: number;
  /** Entries listed per kind. Default `10`. */
  limit?: number;
}

/** A pair of consecutive tools, ranked by how often it runs times how long it takes. */
export interface ToolPairHotspot {
  readonly pair: readonly [string, string];
  readonly count: number;
  /** Total ms spent in both calls of the pair; `null` when the records carry no durations. */
  readonly totalMs: number | null;
  /** `count × mean pair time` (= totalMs), or the count alone without durations. */
  readonly score: number;
}

/** Identical calls (same tool, same `inputHash`) repeated within a few calls. */
export interface RepeatedCall {
  readonly toolId: string;
  readonly inputHash: string;
  readonly repeats: number;
  readonly sessions: number;
  /** ms a cache would have saved (the repeats' durations); `null` without durations. */
  readonly savingMs: number | null;
  /** A record id of one repeat, to look it up. */
  readonly exampleRecordId: string;
}

/** The same target read again with no write to it in between. */
export interface RereadTarget {
  readonly toolId: string;
  /** The target: `metadata.target` when tools record one, else the input hash. */
  readonly target: string;
  readonly rereads: number;
  readonly savingMs: number | null;
  readonly exampleRecordId: string;
}

/** A tool failing again and again with the same error, back to back. */
export interface RetryLoop {
  readonly toolId: string;
  readonly errorType: string;
  /** Loops found (runs of at least `minRetries` consecutive failures). */
  readonly loops: number;
  /** Failed calls after the first of each loop: what stopping after one failure would avoid. */
  readonly wastedCalls: number;
  readonly longest: number;
  readonly wastedMs: number | null;
  /** Where the longest loop is (its second call: the first retry). */
  readonly exampleSessionId: string;
  readonly exampleRecordId: string;
}

/** Several calls in a row that all failed. */
export interface FailingChain {
  /** The tools of the chain, in order (runs of one tool collapsed as `tool×n`). */
  readonly chain: readonly string[];
  readonly occurrences: number;
  readonly failedCalls: number;
  readonly exampleSessionId: string;
  readonly exampleRecordId: string;
}

/** What {@link findInefficiencies} found, each with its evidence and an estimated saving. */
export interface InefficiencyReport {
  readonly schema: 'perftrack.inefficiencies/1';
  readonly records: number;
  readonly sessions: number;
  /** Whether records carried durations (savings in ms are `null` otherwise). */
  readonly hasDurations: boolean;
  /** Whether records carried input hashes (repeated calls need them). */
  readonly hasInputHashes: boolean;
  readonly hotPairs: readonly ToolPairHotspot[];
  readonly repeatedCalls: readonly RepeatedCall[];
  readonly rereads: readonly RereadTarget[];
  readonly retryLoops: readonly RetryLoop[];
  readonly failingChains: readonly FailingChain[];
  /** What could not be looked for, and why. */
  readonly notes: readonly string[];
}

const targetOf = (r: ToolExecutionMetrics): string | undefined => {
  const t = r.metadata?.target;
  return typeof t === 'string' ? t : typeof r.inputHash === 'string' ? r.inputHash : undefined;
};

/** Validated options of an {@link InefficiencyScanner}. */
interface ScanSettings {
  readonly repeatWindow: number;
  readonly readTools: RegExp;
  readonly writeTools: RegExp;
  readonly minRetries: number;
  readonly minChain: number;
  readonly limit: number;
}

function scanSettings(options: InefficiencyOptions, owner: string): ScanSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${owner}: options must be an object`);
  const settings: ScanSettings = {
    repeatWindow: options.repeatWindow ?? 10,
    readTools: options.readTools ?? /read|cat|open|view|head|tail/i,
    writeTools: options.writeTools ?? /edit|write|patch|create|replace|sed|apply/i,
    minRetries: options.minRetries ?? 2,
    minChain: options.minChainLength ?? 3,
    limit: options.limit ?? 10,
  };
  const { repeatWindow, minRetries, minChain, limit } = settings;
  for (const [name, v, min] of [
    ['repeatWindow', repeatWindow, 1],
    ['minRetries', minRetries, 2],
    ['minChainLength', minChain, 2],
    ['limit', limit, 1],
  ] as const) {
    checkInteger(owner, name, v, min);
  }
  return settings;
}

/**
 * {@link findInefficiencies} one session at a time, for a stream too large to hold: memory is
 * the session being scanned plus the findings (bounded by distinct tool pairs, inputs repeated,
 * targets re-read, error types and chains), never the whole history.
 *
 * Feed a session's records together, with {@link addSession} or record by record with
 * {@link add} (a record of another session closes the current one, so a session's records must
 * arrive together, as a history replay gives them); then call {@link report}.
 *
 * @example
 * const scanner = new InefficiencyScanner({ limit: 5 });
 * await history.replay((m) => scanner.add(m));
 * const report = scanner.report();
 */
export class InefficiencyScanner {
  readonly #o: ScanSettings;
  readonly #pairs = new Map<string, { pair: [string, string]; count: number; ms: number }>();
  readonly #repeats = new Map<
    string,
    { toolId: string; hash: string; repeats: number; sessions: number; lastSession: string; ms: number; example: string }
  >();
  readonly #rereads = new Map<string, { toolId: string; target: string; n: number; ms: number; example: string }>();
  readonly #loops = new Map<
    string,
    { toolId: string; errorType: string; loops: number; wasted: number; longest: number; ms: number; session: string; example: string }
  >();
  readonly #chains = new Map<string, { chain: string[]; n: number; failed: number; session: string; example: string }>();
  #records = 0;
  #sessions = 0;
  #timed = 0;
  #hashed = 0;
  #targeted = false;
  #current: ToolExecutionMetrics[] = [];
  #currentSession: string | undefined;

  /** @throws TypeError for an invalid option. */
  constructor(options: InefficiencyOptions = {}) {
    this.#o = scanSettings(options, 'InefficiencyScanner');
  }

  /** One record; records of one session must arrive together (see the class notes). */
  add(record: ToolExecutionMetrics): void {
    if (!isUsableRecord(record)) return;
    if (record.sessionId !== this.#currentSession) this.#closeCurrent();
    this.#currentSession = record.sessionId;
    this.#current.push(record);
  }

  /** Every record of one session, in any order (they are scanned in start-time order). */
  addSession(sessionId: string, records: readonly ToolExecutionMetrics[]): void {
    this.#closeCurrent();
    this.#scan(sessionId, records.filter(isUsableRecord));
  }

  #closeCurrent(): void {
    if (this.#currentSession === undefined) return;
    const list = this.#current;
    this.#current = [];
    this.#scan(this.#currentSession, list);
    this.#currentSession = undefined;
  }

  #scan(sessionId: string, list: ToolExecutionMetrics[]): void {
    if (list.length === 0) return;
    const { repeatWindow, readTools, writeTools, minRetries, minChain } = this.#o;
    const pairs = this.#pairs;
    const repeats = this.#repeats;
    const rereads = this.#rereads;
    const loops = this.#loops;
    const chains = this.#chains;
    this.#sessions++;
    for (const r of list) {
      this.#records++;
      if (isTimed(r) && r.duration > 0) this.#timed++;
      if (typeof r.inputHash === 'string') this.#hashed++;
      if (typeof r.metadata?.target === 'string' || typeof r.inputHash === 'string') this.#targeted = true;
    }
    const ms = (r: ToolExecutionMetrics): number => (isTimed(r) ? r.duration * weightOf(r) : 0);
    list.sort((a, b) => a.startTime - b.startTime);
    const lastRead = new Map<string, number>(); // target -> index of its latest read
    let run: ToolExecutionMetrics[] = []; // current streak of failures of one tool + error
    let chain: ToolExecutionMetrics[] = []; // current streak of failures, any tool
    const closeRun = () => {
      if (run.length >= minRetries) {
        const first = run[0]!;
        const key = `${first.toolId}\u0000${first.errorType ?? ''}`;
        const e = loops.get(key) ?? {
          toolId: first.toolId,
          errorType: first.errorType ?? 'Error',
          loops: 0,
          wasted: 0,
          longest: 0,
          ms: 0,
          session: sessionId,
          example: run[1]!.id,
        };
        e.loops++;
        e.wasted += run.length - 1;
        if (run.length > e.longest) {
          // the example is the longest loop: the one worth opening
          e.longest = run.length;
          e.session = sessionId;
          e.example = run[1]!.id;
        }
        for (const r of run.slice(1)) e.ms += ms(r);
        loops.set(key, e);
      }
      run = [];
    };
    const closeChain = () => {
      if (chain.length >= minChain) {
        const names: string[] = [];
        for (const r of chain) {
          const last = names[names.length - 1];
          const m = last === undefined ? null : /^(.*)×(\d+)$/.exec(last);
          if (last === r.toolId) names[names.length - 1] = `${r.toolId}×2`;
          else if (m && m[1] === r.toolId) names[names.length - 1] = `${r.toolId}×${Number(m[2]) + 1}`;
          else names.push(r.toolId);
        }
        const key = names.join('\u0000');
        const e = chains.get(key) ?? { chain: names, n: 0, failed: 0, session: sessionId, example: chain[0]!.id };
        e.n++;
        e.failed += chain.length;
        chains.set(key, e);
      }
      chain = [];
    };
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (i > 0) {
        const prev = list[i - 1]!;
        const key = `${prev.toolId}\u0000${r.toolId}`;
        const e = pairs.get(key) ?? { pair: [prev.toolId, r.toolId], count: 0, ms: 0 };
        e.count++;
        e.ms += ms(prev) + ms(r);
        pairs.set(key, e);
      }
      // identical inputs within the window
      if (typeof r.inputHash === 'string') {
        for (let j = Math.max(0, i - repeatWindow); j < i; j++) {
          const o = list[j]!;
          if (o.toolId === r.toolId && o.inputHash === r.inputHash && o.success === true) {
            const key = `${r.toolId}\u0000${r.inputHash}`;
            const e = repeats.get(key) ?? {
              toolId: r.toolId,
              hash: r.inputHash,
              repeats: 0,
              sessions: 0,
              lastSession: '',
              ms: 0,
              example: r.id,
            };
            e.repeats++;
            if (e.sessions === 0 || e.lastSession !== sessionId) {
              e.sessions++;
              e.lastSession = sessionId;
            }
            e.ms += ms(r);
            repeats.set(key, e);
            break;
          }
        }
      }
      // read, read again with no write to the target in between
      const target = targetOf(r);
      if (target !== undefined) {
        if (writeTools.test(r.toolId)) lastRead.delete(target);
        else if (readTools.test(r.toolId) && r.success === true) {
          if (lastRead.has(target)) {
            const key = `${r.toolId}\u0000${target}`;
            const e = rereads.get(key) ?? { toolId: r.toolId, target, n: 0, ms: 0, example: r.id };
            e.n++;
            e.ms += ms(r);
            rereads.set(key, e);
          }
          lastRead.set(target, i);
        }
      }
      // retry loops and failing chains
      if (r.success !== true) {
        const head = run[0];
        if (head && (head.toolId !== r.toolId || (head.errorType ?? '') !== (r.errorType ?? ''))) closeRun();
        run.push(r);
        chain.push(r);
      } else {
        closeRun();
        closeChain();
      }
    }
    closeRun();
    closeChain();
  }

  /** The findings so far (the session being fed is scanned first). */
  report(): InefficiencyReport {
    this.#closeCurrent();
    const limit = this.#o.limit;
    const hasDurations = this.#timed > 0;
    const notes: string[] = [];
    if (!hasDurations) notes.push('the records carry no durations: pairs are ranked by frequency alone and no saving in time is estimated');
    if (this.#hashed === 0)
      notes.push(
        'the records carry no input hashes (turn on hashInput: true in trackPerformance or wrapTools options): repeated identical calls cannot be told apart, none are reported',
      );
    if (!this.#targeted)
      notes.push('the records name no targets (metadata.target) and carry no input hashes: re-reads of the same target cannot be found');
    const top = <T>(xs: T[], by: (x: T) => number): T[] => xs.sort((a, b) => by(b) - by(a)).slice(0, limit);
    return {
      schema: 'perftrack.inefficiencies/1',
      records: this.#records,
      sessions: this.#sessions,
      hasDurations,
      hasInputHashes: this.#hashed > 0,
      hotPairs: top(
        [...this.#pairs.values()].map((p) => ({
          pair: p.pair as readonly [string, string],
          count: p.count,
          totalMs: hasDurations ? p.ms : null,
          score: hasDurations ? p.ms : p.count,
        })),
        (p) => p.score,
      ),
      repeatedCalls: top(
        [...this.#repeats.values()].map((e) => ({
          toolId: e.toolId,
          inputHash: e.hash,
          repeats: e.repeats,
          sessions: e.sessions,
          savingMs: hasDurations ? e.ms : null,
          exampleRecordId: e.example,
        })),
        (e) => e.savingMs ?? e.repeats,
      ),
      rereads: top(
        [...this.#rereads.values()].map((e) => ({
          toolId: e.toolId,
          target: e.target,
          rereads: e.n,
          savingMs: hasDurations ? e.ms : null,
          exampleRecordId: e.example,
        })),
        (e) => e.savingMs ?? e.rereads,
      ),
      retryLoops: top(
        [...this.#loops.values()].map((e) => ({
          toolId: e.toolId,
          errorType: e.errorType,
          loops: e.loops,
          wastedCalls: e.wasted,
          longest: e.longest,
          wastedMs: hasDurations ? e.ms : null,
          exampleSessionId: e.session,
          exampleRecordId: e.example,
        })),
        (e) => e.wastedCalls,
      ),
      failingChains: top(
        [...this.#chains.values()].map((e) => ({
          chain: e.chain,
          occurrences: e.n,
          failedCalls: e.failed,
          exampleSessionId: e.session,
          exampleRecordId: e.example,
        })),
        (e) => e.failedCalls,
      ),
      notes,
    };
  }
}

/**
 * Looks for wasted work in a set of records, session by session in call order: tool pairs that
 * cost most (frequency × time), identical calls repeated within `repeatWindow` calls (by input
 * hash, never raw input), a target read again with no write in between, retry loops (a tool
 * failing again with the same error right after failing), and chains of consecutive failures.
 * Every finding carries counts, an example record id to check it by, and the time it would save
 * when the records carry durations. For a stream too large to hold, see {@link InefficiencyScanner}.
 */
export function findInefficiencies(records: Iterable<ToolExecutionMetrics>, options: InefficiencyOptions = {}): InefficiencyReport {
  scanSettings(options, 'findInefficiencies');
  const scanner = new InefficiencyScanner(options);
  // group by session, keeping arrival order (each session is then scanned in start-time order)
  const bySession = new Map<string, ToolExecutionMetrics[]>();
  for (const r of records) {
    if (!isUsableRecord(r)) continue;
    let list = bySession.get(r.sessionId);
    if (!list) bySession.set(r.sessionId, (list = []));
    list.push(r);
  }
  for (const [sessionId, list] of bySession) scanner.addSession(sessionId, list);
  return scanner.report();
}
