// Drives COUNT tracked calls through the README's shape (decorator -> collector -> storage on
// disk), yielding to the event loop every 1,000 calls as an agent does, and prints the heap after
// a full GC at each tenth of the run. Run with --expose-gc. Env: DIR, COUNT, SESSIONS.
'use strict';
const { PerformanceStorage } = require('@perftrack/storage');
const { MetricsCollector, trackPerformance } = require('@perftrack/core');

const count = Number(process.env.COUNT);
const sessions = Number(process.env.SESSIONS || 1);
const collector = new MetricsCollector({ onWarning: () => {} });
const storage = new PerformanceStorage({ dir: process.env.DIR, onWarning: (w) => process.stderr.write(`warning: ${w}\n`) });
collector.subscribe(storage);
const tool = trackPerformance({ collector })({ id: 'read', execute: (args, _ctx) => args.n });
const ids = Array.from({ length: sessions }, (_, i) => `ses_${i}`);

function heapMB() {
  globalThis.gc();
  globalThis.gc();
  return +(process.memoryUsage().heapUsed / 1048576).toFixed(2);
}

(async () => {
  const samples = [];
  const step = count / 10;
  const t0 = performance.now();
  for (let n = 0; n < count; ) {
    const end = n + 1000;
    for (; n < end; n++) tool.execute({ n }, { sessionID: ids[n % sessions] });
    await new Promise((r) => setImmediate(r));
    if (n % step === 0) {
      await storage.flush();
      samples.push({ calls: n, heapMB: heapMB() });
    }
  }
  await collector.shutdown();
  const s = storage.stats();
  process.stdout.write(JSON.stringify({ samples, stats: s, seconds: +((performance.now() - t0) / 1000).toFixed(1) }) + '\n');
})();
