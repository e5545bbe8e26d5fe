// Every usage snippet of the seed document, nearly verbatim, against `@perftrack/integration`.
// Differences from the seed: the import path, and `@trackPerformance()` on a `const` (not valid
// TypeScript) becomes `trackPerformance()(Tool.define(...))`, or the decorator on a class.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MetricsCollector,
  PerformanceIntegration,
  PerformanceStorage,
  SessionPerformance,
  UsagePatternTracker,
  trackPerformance,
} from '@perftrack/integration';

/** The opencode-style tool factory the seed's examples assume. */
const Tool = {
  define<P, R>(id: string, def: { description: string; execute(args: P, ctx: { sessionID: string; messageID: string }): Promise<R> }) {
    return { id, ...def };
  },
};

const tools = {
  read: Tool.define('read', {
    description: 'read a file',
    async execute(args: { filePath: string }) {
      if (args.filePath === 'missing') throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
      return { output: `contents of ${args.filePath}` };
    },
  }),
  grep: Tool.define('grep', { description: 'search', execute: async (args: { pattern: string }) => ({ output: args.pattern }) }),
  edit: Tool.define('edit', { description: 'edit', execute: async (_args: { filePath: string }) => ({ output: 'ok' }) }),
};

let dir: string;
const sessionId = 'ses_seed';
const messageId = 'msg_1';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perftrack-seed-'));
  process.env.PERFTRACK_DIR = dir; // the seed's initialize() takes no arguments: the directory comes from the environment
});
afterAll(async () => {
  await PerformanceIntegration.shutdown();
  delete process.env.PERFTRACK_DIR;
  await rm(dir, { recursive: true, force: true });
});

test('1. Initialize Performance Tracking', async () => {
  // Initialize the system
  await PerformanceIntegration.initialize();
  expect(PerformanceIntegration.current!.config.storageDir).toBeUndefined();
  expect(PerformanceIntegration.current!.storage.adapter).toMatchObject({ dir });
});

test('2. Wrap Tools with Performance Tracking', async () => {
  // Wrap all tools with performance tracking
  const trackedTools = await PerformanceIntegration.wrapTools(tools);
  for (let i = 0; i < 6; i++) {
    const ctx = { sessionID: sessionId, messageID: `msg_${i}` };
    await trackedTools.read.execute({ filePath: i === 5 ? 'missing' : 'a.ts' }, ctx).catch(() => {});
    await trackedTools.grep.execute({ pattern: 'x' }, ctx);
    await trackedTools.edit.execute({ filePath: 'a.ts' }, ctx);
  }
  expect(MetricsCollector.getMetrics({ sessionId })).toHaveLength(18);
});

test('3. Track Custom Metrics', async () => {
  const inputData = { query: 'what' };
  const executeMyTool = async (input: { query: string }) => ({ answer: input.query.length });

  // Start tracking
  const executionId = MetricsCollector.startToolExecution('my-tool', sessionId, messageId, inputData);

  try {
    // Execute your tool
    const result = await executeMyTool(inputData);

    // Complete tracking with success
    MetricsCollector.completeToolExecution(executionId, true, result);
  } catch (error) {
    // Complete tracking with failure
    MetricsCollector.completeToolExecution(executionId, false, null, error);
  }
  const [m] = MetricsCollector.getMetrics({ toolId: 'my-tool' });
  expect(m).toMatchObject({ toolId: 'my-tool', sessionId, messageId, success: true });
  expect(m!.inputSize).toBeGreaterThan(0);
});

test('4. Get Performance Insights', async () => {
  // Get insights for current sessions
  const insights = await PerformanceIntegration.getInsights();

  const lines: string[] = [];
  const console = { log: (label: string, value: unknown) => lines.push(`${label} ${JSON.stringify(value)}`) };
  console.log('Top tools:', insights.topTools);
  console.log('Bottlenecks:', insights.bottlenecks);
  console.log('Error-prone tools:', insights.errorProne);
  console.log('Recommendations:', insights.recommendations);
  expect(insights.topTools.map((t) => t.toolId)).toEqual(expect.arrayContaining(['read', 'grep', 'edit', 'my-tool']));
  expect(lines).toHaveLength(4);
});

test('5. Analyze Usage Patterns', () => {
  // Get most common patterns
  const patterns = UsagePatternTracker.getMostCommonPatterns(10);

  // Predict next tools based on current sequence
  const predictions = UsagePatternTracker.predictNextTools(['read', 'grep'], 5);

  // Find error-prone patterns
  const errorPatterns = UsagePatternTracker.getErrorPronePatterns();

  expect(patterns.length).toBeGreaterThan(0);
  expect(patterns.map((p) => p.sequence.join(' → '))).toContain('read → grep → edit');
  expect(predictions[0]).toMatchObject({ toolId: 'edit' });
  expect(Array.isArray(errorPatterns)).toBe(true);
});

