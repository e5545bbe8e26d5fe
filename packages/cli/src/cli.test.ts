import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, utimes, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GATE_FAILED_EXIT_CODE, main, type CliIo } from '@perftrack/cli';
import { parseDuration } from './duration';
import { MetricsCollector, createSeededRandom } from '@perftrack/core';
import { PerformanceStorage } from '@perftrack/storage';
import { runCli, type CliResult } from './test-support/run-cli';

const FIXTURE = join(__dirname, '..', 'test-fixtures', 'store');
const GOLDEN = join(__dirname, '__golden__');
const BIN = join(__dirname, '..', 'bin', 'perftrack.js');
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const run = promisify(execFile);

type Result = CliResult;

/** The CLI at a fixed time, so reports and ages are the same on every run. */
const cli = (argv: string[], io: Partial<CliIo> = {}): Promise<Result> => runCli(argv, { now: () => NOW, ...io });

/** Masks what depends on the clock or the machine: report times, the fixture's path. */
function mask(text: string, dir: string): string {
  return text
    .split(dir)
    .join('<dir>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, '<time>')
    .replace(/\b\d+[smhd] ago\b/g, '<age>');
}

async function golden(name: string, actual: string): Promise<void> {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') await writeFile(file, actual);
  expect(actual).toBe(await readFile(file, 'utf8'));
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perftrack-cli-'));
  await cp(FIXTURE, join(dir, 'store'), { recursive: true });
  dir = join(dir, 'store');
  // fixed activity times: alpha 6 days old, beta 2 hours old
  const at = (ms: number) => new Date(NOW - ms);
  await utimes(join(dir, 'metrics', 'ses_alpha.jsonl'), at(6 * 86_400_000), at(6 * 86_400_000));
  await utimes(join(dir, 'metrics', 'ses_beta.jsonl'), at(2 * 3_600_000), at(2 * 3_600_000));
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('perftrack report', () => {
  it('prints the per-tool table, sequences, predictions, error-prone sequences and recommendations (golden)', async () => {
    const r = await cli(['report', '--dir', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await golden('report.txt', mask(r.stdout, dir));
    // the hostile tool name reaches the terminal without its escape byte
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('?[31mevil?[0m');
    expect(r.stdout).toContain('(1 corrupt or truncated line skipped)');
  });

  it('--children adds the sessions a session spawned (and theirs) and a rolled-up total', async () => {
    const store = join(dir, '..', 'family');
    const collector = new MetricsCollector({ onWarning: () => {} });
    const storage = new PerformanceStorage({ dir: store, onWarning: () => {} });
    collector.subscribe(storage);
    const call = (sessionId: string, start: number, ms: number, success = true, parentSessionId?: string) =>
      collector.recordExecution({
        toolId: 'read',
        sessionId,
        startTime: NOW - 60_000 + start,
        endTime: NOW - 60_000 + start + ms,
        success,
        ...(parentSessionId ? { parentSessionId } : {}),
      });
    call('ses_parent', 0, 10);
    call('ses_parent', 10, 20, false);
    call('ses_kid', 12, 5, true, 'ses_parent');
    call('ses_kid', 20, 5, false, 'ses_parent');
    call('ses_grandkid', 30, 40, true, 'ses_kid');
    call('ses_other', 0, 1);
    await storage.shutdown();

    const r = await cli(['report', '--dir', store, '--session', 'ses_parent', '--children']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const tail = r.stdout.slice(r.stdout.indexOf('Child sessions:')).trim().split('\n');
    expect(tail).toEqual([
      'Child sessions:',
      '  ses_kid (of ses_parent): calls 2, failures 1, time 10.0 ms',
      '  ses_grandkid (of ses_kid): calls 1, failures 0, time 40.0 ms',
      '',
      'Rolled up (this session and 2 child sessions): calls 5, failures 2, time 80.0 ms, wall 70.0 ms',
    ]);
    const doc = JSON.parse((await cli(['report', '--dir', store, '--session', 'ses_parent', '--children', '--json'])).stdout);
    expect(doc.children.map((c: { sessionId: string; parentSessionId: string }) => [c.sessionId, c.parentSessionId])).toEqual([
      ['ses_kid', 'ses_parent'],
      ['ses_grandkid', 'ses_kid'],
    ]);
    expect(doc.rollup).toEqual({ sessions: 3, calls: 5, estimatedCalls: 5, failures: 2, busyDuration: 80, wallDuration: 70 });
    // without --children the report is as before; --children alone is a usage error
    expect(JSON.parse((await cli(['report', '--dir', store, '--session', 'ses_parent', '--json'])).stdout).children).toBeUndefined();
    const leaf = await cli(['report', '--dir', store, '--session', 'ses_other', '--children']);
    expect(leaf.stdout).toContain('none (no stored record names this session as its parentSessionId)');
    const bad = await cli(['report', '--dir', store, '--children']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--children needs --session <id>');
  });

  it('reports one session (golden)', async () => {
    const r = await cli(['report', '--dir', dir, '--session', 'ses_alpha']);
    expect(r.code).toBe(0);
    await golden('report-session.txt', mask(r.stdout, dir));
  });

  it('gives the same figures as JSON for machines', async () => {
    const r = await cli(['report', '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schema).toBe('perftrack.report/1');
    expect(doc.analytics.summary.totalOperations).toBe(74);
    const bash = doc.analytics.tools.find((t: { toolId: string }) => t.toolId === 'bash');
    expect(bash).toMatchObject({ count: 12, failures: 4 });
    expect(doc.predictionsByTool.find((p: { after: string }) => p.after === 'grep').next[0].toolId).toBe('read');
    expect(doc.source).toEqual({ dir, sessionsRead: 2, corruptLines: 1 });
    const one = JSON.parse((await cli(['report', '--dir', dir, '--json', '--session', 'ses_beta'])).stdout);
    expect(one).toMatchObject({ schema: 'perftrack.session-report/1', sessionId: 'ses_beta' });
    expect(one.analytics.summary.totalOperations).toBe(37);
  });

  it('colours only on a terminal, and never with NO_COLOR', async () => {
    const tty = { write: () => true, isTTY: true };
    let out = '';
    const capture = { write: (s: string) => (out += s), isTTY: true };
    await main(['report', '--dir', dir], { stdout: capture, stderr: tty, env: {}, now: () => NOW });
    expect(out).toContain('\u001b[1m');
    out = '';
    await main(['report', '--dir', dir], { stdout: capture, stderr: tty, env: { NO_COLOR: '1' }, now: () => NOW });
    expect(out).not.toContain('\u001b[');
  });

  it('reads the directory from PERFTRACK_DIR when --dir is not given', async () => {
    const r = await cli(['report'], { env: { PERFTRACK_DIR: dir } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('All sessions (2)');
  });
});

describe('perftrack sessions', () => {
  it('lists sessions newest first with last activity and size (golden)', async () => {
    const r = await cli(['sessions', '--dir', dir]);
    expect(r.code).toBe(0);
    await golden('sessions.txt', mask(r.stdout, dir));
    expect(r.stdout.indexOf('ses_beta')).toBeLessThan(r.stdout.indexOf('ses_alpha'));
    expect(r.stdout).toContain('2h ago');
    expect(r.stdout).toContain('6d ago');
    const list = JSON.parse((await cli(['sessions', '--dir', dir, '--json'])).stdout);
    expect(list.map((s: { sessionId: string }) => s.sessionId)).toEqual(['ses_beta', 'ses_alpha']);
    expect(list[0]).toMatchObject({
      bytes: (await stat(join(dir, 'metrics', 'ses_beta.jsonl'))).size,
      hasMetrics: true,
      lastActivity: new Date(NOW - 7_200_000).toISOString(),
    });
  });
});

describe('perftrack export and import', () => {
  it('round-trips every record through a 0600 export file, and a second import adds nothing', async () => {
    const out = join(dir, '..', 'all.json');
    const e = await cli(['export', '--dir', dir, '--out', out]);
    expect(e).toEqual({ code: 0, stdout: `exported 74 records of 2 sessions to ${out}\n`, stderr: '' });
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const target = join(dir, '..', 'copy');
    const i = await cli(['import', out, '--dir', target]);
    expect(i.stdout).toBe(`imported 74 records into 2 sessions in ${target} (0 already stored, 0 invalid skipped)\n`);
    const again = JSON.parse((await cli(['import', out, '--dir', target, '--json'])).stdout);
    expect(again).toMatchObject({ imported: 0, duplicates: 74 });
    const a = JSON.parse((await cli(['report', '--dir', dir, '--json'])).stdout);
    const b = JSON.parse((await cli(['report', '--dir', target, '--json'])).stdout);
    expect(b.analytics.tools).toEqual(a.analytics.tools);
  });
});

describe('perftrack cleanup', () => {
  it('lists with --dry-run and removes nothing, then removes sessions older than the duration', async () => {
    const dry = await cli(['cleanup', '--older-than', '3d', '--dry-run', '--dir', dir]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      '  would remove ses_alpha  (last activity 6d ago: 1 files)\ndry run: would remove 1 session, kept 1 in ' + dir + '\n',
    );
    expect(await readdir(join(dir, 'metrics'))).toEqual(['ses_alpha.jsonl', 'ses_beta.jsonl']);
    const real = await cli(['cleanup', '--older-than', '3d', '--dir', dir]);
    expect(real.stdout).toContain('removed 1 session, kept 1');
    expect(await readdir(join(dir, 'metrics'))).toEqual(['ses_beta.jsonl']);
    const none = JSON.parse((await cli(['cleanup', '--older-than', '1w', '--dir', dir, '--json'])).stdout);
    expect(none).toEqual({ removed: [], kept: 1, dryRun: false });
  });
});

describe('bad input: one clear line and a non-zero exit code', () => {
  const cases: [string, string[], number, RegExp][] = [
    [
      'a missing directory',
      ['report', '--dir', '/nonexistent/perftrack'],
      1,
      /^perftrack: error: no perftrack data at \/nonexistent\/perftrack: directory not found/,
    ],
    [
      'an unknown session',
      ['report', '--session', 'ses_gamma'],
      1,
      /^perftrack: error: unknown session "ses_gamma" in .* \(see `perftrack sessions`\)$/,
    ],
    [
      'an invalid session id',
      ['report', '--session', 'x'.repeat(300)],
      2,
      /^perftrack: error: option '-s, --session <id>' argument .* is invalid\. invalid session id .* longer than 200 characters$/,
    ],
    [
      'a bad duration',
      ['cleanup', '--older-than', '7 days'],
      2,
      /^perftrack: error: option '--older-than <duration>' argument '7 days' is invalid\. bad duration "7 days"/,
    ],
    ['a duration without a unit', ['cleanup', '--older-than', '7'], 2, /bad duration "7"/],
    ['an unknown command', ['reprot'], 2, /^perftrack: error: unknown command 'reprot'\n?\(Did you mean report\?\)$/],
    ['an unknown option', ['report', '--jsn'], 2, /^perftrack: error: unknown option '--jsn'\n?\(Did you mean --json\?\)$/],
    ['a bad port', ['dashboard', '--port', '99999'], 2, /expected a port from 0 to 65535/],
    ['export without --out', ['export'], 2, /required option '-o, --out <file>' not specified/],
  ];
  it.each(cases)('%s', async (_name, argv, code, pattern) => {
    const needsDir = !argv.includes('--dir');
    const r = await cli(needsDir ? [...argv, '--dir', dir] : argv);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd()).toMatch(pattern);
  });

  it('rejects a corrupt or foreign export file and imports nothing', async () => {
    const target = join(dir, '..', 'target');
    const bad = join(dir, '..', 'bad.json');
    for (const [content, pattern] of [
      ['{"schema":"perftrack.export/1","sessions":[', /is not a perftrack export: invalid JSON/],
      ['{"schema":"other/1","sessions":[]}', /is not a perftrack export: unsupported schema "other\/1"/],
      ['{"schema":"perftrack.export/1","sessions":[{"sessionId":"../../etc","metrics":"x"}]}', /sessions\[0\]\.metrics must be an array/],
    ] as const) {
      await writeFile(bad, content);
      const r = await cli(['import', bad, '--dir', target]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    const missing = await cli(['import', join(dir, 'nope.json'), '--dir', target]);
    expect(missing.stderr).toMatch(/nope\.json: file not found/);
    await expect(stat(join(target, 'metrics'))).rejects.toThrow(/ENOENT/);
  });

  it('parses durations', () => {
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    for (const bad of ['', '7', 'd', '-1d', '7d ', '1.d', '7days']) {
      if (bad === '7d ') continue; // surrounding blanks are trimmed
      expect(() => parseDuration(bad)).toThrow(/bad duration/);
    }
  });
});

describe('the perftrack binary', () => {
  it('runs as a process with exit codes: 0 with output, 1 with one error line', async () => {
    const ok = await run(process.execPath, [BIN, 'sessions', '--dir', dir]);
    expect(ok.stdout).toContain('ses_alpha');
    const failed = await run(process.execPath, [BIN, 'report', '--dir', join(dir, 'missing')]).catch(
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect((failed as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reports on a directory written by the example agent', async () => {
    const example = join(__dirname, '..', '..', '..', 'examples', 'agent-session', 'dist', 'main.js');
    const exampleDir = join(dir, '..', 'example');
    await run(process.execPath, [example, '--dir', exampleDir, '--sessions', '2', '--tasks', '3']);
    const { stdout } = await run(process.execPath, [BIN, 'report', '--dir', exampleDir]);
    for (const tool of ['glob', 'grep', 'read', 'edit', 'bash']) expect(stdout).toMatch(new RegExp(`^${tool}\\s+\\d+`, 'm'));
    expect(stdout).toContain('Top sequences (longest form of each):');
    const sessions = JSON.parse((await run(process.execPath, [BIN, 'sessions', '--json', '--dir', exampleDir])).stdout);
    expect(sessions).toHaveLength(2);
    const one = JSON.parse(
      (await run(process.execPath, [BIN, 'report', '--json', '--dir', exampleDir, '--session', sessions[0].sessionId])).stdout,
    );
    expect(one.analytics.summary.totalOperations).toBeGreaterThan(10);
  });
});

/** One line of an agent-traces file, with a duration. */
function traceLine(session: string, seq: number, tool: string, ok: boolean, durationMs: number): string {
  return JSON.stringify({ session, seq, tool, ok, error: ok ? null : 'TestFailure', inputBytes: 10, outputBytes: 20, durationMs });
}

/** A run of `calls` calls each of read and bash over 10-call sessions: durations log-normal around the medians, failures at the rates given. */
async function runFile(
  name: string,
  seed: number,
  spec: { readMs: number; bashMs: number; bashErrorRate: number },
  calls = 300,
): Promise<string> {
  const random = createSeededRandom(seed);
  const jitter = () => Math.exp(0.3 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
  const lines: string[] = [];
  for (let i = 0; i < calls; i++) {
    const session = `${name}/${Math.floor(i / 5)}`;
    lines.push(traceLine(session, (i % 5) * 2, 'read', true, spec.readMs * jitter()));
    lines.push(traceLine(session, (i % 5) * 2 + 1, 'bash', random() >= spec.bashErrorRate, spec.bashMs * jitter()));
  }
  const file = join(dir, '..', `${name}.jsonl`);
  await writeFile(file, lines.join('\n'));
  return file;
}

describe('perftrack compare as a CI gate', () => {
  it('exits 3 on a significant regression of the kind asked for, 0 otherwise, and 2 on a usage error', async () => {
    const base = await runFile('base', 1, { readMs: 20, bashMs: 200, bashErrorRate: 0.05 });
    const same = await runFile('same', 2, { readMs: 20, bashMs: 200, bashErrorRate: 0.05 });
    const slower = await runFile('slower', 3, { readMs: 40, bashMs: 200, bashErrorRate: 0.05 });
    const failing = await runFile('failing', 4, { readMs: 20, bashMs: 200, bashErrorRate: 0.3 });
    expect(GATE_FAILED_EXIT_CODE).toBe(3);
    for (const failOn of ['regression', 'error-rate', 'any'])
      expect((await cli(['compare', base, same, '--fail-on', failOn])).code).toBe(0);
    const latency = await cli(['compare', base, slower, '--fail-on', 'regression']);
    expect(latency.code).toBe(3);
    expect(latency.stderr).toMatch(/^perftrack: error: compare gate --fail-on regression failed: .*read latency/);
    expect(latency.stdout).toContain('gate --fail-on regression: FAILED');
    expect((await cli(['compare', base, slower, '--fail-on', 'error-rate'])).code).toBe(0);
    expect((await cli(['compare', base, slower, '--fail-on', 'any'])).code).toBe(3);
    const errors = await cli(['compare', base, failing, '--fail-on', 'error-rate']);
    expect(errors.code).toBe(3);
    expect(errors.stderr).toContain('bash error-rate');
    expect((await cli(['compare', base, failing, '--fail-on', 'regression'])).code).toBe(0);
    // an improvement is not a failure
    expect((await cli(['compare', slower, base, '--fail-on', 'any'])).code).toBe(0);
    expect((await cli(['compare', base, same])).code).toBe(0); // no gate asked: never 3
    expect((await cli(['compare', base, slower])).code).toBe(0);
    const usage = await cli(['compare', base, same, '--fail-on', 'latency']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Allowed choices are regression, error-rate, any/);
    expect((await cli(['compare', base, same, '--format', 'html'])).code).toBe(2);
  });

  it('writes a Markdown job summary and JUnit XML that CI systems display', async () => {
    const base = await runFile('base', 1, { readMs: 20, bashMs: 200, bashErrorRate: 0.05 });
    const slower = await runFile('slower', 3, { readMs: 40, bashMs: 200, bashErrorRate: 0.05 });
    const md = await cli(['compare', base, slower, '--fail-on', 'any', '--format', 'markdown']);
    expect(md.code).toBe(3);
    const lines = md.stdout.split('\n');
    expect(lines[0]).toMatch(/^### perftrack compare: .*base\.jsonl → .*slower\.jsonl$/);
    expect(md.stdout).toContain('**Gate `--fail-on any`: FAILED**');
    expect(md.stdout).toContain('| tool | calls | failed | error rate | p50 ms | p95 ms | verdict |');
    expect(lines.find((l) => l.startsWith('| read |'))).toMatch(/\| regressed \|$/);
    const passing = await cli(['compare', base, base, '--fail-on', 'any', '--format', 'markdown']);
    expect(passing.stdout).toContain('**Gate `--fail-on any`: passed**');

    const junit = await cli(['compare', base, slower, '--fail-on', 'regression', '--format', 'junit']);
    expect(junit.code).toBe(3);
    const xml = junit.stdout;
    expect(xml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="perftrack" tests="3" failures="[12]" skipped="0">/);
    expect(xml).toMatch(
      /<testcase classname="perftrack\.compare\.latency" name="read latency">\n\s+<failure message="p50 rose [^"]+" type="latency-regression">/,
    );
    expect(xml).toMatch(/<testcase classname="perftrack\.compare\.latency" name="bash latency"\/>/);
    // balanced elements
    expect((xml.match(/<testcase /g) ?? []).length).toBe(3);
    expect((xml.match(/<\/testcase>|<testcase [^>]*\/>/g) ?? []).length).toBe(3);
    expect(xml.trimEnd().endsWith('</testsuites>')).toBe(true);
  });
});

describe('perftrack compare and analyze', () => {
  it('compares two sessions and two export files, as a table and as perftrack.compare/1', async () => {
    const r = await cli(['compare', 'ses_alpha', 'ses_beta', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ses_alpha → ses_beta \(37 → 37 records, confidence 0\.95\)/);
    expect(r.stdout).toMatch(/^all tools\s+37 → 37/m);
    const doc = JSON.parse((await cli(['compare', 'ses_*', 'ses_beta', '--dir', dir, '--json'])).stdout);
    expect(doc).toMatchObject({ schema: 'perftrack.compare/1', runs: { a: { records: 74 }, b: { records: 37 } } });
    // two export files, e.g. generation N and N+1 exported from different machines
    const out = join(dir, '..', 'gen.json');
    await cli(['export', '--dir', dir, '--out', out]);
    const files = JSON.parse((await cli(['compare', out, out, '--json'])).stdout);
    expect(files.overall.verdict).toBe('unchanged');
    const cost = join(dir, '..', 'cost.json');
    await writeFile(cost, JSON.stringify({ default: { perSecond: 1 } }));
    expect((await cli(['compare', 'ses_alpha', 'ses_beta', '--dir', dir, '--cost', cost])).stdout).toContain('cost/task');
    await writeFile(cost, JSON.stringify({ default: { perSecnd: 1 } }));
    const bad = await cli(['compare', 'ses_alpha', 'ses_beta', '--dir', dir, '--cost', cost]);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringMatching(/^perftrack: error: bad cost model .*unknown rate "perSecnd"/) });
    const unknown = await cli(['compare', 'ses_alpha', 'nope', '--dir', dir]);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('"nope" is neither a file nor a stored session') });
  });

  it('analyzes a run: retry loops, failing chains, anomalies and suggestions with checkable evidence', async () => {
    const r = await cli(['analyze', '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(a.schema).toBe('perftrack.analysis/1');
    expect(a.source).toMatchObject({ records: 74, sessions: 2, hasDurations: true });
    expect(a.inefficiencies.hotPairs[0].pair).toEqual(['edit', 'bash']); // bash is the slow tool
    const text = (await cli(['analyze', 'ses_beta', '--dir', dir])).stdout;
    expect(text).toContain('Hot tool pairs (frequency × time):');
    expect(text).toContain('Recommendations (ranked by estimated impact):');
    expect(text).toMatch(/^ {6}change: /m);
    expect(text).toMatch(/^ {6}impact: .*\(.+\)$/m);
    expect(text).not.toContain('trackInputOutput with hashing');
    expect(text).toContain('no input hashes (turn on hashInput: true');
  });

  it('report and analyze give the same recommendations for the same data, in one vocabulary', async () => {
    const analysis = JSON.parse((await cli(['analyze', '--dir', dir, '--json', '--limit', '20'])).stdout) as {
      suggestions: { kind: string; message: string }[];
    };
    const report = JSON.parse((await cli(['report', '--dir', dir, '--json'])).stdout) as {
      insights: { recommendations: { kind: string; message: string }[] };
    };
    expect(report.insights.recommendations.map((r) => [r.kind, r.message])).toEqual(analysis.suggestions.map((r) => [r.kind, r.message]));
    const kinds = new Set([
      'slow-tool',
      'dominant-tool',
      'cache-tool',
      'batch-reads',
      'error-prone-tool',
      'failing-sequence',
      'stop-retry-loop',
      'raise-sample-rate',
      'investigate-regression',
    ]);
    for (const r of report.insights.recommendations) expect(kinds.has(r.kind)).toBe(true);
  });

  it('prints hostile tool names in compare terminal-safe', async () => {
    const file = join(dir, '..', 'evil.jsonl');
    await writeFile(file, Array.from({ length: 40 }, (_, i) => traceLine('s/1', i, 'grep\u001b[2J\nrm', true, 5)).join('\n'));
    const r = await cli(['compare', file, file]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(r.stdout).toContain('grep?[2J?rm');
    for (const format of ['markdown', 'junit'])
      expect((await cli(['compare', file, file, '--format', format, '--fail-on', 'any'])).stdout).not.toMatch(
        /[\u0000-\u0009\u000b-\u001f]/,
      );
  });

  it('reads an agent-traces file and says that it has no durations instead of inventing them', async () => {
    const traces = join(dir, '..', 'traces.jsonl');
    const line = (session: string, seq: number, tool: string, ok: boolean, error: string | null = null) =>
      JSON.stringify({ session, seq, tool, ok, error, inputBytes: 10, outputBytes: 20, durationMs: null });
    await writeFile(
      traces,
      [
        line('a/1', 0, 'open', true),
        line('a/1', 1, 'open', false, 'FileNotFound'),
        line('a/1', 2, 'open', false, 'FileNotFound'),
        line('a/1', 3, 'open', false, 'FileNotFound'),
        line('a/1', 4, 'edit', true),
        'not json',
      ].join('\n'),
    );
    const a = JSON.parse((await cli(['analyze', traces, '--json'])).stdout);
    expect(a.source).toMatchObject({ records: 5, skipped: 1, hasDurations: false });
    expect(a.inefficiencies.retryLoops[0]).toMatchObject({
      toolId: 'open',
      errorType: 'FileNotFound',
      wastedCalls: 2,
      longest: 3,
      wastedMs: null,
      exampleRecordId: 'a/1#2',
    });
    expect(a.analytics.tools[0].p50).toBeNull();
    const text = (await cli(['analyze', traces])).stdout;
    expect(text).toContain('no durations in this data');
    expect(text).toContain('latency anomalies: not looked for, the records carry no durations');
  });
});
