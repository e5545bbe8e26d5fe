import { ErrorTally } from './evidence';
import type { CallHistory, SequenceWalk } from './call-history';
import { ContextTable, type ContextChain, type EntryColumns } from './context-table';
import { grownFloat64 } from './grown-array';

/** Figures of one sequence: a context of earlier calls followed by one tool. @internal */
export interface SequenceStats {
  /** Estimated occurrences: each counts the product of its calls' sample weights. */
  readonly weightedCount: number;
  /** Occurrences observed. */
  readonly occurrences: number;
  /** Distinct sessions it occurred in. */
  readonly sessions: number;
  /** Σ weight × summed duration, over occurrences whose calls were all timed. */
  readonly weightedDurationSum: number;
  readonly timedWeight: number;
  /** Weight of occurrences in which every call succeeded. */
  readonly allSucceededWeight: number;
  /** Weight and count of occurrences whose last call failed. */
  readonly lastFailedWeight: number;
  readonly lastFailures: number;
  readonly errors: ErrorTally | undefined;
}

/** The call that ends the sequences being counted (one scratch object per tracker, refilled per call). @internal */
export class EndingCall {
  tool = 0;
  succeeded = true;
  timed = false;
  duration = 0;
  weight = 1;
  errorType: string | undefined = undefined;
  /** Normalised error message (`""` when none). */
  errorText = '';

  set(
    tool: number,
    succeeded: boolean,
    timed: boolean,
    duration: number,
    weight: number,
    errorType: string | undefined,
    errorText: string,
  ): this {
    this.tool = tool;
    this.succeeded = succeeded;
    this.timed = timed;
    this.duration = duration;
    this.weight = weight;
    this.errorType = errorType;
    this.errorText = errorText;
    return this;
  }
}

// The sequence figures of an entry, side by side in one array (`STRIDE` numbers an entry), so
// counting a call touches one or two cache lines per sequence instead of one per figure.
const OCCURRENCES = 0;
const SESSIONS = 1;
const LAST_SESSION = 2;
const DURATION_SUM = 3;
const TIMED_WEIGHT = 4;
const SUCCEEDED_WEIGHT = 5;
const FAILED_WEIGHT = 6;
const FAILURES = 7;
const STRIDE = 8;

/** The sequence figures beside the table's weighted counts. */
class SequenceColumns implements EntryColumns {
  figures = new Float64Array(0);
  /** Error tallies of entries whose last call failed (sparse). */
  readonly errors: Array<ErrorTally | undefined> = [];

  grow(capacity: number): void {
    this.figures = grownFloat64(this.figures, capacity * STRIDE);
  }

  reset(entry: number): void {
    const f = this.figures;
    const at = entry * STRIDE;
    f[at + OCCURRENCES] = 0;
    f[at + SESSIONS] = 0;
    f[at + LAST_SESSION] = -1;
    f[at + DURATION_SUM] = 0;
    f[at + TIMED_WEIGHT] = 0;
    f[at + SUCCEEDED_WEIGHT] = 0;
    f[at + FAILED_WEIGHT] = 0;
    f[at + FAILURES] = 0;
    if (this.errors[entry] !== undefined) this.errors[entry] = undefined;
  }

  release(entry: number): void {
    if (this.errors[entry] !== undefined) this.errors[entry] = undefined;
  }

  occurrencesOf(entry: number): number {
    return this.figures[entry * STRIDE + OCCURRENCES]!;
  }
  failuresOf(entry: number): number {
    return this.figures[entry * STRIDE + FAILURES]!;
  }
}

/** One entry's figures, read through the columns (a view refilled per visit). */
class SequenceStatsView implements SequenceStats {
  entry = 0;
  constructor(
    readonly table: ContextTable,
    readonly columns: SequenceColumns,
  ) {}
  get weightedCount(): number {
    return this.table.countOf(this.entry);
  }
  get occurrences(): number {
    return this.columns.figures[this.entry * STRIDE + OCCURRENCES]!;
  }
  get sessions(): number {
    return this.columns.figures[this.entry * STRIDE + SESSIONS]!;
  }
  get weightedDurationSum(): number {
    return this.columns.figures[this.entry * STRIDE + DURATION_SUM]!;
  }
  get timedWeight(): number {
    return this.columns.figures[this.entry * STRIDE + TIMED_WEIGHT]!;
  }
  get allSucceededWeight(): number {
    return this.columns.figures[this.entry * STRIDE + SUCCEEDED_WEIGHT]!;
  }
  get lastFailedWeight(): number {
    return this.columns.figures[this.entry * STRIDE + FAILED_WEIGHT]!;
  }
  get lastFailures(): number {
    return this.columns.figures[this.entry * STRIDE + FAILURES]!;
  }
  get errors(): ErrorTally | undefined {
    return this.columns.errors[this.entry];
  }
}

/**
 * Counts every contiguous sequence of 2..N calls that ends with a new call, in a
 * {@link ContextTable} keyed by tool index (context stored newest call first, so the sequences
 * ending here are the call's entries after each of its contexts). The table's weighted counts
 * and totals are also the outcome-free prediction model's (a `ContextTrie` reads the same table). Bounded by
 * `maxEntries`; past it the lightest entries are evicted until half of the bound is left.
 * @internal
 */
