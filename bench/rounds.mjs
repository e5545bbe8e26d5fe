// The timing method shared by the integration and exporter suites: rounds of BATCH calls timed
// back to back (the call path), then event-loop turns until deferred work is done (timed
// separately: the background cost per call, paid off the tool's call). Medians over ROUNDS.

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
 * Times `execute(args, ctx)`; `idle()` says when background work is done (default: after one
 * turn). Sessions rotate every 64 calls, as an agent's would.
 */
export async function measureCase(execute, idle = () => true) {
  const args = { pattern: 'function\\s+\\w+', path: '/repo/src' };
  const sessions = ['ses_a', 'ses_b', 'ses_c', 'ses_d'].map((sessionID) => ({ sessionID, messageID: 'msg_1' }));
  const call = [];
  const background = [];
  let sink = 0;
  for (let r = 0; r < ROUNDS + 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) sink += execute(args, sessions[(i >> 6) & 3]);
    const t1 = process.hrtime.bigint();
    do await tick();
    while (!idle());
    const t2 = process.hrtime.bigint();
    if (r >= 5) {
      call.push(Number(t1 - t0) / BATCH);
      background.push(Number(t2 - t1) / BATCH);
    }
  }
  if (sink === -1) console.log(sink);
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return { nsPerCall: median(call), backgroundNsPerCall: median(background) };
}
