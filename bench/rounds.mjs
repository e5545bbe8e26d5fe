// The timing method shared by the integration and exporter suites: rounds of BATCH calls timed
// back to back (the call path), then event-loop turns until deferred work is done (timed
// separately: the background cost per call, paid off the tool's call). Medians over ROUNDS.

import client from 'prom-client';

export const BATCH = 4096;
export const ROUNDS = 60;
export const METHOD = `median of ${ROUNDS} rounds of ${BATCH} sync calls; background = the event-loop turns after each round until deferred work is done, per call`;

export const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A cheap opencode-style tool: `execute(args, ctx)`. */
export function tool() {
  return {
    id: 'grep',
    execute(args, _ctx) {
      return args.pattern.length;
    },
  };
}

/**
 * Times several cases round by round, interleaved (case 1, case 2, …, then the next round), so
 * drift on a shared machine hits them alike and their ratios hold. Each entry is
 * `{ execute(args, ctx), idle?() }`: `idle()` says when its background work is done (default:
 * after one turn). Sessions rotate every 64 calls, as an agent's would.
 */
export async function measureInterleaved(entries) {
  const args = { pattern: 'function\\s+\\w+', path: '/repo/src' };
  const sessions = ['ses_a', 'ses_b', 'ses_c', 'ses_d'].map((sessionID) => ({ sessionID, messageID: 'msg_1' }));
  const samples = entries.map(() => ({ call: [], background: [] }));
  let sink = 0;
  for (let r = 0; r < ROUNDS + 5; r++) {
    for (let e = 0; e < entries.length; e++) {
      const { execute, idle = () => true } = entries[e];
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < BATCH; i++) sink += execute(args, sessions[(i >> 6) & 3]);
      const t1 = process.hrtime.bigint();
      do await tick();
      while (!idle());
      const t2 = process.hrtime.bigint();
      if (r >= 5) {
        samples[e].call.push(Number(t1 - t0) / BATCH);
        samples[e].background.push(Number(t2 - t1) / BATCH);
      }
    }
  }
  if (sink === -1) console.log(sink);
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return samples.map((s) => ({ nsPerCall: median(s.call), backgroundNsPerCall: median(s.background) }));
}

/** Times one case (see {@link measureInterleaved}). */
export async function measureCase(execute, idle) {
  return (await measureInterleaved([{ execute, idle }]))[0];
}

/** Returns `add(name, execute, note, idle?)`: measures a case into `cases` and prints its line. */
export function caseRunner(cases) {
  return async (name, execute, note, idle) => {
    globalThis.gc?.();
    cases[name] = { ...(await measureCase(execute, idle)), note };
    const c = cases[name];
    process.stdout.write(
      `  ${name.padEnd(34)} ${c.nsPerCall.toFixed(1).padStart(8)} ns/call  + ${c.backgroundNsPerCall.toFixed(1).padStart(7)} ns background\n`,
    );
  };
}

/**
 * The peers a user would otherwise write, as `{ name, note, execute }` cases: an OpenTelemetry
 * span per call from `tracer`, and a prom-client histogram timer per call.
 */
export function peers(tracer, spanNote) {
  const bare = tool();
  const hist = new client.Histogram({ name: 'tool_duration_seconds', help: 'h', labelNames: ['tool'], registers: [new client.Registry()] });
  return [
    {
      name: 'otel-span',
      note: spanNote,
      execute: (a, c) => {
        const span = tracer.startSpan('execute_tool grep');
        const r = bare.execute(a, c);
        span.end();
        return r;
      },
    },
    {
      name: 'prom-client-timer',
      note: 'peer: a prom-client histogram timer per call',
      execute: (a, c) => {
        const end = hist.startTimer({ tool: 'grep' });
        const r = bare.execute(a, c);
        end();
        return r;
      },
    },
  ];
}
