import { InMemoryStorage, PerformanceIntegration, type ToolExecutionMetrics } from '@perftrack/integration';
import { PrometheusExporter } from '@perftrack/exporter-prometheus';

const quiet = { analyticsInterval: 0, flushOnExit: false } as const;
const tools = [
  {
    id: 'grep',
    execute: (args: { fail?: boolean }, _ctx: { sessionID: string }) => {
      if (args.fail) throw new Error('exit 2');
      return 'ok';
    },
  },
];

describe('the integration feeds every part through one record pipeline', () => {
  it('a call only enqueues; every read (insights, trackers, reports) sees it at once, and storage gets it on flush', async () => {
    const storage = new InMemoryStorage();
    const perf = new PerformanceIntegration({ ...quiet, storage, onWarning: () => {} });
    await perf.ready;
    const [grep] = perf.wrapTools(tools);
    grep!.execute({}, { sessionID: 's1' });
    expect(() => grep!.execute({ fail: true }, { sessionID: 's1' })).toThrow('exit 2');
    expect(perf.stats().pipeline.queued).toBe(2); // nothing ran on the call path but the enqueue
    expect(perf.getTracker('s1').calls).toBe(2); // a read delivers first
    expect(perf.stats().pipeline).toMatchObject({ queued: 0, delivered: 2, dropped: 0 });
    expect((await perf.getInsights()).topTools[0]).toMatchObject({ toolId: 'grep', count: 2 });
    await perf.collector.flush();
    const stored: ToolExecutionMetrics[] = [];
    for await (const m of perf.storage.iterateMetrics('s1')) stored.push(m);
    expect(stored.map((m) => m.success)).toEqual([true, false]);
    await perf.shutdown();
    expect(perf.stats().pipeline.closed).toBe(true);
  });

  it("a user's own MetricsSubscriber on the collector keeps working unchanged", async () => {
    const perf = new PerformanceIntegration({ ...quiet, storage: new InMemoryStorage(), onWarning: () => {} });
    const seen: string[] = [];
    let flushed = 0;
    perf.collector.subscribe({ onMetric: (m) => seen.push(`${m.toolId}:${m.sessionId}`), flush: async () => void flushed++ });
    const [grep] = perf.wrapTools(tools);
    grep!.execute({}, { sessionID: 'a' });
    expect(seen).toEqual(['grep:a']);
    await perf.collector.flush();
    expect(flushed).toBe(1);
    await perf.shutdown();
  });

  it('more than 10,000 sessions active between two passes: the oldest are forgotten in O(1), counted by a single warning, and the pass still saves the latest', async () => {
    const warnings: string[] = [];
    const storage = new InMemoryStorage();
    const perf = new PerformanceIntegration({
      ...quiet,
      storage,
      trackMemory: false,
      trackInputOutput: false,
      onWarning: (m) => warnings.push(m),
    });
    await perf.ready;
    const [grep] = perf.wrapTools(tools);
    for (let i = 0; i < 30_000; i++) grep!.execute({}, { sessionID: `s${i}` });
    await perf.runAnalytics();
    expect(warnings.filter((w) => w.includes('active between two analytics passes'))).toHaveLength(1);
    expect(perf.stats().reportsSaved).toBe(1000); // analytics keeps the latest 1,000 sessions; each got its report
    expect(await storage.readSnapshot('analytics', 's29999')).toMatchObject({ sessionId: 's29999' });
    await perf.shutdown();
  });
});

describe('addSink', () => {
  it('exporters and plain subscribers join the pipeline: fed off the call path, flushed and shut down with the integration', async () => {
    const perf = new PerformanceIntegration({ ...quiet, storage: new InMemoryStorage(), onWarning: () => {} });
    const prometheus = new PrometheusExporter();
    perf.addSink(prometheus);
    const seen: string[] = [];
    let stopped = 0;
    const remove = perf.addSink({ onMetric: (m) => seen.push(m.toolId), shutdown: async () => void stopped++ });
    const [grep] = perf.wrapTools(tools);
    grep!.execute({}, { sessionID: 's' });
    expect(seen).toEqual([]); // off the call path
    await perf.collector.flush();
    expect(seen).toEqual(['grep']);
    expect(prometheus.stats().records).toBe(1);
    expect(await prometheus.registry.metrics()).toContain('tool="grep"');
    await perf.shutdown();
    expect(stopped).toBe(1);
    remove();
    expect(() => perf.addSink(null as never)).toThrow('addSink');
  });
});
