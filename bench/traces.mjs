// Loads ../shared/data/agent-traces/traces.jsonl (real coding-agent sessions) as perftrack
// records grouped by session, and splits sessions (never lines) by a hash of their id.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TRACES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data', 'agent-traces', 'traces.jsonl');
/** The small sample shipped in the repository (28 real sessions), used when the shared data is absent. */
export const SAMPLE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'packages',
  'analytics',
  'src',
  'test-support',
  'agent-traces-sample.jsonl',
);

/** The shared traces when present, else the shipped sample; says which. */
export function loadTracesOrSample() {
  const file = existsSync(TRACES) ? TRACES : SAMPLE;
  return { file, sample: file === SAMPLE, sessions: loadTraceSessions(file) };
}

/** Sessions as arrays of records in call order. Durations are unknown in this data: records are `untimed`. */
export function loadTraceSessions(file = TRACES) {
  if (!existsSync(file)) throw new Error(`traces not found at ${file} (the shared data lives beside this repository)`);
  const sessions = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line);
    let list = sessions.get(r.session);
    if (list === undefined) sessions.set(r.session, (list = []));
    const t = 1_700_000_000_000 + r.seq * 1000;
    list.push({
      id: `${r.session}#${r.seq}`,
      toolId: r.tool,
      sessionId: r.session,
      startTime: t,
      endTime: t,
      duration: 0,
      untimed: true,
      success: r.ok,
      ...(r.ok ? {} : { error: r.error ?? '', errorType: r.error ?? 'Error' }),
      inputSize: r.inputBytes,
      outputSize: r.outputBytes,
      sampleWeight: 1,
    });
  }
  return [...sessions.entries()].map(([id, records]) => ({ id, records }));
}

/** A stable share in [0, 256) of a session id, from byte `byte` of its SHA-256. */
export function bucketOf(id, byte = 0) {
  return createHash('sha256').update(id).digest()[byte];
}
