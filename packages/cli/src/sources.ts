import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { errorMessage } from '@perftrack/core/internal';
import type { HistoryReader } from '@perftrack/integration';
import { EXPORT_SCHEMA, isRecord } from '@perftrack/storage';

/** Records of one run, with a label and what was skipped on the way. */
export interface LoadedRun {
  readonly label: string;
  readonly records: ToolExecutionMetrics[];
  /** Lines or entries that were not usable. */
  readonly skipped: number;
  /** Whether any record has a duration (agent traces have none). */
  readonly timed: boolean;
}

/**
 * One line of an agent-traces file (`{session, seq, tool, ok, error, inputBytes, outputBytes,
 * durationMs}`) as a record: the id is `<session>#<seq>` so findings can be checked by hand, and a
 * missing duration makes it untimed rather than zero.
 */
function traceRecord(t: Record<string, unknown>): ToolExecutionMetrics | undefined {
  if (typeof t.session !== 'string' || typeof t.tool !== 'string' || typeof t.seq !== 'number') return undefined;
  const timed = typeof t.durationMs === 'number' && Number.isFinite(t.durationMs);
  const duration = timed ? (t.durationMs as number) : 0;
  const record: ToolExecutionMetrics = {
    id: `${t.session}#${t.seq}`,
    toolId: t.tool,
    sessionId: t.session,
    startTime: t.seq,
    endTime: t.seq + duration,
    duration,
    success: t.ok === true,
    sampleWeight: 1,
    ...(timed ? {} : { untimed: true }),
    ...(typeof t.inputBytes === 'number' ? { inputSize: t.inputBytes } : {}),
    ...(typeof t.outputBytes === 'number' ? { outputSize: t.outputBytes } : {}),
    ...(t.ok !== true
      ? { errorType: typeof t.error === 'string' ? t.error : 'error', error: typeof t.error === 'string' ? t.error : 'failed' }
      : {}),
  };
  return record;
}

async function loadFile(path: string, label: string): Promise<LoadedRun> {
  const records: ToolExecutionMetrics[] = [];
  let skipped = 0;
  // one look at the start tells an export document (one JSON value) from JSON Lines
  const start = await readStart(path).catch((e: unknown) => {
    throw new Error(`cannot read ${path}: ${errorMessage(e)}`);
  });
  if (start.startsWith('{') && !looksLikeJsonLines(start)) {
    let doc: { schema?: unknown; sessions?: { metrics?: unknown[] }[] };
    try {
      doc = JSON.parse(await readFile(path, 'utf8'));
    } catch (e) {
      throw new Error(`${path} is not a perftrack export: invalid JSON (${errorMessage(e)})`);
    }
    if (doc.schema !== EXPORT_SCHEMA || !Array.isArray(doc.sessions))
      throw new Error(`${path} is not a perftrack export (schema ${JSON.stringify(doc.schema)}, expected "${EXPORT_SCHEMA}")`);
    for (const s of doc.sessions)
      for (const m of Array.isArray(s?.metrics) ? s.metrics : []) isRecord(m) ? records.push(m as ToolExecutionMetrics) : skipped++;
  } else {
    const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        skipped++;
        continue;
      }
      const v = value as Record<string, unknown>;
      const record = isRecord(v)
        ? (v as unknown as ToolExecutionMetrics)
        : typeof v === 'object' && v !== null && 'tool' in v
          ? traceRecord(v)
          : undefined;
      if (record) records.push(record);
      else skipped++;
    }
  }
  return { label, records, skipped, timed: records.some((r) => r.untimed !== true) };
}

/** The first 64 KiB of a file, as text. */
async function readStart(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** Whether a file's start holds two or more non-empty lines, at least one a whole JSON value. */
function looksLikeJsonLines(start: string): boolean {
  const lines = start
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(0, 2);
  let parsed = 0;
  for (const line of lines) {
    try {
      JSON.parse(line);
      parsed++;
    } catch {
      // not a whole JSON value on one line
    }
  }
  return lines.length >= 2 && parsed >= 1;
}

/**
 * The stored session ids `spec` names: comma-separated ids where `*` matches any characters
 * (`run3-*`). Throws a one-line error for a part that matches nothing.
 */
export function matchSessions(spec: string, stored: readonly string[]): string[] {
  const wanted = new Set<string>();
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const pattern = new RegExp(`^${part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    const matches = stored.filter((id) => pattern.test(id));
    if (matches.length === 0)
      throw new Error(`${JSON.stringify(part)} is neither a file nor a stored session (see \`perftrack sessions\`)`);
    for (const m of matches) wanted.add(m);
  }
  return [...wanted];
}

/**
 * Loads a run from `spec`: a file (an export document, a metrics log, or an agent-traces JSON
 * Lines file), else session ids in the storage directory, comma-separated, where `*` matches any
 * characters (`run3-*`). Throws a one-line error when nothing matches.
 */
export async function loadRun(spec: string, cwd: string, openStore: () => Promise<HistoryReader>): Promise<LoadedRun> {
  const path = resolve(cwd, spec);
  const info = await stat(path).catch(() => undefined);
  if (info?.isFile()) return loadFile(path, spec);
  const history = await openStore();
  const wanted = matchSessions(
    spec,
    (await history.sessions()).map((s) => s.sessionId),
  );
  const records: ToolExecutionMetrics[] = [];
  const read = await history.replay((m) => records.push(m), { sessionIds: [...wanted] });
  return { label: spec, records, skipped: read.corruptLines, timed: records.some((r) => r.untimed !== true) };
}