export class SequenceTrie {
  readonly table: ContextTable;
  readonly #columns = new SequenceColumns();
  readonly #view: SequenceStatsView;

  constructor(
    readonly maxEntries: number,
    maxDepth = 7,
  ) {
    this.table = new ContextTable(maxEntries, false, maxDepth, this.#columns);
    this.#view = new SequenceStatsView(this.table, this.#columns);
  }

  get size(): number {
    return this.table.size;
  }
  get evicted(): number {
    return this.table.evicted;
  }

  /**
   * Counts the sequences of `walk` (the call and 1..depth calls before it, read from `history`);
   * leaves the entries counted in `chain` for the session's next call. `firstInSession`, when
   * given, is the mask of the lengths new to the session's own table (bit `k − 1` for a context
   * of `k` calls): a sequence's session count then goes up exactly on its first occurrence in a
   * session, however sessions interleave; without it, when the previous occurrence was in another
   * session.
   */
  countEndingWith(
    chain: ContextChain,
    history: CallHistory,
    walk: SequenceWalk,
    call: EndingCall,
    sessionSerial: number,
    firstInSession?: number,
  ): void {
    const table = this.table;
    const depth = walk.depth;
    table.resolveContexts(chain, history, depth);
    const path = table.path;
    const c = this.#columns;
    for (let k = 0; k < depth; k++) {
      const node = path[k]!;
      const entry = table.entryOrCreate(node, call.tool);
      chain.entries[k] = entry;
      const weight = walk.weights[k]!;
      table.add(node, entry, weight);
      // entryOrCreate may have grown the figures
      const figures = c.figures;
      const at = entry * STRIDE;
      figures[at + OCCURRENCES]!++;
      if (firstInSession !== undefined ? (firstInSession & (1 << k)) !== 0 : figures[at + LAST_SESSION] !== sessionSerial)
        figures[at + SESSIONS]!++;
      figures[at + LAST_SESSION] = sessionSerial;
      if (walk.allTimed[k] === 1) {
        figures[at + DURATION_SUM]! += weight * walk.durations[k]!;
        figures[at + TIMED_WEIGHT]! += weight;
      }
      if (walk.allSucceeded[k] === 1) figures[at + SUCCEEDED_WEIGHT]! += weight;
      if (!call.succeeded) {
        figures[at + FAILED_WEIGHT]! += weight;
        figures[at + FAILURES]!++;
        (c.errors[entry] ??= new ErrorTally(5)).add(call.errorType, call.errorText, 1);
      }
    }
    chain.epoch = table.epoch;
    table.pruneIfFull();
  }

  /**
   * Visits every sequence of length in [minLength, maxLength]: its node (context), its last tool,
   * its figures (a view valid during the visit only).
   */
  forEach(minLength: number, maxLength: number, visit: (node: number, last: number, stats: SequenceStats, length: number) => void): void {
    const table = this.table;
    const view = this.#view;
    const walk = (node: number, length: number): void => {
      if (length >= minLength && length <= maxLength)
        for (let e = table.firstEntryOf(node); e !== -1; e = table.nextEntryOf(e)) {
          view.entry = e;
          visit(node, table.toolOf(e), view, length);
        }
      if (length < maxLength) for (let c = table.firstChildOf(node); c !== -1; c = table.nextSiblingOf(c)) walk(c, length + 1);
    };
    for (let c = table.firstChildOf(table.root); c !== -1; c = table.nextSiblingOf(c)) walk(c, 2);
  }

  /** Tool indices of the sequence at `node` followed by `last`, oldest first. */
  sequenceOf(node: number, last: number): number[] {
    const table = this.table;
    const tools: number[] = [];
    for (let n = node; n !== table.root; n = table.parentOf(n)) tools.push(table.tokenAt(n));
    tools.push(last);
    return tools;
  }

  /**
   * Whether a sequence one call longer that contains this one (a call before it, or after it)
   * has the same observed occurrences and, when `sameFailures`, the same failures of its last
   * call: then this one says nothing the longer one does not. Without `afterToo`, calls after
   * are not considered (an error-prone sequence's last call is the one that fails).
   */
  hasEquivalentExtension(node: number, last: number, stats: SequenceStats, afterToo: boolean): boolean {
    const table = this.table;
    const c = this.#columns;
    const occurrences = stats.occurrences;
    const lastFailures = stats.lastFailures;
    for (let child = table.firstChildOf(node); child !== -1; child = table.nextSiblingOf(child)) {
      const other = table.entry(child, last);
      if (other !== -1 && c.occurrencesOf(other) === occurrences && c.failuresOf(other) === lastFailures) return true;
    }
    if (!afterToo) return false;
    // one call after: its context, newest first, is this sequence reversed
    const sequence = this.sequenceOf(node, last);
    let extended = table.root;
    for (let i = sequence.length - 1; extended !== -1 && i >= 0; i--) extended = table.child(extended, sequence[i]!);
    if (extended === -1) return false;
    for (let e = table.firstEntryOf(extended); e !== -1; e = table.nextEntryOf(e)) if (c.occurrencesOf(e) === occurrences) return true;
    return false;
  }

  clear(): void {
    this.table.clear();
    this.#columns.errors.length = 0;
  }
}
