import { constants, fstatSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { sessionIdProblem } from '@perftrack/core/internal';
import { closeQuietly } from './fd-io';
import { parseJournalName } from './journal';
import { parseRecord } from './record';
import { fileRefusal, StorageRefusedError } from './refusal';

const NEWLINE = 0x0a;
/** Bytes read at a time while indexing a journal. */
const READ_CHUNK = 1 << 20;

/** Where one journal's records of a session are: byte ranges `[start, end)` of whole lines, adjacent lines merged. */
interface SessionRanges {
  /** Flat `[start, end, start, end, …]`. */
  readonly ranges: number[];
  bytes: number;
}

interface IndexedFile {
  /** `<pid>-<hex>`: the journal's name without its state suffix (a rename keeps it). */
  readonly base: string;
  name: string;
  readonly dev: number;
  readonly ino: number;
  /** Bytes indexed so far: up to the end of the last whole line seen. */
  indexedTo: number;
  mtimeMs: number;
  /** An active segment (`.open`): it may grow by whole lines. */
  growing: boolean;
  readonly sessions: Map<string, SessionRanges>;
}

/**
 * What readers know of the journals (exit journals, sealed and active flush segments): for each
 * journal, where each session's records are, as byte ranges of whole lines (never the lines:
 * the index holds a few numbers per session and journal, however large the journals are).
 *
 * Complete and claimed journals never change, so they are indexed once (a claim keeps the inode:
 * a renamed journal is not read again). An active segment (`.open`) only grows by whole lines
 * from its one writer, so a refresh reads only what was added since, up to its last newline: a
 * line being written is never seen half. Journals that are links or hard-linked are refused and
 * named in {@link refused}, never read.
 */
export class JournalIndex {
  readonly #dir: string;
  #files = new Map<string, IndexedFile>();
  /** Paths refused since last taken (by a checkpoint, which reports them). */
  readonly refused = new Set<string>();
  /** The directory's identity and times at the last full listing: unchanged, only active segments are looked at. */
  #stamp: string | undefined;

  constructor(journalDir: string) {
    this.#dir = journalDir;
  }

  /** Brings the index up to date with the directory. */
  refresh(): void {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(this.#dir, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (st === undefined || st.isSymbolicLink() || !st.isDirectory()) {
      if (st !== undefined) this.refused.add(this.#dir);
      this.#files.clear();
      this.#stamp = undefined;
      return;
    }
    // journals are created, renamed and removed (which changes the directory's times), and only
    // active segments grow in place: with the directory unchanged, one lstat per active segment
    const stamp = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.ctimeMs}`;
    if (stamp === this.#stamp) {
      for (const file of this.#files.values()) {
        if (!file.growing) continue;
        try {
          this.#index(join(this.#dir, file.name), file.base, file.name, file, true);
        } catch (e) {
          if (e instanceof StorageRefusedError) this.refused.add(join(this.#dir, file.name));
        }
      }
      return;
    }
    let names: string[];
    try {
      names = readdirSync(this.#dir);
    } catch {
      names = [];
    }
    const files = new Map<string, IndexedFile>();
    for (const name of names.sort()) {
      const parsed = parseJournalName(name);
      if (parsed === undefined || parsed.state === 'partial') continue;
      const path = join(this.#dir, name);
      const known = this.#files.get(parsed.base);
      try {
        const file = this.#index(path, parsed.base, name, known, parsed.state === 'open');
        if (file !== undefined) files.set(parsed.base, file);
      } catch (e) {
        if (e instanceof StorageRefusedError) this.refused.add(path);
      }
    }
    this.#files = files;
    this.#stamp = stamp;
  }

  /** Indexes `path` from where `known` stopped (the same inode), or from the start. */
  #index(path: string, base: string, name: string, known: IndexedFile | undefined, growing: boolean): IndexedFile | undefined {
    const lst = lstatSync(path, { throwIfNoEntry: false });
    if (lst === undefined) return undefined;
    const refusal = fileRefusal(path, lst);
    if (refusal) throw refusal;
    if (known !== undefined && known.ino === lst.ino && known.dev === lst.dev && known.indexedTo >= lst.size) {
      known.name = name; // claimed or sealed meanwhile: same content, new name
      known.mtimeMs = lst.mtimeMs;
      known.growing = growing;
      return known;
    }
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StorageRefusedError(path, (e as Error).message);
    }
    try {
      const st = fstatSync(fd);
      const opened = fileRefusal(path, st);
      if (opened) throw opened;
      const same = known !== undefined && known.ino === st.ino && known.dev === st.dev;
      const file: IndexedFile = same
        ? known
        : { base, name, dev: st.dev, ino: st.ino, indexedTo: 0, mtimeMs: st.mtimeMs, growing, sessions: new Map() };
      file.name = name;
      file.mtimeMs = st.mtimeMs;
      file.growing = growing;
      this.#scan(fd, file, st.size, growing);
      return file;
    } finally {
      closeQuietly(fd);
    }
  }

  /** Reads `[file.indexedTo, size)` line by line, adding each record's range to its session. */
  #scan(fd: number, file: IndexedFile, size: number, growing: boolean): void {
    let carry: Buffer | undefined;
    let at = file.indexedTo;
    while (at < size) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - at));
      const got = readSync(fd, chunk, 0, chunk.length, at);
      if (got <= 0) break;
      const bytes = carry === undefined ? chunk.subarray(0, got) : Buffer.concat([carry, chunk.subarray(0, got)]);
      const base = at - (carry?.length ?? 0);
      let start = 0;
      for (;;) {
        const end = bytes.indexOf(NEWLINE, start);
        if (end < 0) break;
        if (end > start) this.#add(file, bytes.toString('utf8', start, end), base + start, base + end + 1);
        start = end + 1;
      }
      file.indexedTo = base + start;
      carry = start < bytes.length ? Buffer.from(bytes.subarray(start)) : undefined;
      at += got;
    }
    // a complete journal's torn last line (a writer killed mid-write) is never a record; an
    // active segment's unfinished line is read at a later refresh, once whole
    if (!growing && carry !== undefined) file.indexedTo = size;
  }

  #add(file: IndexedFile, line: string, start: number, end: number): void {
    if (line.trim().length === 0) return;
    const rec = parseRecord(line);
    if (rec === undefined || sessionIdProblem(rec.sessionId) !== undefined) return; // counted by the checkpoint that moves it
    let entry = file.sessions.get(rec.sessionId);
    if (entry === undefined) file.sessions.set(rec.sessionId, (entry = { ranges: [], bytes: 0 }));
    const r = entry.ranges;
    if (r.length > 0 && r[r.length - 1] === start) r[r.length - 1] = end;
    else r.push(start, end);
    entry.bytes += end - start;
  }

  /** Whether any journal holds records now (after a refresh). */
  get empty(): boolean {
    for (const file of this.#files.values()) if (file.sessions.size > 0) return false;
    return true;
  }

  /**
   * The session's journal records by id (the first of repeated ids kept), journals in name order
   * (one writer's by time) and each in file order: the order a checkpoint appends them to the
   * log. Refresh first.
   */
  recordsOf(sessionId: string): Map<string, ToolExecutionMetrics> {
    const out = new Map<string, ToolExecutionMetrics>();
    for (const file of this.#files.values()) {
      const entry = file.sessions.get(sessionId);
      if (entry === undefined) continue;
      for (const rec of this.#read(file, entry)) if (!out.has(rec.id)) out.set(rec.id, rec);
    }
    return out;
  }

  /** The records of one session's ranges in one journal (a journal removed meanwhile gives none: its records are in the log by then). */
  #read(file: IndexedFile, entry: SessionRanges): ToolExecutionMetrics[] {
    const fd = this.#open(file);
    if (fd === undefined) return []; // removed: a checkpoint appended its records to the logs first
    const out: ToolExecutionMetrics[] = [];
    try {
      const r = entry.ranges;
      for (let i = 0; i < r.length; i += 2) {
        const buf = Buffer.allocUnsafe((r[i + 1] as number) - (r[i] as number));
        readSync(fd, buf, 0, buf.length, r[i] as number);
        let start = 0;
        for (;;) {
          const end = buf.indexOf(NEWLINE, start);
          if (end < 0) break;
          const rec = end > start ? parseRecord(buf.toString('utf8', start, end)) : undefined;
          if (rec !== undefined) out.push(rec);
          start = end + 1;
        }
      }
    } catch {
      // removed or truncated meanwhile: what was read stands
    } finally {
      closeQuietly(fd);
    }
    return out;
  }

  /**
   * Opens the indexed journal by its name, or by its new name when it was renamed since the
   * index was made (sealed `.open` → `.jsonl`, claimed `.jsonl` → `.ckpt-…`: the same inode);
   * undefined once it is gone.
   */
  #open(file: IndexedFile): number | undefined {
    const tryName = (name: string): number | undefined => {
      let fd: number;
      try {
        fd = openSync(join(this.#dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch {
        return undefined;
      }
      const st = fstatSync(fd);
      if (st.ino === file.ino && st.dev === file.dev && st.isFile()) {
        file.name = name;
        return fd;
      }
      closeQuietly(fd);
      return undefined;
    };
    const fd = tryName(file.name);
    if (fd !== undefined) return fd;
    let names: string[];
    try {
      names = readdirSync(this.#dir);
    } catch {
      return undefined;
    }
    for (const name of names)
      if (name !== file.name && name.startsWith(`${file.base}.jsonl`)) {
        const moved = tryName(name);
        if (moved !== undefined) return moved;
      }
    return undefined;
  }

  /** Per session in any journal: bytes of its journal lines and the newest journal's time. */
  sessions(): Map<string, { bytes: number; lastModified: number }> {
    const out = new Map<string, { bytes: number; lastModified: number }>();
    for (const file of this.#files.values()) {
      for (const [sessionId, entry] of file.sessions) {
        const known = out.get(sessionId);
        if (known === undefined) out.set(sessionId, { bytes: entry.bytes, lastModified: file.mtimeMs });
        else {
          known.bytes += entry.bytes;
          known.lastModified = Math.max(known.lastModified, file.mtimeMs);
        }
      }
    }
    return out;
  }

  /** Whether a journal holds records of `sessionId` (refresh first). */
  has(sessionId: string): boolean {
    for (const file of this.#files.values()) if (file.sessions.has(sessionId)) return true;
    return false;
  }
}
