import { InMemorySubscriber, MetricsCollector, trackPerformance } from '@perftrack/core';
import { SESSION_ID_MAX_LENGTH, sessionIdProblem } from '@perftrack/core/internal';

describe('the session id rule, checked where the record is built', () => {
  test('sessionIdProblem: non-empty, at most 200 characters, no NUL; anything else (control characters included) is fine', () => {
    expect(SESSION_ID_MAX_LENGTH).toBe(200);
    for (const ok of ['s', 'ses_1', '../../etc', '__proto__', 'x'.repeat(200), 'sessión 🚀', 'a b\tc'.replace('\t', ' ')])
      expect(sessionIdProblem(ok)).toBeUndefined();
    expect(sessionIdProblem('')).toBe('must not be empty');
    expect(sessionIdProblem('x'.repeat(201))).toBe('longer than 200 characters');
    expect(sessionIdProblem('a\0b')).toBe('contains a NUL byte');
    for (const ok of ['a\nb', 'a\u001b[31m', 'a\u007f', 'tab\tnew\nline']) expect(sessionIdProblem(ok)).toBeUndefined();
    expect(sessionIdProblem(42)).toBe('must be a string');
  });

  test('a decorated call with a bad ctx.sessionID warns once, naming the tool and the source; the record is still published as given', async () => {
    const warnings: string[] = [];
    const collector = new MetricsCollector({ onWarning: (w) => warnings.push(w) });
    const sink = new InMemorySubscriber();
    collector.subscribe(sink);
    const tool = trackPerformance({ collector })({ id: 'read', execute: async (n: number, _ctx: { sessionID: string }) => n });
    const long = 'x'.repeat(201);
    await tool.execute(1, { sessionID: long });
    await tool.execute(2, { sessionID: 'a\0b' });
    await tool.execute(3, { sessionID: 'good' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('tool "read" got session id "xxxx');
    expect(warnings[0]).toContain("from the call's context");
    expect(warnings[0]).toContain('longer than 200 characters');
    expect(warnings[0]).toContain('stats().lost');
    expect(sink.records.map((r) => r.sessionId)).toEqual([long, 'a\0b', 'good']);
  });

  test('recordExecution and startToolExecution name themselves as the source', () => {
    const first: string[] = [];
    const a = new MetricsCollector({ onWarning: (w) => first.push(w) });
    a.recordExecution({ toolId: 'bash', sessionId: 'bad\0id', startTime: 1, endTime: 2, success: true });
    expect(first).toEqual([expect.stringContaining('tool "bash" got session id "bad\\u0000id" from recordExecution({ sessionId })')]);
    const second: string[] = [];
    const b = new MetricsCollector({ onWarning: (w) => second.push(w) });
    b.completeToolExecution(b.startToolExecution('grep', 'x'.repeat(300)), true);
    expect(second).toEqual([expect.stringContaining('tool "grep" got session id "xxx')]);
    expect(second[0]).toContain('from startToolExecution(toolId, sessionId), which cannot be stored (longer than 200 characters)');
  });

  test('good session ids never warn, alternating or repeated', () => {
    const warnings: string[] = [];
    const collector = new MetricsCollector({ onWarning: (w) => warnings.push(w) });
    for (let i = 0; i < 1000; i++)
      collector.recordExecution({ toolId: 't', sessionId: `s${i % 7}`, startTime: 1, endTime: 2, success: true });
    expect(warnings).toEqual([]);
  });

  test('a bad id between two sessions the guard remembers is still caught', () => {
    const warnings: string[] = [];
    const collector = new MetricsCollector({ onWarning: (w) => warnings.push(w) });
    const record = (sessionId: string) => collector.recordExecution({ toolId: 't', sessionId, startTime: 1, endTime: 2, success: true });
    for (let i = 0; i < 10; i++) record(i % 2 === 0 ? 'agent' : 'sub-agent');
    record('a\0b');
    record('agent');
    record('sub-agent');
    expect(warnings).toEqual([expect.stringContaining('contains a NUL byte')]);
  });
});
