import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PerformanceStorage, type ToolExecutionMetrics } from '@perftrack/integration';
import type { PerftrackOpencodeStats } from '@perftrack/opencode';
import { opencodeEnv } from './test-support/opencode-env';
import { ScriptedModel, type PlannedCall } from './test-support/scripted-model';

// End to end with the real opencode (the `opencode-ai` npm package's binary), offline: a scripted
// OpenAI-compatible model on 127.0.0.1 plans the tool calls, opencode runs them in a temporary
// project, and the perftrack plugin (this package's built dist) records them.

const packageDir = join(__dirname, '..');
const distEntry = join(packageDir, 'dist', 'index.js');

function findOpencode(): { bin: string; version: string } | { missing: string } {
  let bin: string;
  try {
    bin = join(dirname(require.resolve('opencode-ai/package.json', { paths: [packageDir] })), 'bin', 'opencode.exe');
  } catch {
    return { missing: 'the opencode-ai package is not installed' };
  }
  if (!existsSync(bin)) return { missing: `${bin} is missing (opencode-ai's postinstall did not link the platform binary)` };
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) return { missing: `${bin} --version failed: ${r.error?.message ?? r.stderr}` };
  return { bin, version: r.stdout.trim() };
}

const found = findOpencode();
if ('missing' in found) {
  const message = `\n*** opencode end-to-end test SKIPPED: ${found.missing}. Install it with \`pnpm install\` (opencode-ai is a devDependency of @perftrack/opencode). ***\n`;
  if (process.env.CI === 'true') {
    test('the opencode binary is available under CI', () => {
      throw new Error(message);
    });
  } else {
    console.warn(message);
  }
}
const e2e = 'missing' in found ? describe.skip : describe;
// each test runs the real opencode (up to its 120 s execFile timeout), slower on a loaded machine
const OPENCODE_TEST_TIMEOUT_MS = 180_000;

/** A plugin file for opencode: one OpenTelemetry SDK span per tool call, timing its own handler (warm cost = after the first call). */
function otelPeerPlugin(statsFile: string): string {
  const sdk = JSON.stringify(require.resolve('@opentelemetry/sdk-trace-base', { paths: [packageDir] }));
  return `import { BasicTracerProvider, BatchSpanProcessor } from ${sdk};
import { writeFileSync } from 'node:fs';
export const OtelPeer = async () => {
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor({ export: (_s, done) => done({ code: 0 }), shutdown: async () => {} })] });
  const tracer = provider.getTracer('peer');
  const spans = new Map();
  const stats = { ms: 0, calls: 0, warmupMs: 0 };
  return {
    event: async ({ event }) => {
      const t0 = performance.now();
      if (event.type === 'message.part.updated' && event.properties.part.type === 'tool') {
        const p = event.properties.part;
        const key = p.sessionID + ':' + p.callID;
        const s = p.state;
        if (s.status === 'running' && !spans.has(key)) {
          spans.set(key, tracer.startSpan('execute_tool ' + p.tool, { startTime: s.time.start, attributes: { 'gen_ai.tool.name': p.tool, 'gen_ai.tool.call.id': p.callID, 'gen_ai.conversation.id': p.sessionID } }));
        } else if ((s.status === 'completed' || s.status === 'error') && spans.has(key)) {
          const span = spans.get(key);
          spans.delete(key);
          if (s.status === 'error') span.setStatus({ code: 2, message: s.error });
          span.end(s.time.end);
          stats.calls++;
        }
      }
      stats.ms += performance.now() - t0;
      if (stats.calls === 1 && stats.warmupMs === 0) stats.warmupMs = stats.ms;
      if (event.type === 'session.idle') writeFileSync(${JSON.stringify(statsFile)}, JSON.stringify(stats));
    },
  };
};
`;
}

interface OpencodeToolPart {
  tool: string;
  callID: string;
  messageID: string;
  sessionID: string;
  state: { status: string; error?: string; output?: string; metadata?: { exit?: number }; time: { start: number; end: number } };
}

