// One writer process of `pnpm bench postgres`: COUNT records through PerformanceStorage and the
// PostgreSQL adapter (the builds users run), fed 1,000 per event-loop turn, then shutdown.
// Prints `ready` once connected, waits for `go` on stdin, then prints one JSON line of timings.
// Env: DATABASE_URL, SCHEMA, WRITER, COUNT, BATCH, SYNC (off: synchronousCommit false), ADAPTER_MODULE.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const { PerformanceStorage } = require('@perftrack/storage');
// ADAPTER_MODULE: another build of the adapter (a before/after comparison)
const { PostgresStorage } = require(process.env.ADAPTER_MODULE ?? '@perftrack/storage-postgres');

const env = process.env;
const count = Number(env.COUNT);
const adapter = new PostgresStorage({
  connectionString: env.DATABASE_URL,
  schema: env.SCHEMA,
  partitionInterval: 'day',
  synchronousCommit: env.SYNC !== 'off',
});
const storage = new PerformanceStorage({
  adapter,
  batchSize: Number(env.BATCH),
  maxQueue: count + 1,
  flushIntervalMs: 5,
  onWarning: (w) => process.stderr.write(`${w}\n`),
});
const tools = ['read', 'grep', 'edit', 'bash', 'glob', 'web_fetch', 'write', 'list'];
const base = Date.UTC(2026, 10, 1);
// built before timing: the benchmark measures storage, not record construction
const records = Array.from({ length: count }, (_, i) => {
  const t = base + i * 7 + Number(env.WRITER) * 0.25;
  const duration = ((i * 7919) % 100_003) / 97 + (i % 8) * 0.125; // varied, as measured times are
  return {
    id: `w${env.WRITER}-${i}`,
    toolId: tools[i % 8],
    sessionId: `w${env.WRITER}-s${i >> 9}`,
    messageId: `m${i >> 4}`,
    startTime: t,
    endTime: t + duration,
    duration,
    success: i % 19 !== 0,
    sampleWeight: 1,
    inputSize: 120,
    outputSize: 4096,
  };
});
await adapter.listSessions(); // schema ready, pool connected
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line === 'go') break;
const tick = () => new Promise((r) => setImmediate(r));
const cpu0 = process.cpuUsage();
const start = performance.timeOrigin + performance.now();
for (let n = 0; n < count; ) {
  for (const end = Math.min(count, n + 1000); n < end; n++) storage.onMetric(records[n]);
  await tick();
}
await storage.shutdown();
const end = performance.timeOrigin + performance.now();
const cpu = process.cpuUsage(cpu0);
await adapter.end();
process.stdout.write(`${JSON.stringify({ start, end, cpuMs: (cpu.user + cpu.system) / 1000, stats: storage.stats() })}\n`);
process.exit(0);
