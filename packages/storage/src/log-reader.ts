import type { FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { ToolExecutionMetrics } from '@perftrack/core';
import type { ReadReport } from './adapter';
import { parseRecord } from './record';

/** Whether a line is empty or spaces only (write separators, blanked torn fragments). */
function isBlank(line: string): boolean {
  return line.length === 0 || (line.charCodeAt(0) === 0x20 && line.trim().length === 0);
}

/**
 * A session log's records, then the session's journal records the log does not hold (by id):
 * the order a checkpoint gives the log when it appends them, so a session reads the same before
 * and after its checkpoint, and what was read before is always a prefix of what is read later
 * (a follower may skip by count). A record in both (a checkpoint moving it now, or killed before
 * removing the journal) is read once, where the log has it.
 */
export async function* readLogMerged(
  fh: FileHandle,
  journaled: Map<string, ToolExecutionMetrics>,
  report: ReadReport | undefined,
): AsyncIterable<ToolExecutionMetrics> {
  const stream = fh.createReadStream({ encoding: 'utf8', highWaterMark: 64 * 1024 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (isBlank(line)) continue;
      const rec = parseRecord(line);
      if (rec === undefined) {
        if (report) report.corruptLines++;
      } else {
        if (journaled.size > 0) journaled.delete(rec.id);
        yield rec;
      }
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  yield* journaled.values();
}
