import { Diagnostics } from './diagnostics';
import { errorMessage } from './error-info';

/** What {@link BatchQueue} does with an item pushed while it is full. */
export type BatchQueueOverflow = 'handle-inline' | 'drop';

/** Options of {@link BatchQueue}. */
export interface BatchQueueOptions<T, A> {
  /** Handles one item, later and off the pusher's path. An item that throws is counted and reported; the next one still runs. */
  readonly handle: (item: T, aux: A | undefined) => void;
  /** Items held at most. Default 16,384. */
  readonly capacity?: number;
  /** Items handled per scheduled turn; the rest wait for the next turn. Default 1,024. */
  readonly batchSize?: number;
  /**
   * What a push into a full queue does. `'handle-inline'` (default) handles one batch right
   * there, on the pusher's path, so nothing is lost when the app never yields to the event loop
   * (except an item a handler pushes into a full queue while a batch is being handled: that one
   * is dropped and counted, as handling cannot nest); `'drop'` discards the new item and counts
   * it, so the pusher never pays for handling.
   */
  readonly overflow?: BatchQueueOverflow;
  /** Runs a drain later. Default `setImmediate`: the next turn of the event loop. */
  readonly schedule?: (run: () => void) => void;
  /** Receives an error thrown by `handle`. Default: the first one is warned about. */
  readonly onError?: (error: unknown) => void;
  /** One-time warnings (the first drop). Default `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
  /** Names the owner in warnings and option errors. Default `BatchQueue`. */
  readonly name?: string;
}

/** Counters of a {@link BatchQueue}. */
export interface BatchQueueStats {
  /** Items waiting now. */
  readonly queued: number;
  /** Items handled (including those whose handler threw). */
  readonly handled: number;
  /** Items discarded by the `'drop'` overflow policy. */
  readonly dropped: number;
  /** Handler errors. */
  readonly errors: number;
  /** Batches handled on the pusher's path because the queue was full (`'handle-inline'`). */
  readonly inlineBatches: number;
}

/**
 * A bounded queue that moves work off a caller's path: `push` only stores the item (and an
 * optional companion value, e.g. the caller's context) in preallocated slots, and the items are
 * handled in batches on a later turn of the event loop, or at once by {@link drain}. Exporters
 * use it so that a tool call pays for an enqueue, not for building a span or a histogram sample.
 *
 * @example
 * ```ts
 * const queue = new BatchQueue<ToolExecutionMetrics>({ handle: (m) => send(m) });
 * collector.subscribe({ onMetric: (m) => queue.push(m), flush: async () => { queue.drain(); } });
 * ```
 */
export class BatchQueue<T, A = undefined> {
  readonly capacity: number;
  readonly batchSize: number;
  readonly #handle: (item: T, aux: A | undefined) => void;
  readonly #items: (T | undefined)[];
  readonly #aux: (A | undefined)[];
  readonly #drop: boolean;
  readonly #schedule: (run: () => void) => void;
  readonly #diagnostics: Diagnostics<'handle'>;
  readonly #name: string;
  #head = 0;
  #size = 0;
  #scheduled = false;
  #draining = false;
  #handled = 0;
  #dropped = 0;
  #errors = 0;
  #inlineBatches = 0;

