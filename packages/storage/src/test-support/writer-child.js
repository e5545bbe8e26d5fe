// A writer process for the storage tests: appends COUNT records to one session through the
// package entry, then reports. Env: DIR, SESSION, WRITER, COUNT, BATCH, PAD (bytes of metadata on
// every 7th record), EXIT ('exit' | 'throw' | '' : how it ends), PROGRESS ('1': print flushed counts).
'use strict';
const { PerformanceStorage } = require('@perftrack/storage');
const { MetricsCollector, trackPerformance } = require('@perftrack/core');

const env = process.env;
const count = Number(env.COUNT);
const writer = env.WRITER;
const pad = 'x'.repeat(Number(env.PAD || 0));
const storage = new PerformanceStorage({
  dir: env.DIR,
  batchSize: Number(env.BATCH || 500),
  flushIntervalMs: 5,
  onWarning: (w) => process.stderr.write(`warning: ${w}\n`),
});

if (env.EXIT) {
  // the README's shape: a collector with storage subscribed, tools tracked by the decorator
  const collector = new MetricsCollector({ onWarning: () => {} });
  collector.subscribe(storage);
  const tool = trackPerformance({ collector, toolId: 'read' })({ id: 'read', execute: (args, _ctx) => args.n });
  for (let n = 0; n < count; n++) tool.execute({ n }, { sessionID: env.SESSION });
  process.stdout.write(`called ${count}\n`);
  if (env.EXIT === 'exit') process.exit(0);
  setImmediate(() => {
    throw new Error('uncaught on purpose');
  });
} else {
  const t = 1_700_000_000_000;
  let n = 0;
  const tick = () => {
    const upTo = Math.min(count, n + 1000);
    for (; n < upTo; n++) {
      storage.onMetric({
        id: `${writer}-${n}`,
        toolId: 'grep',
        sessionId: env.SESSION,
        startTime: t + n,
        endTime: t + n + 1,
        duration: 1,
        success: true,
        sampleWeight: 1,
        ...(n % 7 === 0 && pad.length > 0 ? { metadata: { pad } } : {}),
      });
    }
    if (env.PROGRESS === '1') {
      const flushed = n;
      storage.flush().then(
        () => process.stdout.write(`flushed ${flushed}\n`),
        () => {},
      );
    }
    if (n < count) setImmediate(tick);
    else storage.shutdown().then(() => process.stdout.write(`done ${JSON.stringify(storage.stats())}\n`));
  };
  tick();
}
