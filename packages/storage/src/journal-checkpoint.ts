import { lstatSync, readdirSync, renameSync, unlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { AppendOutcome } from './adapter';
import { freshId, journalDirState, type JournalName, parseJournal, parseJournalName, readJournalFile, syncDirQuietly } from './journal';
import { isPermanentError, StorageRefusedError } from './refusal';
import { errorMessage } from '@perftrack/core/internal';

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
  /**
   * Records dropped because their session's log is refused (a symbolic link, a hard-linked file
   * at its path): never written through it; the journal is still moved and removed. Those paths
   * are in {@link refused}.
   */
  readonly lost: number;
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
  /**
   * Claims this checkpointer's owner (one `FileStorage`) left unfinished (a full disk, a stop):
   * it takes them up again at once, in recovery mode, rather than waiting for them to go stale.
   * Kept by the caller across runs.
   */
  readonly ownClaims?: Set<string>;
}

/** A claim older than this with its owner apparently alive is taken over anyway (a reused pid, another pid namespace). */
export const STALE_CLAIM_MS = 10 * 60 * 1000;
const SLICE_MS = 8;

/** How often a checkpointer touches the journal it is moving, so others see its claim is alive (ms). */
const HEARTBEAT_MS = 60 * 1000;

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a claim (or a `.partial` exit journal) is abandoned: its process is gone, or it has not
 * been touched for {@link STALE_CLAIM_MS} (a reused pid, another pid namespace). A claim of this
 * very process counts as alive like any other: another thread or another copy of this package in
 * it may be moving it now, and nothing shared says otherwise.
 */
function abandoned(pid: number, path: string): boolean {
  if (!pidAlive(pid)) return true;
  const st = lstatSync(path, { throwIfNoEntry: false });
  return st !== undefined && Date.now() - st.mtimeMs > STALE_CLAIM_MS;
}

/**
 * Whether an active segment's writer may still append to it: its process is alive (this one
 * included: an instance, a worker thread or another copy of the package may own it) and it was
 * appended to within {@link STALE_CLAIM_MS} (every append sets its mtime). An older one is
 * adopted (a terminated worker's, a restarted process under the same pid): its writer, should
 * it still append, checks that the name still holds its file before every write and starts a
 * new segment, and the checkpoint removes a journal only if it did not grow after being read.
 */
function segmentLive(name: JournalName, path: string): boolean {
  return !abandoned(name.writerPid, path);
}

/** Marks a claimed journal as being worked on now (its mtime), quietly. */
function touch(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // gone or not ours: the move itself notices
  }
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
  const result = { journals: 0, records: 0, duplicates: 0, corruptLines: 0, tornLines: 0, lost: 0, refused: [] as string[], pending: 0 };
  let failure: unknown;
  /** Records of a session whose log can never be read or written (never through a link): dropped, counted, named once. */
  const drop = (sessionId: string, count: number, error: unknown): void => {
    result.lost += count;
    const path =
      error instanceof StorageRefusedError ? error.path : `metrics/${JSON.stringify(sessionId).slice(0, 80)} (${errorMessage(error)})`;
    if (!result.refused.includes(path)) result.refused.push(path);
  };
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
      parsed.state === 'partial'
        ? !abandoned(parsed.writerPid, join(dir, name))
        : parsed.state !== 'open' || segmentLive(parsed, join(dir, name))
    )
      continue;
    try {
      renameSync(join(dir, name), join(dir, `${parsed.base}.jsonl`));
    } catch {
      // taken by another process
    }
  }
  let deadline = performance.now() + SLICE_MS;
  // one writer's journals are moved in the order written: once one of them is left (another
  // process is moving it, or it failed here), its later ones wait for a later checkpoint
  const held = new Set<number>();
  for (const name of readdirSync(dir).sort()) {
    const parsed = parseJournalName(name);
    if (parsed === undefined || parsed.state === 'partial' || parsed.state === 'open') continue;
    const from = join(dir, name);
    const recovery = parsed.state === 'claimed';
    if (held.has(parsed.writerPid)) {
      result.pending++;
      continue;
    }
    const ours = recovery && target.ownClaims?.has(parsed.owner as string) === true;
    if (recovery && !ours && !abandoned(parsed.ownerPid as number, from)) {
      held.add(parsed.writerPid); // being moved by someone else now
      result.pending++;
      continue;
    }
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
      held.add(parsed.writerPid); // another process claimed it first
      continue;
    }
    touch(claimed); // a fresh claim: alive, however old the journal
    if (ours) target.ownClaims?.delete(parsed.owner as string);
    let touched = performance.now();
    const heartbeat = (): void => {
      if (performance.now() - touched < HEARTBEAT_MS) return;
      touch(claimed);
      touched = performance.now();
    };
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
      heartbeat();
      return yieldToLoop().then(() => {
        deadline = performance.now() + SLICE_MS;
      });
    });
    // still ours: a process paused past the stale time may have had its claim taken over, and
    // must then append nothing more (the new owner moves it all, skipping what is in the logs)
    const stillOurs = (): boolean => {
      const st = lstatSync(claimed, { throwIfNoEntry: false });
      return st !== undefined && st.ino === file.ino && st.dev === file.dev;
    };
    let done = true;
    for (const [sessionId, group] of journal.sessions) {
      if (performance.now() > deadline) {
        await yieldToLoop();
        deadline = performance.now() + SLICE_MS;
        heartbeat();
      }
      if (stopped() || !stillOurs()) {
        done = false;
        break;
      }
      let present: Set<string>;
      try {
        present = recovery ? await target.logIds(sessionId) : new Set<string>();
      } catch (e) {
        if (!isPermanentError(e)) throw e;
        drop(sessionId, group.lines.length, e); // the log is a link, hard-linked, or cannot be named here
        continue;
      }
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
      if (outcome.error !== undefined && isPermanentError(outcome.error)) {
        // this session's log is refused (a planted link) or cannot be written at all (a name too
        // long for the filesystem): its records are dropped and counted, the others still moved
        drop(sessionId, lines.length - outcome.written, outcome.error);
        continue;
      }
      if (outcome.error !== undefined) {
        failure = outcome.error;
        done = false;
        break;
      }
    }
    if (!done) {
      result.pending++;
      if (stillOurs()) target.ownClaims?.add(owner); // ours to finish: the next run takes it up at once
      held.add(parsed.writerPid);
      continue;
    }
    result.corruptLines += journal.corruptLines;
    result.tornLines += journal.tornLines;
    // only the file we read: a planted replacement under the claimed name is left alone
    // and only as read: an adopted segment its writer appended to meanwhile is finished later
    const now = lstatSync(claimed, { throwIfNoEntry: false });
    if (now !== undefined && now.ino === file.ino && now.dev === file.dev && now.size !== file.size) {
      result.pending++;
      target.ownClaims?.add(owner);
      held.add(parsed.writerPid);
      continue;
    }
    if (now !== undefined && now.ino === file.ino && now.dev === file.dev) unlinkSync(claimed);
    result.journals++;
  }
  if (result.journals > 0) syncDirQuietly(dir);
  return failure === undefined ? result : { ...result, error: failure };
}
