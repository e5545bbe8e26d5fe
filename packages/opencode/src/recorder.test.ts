import { InMemorySubscriber, MetricsCollector, createSeededRandom, type ToolExecutionMetrics } from '@perftrack/integration';
import { OpencodeRecorder, type OpencodeRecorderOptions } from '@perftrack/opencode';
import { classifyToolError } from './recorder';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// Synthetic opencode events in the shapes opencode 1.18 sends (see opencode.e2e.test.ts for the real thing).

const S = 'ses_1';

function setup(options: OpencodeRecorderOptions = {}) {
  let now = 1_800_000_000_000;
  const collector = new MetricsCollector({ maxMetrics: 100, onWarning: () => {} });
  const sink = new InMemorySubscriber();
  collector.subscribe(sink);
  const recorder = new OpencodeRecorder(collector, { now: () => now, ...options });
  return {
    collector,
    recorder,
    advance: (ms: number) => (now += ms),
    now: () => now,
    records: () => sink.records as ToolExecutionMetrics[],
  };
}

function part(callID: string, tool: string, state: Record<string, unknown>, sessionID = S, messageID = 'msg_1') {
  return {
    type: 'message.part.updated',
    properties: { part: { id: `prt_${callID}`, type: 'tool', tool, callID, sessionID, messageID, state } },
  };
}

/** One call as opencode runs it: before, pending, running, [after], completed | error. */
function runCall(
  t: ReturnType<typeof setup>,
  callID: string,
  tool: string,
  outcome: { output: string; metadata?: unknown } | { error: string },
  ms = 10,
  sessionID = S,
) {
  const start = t.now();
  t.recorder.event(part(callID, tool, { status: 'pending', input: {}, raw: '' }, sessionID));
  t.recorder.before({ tool, sessionID, callID }, { args: { filePath: '/p/a.txt' } });
  t.recorder.event(part(callID, tool, { status: 'running', input: { filePath: '/p/a.txt' }, time: { start } }, sessionID));
  t.advance(ms);
  const end = t.now();
  if ('output' in outcome) {
    t.recorder.after({ tool, sessionID, callID }, { output: outcome.output, metadata: outcome.metadata ?? {} });
    t.recorder.event(
      part(
        callID,
        tool,
        { status: 'completed', input: {}, output: outcome.output, metadata: outcome.metadata ?? {}, title: 't', time: { start, end } },
        sessionID,
      ),
    );
  } else {
    t.recorder.event(part(callID, tool, { status: 'error', input: {}, error: outcome.error, time: { start, end } }, sessionID));
  }
  return { start, end };
}

