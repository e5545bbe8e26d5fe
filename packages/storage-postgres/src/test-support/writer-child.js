// A writer process for the PostgreSQL tests: through PerformanceStorage and the adapter (the
// package builds), writes COUNT records of its own to session WRITER and the SHARED records every
// writer has (same ids: a fleet's duplicates), then shuts down and prints its counters.
// Env: DATABASE_URL, SCHEMA, WRITER, COUNT, SHARED, BATCH.
'use strict';
const { PerformanceStorage } = require('@perftrack/storage');
const { PostgresStorage } = require('@perftrack/storage-postgres');

const env = process.env;
const count = Number(env.COUNT);
const shared = Number(env.SHARED || 0);
const errors = [];
const adapter = new PostgresStorage({
  connectionString: env.DATABASE_URL,
  schema: env.SCHEMA,
  partitionInterval: 'day',
  onError: (e) => errors.push(String(e && e.message)),
});
const storage = new PerformanceStorage({
  adapter,
  batchSize: Number(env.BATCH || 500),
  flushIntervalMs: 5,
  onError: (e) => errors.push(String(e && e.message)),
  onWarning: (w) => errors.push(w),
});

const t = Date.UTC(2026, 10, 30, 23, 30, 0); // spans midnight: two day partitions created concurrently
const record = (id, sessionId, n) => ({
  id,
  toolId: ['read', 'grep', 'edit'][n % 3],
  sessionId,
  startTime: t + n * 500,
  endTime: t + n * 500 + 1,
  duration: 1,
  success: n % 11 !== 0,
  sampleWeight: 1,
});

let n = 0;
let s = 0;
const tick = () => {
  for (let upTo = Math.min(count, n + 2000); n < upTo; n++) storage.onMetric(record(`${env.WRITER}-${n}`, env.WRITER, n));
  for (let upTo = Math.min(shared, s + 500); s < upTo; s++) storage.onMetric(record(`shared-${s}`, 'shared', s * 3));
  if (n < count || s < shared) setImmediate(tick);
  else
    storage.shutdown().then(async () => {
      await adapter.end();
      process.stdout.write(`done ${JSON.stringify({ ...storage.stats(), errors })}\n`);
    });
};
tick();
