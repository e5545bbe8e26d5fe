import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  compareRuns,
  compileCostModel,
  evaluateGate,
  formatComparison,
  formatComparisonJUnit,
  formatComparisonMarkdown,
  isGateCondition,
  formatTable,
  terminalSafe,
  type CostModel,
  type GateCondition,
} from '@perftrack/analytics';
import { errorMessage } from '@perftrack/core/internal';
import { DEFAULT_DASHBOARD_PORT, startDashboard, type Dashboard } from '@perftrack/dashboard';
import { openHistory } from '@perftrack/integration';
import { InvalidSessionIdError, PerformanceStorage, StorageRefusedError, validateSessionId } from '@perftrack/storage';
import { analyzeRun, formatAnalysis } from './analyze';
import { addDoctorCommand } from './doctor';
import { formatAge, formatBytes, parseDuration } from './duration';
import { buildAggregateReport, buildEngineReport } from './report';
import { compareInDatabase } from './compare-sql';
import { loadRun } from './sources';
import type { PostgresStorage } from '@perftrack/storage-postgres';
import { addStoreOptions, copyStore, resolveStore, StoreError, type StoreLocation } from './store-option';

/** A stream the CLI writes to. */
export interface CliStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Where the CLI reads and writes; {@link main} defaults to the process's. Tests pass their own. */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Epoch ms. */
  now: () => number;
  /** Resolves when a running dashboard should stop. Default: on SIGINT or SIGTERM. */
  untilStopped: (dashboard: Dashboard) => Promise<void>;
}

/** Exit status of `perftrack compare --fail-on …` when the gate fails (distinct from errors, 1, and usage errors, 2). */
export const GATE_FAILED_EXIT_CODE = 3;

/** An error the CLI reports as one line, with an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** ANSI styling, applied only when the stream is a terminal and NO_COLOR is unset (or FORCE_COLOR is set). */
function painter(stream: CliStream, env: CliIo['env']) {
  const on =
    env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0'
      ? true
      : env.NO_COLOR === undefined && stream.isTTY === true && env.TERM !== 'dumb';
  const wrap = (open: number, close: number) => (s: string) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

/** Where the command's data is: `--store` (a directory or postgres:// URL), `--dir`, `$PERFTRACK_DATABASE_URL`, `$PERFTRACK_DIR`, `./.perftrack`. */
function storageDir(o: { dir?: string; store?: string }, io: CliIo): StoreLocation {
  try {
    return resolveStore(o, io);
  } catch (e) {
    throw e instanceof StoreError ? new CliError(e.message, e.exitCode) : e;
  }
}

/** The storage of a store: a directory must exist (unless `create`); a database must answer. */
async function openStorage(store: StoreLocation, create = false): Promise<PerformanceStorage> {
  return store.open({ create }).catch((e: unknown) => {
    throw e instanceof StoreError ? new CliError(e.message, e.exitCode) : e;
  });
}

/** Whether any of `specs` is a file (a run given as a file, not as stored sessions). */
async function isFile(cwd: string, ...specs: string[]): Promise<boolean> {
  for (const spec of specs) if ((await stat(resolve(cwd, spec)).catch(() => undefined))?.isFile()) return true;
  return false;
}

function sessionId(value: string): string {
  try {
    validateSessionId(value);
  } catch (e) {
    throw new InvalidArgumentError(errorMessage(e));
  }
  return value;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError(`expected a port from 0 to 65535, got ${JSON.stringify(value)}`);
  return n;
}

function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidArgumentError(errorMessage(e));
  }
}

/** Copies every session of `source` into the store `to` (a directory is created), then closes both. */
async function copyBetween(source: PerformanceStorage, to: StoreLocation) {
  const target = await openStorage(to, true);
  try {
    return await copyStore(source, target).catch((e: unknown) => {
      throw new CliError(`copy into ${to} failed: ${errorMessage(e)}`);
    });
  } finally {
    await target.shutdown();
    await source.shutdown();
  }
}

