/** A node of one of the tracker's tries: entries keyed by next tool, children keyed by the call before. @internal */
export interface PrunableNode<Entry> {
  readonly next: Map<number, Entry>;
  children: Map<number, PrunableNode<Entry>> | undefined;
}

/**
 * Evicts the `remove` lightest entries of a trie (by `weightOf`), deepest nodes first at equal
 * weight, and drops nodes left empty. Returns how many entries went. O(P log P) for P entries;
 * callers run it when P passes a bound and remove a share of P, so it is O(log P) amortised.
 * `onRemove` sees each evicted entry (e.g. to keep a node total right).
 * @internal
 */
export function pruneLightest<Entry>(
  root: PrunableNode<Entry>,
  entries: number,
  remove: number,
  weightOf: (entry: Entry) => number,
  onRemove?: (node: PrunableNode<Entry>, entry: Entry) => void,
): number {
  if (remove <= 0) return 0;
  const weights = new Float64Array(entries);
  let collected = 0;
  const stack: PrunableNode<Entry>[] = [];
  if (root.children) for (const c of root.children.values()) stack.push(c);
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const entry of node.next.values()) if (collected < entries) weights[collected++] = weightOf(entry);
    if (node.children) for (const c of node.children.values()) stack.push(c);
  }
  if (collected === 0) return 0;
  const sorted = weights.subarray(0, collected).sort();
  const threshold = sorted[Math.min(remove, collected) - 1]!;

  let removed = 0;
  const visit = (node: PrunableNode<Entry>, isRoot: boolean): void => {
    if (node.children) {
      for (const [key, child] of node.children) {
        if (removed < remove) visit(child, false);
        if (child.next.size === 0 && (child.children === undefined || child.children.size === 0)) node.children.delete(key);
      }
    }
    if (isRoot || removed >= remove) return;
    for (const [tool, entry] of node.next) {
      if (removed >= remove) break;
      if (weightOf(entry) <= threshold) {
        node.next.delete(tool);
        onRemove?.(node, entry);
        removed++;
      }
    }
  };
  visit(root, true);
  return removed;
}
