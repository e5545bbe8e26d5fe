// An A/B of two builds of the adapter in one process: batches alternate between them, each into its
// own schema on one throwaway cluster, so the machine's load weighs on both alike. Median ms per batch.
//   node bench/postgres-ab.mjs <dist of A> [<dist of B>]   (B: the workspace's build)
// Env: AB_BATCH (5000), AB_BATCHES (60), AB_WRITERS (1: adapters per side writing at once, a connection each),
// AB_SPREAD (0: connections held open after each writer's, so that backend pids, hence shards by pid, collide).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { startTestCluster } = require('../packages/storage-postgres/src/test-support/pg-cluster.js');
const [a, b = '@perftrack/storage-postgres'] = process.argv.slice(2);
const batch = Number(process.env.AB_BATCH ?? 5000);
const batches = Number(process.env.AB_BATCHES ?? 60);
const writers = Number(process.env.AB_WRITERS ?? 1);
const tools = ['read', 'grep', 'edit', 'bash', 'glob', 'web_fetch', 'write', 'list'];
const base = Date.UTC(2026, 10, 1);
// the records of bench/postgres-writer-child.mjs
const rec = (i, w) => {
  const t = base + i * 7 + w * 0.25;
  const duration = ((i * 7919) % 100_003) / 97 + (i % 8) * 0.125;
  return {
    id: `w${w}-${i}`,
    toolId: tools[i % 8],
    sessionId: `w${w}-s${i >> 9}`,
    messageId: `m${i >> 4}`,
    startTime: t,
    endTime: t + duration,
    duration,
    success: i % 19 !== 0,
    sampleWeight: 1,
    inputSize: 120,
    outputSize: 4096,
  };
};
const cluster = await startTestCluster({ shared_buffers: '256MB', max_wal_size: '8GB', checkpoint_timeout: '30min' });
try {
  const sides = [a, b].map((m, k) => ({
    name: m,
    ms: [],
    ss: Array.from(
      { length: writers },
      () =>
        new (require(m).PostgresStorage)({
          connectionString: cluster.url(),
          schema: `ab${k}`,
          partitionInterval: 'day',
          maxConnections: 1,
        }),
    ),
  }));
  const held = [];
  const { Client } = createRequire(new URL('../packages/storage-postgres/package.json', import.meta.url))('pg');
  for (const side of sides)
    for (const s of side.ss) {
      await s.listSessions();
      for (let i = 0; i < Number(process.env.AB_SPREAD ?? 0); i++) {
        const c = new Client({ connectionString: cluster.url() });
        await c.connect();
        held.push(c);
      }
    }
  for (let n = 0; n < batches; n++) {
    const perWriter = Array.from({ length: writers }, (_, w) => {
      const groups = new Map();
      for (let j = 0; j < batch; j++) {
        const r = rec(n * batch + j, w);
        groups.set(r.sessionId, [...(groups.get(r.sessionId) ?? []), r]);
      }
      return groups;
    });
    for (const side of n % 2 === 0 ? sides : [...sides].reverse()) {
      const t0 = performance.now();
      await Promise.all(side.ss.map((s, w) => s.appendSessions(perWriter[w])));
      side.ms.push(performance.now() - t0);
    }
  }
  const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  for (const [k, side] of sides.entries()) {
    // writers on one shard wait on each other's rollup rows: how many shards the writers used
    const [{ n }] = await cluster.sql(`SELECT count(DISTINCT shard)::int AS n FROM ab${k}.tool_days`);
    side.name += ` (${n} rollup shard${n === 1 ? '' : 's'} used)`;
    console.log(
      `${side.name}: median ${med(side.ms.slice(2)).toFixed(1)} ms per batch of ${batch} x ${writers} (${Math.round((writers * batch * 1000) / med(side.ms.slice(2))).toLocaleString('en-US')} records/s)`,
    );
    for (const s of side.ss) await s.end();
  }
  for (const c of held) await c.end();
} finally {
  await cluster.destroy();
}
