import { ErrorTally } from './evidence';
import type { SequenceWalk } from './call-history';
import { pruneLightest, type PrunableNode } from './tree-pruning';

/** Figures of one sequence: a context of earlier calls followed by one tool. @internal */
export class SequenceStats {
  /** Estimated occurrences: each counts the product of its calls' sample weights. */
  weightedCount = 0;
  /** Occurrences observed. */
  occurrences = 0;
  /** Distinct sessions it occurred in. */
  sessions = 0;
  lastSessionSerial = -1;
  /** Σ weight × summed duration, over occurrences whose calls were all timed. */
  weightedDurationSum = 0;
  timedWeight = 0;
  /** Weight of occurrences in which every call succeeded. */
  allSucceededWeight = 0;
  /** Weight and count of occurrences whose last call failed. */
  lastFailedWeight = 0;
  lastFailures = 0;
  errors: ErrorTally | undefined;
}

/** A node of the sequence trie: the path from the root is the context, newest call first. @internal */
export class SequenceNode implements PrunableNode<SequenceStats> {
  readonly next = new Map<number, SequenceStats>();
  children: Map<number, SequenceNode> | undefined;
  constructor(
    /** The call this node adds to its parent's context (`-1` at the root). */
    readonly tool: number,
    readonly parent: SequenceNode | undefined,
  ) {}
}

/** The call that ends the sequences being counted. @internal */
export interface EndingCall {
  readonly tool: number;
  readonly succeeded: boolean;
  readonly timed: boolean;
  readonly duration: number;
  readonly weight: number;
  readonly errorType: string | undefined;
  /** Normalised error message (`""` when none). */
  readonly errorText: string;
}

/**
 * Counts every contiguous sequence of 2..N calls that ends with a new call, in a trie keyed by
 * tool index (context stored newest call first, so one walk back through the history reaches
 * every sequence ending here). Bounded by `maxEntries`; past it the lightest entries are evicted
 * until half of the bound is left.
 * @internal
 */
export class SequenceTrie {
  root = new SequenceNode(-1, undefined);
  size = 0;
  evicted = 0;

  constructor(readonly maxEntries: number) {}

  /**
   * Counts the sequences of `walk` (the call and 1..depth calls before it). Returns a
   * bit mask of the lengths whose entry is new here (bit `k − 1` for a context of `k` calls).
   * `firstInSession`, when given, is that mask from the session's own table: a sequence's
   * session count then goes up exactly on its first occurrence in a session, however sessions
   * interleave; without it, when the previous occurrence was in another session.
   */
  countEndingWith(walk: SequenceWalk, call: EndingCall, sessionSerial: number, firstInSession?: number): number {
    let created = 0;
    let node = this.root;
    for (let k = 0; k < walk.depth; k++) {
      const tool = walk.tools[k]!;
      let children = node.children;
      if (children === undefined) children = node.children = new Map();
      let child = children.get(tool);
      if (child === undefined) {
        child = new SequenceNode(tool, node);
        children.set(tool, child);
      }
      node = child;
      const weight = walk.weights[k]!;
      let stats = node.next.get(call.tool);
      if (stats === undefined) {
        stats = new SequenceStats();
        node.next.set(call.tool, stats);
        this.size++;
        created |= 1 << k;
      }
      stats.weightedCount += weight;
      stats.occurrences++;
      if (firstInSession !== undefined ? (firstInSession & (1 << k)) !== 0 : stats.lastSessionSerial !== sessionSerial) stats.sessions++;
      stats.lastSessionSerial = sessionSerial;
      if (walk.allTimed[k] === 1) {
        stats.weightedDurationSum += weight * walk.durations[k]!;
        stats.timedWeight += weight;
      }
      if (walk.allSucceeded[k] === 1) stats.allSucceededWeight += weight;
      if (!call.succeeded) {
        stats.lastFailedWeight += weight;
        stats.lastFailures++;
        (stats.errors ??= new ErrorTally(5)).add(call.errorType, call.errorText, 1);
      }
    }
    if (this.size > this.maxEntries) this.#prune();
    return created;
  }

  /** Visits every sequence of length in [minLength, maxLength]: its node (context), its last tool, its figures. */
  forEach(
    minLength: number,
    maxLength: number,
    visit: (node: SequenceNode, last: number, stats: SequenceStats, length: number) => void,
  ): void {
    const walk = (node: SequenceNode, contextLength: number): void => {
      const length = contextLength + 1;
      if (length >= minLength && length <= maxLength) for (const [last, stats] of node.next) visit(node, last, stats, length);
      if (node.children && length < maxLength) for (const child of node.children.values()) walk(child, contextLength + 1);
    };
    for (const child of this.root.children?.values() ?? []) walk(child, 1);
  }

  /** Tool indices of the sequence at `node` followed by `last`, oldest first. */
  sequenceOf(node: SequenceNode, last: number): number[] {
    const tools: number[] = [];
    for (let n: SequenceNode | undefined = node; n !== undefined && n.tool >= 0; n = n.parent) tools.push(n.tool);
    tools.push(last);
    return tools;
  }

  /**
   * Whether a sequence one call longer that contains this one (a call before it, or after it)
   * has the same observed occurrences and, when `sameFailures`, the same failures of its last
   * call: then this one says nothing the longer one does not. Without `afterToo`, calls after
   * are not considered (an error-prone sequence's last call is the one that fails).
   */
  hasEquivalentExtension(node: SequenceNode, last: number, stats: SequenceStats, afterToo: boolean): boolean {
    const same = (other: SequenceStats | undefined): boolean =>
      other !== undefined && other.occurrences === stats.occurrences && other.lastFailures === stats.lastFailures;
    if (node.children) for (const child of node.children.values()) if (same(child.next.get(last))) return true;
    if (!afterToo) return false;
    // one call after: its context, newest first, is this sequence reversed
    const sequence = this.sequenceOf(node, last);
    let extended: SequenceNode | undefined = this.root;
    for (let i = sequence.length - 1; extended !== undefined && i >= 0; i--) extended = extended.children?.get(sequence[i]!);
    if (extended === undefined) return false;
    for (const other of extended.next.values()) if (other.occurrences === stats.occurrences) return true;
    return false;
  }

  clear(): void {
    this.root = new SequenceNode(-1, undefined);
    this.size = 0;
    this.evicted = 0;
  }

  #prune(): void {
    const remove = this.size - (this.maxEntries >> 1);
    const removed = pruneLightest<SequenceStats>(this.root, this.size, remove, (s) => s.weightedCount);
    this.size -= removed;
    this.evicted += removed;
  }
}
