// The main job: a simulated coding agent runs a few sessions with tracked tools, then prints
// what perftrack recorded. Deterministic: PERFTRACK_SEED (default 42) fixes every draw.
import { MetricsCollector, createSeededRandom, wrapTools, type ToolExecutionMetrics } from '@perftrack/core';
import { Workspace, createTools, type ToolContext } from './tools';

type Step = { tool: string; args: Record<string, unknown> };

/** One task of the agent: explore, read, edit, test, sometimes fetch docs. */
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

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function printReport(records: readonly ToolExecutionMetrics[], collector: MetricsCollector): void {
  const byTool = new Map<string, ToolExecutionMetrics[]>();
  for (const m of records) byTool.set(m.toolId, [...(byTool.get(m.toolId) ?? []), m]);
  const rows = [...byTool.entries()].sort((a, b) => b[1].length - a[1].length);
  console.log('\nRecorded tool calls');
  console.log('tool       calls  est.calls   p50 ms   p95 ms  errors  avg in B  avg out B');
  for (const [tool, ms] of rows) {
    const timed = ms.filter((m) => !m.untimed).map((m) => m.duration).sort((a, b) => a - b);
    const errors = ms.filter((m) => !m.success).length;
    const est = ms.reduce((s, m) => s + m.sampleWeight, 0);
    const avg = (xs: (number | undefined)[]) => {
      const v = xs.filter((x): x is number => typeof x === 'number');
      return v.length ? String(Math.round(v.reduce((a, b) => a + b, 0) / v.length)) : '-';
    };
    console.log(
      `${tool.padEnd(10)} ${String(ms.length).padStart(5)} ${String(Math.round(est)).padStart(10)} ${percentile(timed, 50).toFixed(1).padStart(8)} ${percentile(timed, 95).toFixed(1).padStart(8)} ${String(errors).padStart(7)} ${avg(ms.map((m) => m.inputSize)).padStart(9)} ${avg(ms.map((m) => m.outputSize)).padStart(10)}`,
    );
  }
  const failures = records.filter((m) => !m.success);
  const types = new Map<string, number>();
  for (const f of failures) types.set(`${f.toolId}:${f.errorType}`, (types.get(`${f.toolId}:${f.errorType}`) ?? 0) + 1);
  console.log('\nFailures by tool and type');
  for (const [k, n] of [...types.entries()].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(28)} ${n}`);
  const s = collector.stats();
  console.log(`\nCollector: ${s.recorded} recorded, ${s.sampledOut} sampled out, ${s.dropped} dropped, ${s.inFlight} in flight`);
}

async function main(): Promise<void> {
  const seed = Number(process.env.PERFTRACK_SEED ?? 42);
  const random = createSeededRandom(seed);
  const collector = new MetricsCollector({ maxMetrics: 5000, random: createSeededRandom(seed + 1) });
  const ws = new Workspace(random);
  const { classTools, objectTools } = createTools(ws, collector);
  const wrapped = wrapTools(objectTools, { collector, trackInputOutput: true, perTool: { bash: { trackMemory: true } } });
  const tools: Record<string, { execute(args: never, ctx: ToolContext): Promise<unknown> }> = { ...classTools, ...wrapped };

  const sessions = 3;
  const tasksPerSession = 4;
  const total = sessions * tasksPerSession;
  let done = 0;
  const started = Date.now();
  const tty = process.stdout.isTTY === true;
  console.log(`perftrack example: ${sessions} sessions x ${tasksPerSession} tasks, seed ${seed}`);
  for (let s = 0; s < sessions; s++) {
    const sessionID = `ses_${String(s + 1).padStart(3, '0')}`;
    for (let t = 0; t < tasksPerSession; t++) {
      const messageID = `msg_${s}_${t}`;
      for (const [i, step] of planTask(random, s * tasksPerSession + t).entries()) {
        const ctx: ToolContext = { sessionID, messageID, callID: `call_${s}_${t}_${i}` };
        try {
          await (tools[step.tool] as { execute(a: unknown, c: ToolContext): Promise<unknown> }).execute(step.args, ctx);
        } catch {
          // the agent reads the error and carries on, as real agents do
        }
      }
      done++;
      if (tty) process.stdout.write(`\r  running tasks ${done}/${total} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      else if (done % tasksPerSession === 0) console.log(`  ${sessionID} done (${done}/${total} tasks)`);
    }
  }
  if (tty) process.stdout.write('\n');
  printReport(collector.getMetrics(), collector);
  await collector.shutdown();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
