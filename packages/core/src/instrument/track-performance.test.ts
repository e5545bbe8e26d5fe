import {
  FakeClock,
  InMemorySubscriber,
  MetricsCollector,
  SessionContext,
  createSeededRandom,
  trackPerformance,
  wrapTools,
  type MetricsCollectorOptions,
  type ToolExecutionMetrics,
} from '@perftrack/core';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const repoRoot = join(__dirname, '..', '..', '..');

function setup(options: MetricsCollectorOptions = {}) {
  const clock = new FakeClock();
  const errors: unknown[] = [];
  const collector = new MetricsCollector({ clock, onWarning: () => {}, onError: (e) => errors.push(e), ...options });
  const sink = new InMemorySubscriber();
  collector.subscribe(sink);
  return { clock, collector, sink, errors, records: () => sink.records as ToolExecutionMetrics[] };
}

describe('TC39 method decorator', () => {
  test('returns the same value, keeps `this`, stays sync, and records Class.method with the exact duration', () => {
    const { clock, collector, records } = setup();
    class Calculator {
      factor = 3;
      @trackPerformance({ collector })
      scale(x: number): number {
        clock.advance(7.25);
        return x * this.factor;
      }
    }
    const calc = new Calculator();
    const result = calc.scale(2);
    expect(result).toBe(6);
    expect(records()).toHaveLength(1);
    const [m] = records();
    expect(m).toMatchObject({ toolId: 'Calculator.scale', success: true, duration: 7.25, sampleWeight: 1, sessionId: 'default' });
    expect(m!.endTime - m!.startTime).toBeCloseTo(7.25, 9);
    expect(typeof m!.id).toBe('string');
  });

  test('rethrows the very same error object with its stack untouched, and records the failure', () => {
    const { collector, records } = setup();
    const boom = new TypeError('bad path');
    const stackBefore = boom.stack;
    class Tool {
      @trackPerformance({ collector })
      run(): never {
        throw boom;
      }
    }
    let caught: unknown;
    try {
      new Tool().run();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
    expect((caught as Error).stack).toBe(stackBefore);
    expect(records()[0]).toMatchObject({ toolId: 'Tool.run', success: false, error: 'bad path', errorType: 'TypeError', sampleWeight: 1 });
  });

  test('an async method resolves to the same value and rejects with the same error object', async () => {
    const { collector, records, clock } = setup();
    const err = Object.assign(new Error('ENOENT: no such file /x'), { code: 'ENOENT' });
    class Fs {
      @trackPerformance({ collector })
      async read(ok: boolean): Promise<{ text: string }> {
        await Promise.resolve();
        clock.advance(3);
        if (!ok) throw err;
        return { text: 'hi' };
      }
    }
    const fs = new Fs();
    const value = { text: 'hi' };
    const p = fs.read(true);
    expect(p).toBeInstanceOf(Promise);
    await expect(p).resolves.toEqual(value);
    await expect(fs.read(false)).rejects.toBe(err);
    expect(records().map((m) => [m.toolId, m.success, m.errorType, m.duration])).toEqual([
      ['Fs.read', true, undefined, 3],
      ['Fs.read', false, 'ENOENT', 3],
    ]);
    expect(collector.stats().inFlight).toBe(0);
  });

  test('static methods and subclasses report the class that defines the method', () => {
    const { collector, records } = setup();
    class Base {
      @trackPerformance({ collector })
      static make(): string {
        return 'made';
      }
      @trackPerformance({ collector })
      ping(): string {
        return 'pong';
      }
    }
    class Child extends Base {}
    expect(Base.make()).toBe('made');
    expect(new Child().ping()).toBe('pong');
    expect(records().map((m) => m.toolId)).toEqual(['Base.make', 'Base.ping']);
  });

  test('preserves the method name and arity', () => {
    const { collector } = setup();
    class T {
      @trackPerformance({ collector })
      search(_q: string, _limit: number): number {
        return 1;
      }
    }
    expect(T.prototype.search.name).toBe('search');
    expect(T.prototype.search.length).toBe(2);
  });
});

describe('TC39 class decorator', () => {
  test('tracks every own prototype method, leaves accessors alone, and names tools by id or Class.method', () => {
    const { collector, records } = setup();
    @trackPerformance({ collector })
    class ReadTool {
      readonly id = 'read';
      get label(): string {
        return 'Read';
      }
      execute(args: { path: string }, _ctx: { sessionID: string; messageID: string }): string {
        return this.helper(args.path);
      }
      helper(p: string): string {
        return `content of ${p}`;
      }
    }
    const tool = new ReadTool();
    expect(tool.execute({ path: 'a.ts' }, { sessionID: 'ses_1', messageID: 'msg_1' })).toBe('content of a.ts');
    expect(tool.label).toBe('Read');
    expect(records().map((m) => [m.toolId, m.sessionId])).toEqual([
      ['ReadTool.helper', 'default'],
      ['read', 'ses_1'],
    ]);
    expect(records()[1]!.messageId).toBe('msg_1');
  });

  test('a toolId option names execute after it and prefixes other methods', () => {
    const { collector, records } = setup();
    @trackPerformance({ collector, toolId: 'grep' })
    class GrepTool {
      execute(): number {
        return this.count();
      }
      count(): number {
        return 4;
      }
    }
    expect(new GrepTool().execute()).toBe(4);
    expect(records().map((m) => m.toolId)).toEqual(['grep.count', 'grep']);
  });

  test('a method decorated on its own is not tracked twice by the class decorator', () => {
    const { collector, records } = setup();
    @trackPerformance({ collector })
    class Twice {
      @trackPerformance({ collector, toolId: 'special' })
      go(): number {
        return 1;
      }
    }
    new Twice().go();
    expect(records().map((m) => m.toolId)).toEqual(['special']);
  });
});

describe('decorators on the wrong thing', () => {
  test('a getter, setter, field or accessor is refused at decoration time with a TypeError', () => {
    const deco = trackPerformance() as unknown as (v: unknown, c: unknown) => unknown;
    for (const kind of ['getter', 'setter', 'field', 'accessor']) {
      expect(() => deco(() => 1, { kind, name: 'x', static: false, private: false })).toThrow(
        new TypeError(`trackPerformance: @trackPerformance() cannot decorate a ${kind} ("x"): only methods and classes can be tracked`),
      );
    }
  });

  test('decorating a getter does not compile, and throws if forced', () => {
    expect(() => {
      class G {
        // @ts-expect-error a getter is not a method: refused by the types
        @trackPerformance()
        get value(): number {
          return 1;
        }
      }
      return G;
    }).toThrow(TypeError);
  });

  test('wrapping a non-function, non-tool value throws a clear TypeError', () => {
    const wrap = trackPerformance() as unknown as (v: unknown) => unknown;
    expect(() => wrap(42)).toThrow(
      'trackPerformance: expected a function, a class, or a tool object with an execute() method (or a LangChain tool: name and invoke()), got number',
    );
    expect(() => wrap(null)).toThrow(TypeError);
    expect(() => wrap({ id: 'x' })).toThrow(TypeError);
  });
});

describe('options are validated', () => {
  test.each([
    [{ sampleRate: 2 }, 'trackPerformance: sampleRate must be a number from 0 to 1, got 2'],
    [{ sampleRate: -0.1 }, 'trackPerformance: sampleRate must be a number from 0 to 1, got -0.1'],
    [{ sampleRate: Number.NaN }, 'trackPerformance: sampleRate must be a number from 0 to 1, got NaN'],
    [{ toolId: '' }, 'trackPerformance: toolId must be a non-empty string, got ""'],
    [{ trackMemory: 'yes' }, 'trackPerformance: trackMemory must be a boolean, got string'],
    [{ customMetadata: 5 }, 'trackPerformance: customMetadata must be an object or a function (args, result) => object, got number'],
    [{ collector: {} }, 'trackPerformance: collector must be a MetricsCollector'],
    [{ sampelRate: 0.5 }, 'trackPerformance: unknown option "sampelRate" in options'],
  ])('%j is refused', (options, message) => {
    expect(() => trackPerformance(options as never)).toThrow(TypeError);
    expect(() => trackPerformance(options as never)).toThrow(message);
  });
});

describe('plain function wrapper', () => {
  test('keeps name, arity, value and sync nature; a sync throw is recorded and rethrown', () => {
    const { collector, records } = setup();
    function parse(text: string, strict: boolean): number {
      if (strict && text === '') throw new SyntaxError('empty');
      return text.length;
    }
    const tracked = trackPerformance({ collector })(parse);
    expect(tracked.name).toBe('parse');
    expect(tracked.length).toBe(2);
    expect(tracked('abc', true)).toBe(3);
    expect(() => tracked('', true)).toThrow(SyntaxError);
    expect(records().map((m) => [m.toolId, m.success, m.errorType])).toEqual([
      ['parse', true, undefined],
      ['parse', false, 'SyntaxError'],
    ]);
  });

  test('a rejection nobody handles still surfaces as an unhandled rejection (real process, built package)', () => {
    // Jest intercepts process-level rejections, so this runs in a plain Node process.
    const script = `
      const { trackPerformance, MetricsCollector } = require('@perftrack/core');
      const err = new Error('nobody catches me');
      process.on('unhandledRejection', (reason) => { console.log(reason === err ? 'same-error' : 'other'); process.exit(0); });
      const tracked = trackPerformance({ collector: new MetricsCollector(), toolId: 'x' })(async () => { throw err; });
      void tracked();
      setTimeout(() => { console.log('none'); process.exit(1); }, 500);
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: repoRoot, encoding: 'utf8' });
    expect(out.trim()).toBe('same-error');
  });

  test('a non-native thenable is returned as it is, untouched (never `then`-ed)', () => {
    const { collector, records } = setup();
    const thenable = { then: jest.fn() };
    const tracked = trackPerformance({ collector, toolId: 'q' })(() => thenable);
    expect(tracked()).toBe(thenable);
    expect(thenable.then).not.toHaveBeenCalled();
    expect(records()).toHaveLength(1);
  });
});

describe('generators', () => {
  test('a generator is timed from first next() to exhaustion, values passed one by one', () => {
    const { collector, records, clock } = setup();
    const produced: number[] = [];
    const tracked = trackPerformance({ collector, toolId: 'gen' })(function* count(n: number) {
      for (let i = 0; i < n; i++) {
        produced.push(i);
        clock.advance(1);
        yield i;
      }
      return 'done';
    });
    const it = tracked(3);
    expect(produced).toEqual([]);
    expect(it.next()).toEqual({ value: 0, done: false });
    expect(produced).toEqual([0]);
    expect(records()).toHaveLength(0);
    expect([...it]).toEqual([1, 2]);
    expect(records()).toHaveLength(1);
    expect(records()[0]).toMatchObject({ toolId: 'gen', success: true, duration: 3 });
  });

  test('early return and a throw inside a generator are recorded once each', () => {
    const { collector, records } = setup();
    const err = new RangeError('stop');
    const tracked = trackPerformance({ collector, toolId: 'gen' })(function* (fail: boolean) {
      yield 1;
      if (fail) throw err;
      yield 2;
    });
    const a = tracked(false);
    a.next();
    expect(a.return(undefined)).toEqual({ value: undefined, done: true });
    const b = tracked(true);
    b.next();
    expect(() => b.next()).toThrow(err);
    expect(records().map((m) => [m.success, m.errorType])).toEqual([
      [true, undefined],
      [false, 'RangeError'],
    ]);
  });

  test('an async generator streams values and records at the end', async () => {
    const { collector, records } = setup();
    const tracked = trackPerformance({ collector, toolId: 'stream' })(async function* () {
      yield 'a';
      await Promise.resolve();
      yield 'b';
    });
    const out: string[] = [];
    for await (const v of tracked()) out.push(v);
    expect(out).toEqual(['a', 'b']);
    expect(records().map((m) => [m.toolId, m.success])).toEqual([['stream', true]]);
    expect(collector.stats().inFlight).toBe(0);
  });
});

describe('tool objects and wrapTools', () => {
  const makeTool = (id: string, impl: (args: { n: number }) => unknown) => ({
    id,
    description: `the ${id} tool`,
    parameters: { type: 'object' },
    execute: async (args: { n: number }, _ctx: { sessionID: string; messageID: string; callID?: string }) => impl(args),
  });

  test('a tool object is copied with a tracked execute; the original is untouched; ctx gives session, message and call', async () => {
    const { collector, records } = setup();
    const tool = makeTool('read', (a) => a.n * 2);
    const original = tool.execute;
    const tracked = trackPerformance({ collector })(tool);
    expect(tracked).not.toBe(tool);
    expect(tool.execute).toBe(original);
    expect(tracked.description).toBe('the read tool');
    await expect(tracked.execute({ n: 4 }, { sessionID: 'ses_a', messageID: 'msg_a', callID: 'call_1' })).resolves.toBe(8);
    expect(records()[0]).toMatchObject({ toolId: 'read', sessionId: 'ses_a', messageId: 'msg_a', callId: 'call_1' });
  });

  test('wrapTools wraps arrays and records, with per-tool options', async () => {
    const { collector, records } = setup({ random: createSeededRandom(1) });
    const arr = wrapTools([makeTool('read', (a) => a.n), makeTool('grep', (a) => a.n)], {
      collector,
      perTool: { grep: { sampleRate: 0 } },
    });
    const ctx = { sessionID: 's', messageID: 'm' };
    await arr[0].execute({ n: 1 }, ctx);
    await arr[1].execute({ n: 1 }, ctx);
    const rec = wrapTools({ edit: makeTool('edit', () => 'ok') }, { collector, trackInputOutput: true });
    await rec.edit.execute({ n: 1 }, ctx);
    expect(records().map((m) => m.toolId)).toEqual(['read', 'edit']);
    expect(records()[1]!.inputSize).toBeGreaterThan(0);
    expect(collector.stats().sampledOut).toBe(1);
  });

  test('wrapTools given an empty array or record warns once through the collector, saying there is nothing to wrap', () => {
    const warnings: string[] = [];
    const collector = new MetricsCollector({ onWarning: (w) => warnings.push(w) });
    const none: ReturnType<typeof makeTool>[] = [];
    const empty = {};
    expect(wrapTools(none, { collector })).toEqual([]);
    expect(wrapTools(empty, { collector })).toEqual({});
    wrapTools([], { collector });
    expect(warnings).toEqual([expect.stringContaining('wrapTools was given an empty array: nothing to wrap')]);
    wrapTools([makeTool('read', () => 1)], { collector });
    expect(warnings).toHaveLength(1);
  });

  test('wrapTools refuses per-tool options for a tool it does not have', () => {
    expect(() => wrapTools([makeTool('read', () => 1)], { perTool: { reed: { sampleRate: 1 } } })).toThrow(
      'wrapTools: perTool names "reed", which is not among the tools (read)',
    );
    expect(() => wrapTools([makeTool('read', () => 1)], { perTool: { read: { sampleRate: 3 } } })).toThrow(
      'trackPerformance: sampleRate must be a number from 0 to 1, got 3',
    );
  });
});

describe('sampling', () => {
  test('kept successes carry weight 1/rate; with a seeded source the kept count is exact and repeatable', () => {
    const run = () => {
      const { collector, records } = setup({ random: createSeededRandom(42) });
      const tracked = trackPerformance({ collector, toolId: 'hot', sampleRate: 0.25 })((x: number) => x);
      for (let i = 0; i < 10_000; i++) tracked(i);
      return { kept: records().length, weights: new Set(records().map((m) => m.sampleWeight)), stats: collector.stats() };
    };
    const a = run();
    const b = run();
    expect(a.kept).toBe(b.kept);
    expect(a.kept).toBeGreaterThan(2300);
    expect(a.kept).toBeLessThan(2700);
    expect(a.weights).toEqual(new Set([4]));
    expect(a.stats.sampledOut + a.kept).toBe(10_000);
  });

  test('failures are always kept: timed with weight 1 when sampled in, untimed with weight 1 when sampled out', async () => {
    const { collector, records } = setup({ random: createSeededRandom(7) });
    const err = new Error('always');
    const syncFail = trackPerformance({ collector, toolId: 'f', sampleRate: 0 })(() => {
      throw err;
    });
    const asyncFail = trackPerformance({ collector, toolId: 'g', sampleRate: 0 })(async () => {
      throw err;
    });
    const halfFail = trackPerformance({ collector, toolId: 'h', sampleRate: 0.5 })(() => {
      throw err;
    });
    expect(() => syncFail()).toThrow(err);
    await expect(asyncFail()).rejects.toBe(err);
    for (let i = 0; i < 20; i++) expect(() => halfFail()).toThrow(err);
    const byTool = (id: string) => records().filter((m) => m.toolId === id);
    expect(byTool('f')).toEqual([
      expect.objectContaining({ success: false, untimed: true, duration: 0, sampleWeight: 1, error: 'always' }),
    ]);
    expect(byTool('g')).toEqual([expect.objectContaining({ success: false, untimed: true, sampleWeight: 1 })]);
    expect(byTool('h')).toHaveLength(20);
    expect(byTool('h').every((m) => m.sampleWeight === 1)).toBe(true);
    expect(byTool('h').some((m) => m.untimed === undefined)).toBe(true);
  });

  test('a sampled-out success records nothing and returns the original promise', () => {
    const { collector, records } = setup();
    const p = Promise.resolve(1);
    const tracked = trackPerformance({ collector, toolId: 'x', sampleRate: 0 })(() => 5);
    expect(tracked()).toBe(5);
    const asyncTracked = trackPerformance({ collector, toolId: 'y', sampleRate: 0 })(() => p);
    expect(asyncTracked()).toBeInstanceOf(Promise);
    expect(records()).toHaveLength(0);
    expect(collector.stats().sampledOut).toBe(2);
  });
});

describe('memory, I/O sizes, hashes, metadata', () => {
  test('memoryUsed is the difference of the memory source around the call', () => {
    let heap = 1000;
    const { collector, records } = setup({ memorySource: () => heap });
    const tracked = trackPerformance({ collector, toolId: 'alloc', trackMemory: true })(() => {
      heap += 4096;
    });
    tracked();
    expect(records()[0]!.memoryUsed).toBe(4096);
  });

  test('allowMemory: false turns heap reads off for every call, whatever the decorator asks', async () => {
    let reads = 0;
    const { collector, records } = setup({ allowMemory: false, trackMemory: true, memorySource: () => ++reads });
    const sync = trackPerformance({ collector, toolId: 'a', trackMemory: true })(() => 1);
    const async = trackPerformance({ collector, toolId: 'b', trackMemory: true })(async () => 2);
    expect(sync()).toBe(1);
    expect(await async()).toBe(2);
    collector.completeToolExecution(collector.startToolExecution('c', 's'), true);
    expect(reads).toBe(0);
    expect(records().map((m) => m.memoryUsed)).toEqual([undefined, undefined, undefined]);
    expect(() => new MetricsCollector({ allowMemory: 'no' as never })).toThrow('allowMemory must be a boolean');
  });

  test('sizes are approximate JSON sizes; raw input and output are never stored', () => {
    const { collector, records } = setup();
    const secret = 'sk-live-0123456789abcdef';
    const tracked = trackPerformance({ collector, toolId: 'echo', trackInputOutput: true })((input: { key: string; data: number[] }) => ({
      echoed: input.key,
    }));
    tracked({ key: secret, data: [1, 2, 3] });
    const m = records()[0]!;
    const json = JSON.stringify({ key: secret, data: [1, 2, 3] }).length;
    expect(m.inputSize).toBeGreaterThan(json * 0.7);
    expect(m.inputSize).toBeLessThan(json * 1.5);
    expect(m.outputSize).toBeGreaterThan(0);
    expect(JSON.stringify(m)).not.toContain(secret);
  });

  test('a throwing getter, a circular input and a huge input never reach the tool', () => {
    const { collector, records } = setup();
    const tracked = trackPerformance({ collector, toolId: 'io', trackInputOutput: true, hashInput: true })((x: unknown) =>
      x ? 'ok' : 'no',
    );
    const hostile = {
      a: 1,
      get b(): number {
        throw new Error('getter exploded');
      },
    };
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const huge = Array.from({ length: 1_000_000 }, (_, i) => ({ i }));
    expect(tracked(hostile)).toBe('ok');
    expect(tracked(circular)).toBe('ok');
    expect(tracked(huge)).toBe('ok');
    const [h, c, big] = records();
    expect(h!.inputSizeCapped).toBe(true);
    expect(c!.inputSizeCapped).toBeUndefined();
    expect(c!.inputSize).toBeGreaterThan(0);
    expect(typeof c!.inputHash).toBe('string');
    expect(big!.inputSizeCapped).toBe(true);
  });

  test('hashInput gives equal hashes for equal inputs regardless of key order', () => {
    const { collector, records } = setup();
    const tracked = trackPerformance({ collector, toolId: 'h', hashInput: true })((_x: unknown) => 1);
    tracked({ a: 1, b: [1, 2] });
    tracked({ b: [1, 2], a: 1 });
    tracked({ a: 2, b: [1, 2] });
    const [x, y, z] = records().map((m) => m.inputHash);
    expect(x).toMatch(/^[0-9a-f]{16}$/);
    expect(x).toBe(y);
    expect(x).not.toBe(z);
  });

  test('customMetadata: an object is attached as is; a function sees args and result; a throwing one is reported, not thrown', () => {
    const { collector, records, errors } = setup();
    const fixed = trackPerformance({ collector, toolId: 'a', customMetadata: { version: '1.0.0' } })(() => 1);
    const computed = trackPerformance({
      collector,
      toolId: 'b',
      customMetadata: (args, result) => ({ arg0: args[0], result }),
    })((n: number) => n + 1);
    const broken = trackPerformance({
      collector,
      toolId: 'c',
      customMetadata: () => {
        throw new Error('metadata bug');
      },
    })(() => 'still fine');
    fixed();
    computed(41);
    expect(broken()).toBe('still fine');
    expect(records().map((m) => m.metadata)).toEqual([{ version: '1.0.0' }, { arg0: 41, result: 42 }, undefined]);
    expect(errors).toEqual([new Error('metadata bug')]);
  });
});

describe('context', () => {
  test('SessionContext attributes concurrent calls of several sessions correctly', async () => {
    const { collector, records } = setup();
    const sessions = new SessionContext();
    const tool = trackPerformance({ collector, toolId: 'step', context: sessions.resolver })(async (delay: number) => {
      await new Promise((r) => setTimeout(r, delay));
      return delay;
    });
    await Promise.all([
      sessions.run({ sessionId: 'A' }, async () => {
        await tool(5);
        await tool(1);
      }),
      sessions.run({ sessionId: 'B', messageId: 'mB' }, async () => {
        await tool(1);
        await tool(5);
      }),
    ]);
    const bySession = (s: string) =>
      records()
        .filter((m) => m.sessionId === s)
        .map((m) => m.metadata ?? m.messageId ?? null);
    expect(records()).toHaveLength(4);
    expect(bySession('A')).toHaveLength(2);
    expect(bySession('B')).toEqual(['mB', 'mB']);
  });

  test('a throwing context resolver is reported and the call falls back to the default session', () => {
    const { collector, records, errors } = setup();
    const tool = trackPerformance({
      collector,
      toolId: 't',
      context: () => {
        throw new Error('resolver bug');
      },
    })(() => 1);
    expect(tool()).toBe(1);
    expect(records()[0]!.sessionId).toBe('default');
    expect(errors).toHaveLength(1);
  });

  test('a ctx argument with a throwing sessionID getter does not reach the tool', () => {
    const { collector, records } = setup();
    const tool = trackPerformance({ collector, toolId: 't' })((_a: unknown, _ctx: unknown) => 'ok');
    const ctx = {
      get sessionID(): string {
        throw new Error('no');
      },
    };
    expect(tool({}, ctx)).toBe('ok');
    expect(records()[0]!.sessionId).toBe('default');
  });
});

describe('enabled: false', () => {
  test('tracking is a pure pass-through: same results, same errors, nothing recorded', async () => {
    const { collector, records } = setup({ enabled: false });
    const err = new Error('x');
    const f = trackPerformance({ collector, toolId: 'f', trackMemory: true, trackInputOutput: true })((n: number) => {
      if (n < 0) throw err;
      return n;
    });
    const g = trackPerformance({ collector, toolId: 'g' })(async () => 'v');
    expect(f(1)).toBe(1);
    expect(() => f(-1)).toThrow(err);
    await expect(g()).resolves.toBe('v');
    expect(records()).toHaveLength(0);
    expect(collector.stats()).toMatchObject({ recorded: 0, sampledOut: 0 });
  });
});

describe('the default collector', () => {
  afterEach(() => MetricsCollector.reset());

  test('without a collector option, calls go to MetricsCollector.default, looked up at call time', () => {
    const tool = trackPerformance({ toolId: 'dflt' })(() => 1);
    tool();
    expect(MetricsCollector.getMetrics({ toolId: 'dflt' })).toHaveLength(1);
    MetricsCollector.reset();
    expect(MetricsCollector.getMetrics()).toHaveLength(0);
    const replacement = new MetricsCollector({ onWarning: () => {} });
    const previous = MetricsCollector.setDefault(replacement);
    try {
      tool();
      expect(replacement.getMetrics()).toHaveLength(1);
    } finally {
      if (previous) MetricsCollector.setDefault(previous);
    }
  });
});

describe('framework hooks: input and failureOf', () => {
  const isError = (r: unknown) =>
    typeof r === 'object' && r !== null && (r as { isError?: unknown }).isError === true
      ? { name: 'ToolResultError', message: 'said isError' }
      : undefined;

  test('input picks what is sized and hashed: the framework options beside the input are not counted', () => {
    const { collector, records } = setup();
    const big = { messages: Array.from({ length: 200 }, () => 'x'.repeat(100)) };
    const execute = trackPerformance({ collector, toolId: 'weather', trackInputOutput: true, hashInput: true, input: (args) => args[0] })(
      (input: { city: string }, _options: typeof big) => `sunny in ${input.city}`,
    );
    execute({ city: 'Oslo' }, big);
    execute({ city: 'Oslo' }, { messages: [] });
    const [a, b] = records();
    expect(a!.inputSize).toBeLessThan(40);
    expect(a!.inputHash).toBe(b!.inputHash);
    const all = trackPerformance({ collector, toolId: 'weather', trackInputOutput: true })(
      (input: { city: string }, _o: typeof big) => input.city,
    );
    all({ city: 'Oslo' }, big);
    expect(records()[2]!.inputSize).toBeGreaterThan(20_000);
  });

  test('a returned value that failureOf calls a failure is recorded as one, and the caller gets the value unchanged', async () => {
    const { collector, records } = setup();
    const bad = { isError: true, content: [] };
    const sync = trackPerformance({
      collector,
      toolId: 't',
      failureOf: isError,
      trackInputOutput: true,
      customMetadata: (_a, r) => ({ got: r === bad }),
    })(() => bad);
    expect(sync()).toBe(bad);
    const ok = { content: [] };
    const asyncFn = trackPerformance({ collector, toolId: 'u', failureOf: isError })(async (x: boolean) => (x ? bad : ok));
    await expect(asyncFn(true)).resolves.toBe(bad);
    await expect(asyncFn(false)).resolves.toBe(ok);
    const [s, a1, a2] = records();
    expect(s).toMatchObject({ toolId: 't', success: false, error: 'said isError', errorType: 'ToolResultError', metadata: { got: true } });
    expect(s!.outputSize).toBeGreaterThan(0);
    expect(a1).toMatchObject({ toolId: 'u', success: false, errorType: 'ToolResultError', sampleWeight: 1 });
    expect(a2).toMatchObject({ toolId: 'u', success: true });
  });

  test('a sampled-out call whose result is a failure is still kept (untimed), sync and async', async () => {
    const { collector, records } = setup();
    const bad = { isError: true };
    const sync = trackPerformance({ collector, toolId: 's', sampleRate: 0, failureOf: isError })((x: boolean) => (x ? bad : {}));
    const asyncFn = trackPerformance({ collector, toolId: 'a', sampleRate: 0, failureOf: isError })(async () => bad);
    expect(sync(true)).toBe(bad);
    expect(sync(false)).toEqual({});
    await expect(asyncFn()).resolves.toBe(bad);
    expect(records().map((r) => [r.toolId, r.success, r.untimed])).toEqual([
      ['s', false, true],
      ['a', false, true],
    ]);
    expect(collector.stats().sampledOut).toBe(3);
  });

  test('a throwing failureOf or input is reported, never reaches the caller, and the call counts as a success', () => {
    const { collector, records, errors } = setup();
    const boom = new Error('hook bug');
    const f = trackPerformance({
      collector,
      toolId: 'f',
      trackInputOutput: true,
      failureOf: () => {
        throw boom;
      },
      input: () => {
        throw boom;
      },
    })(() => 42);
    expect(f()).toBe(42);
    expect(records()[0]).toMatchObject({ success: true });
    expect(errors).toEqual([boom, boom]);
  });

  test('a context without a usable session id records the default session and keeps the call id', () => {
    const { collector, records } = setup();
    const sessions: unknown[] = [undefined, '', 42];
    let i = 0;
    const f = trackPerformance({
      collector,
      toolId: 'x',
      context: () => ({ sessionId: sessions[i++] as string | undefined, callId: `c${i}` }),
    })(() => 1);
    f();
    f();
    f();
    expect(records().map((r) => [r.sessionId, r.callId])).toEqual([
      [collector.defaultSessionId, 'c1'],
      [collector.defaultSessionId, 'c2'],
      [collector.defaultSessionId, 'c3'],
    ]);
  });

  test('non-function input or failureOf is refused', () => {
    expect(() => trackPerformance({ input: 1 as never })).toThrow(/input must be a function/);
    expect(() => trackPerformance({ failureOf: 'x' as never })).toThrow(/failureOf must be a function/);
  });
});