  constructor(options: BatchQueueOptions<T, A>) {
    const name = options?.name ?? 'BatchQueue';
    if (typeof options !== 'object' || options === null || typeof options.handle !== 'function') {
      throw new TypeError(`${name}: expected options with a handle(item) function`);
    }
    const positive = (key: 'capacity' | 'batchSize', fallback: number): number => {
      const value = options[key] ?? fallback;
      if (!Number.isInteger(value) || value < 1 || value > 16_777_216) {
        throw new TypeError(`${name}: ${key} must be an integer from 1 to 16777216, got ${String(value)}`);
      }
      return value;
    };
    this.capacity = positive('capacity', 16_384);
    this.batchSize = positive('batchSize', 1_024);
    const overflow = options.overflow ?? 'handle-inline';
    if (overflow !== 'handle-inline' && overflow !== 'drop') {
      throw new TypeError(`${name}: overflow must be 'handle-inline' or 'drop', got ${String(overflow)}`);
    }
    if (options.schedule !== undefined && typeof options.schedule !== 'function') {
      throw new TypeError(`${name}: schedule must be a function`);
    }
    this.#name = name;
    this.#handle = options.handle;
    this.#drop = overflow === 'drop';
    this.#schedule = options.schedule ?? setImmediate;
    this.#diagnostics = new Diagnostics<'handle'>(
      { onError: options.onError === undefined ? undefined : (error) => options.onError!(error), onWarning: options.onWarning },
      name,
    );
    this.#items = new Array<T | undefined>(this.capacity).fill(undefined);
    this.#aux = new Array<A | undefined>(this.capacity).fill(undefined);
  }

  /** Items waiting. */
  get size(): number {
    return this.#size;
  }

  /** Queues `item` (with an optional companion value). Never throws from a handler into the caller. */
  push(item: T, aux?: A): void {
    if (this.#size === this.capacity) {
      if (this.#drop || this.#draining) {
        this.#dropped++;
        this.#diagnostics.warnOnce(
          'drop',
          `${this.#name}: queue full (${this.capacity} items); dropping items (counted in stats().dropped)`,
        );
        return;
      }
      this.#inlineBatches++;
      this.#run(this.batchSize);
    }
    let slot = this.#head + this.#size;
    if (slot >= this.capacity) slot -= this.capacity;
    this.#items[slot] = item;
    this.#aux[slot] = aux;
    this.#size++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(this.#onTurn);
    }
  }

  /** Handles every queued item now, synchronously; returns how many were handled. */
  drain(): number {
    // items pushed by a handler during the drain are handled too, up to one extra queue's worth
    return this.#run(this.#size + this.capacity);
  }

  /** Discards queued items without handling them. */
  clear(): void {
    this.#items.fill(undefined);
    this.#aux.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }

  /** Counters since creation. */
  stats(): BatchQueueStats {
    return { queued: this.#size, handled: this.#handled, dropped: this.#dropped, errors: this.#errors, inlineBatches: this.#inlineBatches };
  }

  readonly #onTurn = (): void => {
    this.#scheduled = false;
    this.#run(this.batchSize);
    if (this.#size > 0 && !this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(this.#onTurn);
    }
  };

  #run(limit: number): number {
    if (this.#draining) return 0;
    this.#draining = true;
    let done = 0;
    try {
      while (this.#size > 0 && done < limit) {
        const head = this.#head;
        const item = this.#items[head] as T;
        const aux = this.#aux[head];
        this.#items[head] = undefined;
        this.#aux[head] = undefined;
        this.#head = head + 1 === this.capacity ? 0 : head + 1;
        this.#size--;
        done++;
        try {
          this.#handle(item, aux);
        } catch (error) {
          this.#errors++;
          this.#diagnostics.report(
            error,
            'handle',
            (e) => `${this.#name}: an item's handler threw (${errorMessage(e)}); further errors are counted in stats().errors`,
          );
        }
      }
    } finally {
      this.#handled += done;
      this.#draining = false;
    }
    return done;
  }
}

/** How a user tunes a subscriber's {@link BatchQueue}: `capacity`, `batchSize`, `overflow`. */
export type BatchQueueTuning = Pick<BatchQueueOptions<unknown, unknown>, 'capacity' | 'batchSize' | 'overflow'>;

/**
 * Checks a user's `queue` option (an object with only `capacity`, `batchSize`, `overflow`) and
 * returns it with a `name` for the queue's messages (`"<owner> queue"`). The values themselves
 * are checked by the {@link BatchQueue} constructor.
 */
export function batchQueueTuning(value: unknown, owner: string): BatchQueueTuning & { readonly name: string } {
  if (value === undefined) return { name: `${owner} queue` };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${owner}: queue must be an object with capacity, batchSize and/or overflow`);
  }
  for (const key of Object.keys(value)) {
    if (key !== 'capacity' && key !== 'batchSize' && key !== 'overflow') {
      throw new TypeError(`${owner}: unknown queue option "${key}" (known: capacity, batchSize, overflow)`);
    }
  }
  const { capacity, batchSize, overflow } = value as BatchQueueTuning;
  return { name: `${owner} queue`, capacity, batchSize, overflow };
}
