import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PerformanceStorage, type ToolExecutionMetrics } from '@perftrack/integration';
import { opencodeEnv } from '../../packages/opencode/src/test-support/opencode-env';
import { ScriptedModel, type PlannedCall } from '../../packages/opencode/src/test-support/scripted-model';
import { LocalRegistry } from './local-registry';
import { pack, packCoreVariant, publishablePackages, repoRoot, run } from './pack';

// The packages as users get them: every package is packed and published to a real Verdaccio on
// 127.0.0.1 (storage in a temp dir, the machine's npm registry as its uplink), then installed by
// plain `npm install` and `pnpm add` in scratch projects outside the repository and used from
// CommonJS, ESM and TypeScript (nodenext and bundler, TC39 and legacy decorators); finally the
// real opencode binary installs "@perftrack/opencode" from that registry and records calls.
// README's "Install" section runs exactly these commands.

const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const typeRoots = join(repoRoot, 'node_modules', '@types');

let root: string;
let registry: LocalRegistry;
/** Environment for npm and pnpm in scratch projects: their own caches, so nothing stale is reused. */
let installEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'perftrack-registry-')));
  const uplink = (await run('npm', ['config', 'get', 'registry'])).stdout.trim();
  const packed = join(root, 'tarballs');
  mkdirSync(packed);
  const [started, tarballs] = await Promise.all([
    LocalRegistry.start(join(root, 'verdaccio'), uplink),
    Promise.all(publishablePackages().map((p) => pack(p, packed))),
  ]);
  registry = started;
  await Promise.all(tarballs.map((t) => registry.publish(t.tarball)));
  installEnv = {
    ...process.env,
    npm_config_cache: join(root, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    pnpm_config_store_dir: join(root, 'pnpm-store'),
    pnpm_config_cache_dir: join(root, 'pnpm-cache'),
  };
}, 180_000);

afterAll(async () => {
  await registry?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A scratch project whose .npmrc points at the local registry (as a user's would at theirs). */
function scratchProject(name: string, manifest: Record<string, unknown> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, ...manifest }, null, 2));
  writeFileSync(join(dir, '.npmrc'), `registry=${registry.url}\n`);
  return dir;
}

/** Runs `command` in `cwd`; rejects with its output. */
async function sh(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = installEnv): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}\nverdaccio: ${registry.log.slice(-2000)}`,
    );
  }
}

/** What each usage script prints: where the package resolved and what the integration recorded. */
interface Usage {
  entry: string;
  records: { toolId: string; sessionId: string; success: boolean }[];
}

const lastJson = (stdout: string): Usage => JSON.parse(stdout.trim().split('\n').pop()!) as Usage;

// The same small program in each module system: a decorated class, a wrapped tool object, the integration.
const body = (entry: string) => `
  const perf = await PerformanceIntegration.initialize({ storageDir: '.perftrack', analyticsInterval: 0 });
  const tools = PerformanceIntegration.wrapTools({ read: { id: 'read', execute: async (args, ctx) => 'text of ' + args.path } });
  await tools.read.execute({ path: 'a.txt' }, { sessionID: 'ses_1' });
  await new Grep().run('needle');
  await new Grep().run('').catch(() => {});
  const records = perf.collector.getMetrics().map((m) => ({ toolId: m.toolId, sessionId: m.sessionId, success: m.success }));
  console.log(JSON.stringify({ entry: ${entry}, records }));
  await PerformanceIntegration.shutdown();
