// The seed's decorator usage under `experimentalDecorators`, recording into the initialized integration.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceIntegration, SessionPerformance, trackPerformance } from '@perftrack/integration';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perftrack-legacy-'));
  await PerformanceIntegration.initialize({ storageDir: dir, analyticsInterval: 0, flushOnExit: false });
});
afterAll(async () => {
  await PerformanceIntegration.shutdown();
  await rm(dir, { recursive: true, force: true });
});

test('legacy class and method decorators record into the integration and update session trackers', async () => {
  @trackPerformance({ trackInputOutput: true, customMetadata: { version: '1.0.0' } })
  class ReadTool {
    readonly id = 'read';
    async execute(args: { filePath: string }, _ctx: { sessionID: string }) {
      if (args.filePath === 'missing') throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return { content: 'x' };
    }
  }
  class GrepTool {
    @trackPerformance({ toolId: 'grep', sampleRate: 1 })
    run(pattern: string, _ctx: { sessionID: string }) {
      return [pattern];
    }
  }
  const ctx = { sessionID: 'ses_legacy' };
  const tracker = SessionPerformance.getTracker('ses_legacy');
  expect(await new ReadTool().execute({ filePath: 'a' }, ctx)).toEqual({ content: 'x' });
  const error = await new ReadTool().execute({ filePath: 'missing' }, ctx).catch((e: unknown) => e);
  expect((error as { code: string }).code).toBe('ENOENT');
  expect(new GrepTool().run('p', ctx)).toEqual(['p']); // sync stays sync
  expect(tracker.calls).toBe(3);
  expect(tracker.failures).toBe(1);
  expect(tracker.lastFailure).toMatchObject({ toolId: 'read', errorType: 'ENOENT' });
  expect(tracker.lastTools).toEqual(['read', 'read', 'grep']);
  const report = await PerformanceIntegration.getSessionReport('ses_legacy');
  expect(report.analytics.tools.map((t) => t.toolId).sort()).toEqual(['grep', 'read']);
});
