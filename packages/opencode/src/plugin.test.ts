import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPerftrackPlugin, id, resolveOpencodeOptions, server, PerftrackPlugin, type PerftrackHooks } from '@perftrack/opencode';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'perftrack-oc-plugin-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function input(directory: string, logs: unknown[] = []) {
  return { directory, worktree: directory, client: { app: { log: async (o: unknown) => void logs.push(o) } } } as never;
}

function toolPart(callID: string, state: Record<string, unknown>, sessionID = 'ses_a') {
  return {
    type: 'message.part.updated',
    properties: { part: { type: 'tool', tool: 'read', callID, sessionID, messageID: 'msg_1', state } },
  } as never;
}

async function oneCall(hooks: PerftrackHooks, callID: string, sessionID = 'ses_a'): Promise<void> {
  const start = Date.now();
  await hooks['tool.execute.before']({ tool: 'read', sessionID, callID }, { args: { filePath: '/x' } });
  await hooks.event({ event: toolPart(callID, { status: 'running', input: {}, time: { start } }, sessionID) });
  await hooks['tool.execute.after']({ tool: 'read', sessionID, callID, args: {} }, { title: '', output: 'ok', metadata: {} });
  await hooks.event({
    event: toolPart(
      callID,
      { status: 'completed', input: {}, output: 'ok', metadata: {}, title: '', time: { start, end: start + 3 } },
      sessionID,
    ),
  });
}

