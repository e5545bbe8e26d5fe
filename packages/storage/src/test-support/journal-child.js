// A process for the exit-journal tests, through the package entry. Env: DIR, MODE:
//   'exit'       queue SESSIONS sessions × PER records each (ids `<TAG>-<s>-<k>`), then process.exit(0)
//                (prints "queued" first, and the storage stats on stderr from an exit listener)
//   'checkpoint' run storage.checkpoint() and print its result as JSON (PROGRESS=1: print "started")
//   'flush'      SESSIONS sessions × PER records each, 1,000 records a turn, each turn flushed; prints
//                "flushed <records stored>" after each flush (a test SIGKILLs it meanwhile), then shuts down
//                (EXIT=1: queues one more record a session and calls process.exit(0) instead)
//   'read'       replay every stored record and print {records, unique, duplicates, sessions, corruptLines}
'use strict';
const { PerformanceStorage } = require('@perftrack/storage');

const env = process.env;
const warnings = [];
const storage = new PerformanceStorage({
  dir: env.DIR,
  batchSize: 1_000_000,
  flushIntervalMs: 3_600_000,
  maxQueue: 1_000_000,
  onWarning: (w) => {
    warnings.push(w);
    process.stderr.write(`warning: ${w}\n`);
  },
});

/** Record `k` of session `ses_<s>`: id `<TAG>-<s>-<k>`, started at t + k. */
const t = 1_700_000_000_000;
function recordOf(s, k) {
  return {
    id: `${env.TAG}-${s}-${k}`,
    toolId: 'read',
    sessionId: `ses_${s}`,
    startTime: t + k,
    endTime: t + k + 1,
    duration: 1,
    success: true,
    sampleWeight: 1,
  };
}

if (env.MODE === 'exit') {
  const sessions = Number(env.SESSIONS);
  const per = Number(env.PER || 1);
  for (let s = 0; s < sessions; s++) for (let k = 0; k < per; k++) storage.onMetric(recordOf(s, k));
  const t0 = performance.now();
  process.on('exit', () => {
    process.stderr.write(`${JSON.stringify({ exitWriteMs: Math.round(performance.now() - t0), stats: storage.stats() })}\n`);
  });
  process.stdout.write('queued\n');
  process.exit(0);
} else if (env.MODE === 'flush') {
  const sessions = Number(env.SESSIONS);
  const per = Number(env.PER || 1);
  (async () => {
    let n = 0;
    for (let k = 0; k < per; k++)
      for (let s = 0; s < sessions; s++) {
        storage.onMetric(recordOf(s, k));
        if (++n % 1000 === 0) {
          await storage.flush();
          process.stdout.write(`flushed ${storage.stats().written}\n`);
        }
      }
    if (env.EXIT === '1') {
      // queued and not flushed: written by the exit handler, the segment sealed after it
      for (let s = 0; s < sessions; s++) storage.onMetric({ ...recordOf(s, per), id: `${env.TAG}-${s}-exit` });
      process.on('exit', () => process.stderr.write(`${JSON.stringify(storage.stats())}\n`));
      process.exit(0);
    }
    await storage.shutdown();
    process.stdout.write(`done ${JSON.stringify(storage.stats())}\n`);
  })();
} else if (env.MODE === 'checkpoint') {
  if (env.PROGRESS === '1') process.stdout.write('started\n');
  storage.checkpoint().then(
    (result) =>
      process.stdout.write(
        `${JSON.stringify({ ...result, error: result.error && String(result.error), stats: storage.stats(), warnings })}\n`,
      ),
    (error) => {
      process.stdout.write(`${JSON.stringify({ failed: String(error) })}\n`);
      process.exitCode = 1;
    },
  );
} else if (env.MODE === 'read') {
  const seen = new Set();
  let duplicates = 0;
  storage
    .replay((m) => {
      if (seen.has(m.id)) duplicates++;
      seen.add(m.id);
    })
    .then(async (read) => {
      const sessions = (await storage.listSessions()).filter((s) => s.hasMetrics).length;
      process.stdout.write(
        `${JSON.stringify({ records: read.records, unique: seen.size, duplicates, sessions, corruptLines: read.corruptLines })}\n`,
      );
    });
}
