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
 * A session log's records merged with the session's journal records (not yet moved into the log),
 * in time order: each journal record comes before the first log record that started after it.
 * A record in both (a checkpoint moving it now, or killed before removing the journal) is read
 * once.
 */
export async function* readLogMerged(
  fh: FileHandle,
  journaled: Map<string, ToolExecutionMetrics>,
  report: ReadReport | undefined,
): AsyncIterable<ToolExecutionMetrics> {
  const stream = fh.createReadStream({ encoding: 'utf8', highWaterMark: 64 * 1024 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const pending = journaled.values();
  let next = pending.next();
  const yielded = new Set<string>();
  try {
    for await (const line of lines) {
      if (isBlank(line)) continue;
      const rec = parseRecord(line);
      if (rec === undefined) {
        if (report) report.corruptLines++;
        continue;
      }
      if (journaled.size > 0) {
        if (yielded.has(rec.id)) continue; // read from the journal already
        journaled.delete(rec.id); // the log's copy stands
        for (; next.done !== true && next.value.startTime < rec.startTime; next = pending.next()) {
          if (!journaled.has(next.value.id)) continue;
          yielded.add(next.value.id);
          yield next.value;
        }
      }
      yield rec;
    }
    for (; next.done !== true; next = pending.next()) if (journaled.has(next.value.id) && !yielded.has(next.value.id)) yield next.value;
  } finally {
    lines.close();
    stream.destroy();
  }
}