describe('the opencode plugin', () => {
  test('exports what opencode loads: server and id for opencode.json, PerftrackPlugin for a .opencode/plugin/ file', () => {
    expect(id).toBe('perftrack');
    expect(typeof server).toBe('function');
    expect(PerftrackPlugin).toBe(server);
  });

  test('records calls into <project>/.perftrack and writes the session report when the session goes idle', async () => {
    const plugin = createPerftrackPlugin({ env: {} });
    const hooks = (await plugin(input(root), { historySessions: 0 })) as PerftrackHooks;
    await oneCall(hooks, 'call_0');
    await hooks.event({ event: { type: 'session.idle', properties: { sessionID: 'ses_a' } } as never });
    const dir = join(root, '.perftrack');
    expect(readdirSync(join(dir, 'analytics'))).toEqual(['ses_a.json']);
    const report = JSON.parse(readFileSync(join(dir, 'analytics', 'ses_a.json'), 'utf8')) as {
      analytics: { summary: { totalOperations: number } };
    };
    expect(report.analytics.summary.totalOperations).toBe(1);
    await hooks.dispose();
    expect(
      readFileSync(join(dir, 'metrics', 'ses_a.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(1);
  });

  test('says once, in opencode’s own log, that it loaded and where it records', async () => {
    const plugin = createPerftrackPlugin({ env: {} });
    const logs: unknown[] = [];
    const a = (await plugin(input(root, logs), { historySessions: 0, sampleRates: { read: 0.5 } })) as PerftrackHooks;
    const b = (await plugin(input(root, logs), { historySessions: 0, sampleRates: { read: 0.5 } })) as PerftrackHooks;
    expect(logs).toEqual([
      {
        body: {
          service: 'perftrack',
          level: 'info',
          message: `perftrack: recording tool calls to ${join(root, '.perftrack')} (sample rate 1, read=0.5; reports on idle)`,
        },
      },
    ]);
    await a.dispose();
    await b.dispose();
  });

  test('instances with the same directory share one recorder: a call seen by both is recorded once; the last dispose shuts down', async () => {
    const plugin = createPerftrackPlugin({ env: {} });
    const statsFile = join(root, 'stats.json');
    const a = (await plugin(input(root), { statsFile, historySessions: 0 })) as PerftrackHooks;
    const b = (await plugin(input(root), { statsFile, historySessions: 0 })) as PerftrackHooks;
    await oneCall(a, 'call_0');
    await oneCall(b, 'call_0'); // the same call reported through the second instance
    await oneCall(b, 'call_1');
    await a.dispose();
    await a.dispose(); // twice is harmless
    expect(existsSync(statsFile)).toBe(false); // still one instance alive
    await b.dispose();
    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as { recorder: { recorded: number; ignored: number; inFlight: number } };
    expect(stats.recorder).toMatchObject({ recorded: 2, inFlight: 0 });
    expect(stats.recorder.ignored).toBeGreaterThan(0);
    // a new instance after shutdown starts afresh
    const c = (await plugin(input(root), { historySessions: 0 })) as PerftrackHooks;
    await oneCall(c, 'call_2');
    await c.dispose();
    expect(
      readFileSync(join(root, '.perftrack', 'metrics', 'ses_a.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(3);
  });

  test('a call still open at dispose is recorded as abandoned, never left in flight', async () => {
    const plugin = createPerftrackPlugin({ env: {} });
    const hooks = (await plugin(input(root), { historySessions: 0 })) as PerftrackHooks;
    await hooks['tool.execute.before']({ tool: 'bash', sessionID: 'ses_b', callID: 'c9' }, { args: { command: 'sleep 999' } });
    await hooks.dispose();
    const line = JSON.parse(readFileSync(join(root, '.perftrack', 'metrics', 'ses_b.jsonl'), 'utf8')) as Record<string, unknown>;
    expect(line).toMatchObject({ toolId: 'bash', callId: 'c9', success: false, errorType: 'Abandoned', untimed: true });
    expect(JSON.stringify(line)).not.toContain('sleep 999');
  });

  test('a hostile session id stays inside the storage directory', async () => {
    const plugin = createPerftrackPlugin({ env: {} });
    const dir = join(root, 'a', 'b', '.perftrack');
    const hooks = (await plugin(input(join(root, 'a', 'b')), { historySessions: 0 })) as PerftrackHooks;
    await oneCall(hooks, 'c1', '../../etc');
    await hooks.event({ event: { type: 'session.idle', properties: { sessionID: '../../etc' } } as never });
    await hooks.dispose();
    expect(readdirSync(root)).toEqual(['a']);
    expect(readdirSync(join(root, 'a'))).toEqual(['b']);
    expect(readdirSync(join(dir, 'metrics'))).toHaveLength(1);
    expect(readdirSync(join(dir, 'metrics'))[0]).not.toContain('/');
    const stored = JSON.parse(readFileSync(join(dir, 'metrics', readdirSync(join(dir, 'metrics'))[0]!), 'utf8')) as { sessionId: string };
    expect(stored.sessionId).toBe('../../etc');
  });

  test('disabled (option or PERFTRACK_ENABLED=0 kill switch): no hooks, nothing written', async () => {
    expect(await createPerftrackPlugin({ env: {} })(input(root), { enabled: false })).toEqual({});
    expect(await createPerftrackPlugin({ env: { PERFTRACK_ENABLED: '0' } })(input(root), { enabled: true })).toEqual({});
    expect(existsSync(join(root, '.perftrack'))).toBe(false);
  });

  test('invalid options fail plugin loading with a clear error naming the field', async () => {
    const plugin = createPerftrackPlugin({ env: {} });
    await expect(plugin(input(root), { sampleRate: 3 })).rejects.toThrow(
      /@perftrack\/opencode: sampleRate must be a number from 0 to 1, got 3/,
    );
    await expect(plugin(input(root), { dri: 'x' })).rejects.toThrow(/unknown option "dri"/);
    await expect(plugin(input(root), { sampleRates: { read: 'lots' } })).rejects.toThrow(/sampleRates\["read"\]/);
    await expect(createPerftrackPlugin({ env: { PERFTRACK_SAMPLE_RATES: 'read' } })(input(root), {})).rejects.toThrow(/tool=rate/);
  });
});

describe('resolveOpencodeOptions', () => {
  test('defaults, environment variables, and options winning over them (except the PERFTRACK_ENABLED kill switch)', () => {
    expect(resolveOpencodeOptions(undefined, {}, '/proj')).toEqual({
      enabled: true,
      dir: '/proj/.perftrack',
      sampleRates: {},
      sampleRate: 1,
      trackInputOutput: true,
      failOnNonZeroExit: true,
      reportOnIdle: true,
      historySessions: 50,
      callTimeoutMs: 3_600_000,
      statsFile: undefined,
    });
    const env = {
      PERFTRACK_DIR: 'data/perf',
      PERFTRACK_SAMPLE_RATES: 'read=0.1, grep=0.5',
      PERFTRACK_SAMPLE_RATE: '0.9',
      PERFTRACK_TRACK_IO: 'off',
      PERFTRACK_STATS_FILE: 's.json',
    };
    expect(resolveOpencodeOptions({}, env, '/proj')).toMatchObject({
      dir: '/proj/data/perf',
      sampleRates: { read: 0.1, grep: 0.5 },
      sampleRate: 0.9,
      trackInputOutput: false,
      statsFile: '/proj/s.json',
    });
    expect(
      resolveOpencodeOptions({ dir: '/abs', sampleRates: { bash: 1 }, sampleRate: 1, trackInputOutput: true }, env, '/proj'),
    ).toMatchObject({
      dir: '/abs',
      sampleRates: { bash: 1 },
      sampleRate: 1,
      trackInputOutput: true,
    });
    expect(resolveOpencodeOptions({}, { PERFTRACK_SAMPLE_RATES: '{"read":0.2}' }, '/p').sampleRates).toEqual({ read: 0.2 });
    expect(Object.entries(resolveOpencodeOptions({}, { PERFTRACK_SAMPLE_RATES: '__proto__=0.5,constructor=0' }, '/p').sampleRates)).toEqual(
      [
        ['__proto__', 0.5],
        ['constructor', 0],
      ],
    );
    expect(resolveOpencodeOptions({ enabled: true }, { PERFTRACK_ENABLED: 'false' }, '/p').enabled).toBe(false);
    expect(resolveOpencodeOptions({ enabled: false }, { PERFTRACK_ENABLED: '1' }, '/p').enabled).toBe(false);
  });

  test('bad values are refused, each naming its field', () => {
    const bad: [unknown, Record<string, string>, RegExp][] = [
      ['x', {}, /options must be an object/],
      [{ enabled: 'maybe' }, {}, /enabled must be a boolean/],
      [{ dir: '' }, {}, /dir must be a non-empty string/],
      [{ historySessions: -1 }, {}, /historySessions must be an integer ≥ 0/],
      [{ callTimeoutMs: 0.5 }, {}, /callTimeoutMs must be an integer ≥ 1/],
      [{}, { PERFTRACK_ENABLED: 'perhaps' }, /PERFTRACK_ENABLED must be a boolean/],
      [{}, { PERFTRACK_SAMPLE_RATE: 'abc' }, /PERFTRACK_SAMPLE_RATE must be a number from 0 to 1/],
      [{}, { PERFTRACK_SAMPLE_RATES: '{bad json' }, /not valid JSON/],
      [{ sampleRates: [] }, {}, /must be a record/],
    ];
    for (const [options, env, message] of bad) expect(() => resolveOpencodeOptions(options, env, '/p')).toThrow(message);
  });
});

// Compile-time: our own declarations of opencode's plugin API (which keep @opencode-ai/plugin
// out of the published .d.ts) stay compatible with opencode's real types, both ways.
import type { Plugin as RealPlugin, PluginInput as RealPluginInput } from '@opencode-ai/plugin' with { 'resolution-mode': 'import' };
import type { OpencodePluginInput } from '@perftrack/opencode';
const asOpencodePlugin: RealPlugin = server;
const realInputIsEnough = (input: RealPluginInput): OpencodePluginInput => input;
test('the plugin is an @opencode-ai/plugin Plugin (checked by the compiler) and its declarations do not import that optional peer', () => {
  expect(typeof asOpencodePlugin).toBe('function');
  expect(typeof realInputIsEnough).toBe('function');
  const dist = join(__dirname, '..', 'dist');
  for (const file of readdirSync(dist).filter((f) => f.endsWith('.d.ts') || f.endsWith('.d.mts'))) {
    expect({ file, imports: readFileSync(join(dist, file), 'utf8').includes('@opencode-ai/plugin') }).toEqual({ file, imports: false });
  }
});
