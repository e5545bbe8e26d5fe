import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MetricsCollector } from '@perftrack/core';
import { OpenTelemetryExporter, PerftrackAttributes } from '@perftrack/exporter-otel';

// Parent links (parentCallId, parentSessionId, runId) through the real OpenTelemetry SDK.

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const collector = new MetricsCollector({ onWarning: () => {} });
  const exporter = new OpenTelemetryExporter({ collector, tracerProvider, metrics: false, parentFromActiveContext: false });
  const record = (fields: {
    toolId: string;
    callId: string;
    sessionId: string;
    parentCallId?: string;
    parentSessionId?: string;
    runId?: string;
  }) => collector.recordExecution({ ...fields, startTime: 1_700_000_000_000, endTime: 1_700_000_000_010, success: true });
  return { spans, exporter, record };
}

describe('OpenTelemetryExporter parent links', () => {
  test("a child ending after its parent call is that span's child; children ending before are linked from the parent span", async () => {
    const { spans, exporter, record } = setup();
    // a subagent's calls end inside its `task` call, so before it
    record({ toolId: 'read', callId: 'c1', sessionId: 'child', parentCallId: 'task-1', parentSessionId: 'root', runId: 'run-1' });
    record({ toolId: 'grep', callId: 'c2', sessionId: 'child', parentCallId: 'task-1', parentSessionId: 'root', runId: 'run-1' });
    record({ toolId: 'task', callId: 'task-1', sessionId: 'root', runId: 'run-1' });
    // a follow-up that names an already exported parent
    record({ toolId: 'edit', callId: 'c3', sessionId: 'child', parentCallId: 'task-1', parentSessionId: 'root' });
    await exporter.flush();
    await tick();
    const byName = new Map(spans.getFinishedSpans().map((s) => [s.attributes['gen_ai.tool.call.id'], s]));
    const [c1, c2, task, c3] = ['c1', 'c2', 'task-1', 'c3'].map((id) => byName.get(id)!);
    expect(c1!.attributes).toMatchObject({
      [PerftrackAttributes.PARENT_CALL_ID]: 'task-1',
      [PerftrackAttributes.PARENT_SESSION_ID]: 'root',
      [PerftrackAttributes.RUN_ID]: 'run-1',
    });
    expect(task!.links.map((l) => l.context.spanId).sort()).toEqual([c1!.spanContext().spanId, c2!.spanContext().spanId].sort());
    expect(c3!.parentSpanContext?.spanId).toBe(task!.spanContext().spanId);
    expect(c3!.spanContext().traceId).toBe(task!.spanContext().traceId);
    await exporter.shutdown();
  });
});

describe('SpanLinks bounds', () => {
  test('1,000,000 calls and orphans keep at most 4,096 entries each', () => {
    const { SpanLinks } = require('./span-links') as typeof import('./span-links');
    const links = new SpanLinks();
    const span = { traceId: '0'.repeat(31) + '1', spanId: '0'.repeat(15) + '1', traceFlags: 1 };
    for (let i = 0; i < 1_000_000; i++) {
      links.remember(`call-${i}`, span);
      links.addOrphan(`parent-${i}`, span);
    }
    global.gc?.();
    console.log(
      `SpanLinks after 1,000,000 calls: heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MiB${global.gc ? ' after GC' : ''}`,
    );
    expect(links.size).toEqual({ spans: 4096, orphans: 4096 });
    expect(links.spanOf('call-999999')).toBe(span);
    expect(links.spanOf('call-0')).toBeUndefined();
  });
});
