// One writer process of the storage bench: COUNT records into SESSION through the storage module
// at STORAGE (today's build or this one), then prints its CPU time and wall time as JSON.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { PerformanceStorage } = require(process.env.STORAGE);
const count = Number(process.env.COUNT);
const writer = process.env.WRITER;
const t = 1_700_000_000_000;
const records = Array.from({ length: count }, (_, n) => ({
  id: `${writer}-${n}`,
  toolId: ['read', 'grep', 'edit', 'bash'][n & 3],
  sessionId: process.env.SESSION,
  messageId: `msg_${n >> 6}`,
  startTime: t + n,
  endTime: t + n + 3.25,
  duration: 3.25,
  success: (n & 15) !== 0,
  sampleWeight: 1,
  inputSize: 120,
  outputSize: 4096,
}));
const storage = new PerformanceStorage({ dir: process.env.DIR, onWarning: () => {} });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let n = 0; n < count; ) {
  const end = Math.min(count, n + 1000);
  for (; n < end; n++) storage.onMetric(records[n]);
  await new Promise((r) => setImmediate(r));
}
await storage.shutdown();
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ ms: performance.now() - t0, cpuUs: cpu.user + cpu.system, stats: storage.stats() }) + '\n');