`;
// Plain JavaScript has no decorator syntax yet: the class's method is wrapped (the TypeScript cases decorate it).
const GREP_CLASS = `
class Grep {
  async run(pattern) { if (!pattern) throw new Error('empty pattern'); return [pattern]; }
}
`;
/** The program from CommonJS, as both the npm and the pnpm project run it. */
const USE_CJS = `const { PerformanceIntegration, trackPerformance } = require('@perftrack/integration');
${GREP_CLASS}
Grep.prototype.run = trackPerformance({ toolId: 'grep' })(Grep.prototype.run);
(async () => {${body("require.resolve('@perftrack/integration')")}})();
`;
const expectedRecords = [
  { toolId: 'read', sessionId: 'ses_1', success: true },
  { toolId: 'grep', sessionId: 'default', success: true },
  { toolId: 'grep', sessionId: 'default', success: false },
];

describe('published to a local Verdaccio and installed as users do', () => {
  let npmProject: string;

  test('`npm install @perftrack/integration`: carets between our packages, one copy of core, usable from CommonJS and ESM', async () => {
    npmProject = scratchProject('npm-app');
    await sh(npmProject, 'npm', ['install', '@perftrack/integration']);
    const manifest = JSON.parse(readFileSync(join(npmProject, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(manifest.dependencies).toEqual({ '@perftrack/integration': '^0.1.0' });
    const ls = JSON.parse(await sh(npmProject, 'npm', ['ls', '--all', '--json'])) as {
      dependencies: Record<string, { dependencies?: Record<string, { version: string }> }>;
    };
    expect(Object.keys(ls.dependencies['@perftrack/integration']!.dependencies!).sort()).toEqual([
      '@perftrack/analytics',
      '@perftrack/core',
      '@perftrack/storage',
    ]);
    expect(readdirSync(join(npmProject, 'node_modules', '@perftrack')).sort()).toEqual(['analytics', 'core', 'integration', 'storage']);
    for (const pkg of ['integration', 'analytics', 'storage'])
      expect(existsSync(join(npmProject, 'node_modules', '@perftrack', pkg, 'node_modules'))).toBe(false); // nothing nested

    writeFileSync(join(npmProject, 'use.cjs'), USE_CJS);
    const cjs = lastJson(await sh(npmProject, process.execPath, ['use.cjs']));
    expect(cjs.entry).toBe(join(npmProject, 'node_modules', '@perftrack', 'integration', 'dist', 'index.js'));
    expect(cjs.records).toEqual(expectedRecords);

    writeFileSync(
      join(npmProject, 'use.mjs'),
      `import { PerformanceIntegration, trackPerformance } from '@perftrack/integration';