test('6. Generate Analytics Reports', async () => {
  // Get comprehensive report for a session
  const report = await PerformanceIntegration.getSessionReport(sessionId);

  // Export all data
  const allData = await PerformanceIntegration.exportAllData();

  expect(report.analytics.summary.totalOperations).toBe(19);
  expect(report.analytics.summary.failures).toBe(1);
  expect(allData.sessions.find((s) => s.sessionId === sessionId)!.metrics).toHaveLength(19);
});

test('Configuration: the `performance` key of a config object', async () => {
  await PerformanceIntegration.shutdown();
  const config = {
    performance: {
      enabled: true, // Enable performance tracking
      saveReports: true, // Save reports to storage
      maxMetrics: 1000, // Max metrics to keep in memory
      trackMemory: true, // Track memory usage
      trackPatterns: true, // Track usage patterns
      analyticsInterval: 300000, // Analytics interval (5 minutes)
    },
  };
  const integration = await PerformanceIntegration.initialize(config);
  expect(integration.config).toMatchObject(config.performance);
  // history from the first initialize is there
  expect((await PerformanceIntegration.getSessionReport(sessionId)).analytics.summary.totalOperations).toBe(19);
});

test('Decorator Options', async () => {
  // Basic tracking
  const MyTool = trackPerformance()(Tool.define('my-basic-tool', { description: 'basic', execute: async (a: { n: number }) => a.n + 1 }));

  // With options
  const MyHighFrequencyTool = trackPerformance({
    sampleRate: 0.1, // Sample 10% of executions
    trackMemory: true, // Track memory usage
    trackInputOutput: true, // Track I/O sizes
    customMetadata: {
      // Add custom metadata
      version: '1.0.0',
    },
  })(Tool.define('my-hf-tool', { description: 'hot path', execute: async (a: { n: number }) => a.n * 2 }));

  // …and the class form the seed's decorator syntax suggests
  @trackPerformance({ customMetadata: { version: '1.0.0' } })
  class MyClassTool {
    readonly id = 'my-class-tool';
    async execute(args: { n: number }, _ctx: { sessionID: string }) {
      return args.n;
    }
  }

  const ctx = { sessionID: 'ses_decorators', messageID: 'm' };
  expect(await MyTool.execute({ n: 1 }, ctx)).toBe(2);
  for (let i = 0; i < 200; i++) expect(await MyHighFrequencyTool.execute({ n: i }, ctx)).toBe(2 * i);
  expect(await new MyClassTool().execute({ n: 7 }, ctx)).toBe(7);

  const metrics = MetricsCollector.getMetrics({ sessionId: 'ses_decorators' });
  expect(metrics.filter((m) => m.toolId === 'my-basic-tool')).toHaveLength(1);
  const hf = metrics.filter((m) => m.toolId === 'my-hf-tool');
  expect(hf.length).toBeGreaterThan(0);
  expect(hf.length).toBeLessThan(60);
  expect(hf[0]).toMatchObject({ sampleWeight: 10, metadata: { version: '1.0.0' } });
  expect(hf[0]!.memoryUsed).toEqual(expect.any(Number));
  expect(hf[0]!.inputSize).toBeGreaterThan(0);
  expect(metrics.find((m) => m.toolId === 'my-class-tool')!.metadata).toEqual({ version: '1.0.0' });
});

test('Storage Cleanup: PerformanceStorage.cleanup()', async () => {
  await PerformanceIntegration.exportAllData(); // flush
  // Use PerformanceStorage.cleanup() to remove old data (default: older than 7 days)
  const result = await PerformanceStorage.cleanup();
  expect(result.removed).toEqual([]);
  expect(result.kept).toBe(2);
});

test('Integration with SessionPerformance', async () => {
  // Get tracker for session
  const tracker = SessionPerformance.getTracker(sessionId);

  // Performance tracking automatically updates session tracker
  const before = tracker.calls;
  const trackedTools = PerformanceIntegration.wrapTools(tools);
  await trackedTools.grep.execute({ pattern: 'y' }, { sessionID: sessionId, messageID: 'msg_9' });
  expect(tracker.calls).toBe(before + 1);
  expect(tracker.lastTools.at(-1)).toBe('grep');
});
