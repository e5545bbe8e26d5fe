import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { ToolExecutionMetrics } from '@perftrack/core';
import type { ReadReport, SnapshotKind, StorageAdapter, StoredSessionInfo } from './adapter';
import { decodeSessionId, encodeSessionId } from './session-id';
import { parseRecord } from './record';

/** Options of {@link FileStorage}. */
export interface FileStorageOptions {
  /** Root directory. Default: `PERFTRACK_DIR`, else `.perftrack/` under the working directory. */
  dir?: string;
  /** fsync the metrics log after each append (survives power loss, not only a killed process). Default false. */
  fsync?: boolean;
}

const KINDS = { metrics: '.jsonl', patterns: '.json', analytics: '.json' } as const;
type Kind = keyof typeof KINDS;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/** The directory perftrack uses when none is given: `PERFTRACK_DIR`, else `./.perftrack`. */
export function defaultStorageDir(): string {
  const fromEnv = process.env.PERFTRACK_DIR;
  return resolve(fromEnv !== undefined && fromEnv.length > 0 ? fromEnv : join(process.cwd(), '.perftrack'));
}

/**
 * Stores sessions as files: `<dir>/metrics/<session>.jsonl` (append-only JSON Lines),
 * `<dir>/patterns/<session>.json` and `<dir>/analytics/<session>.json` (replaced atomically).
 * Directories are created 0700 and files 0600. A process killed mid-append leaves at most a
 * truncated last line: reads skip and count it, and the next append starts on a fresh line.
 */
export class FileStorage implements StorageAdapter {
  /** The root directory (absolute). */
  readonly dir: string;
  readonly #fsync: boolean;
  #ready: Promise<void> | undefined;
  /** Metrics files whose last byte was checked by this process (so appends never join a torn line). */
  readonly #checked = new Set<string>();

  constructor(options: FileStorageOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('FileStorage: options must be an object');
    if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir.length === 0)) {
      throw new TypeError(`FileStorage: dir must be a non-empty string, got ${JSON.stringify(options.dir)}`);
    }
    this.dir = options.dir === undefined ? defaultStorageDir() : resolve(options.dir);
    this.#fsync = options.fsync ?? false;
  }

  #path(kind: Kind, sessionId: string): string {
    return join(this.dir, kind, encodeSessionId(sessionId) + KINDS[kind]);
  }

  #ensureDirs(): Promise<void> {
    this.#ready ??= (async () => {
      for (const d of [this.dir, ...Object.keys(KINDS).map((k) => join(this.dir, k))]) {
        await mkdir(d, { recursive: true, mode: DIR_MODE });
        await chmod(d, DIR_MODE);
      }
    })().catch((e: unknown) => {
      this.#ready = undefined;
      throw e;
    });
    return this.#ready;
  }

  async appendMetrics(sessionId: string, records: readonly ToolExecutionMetrics[]): Promise<void> {
    const path = this.#path('metrics', sessionId);
    if (records.length === 0) return;
    await this.#ensureDirs();
    let text = '';
    for (const r of records) text += JSON.stringify(r) + '\n';
    const fh = await open(path, 'a+', FILE_MODE);
    try {
      if (!this.#checked.has(path)) {
        const { size } = await fh.stat();
        if (size > 0) {
          const last = Buffer.alloc(1);
          await fh.read(last, 0, 1, size - 1);
          if (last[0] !== 0x0a) text = '\n' + text; // a torn line from a killed writer: start afresh
        }
        await fh.chmod(FILE_MODE);
        this.#checked.add(path);
      }
      await fh.appendFile(text, 'utf8');
      if (this.#fsync) await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async *readMetrics(sessionId: string, report?: ReadReport): AsyncIterable<ToolExecutionMetrics> {
    const path = this.#path('metrics', sessionId);
    const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 });
    const opened = new Promise<boolean>((ok, fail) => {
      stream.once('open', () => ok(true));
      stream.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? ok(false) : fail(e)));
    });
    if (!(await opened)) return;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line.length === 0) continue;
        const rec = parseRecord(line);
        if (rec === undefined) {
          if (report) report.corruptLines++;
        } else yield rec;
      }
    } finally {
      lines.close();
      stream.destroy();
    }
  }

  async writeSnapshot(kind: SnapshotKind, sessionId: string, value: unknown): Promise<void> {
    const path = this.#path(kind, sessionId);
    await this.#ensureDirs();
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`writeSnapshot: the ${kind} snapshot is not JSON-serialisable`);
    const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const fh = await open(tmp, 'wx', FILE_MODE);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
    const dh = await open(join(this.dir, kind), 'r').catch(() => undefined);
    if (dh) await dh.sync().catch(() => {}).finally(() => dh.close());
  }

  async readSnapshot(kind: SnapshotKind, sessionId: string, report?: ReadReport): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.#path(kind, sessionId), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      if (report) report.corruptLines++;
      return undefined;
    }
  }

  async listSessions(): Promise<StoredSessionInfo[]> {
    const byId = new Map<string, { lastModified: number; bytes: number; kinds: Set<Kind> }>();
    for (const kind of Object.keys(KINDS) as Kind[]) {
      let names: string[];
      try {
        names = await readdir(join(this.dir, kind));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      for (const name of names) {
        if (!name.endsWith(KINDS[kind])) continue; // temp files, strays
        const id = decodeSessionId(name.slice(0, -KINDS[kind].length));
        if (id === undefined) continue;
        let st;
        try {
          st = await stat(join(this.dir, kind, name));
        } catch {
          continue; // removed meanwhile
        }
        if (!st.isFile()) continue;
        const entry = byId.get(id) ?? { lastModified: 0, bytes: 0, kinds: new Set<Kind>() };
        entry.lastModified = Math.max(entry.lastModified, st.mtimeMs);
        entry.bytes += st.size;
        entry.kinds.add(kind);
        byId.set(id, entry);
      }
    }
    return [...byId.entries()]
      .map(([sessionId, e]) => ({
        sessionId,
        lastModified: e.lastModified,
        bytes: e.bytes,
        hasMetrics: e.kinds.has('metrics'),
        hasPatterns: e.kinds.has('patterns'),
        hasAnalytics: e.kinds.has('analytics'),
      }))
      .sort((a, b) => a.lastModified - b.lastModified || a.sessionId.localeCompare(b.sessionId));
  }

  async deleteSession(sessionId: string): Promise<string[]> {
    const removed: string[] = [];
    for (const kind of Object.keys(KINDS) as Kind[]) {
      const path = this.#path(kind, sessionId);
      try {
        await rm(path);
        removed.push(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      this.#checked.delete(path);
    }
    return removed;
  }
}
