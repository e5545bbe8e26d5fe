import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { terminalSafe } from '@perftrack/analytics';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { errorMessage } from '@perftrack/core/internal';
import { openHistory } from '@perftrack/integration';
import type { PerformanceStorage } from '@perftrack/storage';
import { CliError, type CliIo } from './cli';
import { formatAge } from './duration';

/** How a finding stands: fine, worth a look, or broken. */
export type DoctorLevel = 'ok' | 'warn' | 'fail';

/** One line of `perftrack doctor`. */
export interface DoctorFinding {
  readonly level: DoctorLevel;
  /** What was checked: `store`, `records`, `adapters`, `memory`, `otlp`, `prometheus`. */
  readonly check: string;
  readonly message: string;
}

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  /** The storage directory to check. */
  readonly dir: string;
  /** Epoch ms now. */
  readonly now: number;
  /** Records newer than this count as arriving recently. Default 24 h. */
  readonly recentMs?: number;
  /** OTLP endpoint to reach (else none is checked). */
  readonly otlpEndpoint?: string;
  /** A Prometheus scrape URL of the exporter (`PrometheusExporter.serve()`), to fetch. */
  readonly prometheusUrl?: string;
  /** Sessions read at most, newest first. Default 50. */
  readonly maxSessions?: number;
  /** Time allowed to reach an endpoint. Default 2,000 ms. */
  readonly timeoutMs?: number;
}

const DAY_MS = 86_400_000;

/**
 * Which adapter wrote a record: `framework@adapterVersion` from its metadata stamp, the
 * framework alone for records of adapters that stamped no version, else a guess from its ids.
 */
function adapterOf(record: ToolExecutionMetrics): string {
  const framework = record.metadata?.framework;
  const version = record.metadata?.adapterVersion;
  if (typeof framework === 'string' && framework.length > 0) {
    return typeof version === 'string' && version.length > 0 ? `${framework}@${version}` : `${framework} (version not recorded)`;
  }
  if (typeof record.messageId === 'string' && typeof record.callId === 'string') return 'opencode (by its message and call ids)';
  return typeof record.callId === 'string' ? 'a framework wrapper (call ids, no adapter name)' : 'trackPerformance / the manual API';
}

async function checkStore(dir: string): Promise<DoctorFinding[]> {
  let info: Stats;
  try {
    info = await stat(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return [
      {
        level: 'fail',
        check: 'store',
        message:
          code === 'ENOENT'
            ? `${dir} does not exist (nothing was ever written there; pass --dir or set PERFTRACK_DIR)`
            : `${dir} cannot be read: ${errorMessage(e)}`,
      },
    ];
  }
  if (!info.isDirectory()) return [{ level: 'fail', check: 'store', message: `${dir} is not a directory` }];
  const probe = join(dir, `.perftrack-doctor-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    // 'wx': never follows or replaces anything already there
    const handle = await open(probe, 'wx', 0o600);
    await handle.close();
    await unlink(probe);
  } catch (e) {
    return [{ level: 'fail', check: 'store', message: `${dir} is not writable: ${errorMessage(e)}` }];
  }
  const mode = info.mode & 0o777;
  const findings: DoctorFinding[] = [{ level: 'ok', check: 'store', message: `${dir} is writable` }];
  if ((mode & 0o077) !== 0)
    findings.push({
      level: 'warn',
      check: 'store',
      message: `${dir} has mode ${mode.toString(8).padStart(4, '0')}: others can read it (perftrack creates 0700)`,
    });
  return findings;
}

async function checkRecords(options: DoctorOptions): Promise<DoctorFinding[]> {
  const history = openHistory({ dir: options.dir });
  const adapters = new Map<string, number>();
  let records = 0;
  let newest = -Infinity;
  let withMemory = 0;
  let memoryMoved = 0;
  let result: Awaited<ReturnType<PerformanceStorage['replay']>>;
  try {
    result = await history.replay(
      (r) => {
        records++;
        if (r.endTime > newest) newest = r.endTime;
        const adapter = adapterOf(r);
        adapters.set(adapter, (adapters.get(adapter) ?? 0) + 1);
        if (typeof r.memoryUsed === 'number') {
          withMemory++;
          if (r.memoryUsed !== 0) memoryMoved++;
        }
      },
      { maxSessions: options.maxSessions ?? 50 },
    );
  } catch (e) {
    return [{ level: 'fail', check: 'records', message: `the stored records cannot be read: ${errorMessage(e)}` }];
  } finally {
    await history.close().catch(() => {});
  }
  const findings: DoctorFinding[] = [];
  if (records === 0) {
    findings.push({
      level: 'warn',
      check: 'records',
      message: 'no records stored: is a tracked tool being called, and does the adapter write to this directory?',
    });
  } else {
    const age = options.now - newest;
    const recent = age <= (options.recentMs ?? DAY_MS);
    findings.push({
      level: recent ? 'ok' : 'warn',
      check: 'records',
      message: `${records} records in ${result.sessions} session${result.sessions === 1 ? '' : 's'}, the newest ${formatAge(Math.max(0, age))}${recent ? '' : ': nothing arrived recently'}`,
    });
    const list = [...adapters].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${terminalSafe(name)} ${n}`);
    findings.push({ level: 'ok', check: 'adapters', message: `records come from: ${list.join(', ')}` });
  }
  if (result.corruptLines > 0)
    findings.push({ level: 'warn', check: 'records', message: `${result.corruptLines} corrupt or truncated lines were skipped` });
  if (withMemory > 0 && memoryMoved === 0) {
    findings.push({
      level: 'warn',
      check: 'memory',
      message: `all ${withMemory} memory deltas are 0: the heap reading never moves here (Bun's heap statistics do not), so memoryUsed means nothing`,
    });
  } else if (withMemory > 0) {
    findings.push({ level: 'ok', check: 'memory', message: `${memoryMoved} of ${withMemory} stored memory deltas are non-zero` });
  }
  return findings;
}