/** Builds the `perftrack` program; `io` receives all output. */
export function createProgram(io: CliIo): Command {
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const json = (value: unknown) => out(JSON.stringify(value, null, 2));
  const paint = painter(io.stdout, io.env);
  const errPaint = painter(io.stderr, io.env);
  const dirOption = () =>
    new Option('-d, --dir <dir>', 'storage directory (default: $PERFTRACK_DATABASE_URL if set, else $PERFTRACK_DIR, else ./.perftrack)');

  const program = new Command('perftrack')
    .description('Reports and a live dashboard over perftrack data: tool latency, failures, sequences, recommendations.')
    .version('0.1.0', '-v, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`${errPaint.red('perftrack: error:')} ${s.replace(/^error: /, '').trimEnd()}\n`),
    });

  program
    .command('report')
    .description(
      'per-tool table (calls, p50/p95/p99, error rate, memory, I/O), top sequences, predictions, error-prone sequences, recommendations',
    )
    .addOption(dirOption())
    .option('-s, --session <id>', 'one session instead of all', sessionId)
    .option(
      '--children',
      'with --session: also the sessions it spawned (records whose parentSessionId names it, and theirs; the whole store is read) and a rolled-up total',
    )
    .option('--json', 'print the report as JSON')
    .option('--limit <n>', 'most tools listed', positiveInt, 20)
    .option('--max-sessions <n>', 'newest sessions read (not with aggregates: they cover the whole store)', positiveInt, 1000)
    .option(
      '--aggregates',
      "per-tool calls, failures, error rates and p50/p95/p99, sessions and transitions from the store's aggregates, in bounded memory (the default for a store that computes them itself)",
    )
    .option('--no-aggregates', 'the full report (sequences, predictions, recommendations) even from a store that computes aggregates')
    .action(
      async (o: {
        dir?: string;
        session?: string;
        children?: boolean;
        json?: boolean;
        limit: number;
        maxSessions: number;
        aggregates?: boolean;
      }) => {
        if (o.children && o.session === undefined) throw new CliError('--children needs --session <id>', 2);
        if (o.children && o.aggregates === true) throw new CliError('--children needs the full report (not --aggregates)', 2);
        const dir = storageDir(o, io);
        const history = openHistory({ storage: await openStorage(dir) });
        const request = {
          dir: String(dir),
          limit: o.limit,
          maxSessions: o.maxSessions,
          now: io.now,
          ...(o.session !== undefined ? { session: o.session } : {}),
          ...(o.children ? { children: true } : {}),
        };
        const unknownSession = () => new CliError(`unknown session ${JSON.stringify(o.session)} in ${dir} (see \`perftrack sessions\`)`);
        // a store that aggregates itself (a database) is not replayed unless asked to
        const fromAggregates = o.aggregates ?? (history.queryable && !o.children);
        const { json: doc, lines } = fromAggregates
          ? await buildAggregateReport(history, request, unknownSession)
          : await buildEngineReport(history, request, unknownSession);
        if (o.json) {
          json(doc);
          return;
        }
        out(
          lines
            .map((line, i) => {
              if (i === 0) return paint.bold(line);
              if (/^[A-Z][A-Za-z -]+:$/.test(line)) return paint.cyan(paint.bold(line));
              if (/^ *(tool|sequence)\s+(calls|count)/.test(line)) return paint.bold(line);
              if (/^ {2}\[[a-z-]+\]/.test(line)) return line.replace(/\[[a-z-]+\]/, (k) => paint.yellow(k));
              return line;
            })
            .join('\n'),
        );
      },
    );

  program
    .command('sessions')
    .description('stored sessions with their last activity and size, newest first')
    .addOption(dirOption())
    .option('--json', 'print as JSON')
    .action(async (o: { dir?: string; json?: boolean }) => {
      const dir = storageDir(o, io);
      const storage = await openStorage(dir);
      const sessions = (await storage.listSessions()).sort((a, b) => b.lastModified - a.lastModified);
      if (o.json) {
        json(sessions.map((s) => ({ ...s, lastActivity: new Date(s.lastModified).toISOString() })));
        return;
      }
      if (sessions.length === 0) {
        out(`no sessions in ${dir}`);
        return;
      }
      const now = io.now();
      const kinds = (s: (typeof sessions)[number]) =>
        [s.hasMetrics && 'metrics', s.hasPatterns && 'patterns', s.hasAnalytics && 'analytics'].filter(Boolean).join(',');
      const rows = sessions.map((s) => [
        terminalSafe(s.sessionId),
        new Date(s.lastModified).toISOString().replace('T', ' ').slice(0, 19),
        formatAge(now - s.lastModified),
        formatBytes(s.bytes),
        kinds(s),
      ]);
      const table = formatTable(['session', 'last activity (UTC)', 'age', 'size', 'data'], rows, new Set([2, 3]));
      const total = sessions.reduce((n, s) => n + s.bytes, 0);
      out(
        [
          paint.bold(table[0]!),
          ...table.slice(1),
          '',
          `${sessions.length} session${sessions.length === 1 ? '' : 's'}, ${formatBytes(total)} in ${dir}`,
        ].join('\n'),
      );
    });

  program
    .command('export')
    .description(
      'write every stored session to one JSON file (schema perftrack.export/1, mode 0600), or copy them into another store with --to (a directory or PostgreSQL; records it has are skipped)',
    )
    .addOption(dirOption())
    .option('-o, --out <file>', 'file to write')
    .option('--to <dir|url>', 'copy into this store instead: a directory (created if missing) or postgres://…')
    .option('--json', 'with --to: print the result as JSON')
    .action(async (o: { dir?: string; store?: string; out?: string; to?: string; json?: boolean }) => {
      if (o.out !== undefined && o.to !== undefined) throw new CliError('--out and --to are exclusive: give one', 2);
      if (o.out === undefined && o.to === undefined)
        throw new CliError("required option '-o, --out <file>' not specified (or --to <dir|url> to copy into another store)", 2);
      const dir = storageDir(o, io);
      const storage = await openStorage(dir);
      if (o.to !== undefined) {
        const to = storageDir({ store: o.to }, io);
        const result = await copyBetween(storage, to);
        if (o.json) json({ from: dir, to, ...result });
        else
          out(
            `copied ${result.copied} records of ${result.sessions} sessions from ${dir} to ${to} (${result.duplicates} already there, ${result.snapshots} snapshots)`,
          );
        return;
      }
      const file = resolve(io.cwd, o.out!);
      const sessions = (await storage.listSessions()).length;
      const records = await storage.exportToFile(file).catch((e: unknown) => {
        // a path inside the store would overwrite the data being exported: storage says so itself
        throw new CliError(e instanceof StorageRefusedError ? errorMessage(e) : `cannot write ${file}: ${errorMessage(e)}`);
      });
      out(`exported ${records} records of ${sessions} sessions to ${file}`);
    });

  program
    .command('import')
    .description(
      'merge an export file, or another store (--from: a directory or PostgreSQL), into the store (records already stored are skipped)',
    )
    .argument('[file]', 'an export file (perftrack export)')
    .addOption(dirOption())
    .option('--from <dir|url>', 'copy from this store instead of a file: a directory or postgres://…')
    .option('--json', 'print the result as JSON')
    .action(async (fileArg: string | undefined, o: { dir?: string; store?: string; from?: string; json?: boolean }) => {
      if ((fileArg === undefined) === (o.from === undefined))
        throw new CliError('import needs an export file or --from <dir|url> (one of them)', 2);
      const dir = storageDir(o, io);
      if (o.from !== undefined) {
        const from = storageDir({ store: o.from }, io);
        const result = await copyBetween(await openStorage(from), dir);
        if (o.json) json({ from, to: dir, ...result });
        else
          out(
            `copied ${result.copied} records of ${result.sessions} sessions from ${from} to ${dir} (${result.duplicates} already there, ${result.snapshots} snapshots)`,
          );
        return;
      }
      const file = resolve(io.cwd, fileArg!);
      const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new CliError(e.code === 'ENOENT' ? `${file}: file not found` : `cannot read ${file}: ${e.message}`);
      });
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (e) {
        throw new CliError(`${file} is not a perftrack export: invalid JSON (${errorMessage(e)})`);
      }
      const storage = await openStorage(dir, true);
      const result = await storage.importAll(doc).catch((e: unknown) => {
        throw new CliError(`${file} is not a perftrack export: ${errorMessage(e).replace(/^importAll: /, '')}`);
      });
      await storage.shutdown();
      if (o.json) json({ file, dir, ...result });
      else
        out(
          `imported ${result.imported} records into ${result.sessions} sessions in ${dir} (${result.duplicates} already stored, ${result.invalid} invalid skipped)`,
        );
    });

  program
    .command('cleanup')
    .description('remove sessions whose last activity is older than a duration (metrics, patterns and analytics)')
    .addOption(dirOption())
    .option('--older-than <duration>', 'e.g. 30m, 12h, 7d, 2w', duration, parseDuration('7d'))
    .option('-n, --dry-run', 'list what would be removed, remove nothing')
    .option('--json', 'print the result as JSON')
    .action(async (o: { dir?: string; olderThan: number; dryRun?: boolean; json?: boolean }) => {
      const dir = storageDir(o, io);
      const storage = await openStorage(dir);
      const result = await storage.cleanup({ olderThanMs: o.olderThan, dryRun: o.dryRun === true, now: io.now() });
      if (o.json) {
        json(result);
        return;
      }
      const verb = result.dryRun ? 'would remove' : 'removed';
      const lines = result.removed.map(
        (r) => `  ${verb} ${terminalSafe(r.sessionId)}  (last activity ${formatAge(io.now() - r.lastModified)}: ${r.files.length} files)`,
      );
      for (const f of result.failed ?? []) lines.push(`  could not remove ${terminalSafe(f.sessionId)}: ${terminalSafe(f.error)}`);
      lines.push(
        `${result.dryRun ? 'dry run: ' : ''}${verb} ${result.removed.length} session${result.removed.length === 1 ? '' : 's'}, kept ${result.kept} in ${dir}`,
      );
      out(lines.join('\n'));
    });

  const costOption = () => new Option('--cost <file>', 'a JSON cost model (per-tool rates, token prices) to price calls');
  const readCost = async (file: string | undefined): Promise<CostModel | undefined> => {
    if (file === undefined) return undefined;
    const path = resolve(io.cwd, file);
    let model: CostModel;
    try {
      model = JSON.parse(await readFile(path, 'utf8')) as CostModel;
      compileCostModel(model);
    } catch (e) {
      throw new CliError(`bad cost model ${path}: ${errorMessage(e).replace(/^CostModel: /, '')}`);
    }
    return model;
  };
  const load = async (spec: string, dir: StoreLocation) => {
    try {
      return await loadRun(spec, io.cwd, async () => openHistory({ storage: await openStorage(dir) }));
    } catch (e) {
      throw e instanceof CliError ? e : new CliError(errorMessage(e));
    }
  };

  program
    .command('compare')
    .description(
      'compare two runs (generation N vs N+1): per tool p50/p95 with intervals, error rate, calls per task, a verdict; A and B are export files, metrics or agent-trace files, or session ids (comma-separated, * wildcards)',
    )
    .argument('<a>', 'the earlier run')
    .argument('<b>', 'the later run')
    .addOption(dirOption())
    .addOption(costOption())
    .option('--json', 'print the perftrack.compare/1 document')
    .addOption(
      new Option('--format <format>', 'output: text, markdown (a CI job summary) or junit (JUnit XML test results)')
        .choices(['text', 'markdown', 'junit'])
        .default('text'),
    )
    .addOption(
      new Option(
        '--fail-on <what>',
        `exit ${GATE_FAILED_EXIT_CODE} when a tool's (or all tools') p50 latency rose significantly (regression), its error rate did (error-rate), or either (any)`,
      ).choices(['regression', 'error-rate', 'any']),
    )
    .option(
      '--aggregates',
      'per-tool calls, error rates and p50/p95 of each group and their differences computed by the database (the default for a database store without --fail-on or --format)',
    )
    .option('--no-aggregates', 'the full comparison (intervals, verdicts) from the records, even over a database')
    .option(
      '--confidence <p>',
      'confidence of the whole comparison',
      (v) => {
        const n = Number(v);
        if (!(n > 0.5 && n < 1)) throw new InvalidArgumentError(`expected a number in (0.5, 1), got ${JSON.stringify(v)}`);
        return n;
      },
      0.95,
    )
    .action(
      async (
        a: string,
        b: string,
        o: {
          dir?: string;
          json?: boolean;
          cost?: string;
          confidence: number;
          format: 'text' | 'markdown' | 'junit';
          failOn?: GateCondition;
          aggregates?: boolean;
        },
      ) => {
        const dir = storageDir(o, io);
        const sql =
          o.aggregates ?? (dir.kind === 'postgres' && o.failOn === undefined && o.format === 'text' && !(await isFile(io.cwd, a, b)));
        if (sql) {
          if (dir.kind !== 'postgres') throw new CliError('--aggregates needs a database store (--store postgres://…)', 2);
          if (o.failOn !== undefined || o.format !== 'text' || o.cost !== undefined)
            throw new CliError('--aggregates takes no --fail-on, --format or --cost (use --no-aggregates)', 2);
          const storage = await openStorage(dir);
          try {
            const { json: doc, lines } = await compareInDatabase(storage.adapter as PostgresStorage, a, b).catch((e: unknown) => {
              throw new CliError(errorMessage(e));
            });
            if (o.json) json(doc);
            else out(lines.map(terminalSafe).join('\n'));
          } finally {
            await storage.shutdown();
          }
          return;
        }
        const costModel = await readCost(o.cost);
        if (o.failOn !== undefined && !isGateCondition(o.failOn)) throw new CliError(`--fail-on must be regression, error-rate or any`, 2);
        if (o.json && o.format !== 'text') throw new CliError('--json and --format are exclusive', 2);
        const [ra, rb] = [await load(a, dir), await load(b, dir)];
        const doc = compareRuns(ra.records, rb.records, {
          labels: { a, b },
          confidence: o.confidence,
          ...(costModel ? { costModel } : {}),
        });
        const gate = evaluateGate(doc, o.failOn ?? 'any');
        if (o.json) json(o.failOn === undefined ? doc : { ...doc, gate });
        else if (o.format === 'markdown') out(formatComparisonMarkdown(doc, o.failOn === undefined ? undefined : gate));
        else if (o.format === 'junit') out(formatComparisonJUnit(doc, gate));
        else {
          const lines = [formatComparison(doc)];
          for (const t of [doc.overall, ...doc.tools].filter((x) => x.verdict === 'improved' || x.verdict === 'regressed')) {
            lines.push(
              `  ${t.verdict === 'regressed' ? paint.red(t.verdict) : t.verdict} ${terminalSafe(t.toolId === '*' ? 'all tools' : t.toolId)}: ${t.reasons.map(terminalSafe).join('; ')}`,
            );
          }
          if (!ra.timed || !rb.timed) lines.push('', 'note: at least one run carries no durations; latency is not compared for it');
          if (o.failOn !== undefined)
            lines.push(
              '',
              gate.passed ? `gate --fail-on ${o.failOn}: passed (${gate.checks.length} checks)` : `gate --fail-on ${o.failOn}: FAILED`,
            );
          out(lines.join('\n'));
        }
        if (o.failOn !== undefined && !gate.passed) {
          const what = gate.failures.map((f) => `${f.toolId === '*' ? 'all tools' : f.toolId} ${f.figure}`).join(', ');
          throw new CliError(`compare gate --fail-on ${o.failOn} failed: ${what}`, GATE_FAILED_EXIT_CODE);
        }
      },
    );

  program
    .command('analyze')
    .description(
      'hotspots, wasted work (repeats, re-reads, retry loops, failing chains), anomalies, costs and ranked suggestions for a run (default: every stored session)',
    )
    .argument('[run]', 'an export, metrics or agent-trace file, or session ids (comma-separated, * wildcards)')
    .addOption(dirOption())
    .addOption(costOption())
    .option('--json', 'print everything as JSON')
    .option('--limit <n>', 'entries listed per kind', positiveInt, 8)
    .action(async (spec: string | undefined, o: { dir?: string; json?: boolean; cost?: string; limit: number }) => {
      const dir = storageDir(o, io);
      const costModel = await readCost(o.cost);
      const run = await load(spec ?? '*', dir);
      const analysis = analyzeRun(run, { limit: o.limit, ...(costModel ? { costModel } : {}) });
      if (o.json) json(analysis);
      else out(formatAnalysis(analysis, spec ?? dir.label));
    });

  program
    .command('dashboard')
    .description('serve the live dashboard for a storage directory (http://127.0.0.1 by default)')
    .addOption(dirOption())
    .option('-p, --port <port>', `port (0 picks a free one)`, port, DEFAULT_DASHBOARD_PORT)
    .option('--host <host>', 'interface to listen on; anything but 127.0.0.1/localhost exposes the dashboard to the network')
    .action(async (o: { dir?: string; port: number; host?: string }) => {
      const dir = storageDir(o, io);
      const storage = await openStorage(dir);
      const dashboard = await startDashboard({
        ...(dir.dir !== undefined ? { dir: dir.dir } : { storage }),
        port: o.port,
        ...(o.host !== undefined ? { host: o.host } : {}),
        onWarning: (message) =>
          io.stderr.write(`${errPaint.yellow('perftrack: warning:')} ${message.replace(/^perftrack dashboard: /, '')}\n`),
      }).catch((e: unknown) => {
        throw new CliError(errorMessage(e).replace(/^perftrack dashboard: /, ''));
      });
      out(`perftrack dashboard: ${paint.bold(dashboard.url)}  (reading ${dir}; Ctrl-C to stop)`);
      try {
        await io.untilStopped(dashboard);
      } finally {
        await dashboard.close();
      }
    });

  addStoreOptions(program);
  addDoctorCommand(program, io);
  return program;
}

function untilSignal(): Promise<void> {
  return new Promise((resolvePromise) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolvePromise();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * Runs `perftrack` with `argv` (without the node and script paths) and resolves to the exit
 * code: 0 on success, 1 on an error (reported as one line on stderr), 2 on a usage error,
 * 3 when `compare --fail-on` finds what it gates on.
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    now: io.now ?? Date.now,
    untilStopped: io.untilStopped ?? untilSignal,
  };
  const paint = painter(full.stderr, full.env);
  try {
    await createProgram(full).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander as one line
      return e.exitCode === 0 ? 0 : 2;
    }
    const message = e instanceof CliError || e instanceof InvalidSessionIdError ? e.message : `${errorMessage(e)}`;
    full.stderr.write(`${paint.red('perftrack: error:')} ${terminalSafe(message)}\n`);
    return e instanceof CliError ? e.exitCode : 1;
  }
}
