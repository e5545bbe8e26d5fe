// History reader: `perftrack report` over a store of 1,000,000 records streams, so its heap
// stays flat as the store grows. Each case runs in its own process (a clean heap); a timer there
// runs a full GC every 250 ms and keeps the largest heap left after one ("peak heap after GC").
//
//   pnpm bench history            (PERFTRACK_HISTORY_RECORDS=… to change the store's size)
//
// Cases, each over a store of a quarter of the records and over the full store (both of 1,000 sessions):
//   report        `perftrack report --json` (replay into analytics, inefficiencies scanned per session)
//   aggregates    `perftrack report --aggregates --json` (one streaming pass)
//   held records  what the report did before the reader: every record read kept in an array
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const require = createRequire(import.meta.url);
const SELF = fileURLToPath(import.meta.url);
const RECORDS = Number(process.env.PERFTRACK_HISTORY_RECORDS ?? 1_000_000);
const SESSIONS = 1000; // both stores: the same sessions, so the heap compares records alone
const TOOLS = ['read', 'grep', 'edit', 'bash', 'glob', 'webfetch', 'write', 'list'];

function record(session, i) {
  const t = 1_700_000_000_000 + session * 10_000_000 + i * 1000;
  const duration = 0.5 + ((i * 7919) % 1000) / 10;
  return {
    id: `s${session}-${i}`,
    toolId: TOOLS[(i * 31 + session) % TOOLS.length],
    sessionId: `ses_${String(session).padStart(5, '0')}`,
    startTime: t,
    endTime: t + duration,
    duration,
    success: i % 13 !== 0,
    ...(i % 13 === 0 ? { errorType: 'ENOENT', error: 'no such file' } : {}),
    sampleWeight: 1,
    inputSize: 120,
    outputSize: 4096,
    ...(i % 5 === 0 ? { inputHash: `h${i % 40}` } : {}),
  };
}

async function writeStore(dir, records) {
  const { PerformanceStorage } = require('@perftrack/storage');
  const storage = new PerformanceStorage({ dir });
  const sessions = Math.min(SESSIONS, records);
  const perSession = Math.ceil(records / sessions);
  for (let s = 0; s < sessions; s++) {
    const batch = [];
    for (let i = 0; i < perSession && s * perSession + i < records; i++) batch.push(record(s, i));
    await storage.saveMetrics(batch[0].sessionId, batch);
  }
  await storage.shutdown();
  return sessions;
}

/** In the child: run one case, sampling the heap after GC. */
async function child(kind, dir, maxSessions) {
  let peak = 0;
  const sample = () => {
    globalThis.gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  sample();
  const baseline = peak;
  const timer = setInterval(sample, 250);
  const started = process.hrtime.bigint();
  let records = 0;
  if (kind === 'held records') {
    const { openHistory } = require('@perftrack/integration');
    const held = [];
    records = (await openHistory({ dir }).replay((m) => held.push(m), { maxSessions })).records;
    sample();
    void held.length;
  } else {
    const { main } = require('@perftrack/cli');
    const argv = [
      'report',
      '--dir',
      dir,
      '--json',
      '--max-sessions',
      String(maxSessions),
      ...(kind === 'aggregates' ? ['--aggregates'] : []),
    ];
    let out = '';
    const code = await main(argv, { stdout: { write: (s) => (out += s) }, stderr: { write: (s) => process.stderr.write(s) }, env: {} });
    if (code !== 0) throw new Error(`perftrack report exited ${code}`);
    const doc = JSON.parse(out);
    records = doc.records ?? doc.analytics.summary.totalOperations;
    out = '';
  }
  clearInterval(timer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  sample();
  process.stdout.write(
    JSON.stringify({ records, seconds, peakHeapAfterGcMiB: (peak - baseline) / 1048576, baselineMiB: baseline / 1048576 }),
  );
}

export async function run() {
  const root = mkdtempSync(join(tmpdir(), 'perftrack-history-bench-'));
  try {
    const stores = [];
    for (const records of [Math.ceil(RECORDS / 4), RECORDS]) {
      const t0 = Date.now();
      const dir = join(root, String(records));
      const sessions = await writeStore(dir, records);
      stores.push({ dir, sessions });
      console.log(`store: ${records} records in ${sessions} sessions, written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const sessions = stores[1].sessions;
    const cases = [];
    for (const kind of ['report', 'aggregates', 'held records']) {
      for (const { dir, sessions: maxSessions } of stores) {
        const r = spawnSync(process.execPath, ['--expose-gc', SELF, '--child', kind, dir, String(maxSessions)], {
          encoding: 'utf8',
          maxBuffer: 1 << 26,
        });
        if (r.status !== 0) throw new Error(`${kind} failed: ${r.stderr}`);
        const m = JSON.parse(r.stdout);
        cases.push({ case: kind, ...m });
        console.log(
          `${kind.padEnd(13)} ${String(m.records).padStart(9)} records  ${m.seconds.toFixed(1).padStart(6)} s  peak heap after GC +${m.peakHeapAfterGcMiB.toFixed(1)} MiB`,
        );
      }
    }
    const growth = (kind) => {
      const [quarter, all] = cases.filter((c) => c.case === kind);
      return all.peakHeapAfterGcMiB / quarter.peakHeapAfterGcMiB;
    };
    const summary = {
      reportHeapGrowthQuarterToAll: growth('report'),
      aggregatesHeapGrowthQuarterToAll: growth('aggregates'),
      heldRecordsHeapGrowthQuarterToAll: growth('held records'),
    };
    console.log(
      `heap growth from ${RECORDS / 4} to ${RECORDS} records: report ×${summary.reportHeapGrowthQuarterToAll.toFixed(2)}, aggregates ×${summary.aggregatesHeapGrowthQuarterToAll.toFixed(2)}, holding records ×${summary.heldRecordsHeapGrowthQuarterToAll.toFixed(2)}`,
    );
    return { records: RECORDS, sessions, cases, summary };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], Number(process.argv[5]));
}