/** Whether this process's heap reading moves when memory is allocated (it does not under Bun). */
function checkMemorySource(): DoctorFinding {
  const before = process.memoryUsage().heapUsed;
  const hold = Array.from({ length: 50_000 }, (_, i) => ({ i }));
  const after = process.memoryUsage().heapUsed;
  void hold.length;
  return after !== before
    ? {
        level: 'ok',
        check: 'memory',
        message: `this runtime's heap reading moves (${process.versions.bun ? 'Bun' : `Node ${process.version}`})`,
      }
    : {
        level: 'warn',
        check: 'memory',
        message: "this runtime's heap reading did not move across an allocation: trackMemory would record 0",
      };
}

async function reach(check: string, url: string, timeoutMs: number, expect?: (body: string) => boolean): Promise<DoctorFinding> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { level: 'fail', check, message: `${terminalSafe(url)} is not a URL` };
  }
  try {
    const response = await fetch(parsed, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const body = expect ? await response.text() : '';
    if (expect && !(response.ok && expect(body)))
      return { level: 'fail', check, message: `${parsed.href} answered ${response.status} without perftrack's metrics` };
    // any HTTP answer means the collector listens (an OTLP endpoint refuses a GET with 404/405)
    return { level: 'ok', check, message: `${parsed.href} is reachable (HTTP ${response.status})` };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return { level: 'fail', check, message: `${parsed.href} is not reachable: ${cause ?? errorMessage(e)}` };
  }
}

/** Checks a perftrack setup: the store, the records in it, the memory source and the exporters' endpoints. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorFinding[]> {
  const findings = await checkStore(options.dir);
  if (findings[0]?.level !== 'fail' || findings[0].message.includes('not writable')) findings.push(...(await checkRecords(options)));
  findings.push(checkMemorySource());
  const timeoutMs = options.timeoutMs ?? 2000;
  if (options.otlpEndpoint !== undefined) findings.push(await reach('otlp', options.otlpEndpoint, timeoutMs));
  else
    findings.push({
      level: 'ok',
      check: 'otlp',
      message: 'no OTLP endpoint configured (OTEL_EXPORTER_OTLP_ENDPOINT is unset): not checked',
    });
  if (options.prometheusUrl !== undefined)
    findings.push(
      await reach('prometheus', options.prometheusUrl, timeoutMs, (body) => body.includes('gen_ai_') || body.includes('perftrack_')),
    );
  return findings;
}

const MARK: Record<DoctorLevel, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

/**
 * Registers `perftrack doctor [--dir|--store DIR] [--otlp URL] [--prometheus URL] [--json]`:
 * one line per finding; exit code 1 when any check fails.
 */
export function addDoctorCommand(program: Command, io: CliIo): void {
  program
    .command('doctor')
    .description('check a setup: store writable, records arriving (and from which adapters), memory source, exporters reachable')
    .addOption(new Option('-d, --dir <dir>', 'storage directory (default: $PERFTRACK_DIR, else ./.perftrack)'))
    .addOption(new Option('--store <dir>', 'the same as --dir').conflicts('dir'))
    .option('--otlp <url>', 'OTLP endpoint to reach (default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else $OTEL_EXPORTER_OTLP_ENDPOINT)')
    .option('--prometheus <url>', 'a Prometheus scrape URL of the exporter to fetch')
    .option('--json', 'print the findings as JSON')
    .action(async (o: { dir?: string; store?: string; otlp?: string; prometheus?: string; json?: boolean }) => {
      const given = o.dir ?? o.store;
      const fromEnv = io.env.PERFTRACK_DIR;
      const dir = resolve(io.cwd, given ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : '.perftrack'));
      const otlp = o.otlp ?? (io.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || io.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined);
      const findings = await runDoctor({
        dir,
        now: io.now(),
        ...(otlp ? { otlpEndpoint: otlp } : {}),
        ...(o.prometheus ? { prometheusUrl: o.prometheus } : {}),
      });
      if (o.json) io.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
      else io.stdout.write(findings.map((f) => `${MARK[f.level]} ${f.check}: ${terminalSafe(f.message)}\n`).join(''));
      const failed = findings.filter((f) => f.level === 'fail').length;
      if (failed > 0) throw new CliError(`doctor: ${failed} check${failed === 1 ? '' : 's'} failed`, 1);
    });
}
