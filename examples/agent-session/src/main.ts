// The main job: a simulated coding agent runs a few sessions with tracked tools, persists what
// perftrack recorded, and prints the report over this run and every earlier run in the same
// directory. Deterministic for a seed and a starting directory.
//
//   node dist/main.js [--dir DIR] [--seed N] [--sessions N] [--tasks N] [--fresh] [--dashboard [--port N] [--pace MS]]
//
// --dashboard serves the live dashboard (attached to this process) while the agent runs and
// until Ctrl-C; --pace waits between tasks (default 200 ms with --dashboard) so it can be watched.
import { readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_DASHBOARD_PORT, startDashboard, type Dashboard } from '@perftrack/dashboard';
import { PerformanceIntegration, createSeededRandom, formatSessionReport, type SequenceStep } from '@perftrack/integration';
import { Workspace, createTools, type ToolContext } from './tools';

interface Options {
  dir: string;
  seed: number;
  sessions: number;
  tasks: number;
  fresh: boolean;
  dashboard: boolean;
  port: number;
  pace: number | undefined;
}

const USAGE = 'usage: main.js [--dir DIR] [--seed N] [--sessions N] [--tasks N] [--fresh] [--dashboard [--port N] [--pace MS]]';

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    // the CLI's default too (`perftrack report` right after `pnpm start` finds this run)
    dir: resolve(process.env.PERFTRACK_DIR || '.perftrack'),
    seed: Number(process.env.PERFTRACK_SEED ?? 42),
    sessions: 3,
    tasks: 4,
    fresh: false,
    dashboard: false,
    port: DEFAULT_DASHBOARD_PORT,
    pace: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--') continue; // pnpm start -- … passes the separator through
    if (flag === '--fresh') o.fresh = true;
    else if (flag === '--dashboard') o.dashboard = true;
    else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (['--dir', '--seed', '--sessions', '--tasks', '--port', '--pace'].includes(flag)) {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      if (flag === '--dir') o.dir = resolve(value);
      else {
        const n = Number(value);
        const min = flag === '--seed' || flag === '--port' || flag === '--pace' ? 0 : 1;
        if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got ${value}`);
        o[flag.slice(2) as 'seed' | 'sessions' | 'tasks' | 'port' | 'pace'] = n;
      }
    } else throw new Error(`unknown argument ${flag}\n${USAGE}`);
  }
  if (!Number.isInteger(o.seed)) throw new Error(`PERFTRACK_SEED must be an integer, got ${process.env.PERFTRACK_SEED}`);
  return o;
}

type Step = { tool: string; args: Record<string, unknown> };

/** One task of the agent: explore, read, edit, test, sometimes fetch docs and write notes. */
function planTask(random: () => number, n: number): Step[] {
  const file = (k: number) => `src/module${k % 40}.ts`;
  const missing = random() < 0.3;
  const steps: Step[] = [
    { tool: 'glob', args: { pattern: '**/*.ts' } },
    { tool: 'grep', args: { pattern: `value${n}` } },
    { tool: 'read', args: { filePath: missing ? `src/missing${n}.ts` : file(n) } },
    { tool: 'read', args: { filePath: file(n + 1) } },
    { tool: 'edit', args: { filePath: file(n), oldString: `value${n % 40}`, newString: `renamed${n}` } },
    { tool: 'bash', args: { command: 'npm test -- --silent' } },
  ];
  if (random() < 0.4) steps.push({ tool: 'webfetch', args: { url: 'https://docs.example.dev/api' } });
  if (random() < 0.5) steps.push({ tool: 'write', args: { filePath: `notes/${n}.md`, content: 'done\n' } });
  steps.push({ tool: 'bash', args: { command: 'git diff --stat' } });
  return steps;
}

/** Files and bytes under each of the storage directory's kinds. */
async function describeDir(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const kind of ['metrics', 'patterns', 'analytics']) {
    const names = await readdir(join(dir, kind)).catch(() => [] as string[]);
    let bytes = 0;
    for (const n of names) bytes += (await stat(join(dir, kind, n))).size;
    lines.push(
      `  ${join(dir, kind).padEnd(dir.length + 11)} ${String(names.length).padStart(3)} files ${(bytes / 1024).toFixed(1).padStart(8)} KB`,
    );
  }
  return lines;
}

// `pnpm start | head`: once the reader has gone, printing stops quietly and the run still
// finishes (its data is written, the status is 0) instead of dying on an EPIPE error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.fresh) await rm(o.dir, { recursive: true, force: true });

  // Earlier runs left sessions named run<N>-ses_<k> in the same directory: this is the next run.
  const integration = await PerformanceIntegration.initialize({
    storageDir: o.dir,
    sampleRates: { glob: 0.5 }, // per-tool sampling for a cheap, frequent tool (grep samples in its decorator)
    random: createSeededRandom(o.seed + 1),
  });
  const before = integration.stats().history;
  const stored = await integration.storage.listSessions();
  const run = 1 + new Set(stored.map((s) => /^run(\d+)-/.exec(s.sessionId)?.[1]).filter(Boolean)).size;
  const random = createSeededRandom(o.seed * 7919 + run);

  const ws = new Workspace(random);
  const { classTools, objectTools } = createTools(ws);
  const wrapped = PerformanceIntegration.wrapTools(objectTools, { perTool: { webfetch: { trackMemory: true } } });
  const tools: Record<string, { execute(args: never, ctx: ToolContext): Promise<unknown> }> = { ...classTools, ...wrapped };

  const total = o.sessions * o.tasks;
  const started = Date.now();
  const tty = process.stdout.isTTY === true;
  let shown = false;
  const progress = (done: number, session: string) => {
    const elapsed = Date.now() - started;
    if (elapsed < 1000 && done < total) return; // quick runs print no progress
    shown = true;
    const line = `  [${'#'.repeat(Math.round((20 * done) / total)).padEnd(20, '.')}] ${done}/${total} tasks, ${session}, ${(elapsed / 1000).toFixed(1)} s`;
    if (tty) process.stdout.write(`\r${line}`);
    else if (done % o.tasks === 0) console.log(line);
  };

  let dashboard: Dashboard | undefined;
  if (o.dashboard) {
    // attached to this process: the integration's engine already holds the history, so nothing is analysed twice
    dashboard = await startDashboard({ collector: integration.collector, analytics: integration.analytics, port: o.port });
  }
  const pace = o.pace ?? (o.dashboard ? 200 : 0);

  console.log(`perftrack example agent: run ${run}, ${o.sessions} sessions x ${o.tasks} tasks, seed ${o.seed}`);
  if (dashboard) console.log(`  dashboard: ${dashboard.url}`);
  console.log(
    `  storage: ${o.dir}${before.sessions > 0 ? ` (history: ${before.sessions} sessions, ${before.records} calls)` : ' (empty)'}`,
  );
  const sessionIds: string[] = [];
  let done = 0;
  for (let s = 0; s < o.sessions; s++) {
    const sessionID = `run${run}-ses_${String(s + 1).padStart(3, '0')}`;
    sessionIds.push(sessionID);
    for (let t = 0; t < o.tasks; t++) {
      const messageID = `msg_${s}_${t}`;
      for (const [i, step] of planTask(random, s * o.tasks + t).entries()) {
        const ctx: ToolContext = { sessionID, messageID, callID: `call_${s}_${t}_${i}` };
        try {
          await (tools[step.tool] as { execute(a: unknown, c: ToolContext): Promise<unknown> }).execute(step.args, ctx);
        } catch {
          // the agent reads the error and carries on, as real agents do
        }
      }
      progress(++done, sessionID);
      if (pace > 0) await sleep(pace);
    }
  }
  if (tty && shown) process.stdout.write('\n');

  await integration.runAnalytics(); // flush, then save this run's session reports and patterns
  const report = integration.analytics.overallReport();
  console.log('');
  console.log(formatSessionReport(report, { maxItems: 6 }));

  const patterns = integration.patterns!;
  console.log('\nNext-tool predictions:');
  const contexts: SequenceStep[][] = [
    ['glob', 'grep'],
    ['read', 'read'],
    ['read', 'edit'],
    [{ toolId: 'edit', success: false }],
    [{ toolId: 'bash', success: false }],
  ];
  const show = (label: string, list: ReturnType<typeof patterns.predictNextTools>) =>
    console.log(
      `  ${label.padEnd(34)} ${
        list
          .filter((p) => p.probability >= 0.005)
          .map((p) => `${p.toolId} ${(p.probability * 100).toFixed(0)}%`)
          .join(', ') || '(no data)'
      }`,
    );
  for (const c of contexts)
    show(`after ${c.map((x) => (typeof x === 'string' ? x : `${x.toolId} (failed)`)).join(' → ')}:`, patterns.predictNextTools(c, 3));
  const last = sessionIds[sessionIds.length - 1]!;
  const tracker = integration.getTracker(last);
  show(`${last} (after ${tracker.lastTools.slice(-2).join(' → ')}):`, patterns.predictNextForSession(last, 3));

  const now = integration.stats();
  const c = now.collector;
  console.log('\nHistory:');
  console.log(`  earlier runs ${String(before.sessions).padStart(4)} sessions ${String(before.records).padStart(6)} calls`);
  console.log(
    `  this run     ${String(o.sessions).padStart(4)} sessions ${String(c.recorded).padStart(6)} calls recorded (+${c.sampledOut} sampled out)`,
  );
  console.log(
    `  in analytics ${String(report.analytics.summary.sessions).padStart(4)} sessions ${String(report.analytics.summary.totalOperations).padStart(6)} calls`,
  );
  console.log(`  session ${last}: ${tracker.calls} calls, ${tracker.failures} failed, ${tracker.totalDuration.toFixed(0)} ms in tools`);

  if (dashboard) {
    console.log(`\nDashboard still serving at ${dashboard.url}; Ctrl-C to stop`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await dashboard.close();
  }
  await integration.shutdown();
  console.log('\nData written (files are 0600, sizes and outcomes only, never tool inputs or outputs):');
  for (const line of await describeDir(o.dir)) console.log(line);
  console.log(`  run again to add to this history; --fresh to start over; --dir to choose another directory`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