/** Runs `opencode run` in `project`; resolves with its JSON events (never rejects: the exit code is returned). */
function runOpencode(
  project: string,
  home: string,
  env: Record<string, string>,
): Promise<{ code: number | null; events: { type: string; part?: OpencodeToolPart; sessionID?: string }[]; stderr: string; ms: number }> {
  const bin = (found as { bin: string }).bin;
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      bin,
      ['run', 'Carry out the plan.', '--model', 'scripted/planner', '--format', 'json'],
      {
        cwd: project,
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
        env: opencodeEnv(home, env),
      },
      (error, stdout, stderr) => {
        const events = stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { type: string; part?: OpencodeToolPart });
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, events, stderr, ms: performance.now() - started });
      },
    ).stdin?.end();
  });
}

function writeConfig(project: string, baseURL: string, plugin?: unknown, extra: Record<string, unknown> = {}): void {
  const config = {
    $schema: 'https://opencode.ai/config.json',
    ...(plugin !== undefined ? { plugin } : {}),
    ...extra,
    provider: {
      scripted: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Scripted planner',
        options: { baseURL, apiKey: 'not-needed' },
        models: { planner: { name: 'planner', tool_call: true } },
      },
    },
    permission: { bash: 'allow', edit: 'allow', external_directory: 'allow' },
    autoupdate: false,
    share: 'disabled',
  };
  writeFileSync(join(project, 'opencode.json'), JSON.stringify(config, null, 2));
}

async function storedRecords(dir: string): Promise<{ sessionIds: string[]; records: ToolExecutionMetrics[] }> {
  const storage = new PerformanceStorage({ dir });
  const sessions = (await storage.listSessions()).filter((s) => s.hasMetrics).map((s) => s.sessionId);
  const records: ToolExecutionMetrics[] = [];
  await storage.replay((m) => records.push(m), { sessionIds: sessions });
  await storage.shutdown();
  return { sessionIds: sessions, records };
}