describe('OpencodeRecorder', () => {
  test('a successful call is recorded once, with the part’s timestamps, ids and sizes (never the values)', () => {
    const t = setup();
    const { start, end } = runCall(t, 'call_0', 'read', { output: 'héllo wörld' }, 17);
    expect(t.records()).toEqual([
      expect.objectContaining({
        toolId: 'read',
        sessionId: S,
        messageId: 'msg_1',
        callId: 'call_0',
        startTime: start,
        endTime: end,
        duration: 17,
        success: true,
        outputSize: 13,
        sampleWeight: 1,
      }),
    ]);
    expect(t.records()[0]!.inputSize).toBeGreaterThan(0);
    // the adapter's stamp for perftrack doctor
    expect(t.records()[0]!.metadata).toEqual({
      framework: 'opencode',
      adapterVersion: (require('../package.json') as { version: string }).version,
    });
    expect(JSON.stringify(t.records())).not.toContain('wörld');
    expect(t.recorder.stats()).toMatchObject({ recorded: 1, failures: 0, inFlight: 0 });
  });

  test('a failing tool (no tool.execute.after) is recorded from its error part, with the message and a type', () => {
    const t = setup();
    runCall(t, 'call_1', 'read', { error: 'File not found: /p/missing.txt' }, 4);
    runCall(t, 'call_2', 'edit', { error: 'Could not find oldString in the file.' }, 3);
    runCall(t, 'call_3', 'bash', { error: 'TypeError: x is not a function' }, 3);
    expect(t.records().map((r) => [r.toolId, r.success, r.error, r.errorType, r.duration])).toEqual([
      ['read', false, 'File not found: /p/missing.txt', 'NotFound', 4],
      ['edit', false, 'Could not find oldString in the file.', 'NotFound', 3],
      ['bash', false, 'TypeError: x is not a function', 'TypeError', 3],
    ]);
    expect(t.recorder.stats()).toMatchObject({ recorded: 3, failures: 3, inFlight: 0 });
  });

  test('a completed bash call with a non-zero exit is a failure (unless failOnNonZeroExit is false)', () => {
    const t = setup();
    runCall(t, 'c1', 'bash', { output: '(no output)', metadata: { exit: 3, output: '' } });
    runCall(t, 'c2', 'bash', { output: 'ok', metadata: { exit: 0 } });
    expect(t.records().map((r) => [r.success, r.error ?? null, r.errorType ?? null])).toEqual([
      [false, 'Command exited with code 3', 'NonZeroExit'],
      [true, null, null],
    ]);
    const lax = setup({ failOnNonZeroExit: false });
    runCall(lax, 'c1', 'bash', { output: '', metadata: { exit: 3 } });
    expect(lax.records()[0]!.success).toBe(true);
  });

  test('calls seen only through the hooks are recorded with the hooks’ times when the session goes idle', () => {
    const t = setup();
    t.recorder.before({ tool: 'mcp_search', sessionID: S, callID: 'h1' }, { args: { q: 'x' } });
    t.advance(25);
    t.recorder.after({ tool: 'mcp_search', sessionID: S, callID: 'h1' }, { output: 'result', metadata: {} });
    expect(t.records()).toHaveLength(0);
    t.recorder.event({ type: 'session.idle', properties: { sessionID: S } });
    expect(t.records()).toEqual([expect.objectContaining({ toolId: 'mcp_search', success: true, duration: 25, outputSize: 6 })]);
    expect(t.recorder.stats()).toMatchObject({ hookTimed: 1, inFlight: 0, abandoned: 0 });
  });

  test('a call still running when its session goes idle (or fails, or is deleted) is an abandoned failure; other sessions are untouched', () => {
    const t = setup();
    t.recorder.event(part('r1', 'bash', { status: 'running', input: {}, time: { start: t.now() } }));
    t.recorder.event(part('r2', 'bash', { status: 'running', input: {}, time: { start: t.now() } }, 'ses_other'));
    t.recorder.event(part('r3', 'read', { status: 'running', input: {}, time: { start: t.now() } }, 'ses_3'));
    t.recorder.event({ type: 'session.idle', properties: { sessionID: S } });
    expect(t.records()).toEqual([
      expect.objectContaining({ callId: 'r1', success: false, errorType: 'Abandoned', untimed: true, duration: 0 }),
    ]);
    expect(t.records()[0]!.error).toMatch(/no end was seen for this call: the session went idle/);
    t.recorder.event({ type: 'session.deleted', properties: { info: { id: 'ses_3' } } });
    expect(t.records().map((r) => r.callId)).toEqual(['r1', 'r3']);
    expect(t.recorder.stats()).toMatchObject({ abandoned: 2, inFlight: 1 });
    expect(t.recorder.closeAll('shutdown')).toBe(1);
    expect(t.recorder.stats()).toMatchObject({ abandoned: 3, inFlight: 0 });
  });

  test('repeated ends, late hooks and parts of calls that predate the recorder are ignored, never recorded twice', () => {
    const t = setup();
    const old = part('old', 'read', {
      status: 'completed',
      input: {},
      output: 'x',
      metadata: {},
      title: '',
      time: { start: t.now() - 60_000, end: t.now() - 59_000 },
    });
    t.recorder.event(old); // history (a resumed session)
    const { start, end } = runCall(t, 'c1', 'read', { output: 'x' });
    const again = part('c1', 'read', {
      status: 'completed',
      input: {},
      output: 'x',
      metadata: {},
      title: '',
      time: { start, end, compacted: end + 5 },
    });
    t.recorder.event(again); // compaction re-sends the part
    t.recorder.after({ tool: 'read', sessionID: S, callID: 'c1' }, { output: 'x', metadata: {} });
    t.recorder.event({ type: 'session.idle', properties: { sessionID: S } });
    expect(t.records()).toHaveLength(1);
    expect(t.recorder.stats()).toMatchObject({ recorded: 1, ignored: 3, inFlight: 0 });
  });

  test('an end whose start was missed is recorded if the call began while the recorder listened', () => {
    const t = setup();
    const start = t.now() + 1;
    t.recorder.event(
      part('late', 'glob', { status: 'error', input: {}, error: 'ripgrep execution failed', time: { start, end: start + 2 } }),
    );
    expect(t.records()).toEqual([expect.objectContaining({ callId: 'late', success: false, errorType: 'ToolError', duration: 2 })]);
  });

  test('sample rates: successes are sampled and weighted, failures always kept, sampled-out calls counted in the collector', () => {
    const t = setup({ sampleRates: { read: 0.25, bash: 0 }, random: createSeededRandom(7) });
    for (let i = 0; i < 4000; i++) runCall(t, `r${i}`, 'read', { output: 'x' }, 1);
    runCall(t, 'b1', 'bash', { output: 'x', metadata: { exit: 0 } });
    runCall(t, 'b2', 'bash', { output: 'x', metadata: { exit: 1 } });
    runCall(t, 'e1', 'read', { error: 'File not found: x' });
    const reads = t.records().filter((r) => r.toolId === 'read' && r.success);
    expect(reads.length).toBeGreaterThan(850);
    expect(reads.length).toBeLessThan(1150);
    expect(reads.every((r) => r.sampleWeight === 4)).toBe(true);
    expect(
      t
        .records()
        .filter((r) => !r.success)
        .map((r) => [r.toolId, r.sampleWeight]),
    ).toEqual([
      ['bash', 1],
      ['read', 1],
    ]);
    expect(t.collector.stats().sampledOut).toBe(4000 - reads.length + 1);
    expect(t.recorder.stats().sampledOut).toBe(4000 - reads.length + 1);
  });

  test('a tool named like an Object.prototype member is recorded at the default rate', () => {
    const t = setup({ sampleRates: { read: 0 } });
    runCall(t, 'p1', 'constructor', { output: 'x' });
    runCall(t, 'p2', '__proto__', { output: 'x' });
    expect(t.records().map((r) => [r.toolId, r.sampleWeight])).toEqual([
      ['constructor', 1],
      ['__proto__', 1],
    ]);
  });

  test('a call with no end after callTimeoutMs is closed as abandoned when the next call starts', () => {
    const t = setup({ callTimeoutMs: 60_000 });
    t.recorder.before({ tool: 'task', sessionID: S, callID: 'slow' }, { args: {} });
    t.advance(61_000);
    runCall(t, 'next', 'read', { output: 'x' });
    expect(t.records().map((r) => [r.callId, r.errorType ?? null])).toEqual([
      ['slow', 'Abandoned'],
      ['next', null],
    ]);
    expect(t.records()[0]!.error).toMatch(/no end after 60000 ms/);
  });

  test('hostile and malformed events never throw and record nothing', () => {
    const t = setup();
    const bad: unknown[] = [
      undefined,
      null,
      {},
      { type: 'message.part.updated' },
      { type: 'message.part.updated', properties: null },
      { type: 'message.part.updated', properties: { part: { type: 'tool' } } },
      { type: 'message.part.updated', properties: { part: { type: 'tool', callID: 5, sessionID: {}, state: { status: 'completed' } } } },
      { type: 'message.part.updated', properties: { part: { type: 'tool', callID: 'x', sessionID: S, state: { status: 'weird' } } } },
      { type: 'session.idle', properties: { sessionID: 42 } },
      { type: 'message.part.delta', properties: { delta: 'x'.repeat(1000) } },
    ];
    for (const e of bad) expect(() => t.recorder.event(e as never)).not.toThrow();
    expect(() => t.recorder.before({ tool: 'x', sessionID: '', callID: '' }, undefined as never)).not.toThrow();
    expect(() => t.recorder.after({ tool: 'x', sessionID: S, callID: 'y' }, undefined as never)).not.toThrow();
    t.recorder.closeAll('end');
    // only the bare after hook counts: a call opencode says succeeded, recorded from the hook's time
    expect(t.records()).toEqual([expect.objectContaining({ callId: 'y', success: true, duration: 0 })]);
  });

  test('bounded: 1,000,000 calls through it, and 1,000,000 never-ended calls with maxInFlight 1,000', () => {
    let now = 1_800_000_000_000;
    const collector = new MetricsCollector({ maxMetrics: 100, onWarning: () => {} }); // no sink keeping records
    const t = { recorder: new OpencodeRecorder(collector, { now: () => now, maxInFlight: 1000 }), now: () => now++ };
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) {
      const id = `c${i}`;
      t.recorder.event(part(id, 'read', { status: 'running', input: {}, time: { start: t.now() } }));
      t.recorder.event(
        part(id, 'read', {
          status: 'completed',
          input: {},
          output: 'ok',
          metadata: {},
          title: '',
          time: { start: t.now(), end: t.now() + 1 },
        }),
      );
    }
    for (let i = 0; i < 1_000_000; i++) t.recorder.before({ tool: 'bash', sessionID: `s${i % 100}`, callID: `open${i}` }, { args: {} });
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    const s = t.recorder.stats();
    expect(s.recorded).toBe(1_000_000 + 999_000);
    expect(s.inFlight).toBe(1000);
    expect(s.abandoned).toBe(999_000);
    expect(grown).toBeLessThan(16 * 1024 * 1024); // 1,000 open calls and 20,000 remembered keys, not millions
  });

  test('classifyToolError names common opencode failures', () => {
    expect(classifyToolError('The user rejected permission to use this specific tool call.')).toBe('PermissionDenied');
    expect(classifyToolError('Tool execution aborted')).toBe('Aborted');
    expect(classifyToolError('Command timed out after 120000 ms')).toBe('Timeout');
    expect(classifyToolError('RangeError: bad')).toBe('RangeError');
    expect(classifyToolError('something else')).toBe('ToolError');
  });
});