${GREP_CLASS}
Grep.prototype.run = trackPerformance({ toolId: 'grep' })(Grep.prototype.run);
${body("import.meta.resolve('@perftrack/integration')")}
`,
    );
    const esm = lastJson(await sh(npmProject, process.execPath, ['use.mjs']));
    expect(esm.entry).toBe(`file://${join(npmProject, 'node_modules', '@perftrack', 'integration', 'dist', 'index.mjs')}`);
    expect(esm.records).toEqual(expectedRecords);
  }, 180_000);

  test('TypeScript (skipLibCheck off) under nodenext and bundler, with TC39 and with legacy decorators, compiles and runs', async () => {
    // the opencode plugin too, without its optional peer @opencode-ai/plugin: our declarations must not need it
    await sh(npmProject, 'npm', ['install', '@perftrack/opencode']);
    expect(existsSync(join(npmProject, 'node_modules', '@opencode-ai'))).toBe(false);
    const source = (imports: string) => `${imports}
import { createPerftrackPlugin, type PerftrackOpencodeOptions } from '@perftrack/opencode';

const opencodeOptions: PerftrackOpencodeOptions = { dir: '.perftrack' };
void opencodeOptions;
void createPerftrackPlugin;

class Grep {
  @trackPerformance({ toolId: 'grep' })
  async run(pattern: string): Promise<string[]> {
    if (!pattern) throw new Error('empty pattern');
    return [pattern];
  }
}

async function main(): Promise<void> {
  const perf = await PerformanceIntegration.initialize({ storageDir: '.perftrack', analyticsInterval: 0 });
  const tools = PerformanceIntegration.wrapTools({ read: { id: 'read', execute: async (args: { path: string }, ctx: { sessionID: string }) => 'text of ' + args.path + ' for ' + ctx.sessionID } });
  await tools.read.execute({ path: 'a.txt' }, { sessionID: 'ses_1' });
  await new Grep().run('needle');
  await new Grep().run('').catch(() => {});
  const records = perf.collector.getMetrics().map((m: ToolExecutionMetrics) => ({ toolId: m.toolId, sessionId: m.sessionId, success: m.success }));
  console.log(JSON.stringify({ entry: ENTRY, records }));
  await PerformanceIntegration.shutdown();
}
void main();
`;
    const imports = "import { PerformanceIntegration, trackPerformance, type ToolExecutionMetrics } from '@perftrack/integration';";
    const cases = [
      {
        name: 'nodenext-tc39',
        file: 'app.mts',
        out: 'app.mjs',
        module: 'nodenext',
        resolution: 'nodenext',
        legacy: false,
        entry: "import.meta.resolve('@perftrack/integration')",
        build: 'index.mjs',
      },
      {
        name: 'nodenext-legacy',
        file: 'app.cts',
        out: 'app.cjs',
        module: 'nodenext',
        resolution: 'nodenext',
        legacy: true,
        entry: "require.resolve('@perftrack/integration')",
        build: 'index.js',
      },
      {
        name: 'bundler-tc39',
        file: 'app.ts',
        out: 'app.js',
        module: 'esnext',
        resolution: 'bundler',
        legacy: false,
        entry: "import.meta.resolve('@perftrack/integration')",
        build: 'index.mjs',
      },
      {
        name: 'bundler-legacy',
        file: 'app.ts',
        out: 'app.js',
        module: 'esnext',
        resolution: 'bundler',
        legacy: true,
        entry: "import.meta.resolve('@perftrack/integration')",
        build: 'index.mjs',
      },
    ];
    for (const c of cases) {
      const dir = join(npmProject, c.name);
      mkdirSync(dir);
      writeFileSync(join(dir, c.file), source(imports).replace('ENTRY', c.entry));
      // bundler output is ESM that Node runs as is (a bundler would resolve the same `import` condition)
      if (c.resolution === 'bundler') writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'es2022',
            module: c.module,
            moduleResolution: c.resolution,
            strict: true,
            skipLibCheck: false,
            types: ['node'],
            typeRoots: [typeRoots],
            outDir: 'out',
            ...(c.legacy ? { experimentalDecorators: true } : {}),
          },
          files: [c.file],
        }),
      );
    }
    // one compiler process for the four projects (each checks every declaration it loads: skipLibCheck is off)
    await sh(npmProject, process.execPath, [tsc, '-b', ...cases.map((c) => c.name)]);
    for (const c of cases) {
      const dir = join(npmProject, c.name);
      if (c.resolution === 'bundler') writeFileSync(join(dir, 'out', 'package.json'), '{ "type": "module" }\n');
      const usage = lastJson(await sh(dir, process.execPath, [join('out', c.out)]));
      expect({ case: c.name, records: usage.records }).toEqual({ case: c.name, records: expectedRecords });
      expect({ case: c.name, entry: usage.entry.endsWith(`/node_modules/@perftrack/integration/dist/${c.build}`) }).toEqual({
        case: c.name,
        entry: true,
      });
    }
  }, 180_000);

  test('`pnpm add @perftrack/integration` (strict node_modules) works from CommonJS and ESM', async () => {
    const dir = scratchProject('pnpm-app');
    await sh(dir, 'pnpm', ['add', '@perftrack/integration']);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(manifest.dependencies).toEqual({ '@perftrack/integration': '^0.1.0' });
    writeFileSync(join(dir, 'use.cjs'), USE_CJS);
    writeFileSync(
      join(dir, 'use.mjs'),
      `import { PerformanceIntegration, trackPerformance } from '@perftrack/integration';
${GREP_CLASS}
Grep.prototype.run = trackPerformance({ toolId: 'grep' })(Grep.prototype.run);
${body("import.meta.resolve('@perftrack/integration')")}
`,
    );
    expect(lastJson(await sh(dir, process.execPath, ['use.cjs'])).records).toEqual(expectedRecords);
    expect(lastJson(await sh(dir, process.execPath, ['use.mjs'])).records).toEqual(expectedRecords);
  }, 180_000);

  test('a partial upgrade (`npm install @perftrack/core@0.2.0` beside the integration) nests core 0.1.0 under our packages: those copies share one default; one warning names both versions and paths', async () => {
    await registry.publish(await packCoreVariant('0.2.0', join(root, 'tarballs')), 'next');
    const dir = scratchProject('npm-upgraded');
    await sh(dir, 'npm', ['install', '@perftrack/integration', '@perftrack/core@0.2.0']);
    // npm nests core 0.1.0 under each of our packages that needs ^0.1.0
    const nestedUnder = (pkg: string) => join(dir, 'node_modules', '@perftrack', pkg, 'node_modules', '@perftrack', 'core');
    for (const pkg of ['integration', 'analytics', 'storage'])
      expect(JSON.parse(readFileSync(join(nestedUnder(pkg), 'package.json'), 'utf8'))).toMatchObject({ version: '0.1.0' });
    writeFileSync(
      join(dir, 'use.cjs'),
      `const warnings = [];
process.on('warning', (w) => { if (w.name === 'PerftrackWarning') warnings.push(w.message); });
const core = require('@perftrack/core');
require('@perftrack/integration');
const nested = (pkg) => require(require.resolve('@perftrack/core', { paths: [require.resolve('@perftrack/' + pkg)] }));
const defaults = ['integration', 'analytics', 'storage'].map((pkg) => nested(pkg).MetricsCollector.default);
const sharedWithin = defaults.every((d) => d === defaults[0]);
// warnings are emitted on the next tick
setImmediate(() => console.log(JSON.stringify({ versions: [require('@perftrack/core/internal').VERSION, require(require.resolve('@perftrack/core/internal', { paths: [require.resolve('@perftrack/integration')] })).VERSION], sharedWithin, separate: core.MetricsCollector.default !== defaults[0], warnings })));
`,
    );
    const out = JSON.parse((await sh(dir, process.execPath, ['use.cjs'])).trim().split('\n').pop()!) as {
      versions: string[];
      sharedWithin: boolean;
      separate: boolean;
      warnings: string[];
    };
    expect(out).toMatchObject({ versions: ['0.2.0', '0.1.0'], sharedWithin: true, separate: true });
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toContain(
      `0.2.0 from ${join(dir, 'node_modules', '@perftrack', 'core')} and 0.1.0 from ${join(dir, 'node_modules', '@perftrack')}`,
    );
    expect(out.warnings[0]).toMatch(/and 0\.1\.0 from \S+\/@perftrack\/(integration|analytics|storage)\/node_modules\/@perftrack\/core\. /);
  }, 120_000);

  test('the real opencode installs "plugin": ["@perftrack/opencode"] from the registry in ~/.npmrc and records every call', async () => {
    const bin = join(
      dirname(require.resolve('opencode-ai/package.json', { paths: [join(repoRoot, 'packages', 'opencode')] })),
      'bin',
      'opencode.exe',
    );
    expect(existsSync(bin)).toBe(true);
    const home = join(root, 'opencode-home');
    mkdirSync(home);
    // opencode installs config plugins with npm's own installer (Arborist) into
    // $XDG_CACHE_HOME/opencode/packages/<name>, reading npm's configuration: npm_config_*
    // variables, then ~/.npmrc (not the project's .npmrc: that install runs in the cache directory).
    writeFileSync(join(home, '.npmrc'), `registry=${registry.url}\n`);
    const project = join(root, 'opencode-project');
    mkdirSync(project);
    writeFileSync(join(project, 'a.txt'), 'hello\n');
    const plan: PlannedCall[] = [
      { tool: 'read', args: { filePath: join(project, 'a.txt') } },
      { tool: 'read', args: { filePath: join(project, 'missing.txt') } },
      { tool: 'bash', args: { command: 'echo ok', description: 'ok' } },
    ];
    const model = new ScriptedModel(plan);
    const baseURL = await model.start();
    try {
      writeFileSync(
        join(project, 'opencode.json'),
        JSON.stringify({
          $schema: 'https://opencode.ai/config.json',
          plugin: ['@perftrack/opencode'],
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
        }),
      );
      const env = opencodeEnv(home);
      const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          bin,
          ['run', 'Carry out the plan.', '--model', 'scripted/planner', '--format', 'json', '--print-logs'],
          { cwd: project, env, timeout: 150_000, maxBuffer: 64 * 1024 * 1024 },
          (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ).stdin?.end();
      });
      expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr.slice(-3000) }).toEqual({ code: 0, stderr: '' });
      // installed from our registry, into opencode's cache
      const installDir = join(home, '.cache', 'opencode', 'packages', '@perftrack', 'opencode@latest');
      expect(existsSync(join(installDir, 'node_modules', '@perftrack', 'opencode', 'package.json'))).toBe(true);
      expect(readFileSync(join(installDir, 'package-lock.json'), 'utf8')).toContain(
        `${registry.url}@perftrack/opencode/-/opencode-0.1.0.tgz`,
      );

      const storage = new PerformanceStorage({ dir: join(project, '.perftrack') });
      const records: ToolExecutionMetrics[] = [];
      await storage.replay((m) => records.push(m));
      await storage.shutdown();
      expect(records.map((r) => [r.toolId, r.success])).toEqual([
        ['read', true],
        ['read', false],
        ['bash', true],
      ]);
      // the plugin said where it records, through opencode's own log
      expect(result.stderr).toContain(`perftrack: recording tool calls to ${join(project, '.perftrack')}`);
    } finally {
      await model.stop();
    }
  }, 180_000);
});
