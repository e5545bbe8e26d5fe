const hasOwn = Object.prototype.hasOwnProperty;
const SMALL = 32;

/** Options of a {@link SizeEstimator}. */
export interface SizeEstimatorOptions {
  /** Values (objects, array items, properties) visited at most per estimate. Default 5,000. */
  maxNodes?: number;
}

/**
 * Approximates the JSON byte size of a value without serialising it.
 *
 * Strings count their UTF-16 length, numbers 8 bytes, binary data its byte length; each object
 * is visited once (so cycles end, and shared sub-objects count once). Work is capped at
 * `maxNodes` values: past that the size is a lower bound and {@link capped} is true. A getter
 * or proxy trap that throws ends the estimate (also reported as capped): it never reaches the
 * caller. One instance reuses its buffers; it is not re-entrant.
 */
export class SizeEstimator {
  readonly #maxNodes: number;
  readonly #stack: unknown[] = [];
  readonly #seen = new Set<object>();
  /** The first objects visited: a linear scan beats hashing for the usual few dozen. */
  readonly #visited: object[] = [];
  /** Whether the last {@link estimate} stopped early. */
  capped = false;

  constructor(options: SizeEstimatorOptions = {}) {
    const maxNodes = options.maxNodes ?? 5000;
    if (!Number.isInteger(maxNodes) || maxNodes < 1) {
      throw new TypeError(`SizeEstimator: maxNodes must be a positive integer, got ${String(maxNodes)}`);
    }
    this.#maxNodes = maxNodes;
  }

  /** Approximate size in bytes of `value`; see the class notes for what is counted. */
  estimate(value: unknown): number {
    const p = primitiveSize(value);
    if (p >= 0) {
      this.capped = false;
      return p;
    }
    const stack = this.#stack;
    const seen = this.#seen;
    const visited = this.#visited;
    let nVisited = 0;
    let budget = this.#maxNodes;
    let size = 0;
    let sp = 0;
    let capped = false;
    stack[sp++] = value;
    try {
      while (sp > 0) {
        const v = stack[--sp] as object;
        stack[sp] = undefined;
        if (nVisited < SMALL) {
          if (visited.lastIndexOf(v, nVisited - 1) >= 0) continue;
          visited[nVisited++] = v;
        } else {
          if (nVisited === SMALL) {
            for (let i = 0; i < SMALL; i++) seen.add(visited[i] as object);
            nVisited++;
          }
          if (seen.has(v)) continue;
          seen.add(v);
        }
        if (--budget < 0) {
          capped = true;
          break;
        }
        if (Array.isArray(v)) {
          let take = v.length;
          if (take > budget) {
            take = budget;
            capped = true;
          }
          size += take + 1;
          budget -= take;
          for (let i = 0; i < take; i++) {
            const item: unknown = v[i];
            const s = primitiveSize(item);
            if (s >= 0) size += s;
            else stack[sp++] = item;
          }
          if (capped) break;
        } else if (ArrayBuffer.isView(v)) {
          size += v.byteLength;
        } else if (v instanceof ArrayBuffer) {
          size += v.byteLength;
        } else if (v instanceof Date) {
          size += 26;
        } else if (v instanceof Map || v instanceof Set) {
          size += 2;
          for (const entry of v as Iterable<unknown>) {
            if (--budget < 0) {
              capped = true;
              break;
            }
            const s = primitiveSize(entry);
            if (s >= 0) size += s + 1;
            else stack[sp++] = entry;
          }
          if (capped) break;
        } else {
          size += 2;
          const proto: unknown = Object.getPrototypeOf(v);
          const plain = proto === Object.prototype || proto === null;
          for (const key in v) {
            if (!plain && !hasOwn.call(v, key)) continue;
            if (--budget < 0) {
              capped = true;
              break;
            }
            const item: unknown = (v as Record<string, unknown>)[key];
            const s = primitiveSize(item);
            if (s >= 0) size += key.length + 4 + s;
            else {
              size += key.length + 4;
              stack[sp++] = item;
            }
          }
          if (capped) break;
        }
      }
    } catch {
      capped = true;
    }
    for (let i = 0; i < sp; i++) stack[i] = undefined;
    for (let i = 0, n = Math.min(nVisited, SMALL); i < n; i++) visited[i] = undefined as unknown as object;
    if (nVisited > SMALL) seen.clear();
    this.capped = capped;
    return size;
  }
}

/** Size of a primitive, 0 for values JSON drops, -1 for an object that needs a walk. */
function primitiveSize(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return v.length + 2;
    case 'number':
    case 'bigint':
      return 8;
    case 'boolean':
      return v ? 4 : 5;
    case 'object':
      return v === null ? 4 : -1;
    default:
      return 0;
  }
}