describe('OpencodeRecorder: unknown tools and subagents', () => {
  test('a call to a tool that does not exist is recorded as opencode reports it: tool `invalid`, an UnknownTool failure', () => {
    const t = setup();
    const start = t.now();
    const repaired = { tool: 'made_up_tool', error: "Model tried to call unavailable tool 'made_up_tool'. Available tools: read, bash." };
    // the call first appears under the model's made-up name, then opencode's repair renames it
    t.recorder.event(part('call_x', 'made_up_tool', { status: 'pending', input: {}, raw: '' }));
    t.recorder.before({ tool: 'invalid', sessionID: S, callID: 'call_x' }, { args: repaired });
    t.recorder.event(part('call_x', 'invalid', { status: 'running', input: repaired, time: { start } }));
    t.advance(2);
    t.recorder.after(
      { tool: 'invalid', sessionID: S, callID: 'call_x' },
      { output: 'The arguments provided to the tool are invalid: …', metadata: {} },
    );
    t.recorder.event(
      part('call_x', 'invalid', {
        status: 'completed',
        input: repaired,
        output: 'The arguments provided to the tool are invalid: …',
        metadata: {},
        title: 'Invalid Tool',
        time: { start, end: t.now() },
      }),
    );
    // arguments that fail a real tool's schema go the same way, with another type
    const badArgs = { tool: 'read', error: 'Invalid input for tool read: expected string' };
    t.recorder.event(part('call_y', 'invalid', { status: 'running', input: badArgs, time: { start: t.now() } }));
    t.recorder.event(
      part('call_y', 'invalid', { status: 'completed', input: badArgs, output: 'x', metadata: {}, time: { start: t.now(), end: t.now() } }),
    );
    expect(t.records().map((r) => [r.toolId, r.success, r.errorType, r.error])).toEqual([
      ['invalid', false, 'UnknownTool', repaired.error],
      ['invalid', false, 'InvalidToolInput', badArgs.error],
    ]);
  });

  test('a subagent session is linked to its parent session and to the task call that started it', () => {
    const t = setup();
    const start = t.now();
    t.recorder.event(
      part('call_task', 'task', { status: 'running', input: { description: 'd', prompt: 'p' }, time: { start } }, 'ses_root'),
    );
    t.recorder.event({ type: 'session.created', properties: { info: { id: 'ses_child', parentID: 'ses_root', title: 'sub' } } });
    t.recorder.event(
      part(
        'call_task',
        'task',
        { status: 'running', input: { description: 'd' }, metadata: { sessionId: 'ses_child' }, time: { start } },
        'ses_root',
      ),
    );
    runCall(t, 'call_c0', 'read', { output: 'child read' }, 5, 'ses_child');
    t.advance(1);
    t.recorder.event(
      part(
        'call_task',
        'task',
        { status: 'completed', input: {}, output: 'sub done', metadata: { sessionId: 'ses_child' }, time: { start, end: t.now() } },
        'ses_root',
      ),
    );
    runCall(t, 'call_r1', 'bash', { output: 'root again' }, 1, 'ses_root');
    expect(t.records().map((r) => [r.toolId, r.sessionId, r.parentSessionId ?? null, r.parentCallId ?? null])).toEqual([
      ['read', 'ses_child', 'ses_root', 'call_task'],
      ['task', 'ses_root', null, null],
      ['bash', 'ses_root', null, null],
    ]);
  });

  test('parent links of at most 10,000 sessions are kept (a million subagent sessions)', () => {
    const t = setup();
    for (let i = 0; i < 1_000_000; i++)
      t.recorder.event({ type: 'session.created', properties: { info: { id: `ses_${i}`, parentID: 'ses_root' } } });
    runCall(t, 'old', 'read', { output: 'x' }, 1, 'ses_0');
    runCall(t, 'new', 'read', { output: 'x' }, 1, 'ses_999999');
    gc();
    console.log(`heap after 1,000,000 linked sessions: ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MiB after GC`);
    expect(t.records().map((r) => r.parentSessionId ?? null)).toEqual([null, 'ses_root']);
  });
});
