// Storage throughput: records/s through the batched writer (onMetric → flush → JSON Lines on
// disk), and a streaming load of 1 M records with the heap sampled while it runs.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceStorage } from '@perftrack/storage';

const N = 1_000_000;

function record(i) {
  const t = 1_700_000_000_000 + i;
  return {
    id: `a1b2c3d4e5f6-${i}`, toolId: ['read', 'grep', 'edit', 'bash'][i & 3], sessionId: 'bench', messageId: `msg_${i >> 6}`,
    startTime: t, endTime: t + 3.25, duration: 3.25, success: (i & 15) !== 0, sampleWeight: 1, inputSize: 120, outputSize: 4096,
  };
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-bench-'));
  try {
    const records = Array.from({ length: N }, (_, i) => record(i));
    const storage = new PerformanceStorage({ dir, batchSize: 5000, maxQueue: N, onWarning: () => {} });
    globalThis.gc?.();
    const t0 = performance.now();
    for (let i = 0; i < N; i++) storage.onMetric(records[i]);
    const enqueueMs = performance.now() - t0;
    await storage.shutdown();
    const appendMs = performance.now() - t0;
    const file = join(dir, 'metrics', 'bench.jsonl');
    const bytes = statSync(file).size;
    records.length = 0;

    globalThis.gc?.();
    const heapStart = process.memoryUsage().heapUsed;
    let peakHeap = heapStart;
    let n = 0;
    const reader = new PerformanceStorage({ dir, onWarning: () => {} });
    const t1 = performance.now();
    for await (const m of reader.iterateMetrics('bench')) {
      if (m.id !== undefined) n++;
      if ((n & 0xffff) === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
    const loadMs = performance.now() - t1;
    const result = {
      records: N,
      fileBytes: bytes,
      append: { recordsPerSecond: Math.round(N / (appendMs / 1000)), totalMs: Math.round(appendMs), enqueueNsPerRecord: (enqueueMs * 1e6) / N },
      load: { records: n, recordsPerSecond: Math.round(n / (loadMs / 1000)), totalMs: Math.round(loadMs), peakHeapGrowthMB: +((peakHeap - heapStart) / 1048576).toFixed(1) },
    };
    console.log(`  append: ${N.toLocaleString('en-US')} records (${(bytes / 1048576).toFixed(0)} MB) in ${result.append.totalMs} ms = ${result.append.recordsPerSecond.toLocaleString('en-US')} records/s (onMetric ${result.append.enqueueNsPerRecord.toFixed(0)} ns/record)`);
    console.log(`  load:   ${n.toLocaleString('en-US')} records streamed in ${result.load.totalMs} ms = ${result.load.recordsPerSecond.toLocaleString('en-US')} records/s, peak heap growth ${result.load.peakHeapGrowthMB} MB`);
    console.log(`  target: append >= 200,000 records/s: ${result.append.recordsPerSecond >= 200_000 ? 'met' : 'MISSED'}`);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function readmeTable(doc) {
  return [
    '`pnpm bench storage`, results in `bench/results/storage.json`:',
    '',
    '| storage | figure |',
    '|---|---:|',
    `| append through the batched writer (${doc.records.toLocaleString('en-US')} records, ${(doc.fileBytes / 1048576).toFixed(0)} MB) | ${doc.append.recordsPerSecond.toLocaleString('en-US')} records/s |`,
    `| \`onMetric\` (enqueue, on the tool's path) | ${doc.append.enqueueNsPerRecord.toFixed(0)} ns/record |`,
    `| streaming load | ${doc.load.recordsPerSecond.toLocaleString('en-US')} records/s |`,
    `| peak heap growth while streaming 1 M records | ${doc.load.peakHeapGrowthMB} MB |`,
  ].join('\n');
}
