import type { HistoryReader } from '@perftrack/integration';
import type { DashboardModel } from './model';

interface Seen {
  bytes: number;
  lastModified: number;
  /** Good records read so far: the log is append-only, so the next read skips them. */
  records: number;
  corruptLines: number;
  /**
   * The ids read, kept only while the session has records in an exit journal (and for the read
   * after): those read after the log's until a checkpoint moves them, so a count cannot say
   * which records are new.
   */
  ids: Set<string> | undefined;
}

/**
 * Feeds a {@link DashboardModel} from a storage directory: at start the newest `maxSessions`
 * sessions, then, on each poll, the records appended since (a session whose size and time did
 * not change is not read). State is bounded by 10 × `maxSessions` sessions.
 */
export class StorageSource {
  readonly #history: HistoryReader;
  readonly #model: DashboardModel;
  readonly #maxSessions: number;
  readonly #seen = new Map<string, Seen>();
  #polling: Promise<void> | undefined;

  constructor(history: HistoryReader, model: DashboardModel, maxSessions: number) {
    this.#history = history;
    this.#model = model;
    this.#maxSessions = maxSessions;
  }

  /** Corrupt or truncated lines met in the sessions followed. */
  get corruptLines(): number {
    let n = 0;
    for (const s of this.#seen.values()) n += s.corruptLines;
    return n;
  }

  /** Reads what is new; concurrent calls share one read. `live` marks records for the stream. */
  poll(live: boolean): Promise<void> {
    return (this.#polling ??= this.#poll(live).finally(() => (this.#polling = undefined)));
  }

  async #poll(live: boolean): Promise<void> {
    const all = (await this.#history.sessions()).sort((a, b) => a.lastModified - b.lastModified);
    for (const info of all.slice(-this.#maxSessions)) {
      const seen = this.#seen.get(info.sessionId);
      if (seen && seen.bytes === info.bytes && seen.lastModified === info.lastModified) continue;
      const skip = seen?.records ?? 0;
      const seenIds = seen?.ids;
      const ids = info.journaled === true ? new Set<string>() : undefined;
      let records = 0;
      const read = await this.#history.replay(
        (m) => {
          const isNew = seenIds !== undefined ? !seenIds.has(m.id) : records >= skip;
          records++;
          ids?.add(m.id);
          if (isNew) this.#model.add(m, live);
        },
        { sessionIds: [info.sessionId] },
      );
      this.#seen.delete(info.sessionId); // most recently read last
      this.#seen.set(info.sessionId, { bytes: info.bytes, lastModified: info.lastModified, records, corruptLines: read.corruptLines, ids });
    }
    // Sessions that left the newest `maxSessions` stay known for a while, so one that is written
    // to again is read from where it was left, not counted twice; deleted sessions are forgotten.
    const exists = new Set(all.map((s) => s.sessionId));
    for (const id of this.#seen.keys()) if (!exists.has(id)) this.#seen.delete(id);
    for (const id of this.#seen.keys()) {
      if (this.#seen.size <= 10 * this.#maxSessions) break;
      this.#seen.delete(id);
    }
  }
}
