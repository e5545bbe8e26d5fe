import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredSessionInfo } from './adapter';
import type { JournalIndex } from './journal-index';
import { decodeSessionId } from './session-id';

/** A store's sub-directories and the file suffix of each. */
export const KINDS = { metrics: '.jsonl', patterns: '.json', analytics: '.json' } as const;
/** One of a store's sub-directories. */
export type Kind = keyof typeof KINDS;

/**
 * The sessions of the store at `dir`: every one with at least one regular file (links and
 * temporary files are not listed) or with records in a journal (`journal`, refreshed first).
 */
export async function listStoredSessions(dir: string, journal: JournalIndex): Promise<StoredSessionInfo[]> {
  const byId = new Map<string, { lastModified: number; bytes: number; kinds: Set<Kind>; journaled?: boolean }>();
  for (const kind of Object.keys(KINDS) as Kind[]) {
    let names: string[];
    try {
      const st = await lstat(join(dir, kind));
      if (!st.isDirectory()) continue; // a linked sub-directory is never read through
      names = await readdir(join(dir, kind));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    for (const name of names) {
      if (!name.endsWith(KINDS[kind])) continue; // temp files, strays
      const id = decodeSessionId(name.slice(0, -KINDS[kind].length));
      if (id === undefined) continue;
      let st: Stats;
      try {
        st = await lstat(join(dir, kind, name));
      } catch {
        continue; // removed meanwhile
      }
      if (!st.isFile() || st.nlink > 1) continue;
      const entry = byId.get(id) ?? { lastModified: 0, bytes: 0, kinds: new Set<Kind>() };
      entry.lastModified = Math.max(entry.lastModified, st.mtimeMs);
      entry.bytes += st.size;
      entry.kinds.add(kind);
      byId.set(id, entry);
    }
  }
  for (const [id, j] of journal.sessions()) {
    const entry = byId.get(id) ?? { lastModified: 0, bytes: 0, kinds: new Set<Kind>() };
    entry.lastModified = Math.max(entry.lastModified, j.lastModified);
    entry.bytes += j.bytes;
    entry.kinds.add('metrics');
    entry.journaled = true;
    byId.set(id, entry);
  }
  return [...byId.entries()]
    .map(([sessionId, e]) => ({
      sessionId,
      lastModified: e.lastModified,
      bytes: e.bytes,
      hasMetrics: e.kinds.has('metrics'),
      hasPatterns: e.kinds.has('patterns'),
      hasAnalytics: e.kinds.has('analytics'),
      ...(e.journaled === true ? { journaled: true } : {}),
    }))
    .sort((a, b) => a.lastModified - b.lastModified || a.sessionId.localeCompare(b.sessionId));
}