e2e('the perftrack plugin inside the real opencode (opencode-ai, offline, scripted model)', () => {
  let root: string;
  let home: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'perftrack-opencode-'));
    home = join(root, 'home');
    mkdirSync(home);
    if (!existsSync(distEntry)) throw new Error(`${distEntry} is missing: run \`pnpm run build\` first (\`pnpm test\` does)`);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test(
    'enabled from opencode.json with options: every planned call (built-in, custom and MCP tools) in order, failures with their messages, opencode’s own timings, nothing in flight',
    async () => {
      const project = join(root, 'project-a');
      mkdirSync(project);
      writeFileSync(join(project, 'README.md'), '# scratch project\n');
      // a custom tool of the project (opencode loads .opencode/tool/*), failing when asked to
      mkdirSync(join(project, '.opencode', 'tool'), { recursive: true });
      writeFileSync(
        join(project, '.opencode', 'tool', 'flaky.js'),
        "export default { description: 'A custom tool', args: {}, async execute(args) { if (args.fail) throw new Error('flaky tool failed on purpose'); return 'flaky ok'; } };\n",
      );
      const notes = join(project, 'notes.txt');
      // an MCP server (stdio, the official SDK) whose tool opencode exposes as kb_lookup
      const mcpServer = join(root, 'kb-mcp-server.cjs');
      const req = (m: string) => JSON.stringify(require.resolve(m, { paths: [packageDir] }));
      writeFileSync(
        mcpServer,
        [
          `const { McpServer } = require(${req('@modelcontextprotocol/sdk/server/mcp.js')});`,
          `const { StdioServerTransport } = require(${req('@modelcontextprotocol/sdk/server/stdio.js')});`,
          `const { z } = require(${req('zod')});`,
          "const server = new McpServer({ name: 'kb', version: '1.0.0' });",
          "server.registerTool('lookup', { description: 'Look up a key', inputSchema: { key: z.string() } }, async ({ key }) =>",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: this string is the server's JavaScript source
          "  key === 'known' ? { content: [{ type: 'text', text: 'value for known' }] } : { content: [{ type: 'text', text: `no entry for ${key}` }], isError: true });",
          'server.connect(new StdioServerTransport());',
        ].join('\n'),
      );
      const plan: PlannedCall[] = [
        { tool: 'write', args: { filePath: notes, content: 'alpha\nbeta secret-token-123\n' } },
        { tool: 'read', args: { filePath: notes } },
        { tool: 'edit', args: { filePath: notes, oldString: 'beta', newString: 'gamma' } },
        { tool: 'read', args: { filePath: join(project, 'missing.txt') } },
        { tool: 'bash', args: { command: 'sleep 0.2 && echo slept', description: 'Wait a little' } },
        { tool: 'bash', args: { command: 'ls /definitely/not/here', description: 'A failing command' } },
        { tool: 'read', args: { filePath: notes } },
        { tool: 'bash', args: { command: 'grep -c gamma notes.txt', description: 'Count matches' } },
        { tool: 'edit', args: { filePath: notes, oldString: 'no such text', newString: 'x' } },
        { tool: 'bash', args: { command: 'echo done', description: 'Finish' } },
        { tool: 'flaky', args: {} },
        { tool: 'flaky', args: { fail: true } },
        { tool: 'kb_lookup', args: { key: 'known' } },
        { tool: 'kb_lookup', args: { key: 'nope' } },
      ];
      // the peer, measured in the same opencode process: a hand-written plugin making one
      // OpenTelemetry SDK span per tool call from the same events (as in `pnpm bench opencode`)
      const peerStats = join(root, 'otel-peer-a.json');
      mkdirSync(join(project, '.opencode', 'plugin'), { recursive: true });
      writeFileSync(join(project, '.opencode', 'plugin', 'otel-peer.js'), otelPeerPlugin(peerStats));
      const model = new ScriptedModel(plan);
      const baseURL = await model.start();
      const statsFile = join(root, 'stats-a.json');
      try {
        writeConfig(project, baseURL, [[`file://${packageDir}`, { statsFile, historySessions: 0 }]], {
          mcp: { kb: { type: 'local', command: [process.execPath, mcpServer] } },
        });
        const run = await runOpencode(project, home, {});
        expect({ code: run.code, stderr: run.stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.any(String) });
        expect(model.requests.toolSteps).toBe(plan.length);

        // opencode's own view of each call: the final tool parts it printed as JSON events
        const parts = run.events.filter((e) => e.type === 'tool_use').map((e) => e.part!);
        expect(parts.map((p) => p.tool)).toEqual(plan.map((p) => p.tool));

        const { sessionIds, records } = await storedRecords(join(project, '.perftrack'));
        expect(sessionIds).toEqual([parts[0]!.sessionID]);
        expect(records.map((r) => [r.toolId, r.callId])).toEqual(plan.map((p, i) => [p.tool, `call_${i}`]));
        for (const [i, r] of records.entries()) {
          const part = parts[i]!;
          expect(r.sessionId).toBe(part.sessionID);
          expect(r.messageId).toBe(part.messageID);
          // opencode's part timestamps, exactly
          expect([r.startTime, r.endTime, r.duration]).toEqual([
            part.state.time.start,
            part.state.time.end,
            part.state.time.end - part.state.time.start,
          ]);
          const failed = part.state.status === 'error' || (part.state.metadata?.exit ?? 0) !== 0;
          expect(r.success).toBe(!failed);
          if (part.state.status === 'error') expect(r.error).toBe(part.state.error);
          if (part.state.status === 'completed') expect(r.outputSize).toBe(Buffer.byteLength(part.state.output ?? '', 'utf8'));
          expect(r.sampleWeight).toBe(1);
        }
        const byIndex = (i: number) => records[i]!;
        expect(byIndex(3)).toMatchObject({ success: false, errorType: 'NotFound', error: expect.stringContaining('missing.txt') });
        expect(byIndex(5)).toMatchObject({ success: false, errorType: 'NonZeroExit', error: 'Command exited with code 2' });
        expect(byIndex(8)).toMatchObject({ success: false, error: expect.stringMatching(/./) });
        expect(byIndex(4).duration).toBeGreaterThanOrEqual(200);
        expect(byIndex(10)).toMatchObject({ toolId: 'flaky', success: true, outputSize: 'flaky ok'.length });
        expect(byIndex(11)).toMatchObject({
          toolId: 'flaky',
          success: false,
          error: 'flaky tool failed on purpose',
          errorType: 'ToolError',
        });
        expect(byIndex(12)).toMatchObject({ toolId: 'kb_lookup', success: true });
        expect(byIndex(13)).toMatchObject({ toolId: 'kb_lookup', success: false, error: 'no entry for nope' }); // an MCP isError result
        expect(records.filter((r) => !r.success)).toHaveLength(5);

        // privacy: sizes only, never contents or commands; files are 0600
        const dir = join(project, '.perftrack');
        const metricsFile = join(dir, 'metrics', readdirSync(join(dir, 'metrics'))[0]!);
        const text = readFileSync(metricsFile, 'utf8');
        expect(text).not.toContain('secret-token-123');
        expect(text).not.toContain('sleep 0.2');
        expect(statSync(metricsFile).mode & 0o777).toBe(0o600);

        // the session report was written when the session went idle
        const report = JSON.parse(readFileSync(join(dir, 'analytics', readdirSync(join(dir, 'analytics'))[0]!), 'utf8')) as {
          sessionId: string;
          analytics: { summary: { totalOperations: number; failures: number } };
        };
        expect(report.sessionId).toBe(parts[0]!.sessionID);
        expect(report.analytics.summary).toMatchObject({ totalOperations: plan.length, failures: 5 });

        // nothing left in flight, nothing abandoned, every call once
        const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as PerftrackOpencodeStats;
        expect(stats.recorder).toMatchObject({ recorded: plan.length, failures: 5, inFlight: 0, abandoned: 0, hookTimed: 0 });
        expect(stats.integration.storage).toMatchObject({ written: plan.length, dropped: 0, writeErrors: 0 });
        expect(stats.overheadPerWarmCallUs).toBeLessThan(5000); // a sanity bound, not a benchmark (see pnpm bench opencode)
        const peer = JSON.parse(readFileSync(peerStats, 'utf8')) as { ms: number; calls: number; warmupMs: number };
        expect(peer.calls).toBe(plan.length);
        const peerWarmUs = ((peer.ms - peer.warmupMs) * 1000) / (peer.calls - 1);
        console.log(
          `opencode e2e, warm handler cost per tool call in the same process: perftrack ${stats.overheadPerWarmCallUs.toFixed(0)} µs, ` +
            `one OpenTelemetry span (hand-written peer plugin) ${peerWarmUs.toFixed(0)} µs`,
        );
        console.log(
          `opencode ${(found as { version: string }).version} e2e: ${records.length}/${plan.length} calls recorded, ${stats.recorder.failures} failures, ` +
            `${stats.recorder.handled} hook/event calls handled in ${stats.recorder.handlerMs.toFixed(2)} ms: ${stats.overheadPerCallUs.toFixed(0)} µs per tool call, ` +
            `${stats.overheadPerWarmCallUs.toFixed(0)} µs per call after the first (cold start ${stats.recorder.warmupMs.toFixed(2)} ms); opencode run took ${run.ms.toFixed(0)} ms`,
        );
      } finally {
        await model.stop();
      }
    },
    OPENCODE_TEST_TIMEOUT_MS,
  );

  test(
    'enabled by a one-line file in .opencode/plugin/, configured by PERFTRACK_* variables (sampling keeps failures)',
    async () => {
      const project = join(root, 'project-b');
      mkdirSync(join(project, '.opencode', 'plugin'), { recursive: true });
      writeFileSync(join(project, 'a.txt'), 'hello\n');
      writeFileSync(
        join(project, '.opencode', 'plugin', 'perftrack.js'),
        `export { PerftrackPlugin } from ${JSON.stringify(distEntry)};\n`,
      );
      const plan: PlannedCall[] = [
        { tool: 'read', args: { filePath: join(project, 'a.txt') } },
        { tool: 'read', args: { filePath: join(project, 'nope.txt') } },
        { tool: 'bash', args: { command: 'exit 7', description: 'fail' } },
        { tool: 'bash', args: { command: 'echo ok', description: 'ok' } },
      ];
      const model = new ScriptedModel(plan);
      const baseURL = await model.start();
      const dir = join(root, 'store-b');
      const statsFile = join(root, 'stats-b.json');
      try {
        writeConfig(project, baseURL);
        const run = await runOpencode(project, home, {
          PERFTRACK_DIR: dir,
          PERFTRACK_SAMPLE_RATES: 'read=0',
          PERFTRACK_STATS_FILE: statsFile,
        });
        expect(run.code).toBe(0);
        const { records } = await storedRecords(dir);
        expect(records.map((r) => [r.toolId, r.success, r.errorType ?? null])).toEqual([
          ['read', false, 'NotFound'], // read is sampled at 0, but failures are always kept
          ['bash', false, 'NonZeroExit'],
          ['bash', true, null],
        ]);
        expect(existsSync(join(project, '.perftrack'))).toBe(false); // PERFTRACK_DIR was honoured
        const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as PerftrackOpencodeStats;
        expect(stats.recorder).toMatchObject({ recorded: 3, sampledOut: 1, inFlight: 0, abandoned: 0 });
        expect(stats.integration.collector.sampledOut).toBe(1);
      } finally {
        await model.stop();
      }
    },
    OPENCODE_TEST_TIMEOUT_MS,
  );

  test('a call to a tool that does not exist is the failure opencode reports (tool invalid, UnknownTool); a subagent session links to its parent and task call', async () => {
    const project = join(root, 'project-d');
    mkdirSync(project);
    writeFileSync(join(project, 'a.txt'), 'hello\n');
    const plan: PlannedCall[] = [
      { tool: 'made_up_tool', args: { x: 1 } },
      { tool: 'task', args: { description: 'Read a file', prompt: 'SUBAGENT: read a.txt', subagent_type: 'general' } },
      { tool: 'bash', args: { command: 'echo after', description: 'after' } },
    ];
    const model = new ScriptedModel(plan, { SUBAGENT: [{ tool: 'read', args: { filePath: join(project, 'a.txt') } }] });
    const baseURL = await model.start();
    const dir = join(root, 'store-d');
    try {
      writeConfig(project, baseURL, [[`file://${packageDir}`, { dir, historySessions: 0 }]]);
      const run = await runOpencode(project, home, {});
      expect({ code: run.code, stderr: run.stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.any(String) });
      const parts = run.events.filter((e) => e.type === 'tool_use').map((e) => e.part!);
      expect(parts.map((p) => p.tool)).toEqual(['invalid', 'task', 'bash']); // opencode's own view: the made-up name became `invalid`
      const root_ = parts[0]!.sessionID;
      const { records } = await storedRecords(dir);
      const sorted = [...records].sort((a, b) => a.startTime - b.startTime);
      expect(sorted.map((r) => [r.toolId, r.success, r.errorType ?? null])).toEqual([
        ['invalid', false, 'UnknownTool'],
        ['task', true, null],
        ['read', true, null],
        ['bash', true, null],
      ]);
      expect(sorted[0]!.error).toContain('made_up_tool');
      const [, task, read] = sorted;
      expect(read!.sessionId).not.toBe(root_);
      expect(read).toMatchObject({ parentSessionId: root_, parentCallId: task!.callId });
      expect(task).toMatchObject({ sessionId: root_, callId: 'call_1' });
      expect(task!.parentSessionId).toBeUndefined();
    } finally {
      await model.stop();
    }
  });

  test(
    'PERFTRACK_ENABLED=0 turns the plugin off: opencode runs as before and nothing is written',
    async () => {
      const project = join(root, 'project-c');
      mkdirSync(project);
      const model = new ScriptedModel([{ tool: 'bash', args: { command: 'echo hi', description: 'hi' } }]);
      const baseURL = await model.start();
      try {
        writeConfig(project, baseURL, [`file://${packageDir}`]);
        const run = await runOpencode(project, home, { PERFTRACK_ENABLED: '0' });
        expect(run.code).toBe(0);
        expect(run.events.filter((e) => e.type === 'tool_use')).toHaveLength(1);
        expect(existsSync(join(project, '.perftrack'))).toBe(false);
      } finally {
        await model.stop();
      }
    },
    OPENCODE_TEST_TIMEOUT_MS,
  );
});

// keep chmodSync referenced for platforms where the binary lost its mode (never on Linux CI)
void chmodSync;
