import { lstatSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { AppendOutcome } from './adapter';
import { freshId, journalDirState, type JournalName, parseJournal, parseJournalName, readJournalFile, syncDirQuietly } from './journal';
import { liveSegments } from './journal-segment';
import { StorageRefusedError } from './refusal';

/** What a checkpoint did (see `FileStorage.checkpoint`). */
export interface CheckpointResult {
  /** Journals fully moved into their sessions' logs and removed. */
  readonly journals: number;
  /** Records appended to session logs. */
  readonly records: number;
  /** Records already in their log (left there by a checkpoint killed midway) or repeated: not appended again. */
  readonly duplicates: number;
  /** Whole journal lines that were not a valid record: skipped. */
  readonly corruptLines: number;
  /** Torn last lines (a writer killed while writing its journal): skipped, never joined. */
  readonly tornLines: number;
  /** Journals (or the journal directory) refused: links or hard-linked files, never read or removed. */
  readonly refused: readonly string[];
  /** Journals left for a later checkpoint: the checkpoint was stopped, or an append failed (`error`). */
  readonly pending: number;
  /** The append failure that stopped a journal's move, if any. */
  readonly error?: unknown;
}

/** How a checkpoint reaches the logs (FileStorage's own append and read). */
export interface CheckpointTarget {
  readonly journalDir: string;
  append(sessionId: string, lines: readonly string[]): AppendOutcome;
  /** Ids of the records in the session's log (only for a journal a previous checkpoint may have half moved). */
  logIds(sessionId: string): Promise<Set<string>>;
  readonly signal?: AbortSignal | undefined;
}

/** A claim older than this with its owner apparently alive is taken over anyway (a reused pid, another pid namespace). */
export const STALE_CLAIM_MS = 10 * 60 * 1000;
const SLICE_MS = 8;

/**
 * Claims being moved by this process now (a claim's owner id): another instance in the same
 * process must not take them over. Entries live only while their checkpoint runs.
 */
const activeClaims = new Set<string>();

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function abandoned(pid: number, owner: string | undefined, path: string): boolean {
  if (owner !== undefined && pid === process.pid) return !activeClaims.has(owner);
  if (!pidAlive(pid)) return true;
  const st = lstatSync(path, { throwIfNoEntry: false });
  return st !== undefined && Date.now() - st.mtimeMs > STALE_CLAIM_MS;
}

/**
 * Whether an active segment's writer may still append to it: an instance of this process that
 * has not sealed it, or another process that is alive. Never judged by age: a live writer idle
 * for hours still owns its segment (adopting it would lose what it appends next).
 */
function segmentLive(name: JournalName): boolean {
  if (name.writerPid === process.pid) return liveSegments.has(name.base);
  return pidAlive(name.writerPid);
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Moves every journal's records into their sessions' logs, then removes the journal. The rules
 * that make it exactly once with any number of processes at it:
 *
 * 1. a journal is claimed by renaming it (`<w>.jsonl` → `<w>.jsonl.ckpt-<me>`): a rename is
 *    atomic, so one process wins and the others see ENOENT; readers read claimed journals too,
 *    so the records never leave their sight;
 * 2. records are appended to the logs with the ordinary many-writer append (whole lines,
 *    `O_NOFOLLOW`), then the journal is removed: a reader meanwhile sees a record in both
 *    and keeps one (by record id);
 * 3. a claim whose owner died (its pid is gone, or it is older than {@link STALE_CLAIM_MS}) is
 *    claimed again by rename and moved in recovery mode: the records already in a log (the dead
 *    owner's part) are skipped by id. A `.partial` journal of a dead writer is adopted the same
 *    way (its torn last line skipped and counted).
 *
 * Works in slices of 8 ms, yielding to the event loop; stops between sessions when `signal`
 * aborts (the claim stays, to be finished in recovery mode).
 */
export async function checkpointJournals(target: CheckpointTarget): Promise<CheckpointResult> {
  const dir = target.journalDir;
  const stopped = (): boolean => target.signal?.aborted === true;
  const result = { journals: 0, records: 0, duplicates: 0, corruptLines: 0, tornLines: 0, refused: [] as string[], pending: 0 };
  let failure: unknown;
  await yieldToLoop(); // never inside the caller's synchronous slice (a writer's pass)
  try {
    if (journalDirState(dir) === 'absent') return result;
  } catch (e) {
    if (e instanceof StorageRefusedError) return { ...result, refused: [dir] };
    throw e;
  }
  // adopt journals whose writer died while writing them, and active segments whose writer is gone
  for (const name of readdirSync(dir)) {
    const parsed = parseJournalName(name);
    if (parsed === undefined) continue;
    if (
      parsed.state === 'partial' ? !abandoned(parsed.writerPid, undefined, join(dir, name)) : parsed.state !== 'open' || segmentLive(parsed)
    )
      continue;
    try {
      renameSync(join(dir, name), join(dir, `${parsed.base}.jsonl`));
    } catch {
      // taken by another process
    }
  }
  let deadline = performance.now() + SLICE_MS;
  for (const name of readdirSync(dir).sort()) {
    const parsed = parseJournalName(name);
    if (parsed === undefined || parsed.state === 'partial' || parsed.state === 'open') continue;
    const from = join(dir, name);
    const recovery = parsed.state === 'claimed';
    if (recovery && !abandoned(parsed.ownerPid as number, parsed.owner, from)) continue;
    const lst = lstatSync(from, { throwIfNoEntry: false });
    if (lst === undefined) continue;
    if (lst.isSymbolicLink() || !lst.isFile() || lst.nlink > 1) {
      result.refused.push(from); // never renamed, read or removed
      continue;
    }
    if (stopped() || failure !== undefined) {
      result.pending++;
      continue;
    }
    const owner = freshId();
    const claimed = join(dir, `${parsed.base}.jsonl.ckpt-${owner}`);
    try {
      renameSync(from, claimed);
    } catch {
      continue; // another process claimed it first
    }
    activeClaims.add(owner);
    try {
      let file: ReturnType<typeof readJournalFile>;
      try {
        file = readJournalFile(claimed);
      } catch (e) {
        if (e instanceof StorageRefusedError) {
          result.refused.push(claimed);
          continue;
        }
        throw e;
      }
      if (file === undefined) continue;
      const journal = await parseJournal(file.bytes, () => {
        if (performance.now() <= deadline) return undefined;
        return yieldToLoop().then(() => {
          deadline = performance.now() + SLICE_MS;
        });
      });
      let done = true;
      for (const [sessionId, group] of journal.sessions) {
        if (performance.now() > deadline) {
          await yieldToLoop();
          deadline = performance.now() + SLICE_MS;
        }
        if (stopped()) {
          done = false;
          break;
        }
        const present = recovery ? await target.logIds(sessionId) : new Set<string>();
        const lines: string[] = [];
        for (let i = 0; i < group.lines.length; i++) {
          const id = group.ids[i] as string;
          if (present.has(id)) result.duplicates++;
          else {
            present.add(id);
            lines.push(group.lines[i] as string);
          }
        }
        if (lines.length === 0) continue;
        const outcome = target.append(sessionId, lines);
        result.records += outcome.written;
        if (outcome.error !== undefined) {
          failure = outcome.error;
          done = false;
          break;
        }
      }
      if (!done) {
        result.pending++;
        continue;
      }
      result.corruptLines += journal.corruptLines;
      result.tornLines += journal.tornLines;
      // only the file we read: a planted replacement under the claimed name is left alone
      const now = lstatSync(claimed, { throwIfNoEntry: false });
      if (now !== undefined && now.ino === file.ino && now.dev === file.dev) unlinkSync(claimed);
      result.journals++;
    } finally {
      activeClaims.delete(owner);
    }
  }
  if (result.journals > 0) syncDirQuietly(dir);
  return failure === undefined ? result : { ...result, error: failure };
}
