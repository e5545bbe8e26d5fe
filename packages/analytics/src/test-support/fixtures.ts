import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ToolExecutionMetrics } from '@perftrack/core';

let serial = 0;

/** A record with sensible defaults; `start` in ms from an arbitrary origin. */
export function rec(toolId: string, sessionId: string, start: number, extra: Partial<ToolExecutionMetrics> = {}): ToolExecutionMetrics {
  const duration = extra.duration ?? 10;
  return {
    id: `r${++serial}`,
    toolId,
    sessionId,
    startTime: 1_700_000_000_000 + start,
    endTime: 1_700_000_000_000 + start + duration,
    duration,
    success: true,
    sampleWeight: 1,
    ...extra,
  };
}

/** One session's calls in order, one every 100 ms, from a string like "read grep edit". */
export function session(
  sessionId: string,
  tools: string,
  extra: (i: number) => Partial<ToolExecutionMetrics> = () => ({}),
): ToolExecutionMetrics[] {
  return tools
    .split(/\s+/)
    .filter(Boolean)
    .map((t, i) => rec(t, sessionId, i * 100, extra(i)));
}

/** The shipped sample of real agent traces as records, grouped by session. */
export function sampleTraces(): Array<{ id: string; records: ToolExecutionMetrics[] }> {
  const sessions = new Map<string, ToolExecutionMetrics[]>();
  for (const line of readFileSync(join(__dirname, 'agent-traces-sample.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as {
      session: string;
      seq: number;
      tool: string;
      ok: boolean;
      error: string | null;
      inputBytes: number;
      outputBytes: number;
    };
    let list = sessions.get(r.session);
    if (list === undefined) sessions.set(r.session, (list = []));
    list.push(
      rec(r.tool, r.session, r.seq * 1000, {
        id: `${r.session}#${r.seq}`,
        duration: 0,
        untimed: true,
        success: r.ok,
        ...(r.ok ? {} : { error: r.error ?? '', errorType: r.error ?? 'Error' }),
        inputSize: r.inputBytes,
        outputSize: r.outputBytes,
      }),
    );
  }
  return [...sessions].map(([id, records]) => ({ id, records }));
}
