import type { SpanContext } from '@opentelemetry/api';

/**
 * Remembers exported spans by call id, so a record naming a `parentCallId` can become that span's
 * child, and a parent that ends after its children (a subagent's calls inside its `task` call)
 * links to them. Both maps are bounded: the oldest entries go first.
 */
export class SpanLinks {
  readonly #maxEntries: number;
  readonly #maxChildren: number;
  readonly #spans = new Map<string, SpanContext>();
  readonly #orphans = new Map<string, SpanContext[]>();

  constructor(maxEntries = 4096, maxChildren = 128) {
    this.#maxEntries = maxEntries;
    this.#maxChildren = maxChildren;
  }

  /** The span exported for `callId`, if it is still remembered. */
  spanOf(callId: string): SpanContext | undefined {
    return this.#spans.get(callId);
  }

  /** Takes the spans of children that ended before their parent `callId` was exported. */
  takeChildren(callId: string): SpanContext[] | undefined {
    const children = this.#orphans.get(callId);
    if (children !== undefined) this.#orphans.delete(callId);
    return children;
  }

  remember(callId: string, span: SpanContext): void {
    this.#spans.delete(callId);
    this.#spans.set(callId, span);
    if (this.#spans.size > this.#maxEntries) this.#spans.delete(this.#spans.keys().next().value as string);
  }

  /** A child exported before its parent: the parent's span will link to it. */
  addOrphan(parentCallId: string, child: SpanContext): void {
    let children = this.#orphans.get(parentCallId);
    if (children === undefined) {
      children = [];
      this.#orphans.set(parentCallId, children);
      if (this.#orphans.size > this.#maxEntries) this.#orphans.delete(this.#orphans.keys().next().value as string);
    }
    if (children.length < this.#maxChildren) children.push(child);
  }

  /** Entries held, for tests of the bound. */
  get size(): { spans: number; orphans: number } {
    return { spans: this.#spans.size, orphans: this.#orphans.size };
  }
}
