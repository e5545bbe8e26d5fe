import { InMemorySubscriber, MetricsCollector, trackPerformance, wrapTools } from '@perftrack/core';

// Tracked code is untracked code: whatever a tool returns comes back unchanged and never breaks
// the call; `new` behaves as on the original; tool names that are Object.prototype keys are names.

function setup() {
  const collector = new MetricsCollector({ onWarning: () => {} });
  const sink = new InMemorySubscriber();
  collector.subscribe(sink);
  return { collector, sink };
}

const PROTO_KEYS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__proto__'] as const;

describe('returned values come back unchanged', () => {
  test('a thenable is returned as it is (its then is never called) and the call is recorded', () => {
    const { collector, sink } = setup();
    const then = jest.fn();
    const thenable = { then };
    const tool = trackPerformance({ collector, toolId: 't', trackInputOutput: true })(() => thenable);
    expect(tool()).toBe(thenable);
    expect(then).not.toHaveBeenCalled();
    expect(sink.records.map((m) => m.success)).toEqual([true]);
    expect(collector.stats().inFlight).toBe(0);
  });

  test('a promise subclass whose constructor ignores its executor: returned unchanged, no synchronous throw, in-flight back to 0', () => {
    class Stubborn<T> extends Promise<T> {
      constructor(_executor: unknown) {
        super(() => {});
      }
    }
    for (const options of [{}, { trackMemory: true }]) {
      const { collector, sink } = setup();
      const returned = new Stubborn<number>(() => {});
      const tool = trackPerformance({ collector, toolId: 's', ...options })(() => returned);
      expect(tool()).toBe(returned);
      expect(collector.stats().inFlight).toBe(0);
      expect(sink.records).toHaveLength(1);
    }
  });

  test('a well-behaved promise subclass is returned unchanged too (its identity and class kept)', async () => {
    class Tagged<T> extends Promise<T> {}
    const { collector, sink } = setup();
    const returned = Tagged.resolve(7);
    const tool = trackPerformance({ collector, toolId: 'tagged' })(() => returned);
    const out = tool();
    expect(out).toBe(returned);
    expect(out).toBeInstanceOf(Tagged);
    await expect(out).resolves.toBe(7);
    expect(sink.records).toHaveLength(1);
  });

  test('a proxy, a proxy of a promise and a revoked proxy are returned unchanged; the call never throws', () => {
    for (const options of [{}, { trackInputOutput: true, trackMemory: true }, { sampleRate: 0 }]) {
      const { collector } = setup();
      const plain = new Proxy({ a: 1 }, {});
      const ofPromise = new Proxy(Promise.resolve(1), {});
      const { proxy: revoked, revoke } = Proxy.revocable({}, {});
      revoke();
      for (const value of [plain, ofPromise, revoked]) {
        const tool = trackPerformance({ collector, toolId: 'p', ...options })(() => value);
        expect(tool()).toBe(value);
      }
      expect(collector.stats().inFlight).toBe(0);
    }
  });

  test('an object that only looks like a promise (Promise.prototype, constructor Promise) is returned unchanged and timed as a value', () => {
    for (const options of [{}, { trackInputOutput: true }, { sampleRate: 0 }]) {
      const { collector, sink } = setup();
      const fake = Object.create(Promise.prototype) as object;
      const tool = trackPerformance({ collector, toolId: 'fake', ...options })(() => fake);
      expect(tool()).toBe(fake);
      expect(collector.stats().inFlight).toBe(0);
      expect(sink.records.length).toBe(options.sampleRate === 0 ? 0 : 1);
    }
  });

  test('a native promise with its own constructor property is returned unchanged (never followed through it)', async () => {
    const { collector, sink } = setup();
    const species = jest.fn();
    const returned = Promise.resolve(3);
    Object.defineProperty(returned, 'constructor', { value: species });
    const tool = trackPerformance({ collector, toolId: 'own' })(() => returned);
    expect(tool()).toBe(returned);
    expect(species).not.toHaveBeenCalled();
    expect(sink.records).toHaveLength(1);
    expect(collector.stats().inFlight).toBe(0);
  });

  test('a native promise with its own then is returned unchanged and its then is never called by the wrapper', () => {
    const { collector, sink } = setup();
    const returned = Promise.resolve(4);
    const then = jest.fn();
    Object.defineProperty(returned, 'then', { value: then });
    const tool = trackPerformance({ collector, toolId: 'own-then' })(() => returned);
    expect(tool()).toBe(returned);
    expect(then).not.toHaveBeenCalled();
    expect(sink.records).toHaveLength(1);
    expect(collector.stats().inFlight).toBe(0);
  });

  test('a native promise is still followed to its end: same value, timed to settlement', async () => {
    const { collector, sink } = setup();
    const tool = trackPerformance({ collector, toolId: 'n' })(async () => 5);
    await expect(tool()).resolves.toBe(5);
    expect(sink.records.map((m) => m.success)).toEqual([true]);
    expect(collector.stats().inFlight).toBe(0);
  });
});

describe('`new` on a wrapped function', () => {
  test('an ES5 constructor: the instance is of the original (and of the wrapper), new.target is the original', () => {
    for (const options of [{}, { trackMemory: true }]) {
      const { collector, sink } = setup();
      const seen: unknown[] = [];
      function Point(this: { x: number }, x: number) {
        seen.push(new.target);
        this.x = x;
      }
      const Wrapped = trackPerformance({ collector, toolId: 'Point', ...options })(
        Point as unknown as (x: number) => void,
      ) as unknown as new (
        x: number,
      ) => { x: number };
      const p = new Wrapped(3);
      expect(p.x).toBe(3);
      expect(p).toBeInstanceOf(Point);
      expect(p).toBeInstanceOf(Wrapped);
      expect(seen).toEqual([Point]);
      expect(sink.records.map((m) => [m.toolId, m.success])).toEqual([['Point', true]]);
    }
  });

  test('an arrow function, an async function and a method throw on `new` as the originals do; a call still works', () => {
    const { collector } = setup();
    const arrow = (a: number) => a + 1;
    const originals: Array<(...a: never[]) => unknown> = [arrow, async () => 1, { m() {} }.m];
    for (const options of [{}, { trackInputOutput: true }]) {
      for (const original of originals) {
        const wrapped = trackPerformance({ collector, toolId: 'x', ...options })(original) as unknown as new () => unknown;
        expect(() => new (original as unknown as new () => unknown)()).toThrow(TypeError);
        expect(() => new wrapped()).toThrow(TypeError);
      }
      expect((trackPerformance({ collector, toolId: 'a', ...options })(arrow) as (a: number) => number)(1)).toBe(2);
    }
  });

  test('a subclass constructing through the wrapper (Reflect.construct with another new.target) keeps its new.target', () => {
    const { collector } = setup();
    function Base(this: { kind: unknown }) {
      this.kind = new.target;
    }
    const Wrapped = trackPerformance({ collector, toolId: 'Base' })(Base as unknown as () => void) as unknown as new () => {
      kind: unknown;
    };
    class Derived {}
    const made = Reflect.construct(Wrapped, [], Derived) as { kind: unknown };
    expect(made).toBeInstanceOf(Derived);
    expect(made.kind).toBe(Derived);
  });
});

describe('tool names equal to Object.prototype keys', () => {
  test.each(PROTO_KEYS)('%s works as a toolId, in wrapTools (array and record, perTool) and in the manual API', async (name) => {
    const { collector, sink } = setup();
    const fn = trackPerformance({ collector, toolId: name })(() => 1);
    expect(fn()).toBe(1);
    const tool = { id: name, execute: async (args: { n: number }) => args.n };
    const [wrapped] = wrapTools([tool], { collector, perTool: { [name]: { sampleRate: 1 } } as never });
    await expect(wrapped!.execute({ n: 2 })).resolves.toBe(2);
    const id = collector.startToolExecution(name, 's');
    collector.completeToolExecution(id, true, 'out');
    collector.recordExecution({ toolId: name, sessionId: 's', startTime: 1, endTime: 2, success: true });
    expect(sink.records.map((m) => m.toolId)).toEqual([name, name, name, name]);
  });

  test('wrapTools without perTool: a tool named like an Object.prototype key does not pick up its members as options', async () => {
    const { collector, sink } = setup();
    const tools = PROTO_KEYS.map((id) => ({ id, execute: async () => id }));
    const wrapped = wrapTools(tools, { collector });
    for (const t of wrapped) await t.execute();
    expect(sink.records.map((m) => m.toolId)).toEqual([...PROTO_KEYS]);
  });

  test('a `__proto__` registry key stays an own key of the returned record, not its prototype', async () => {
    const { collector, sink } = setup();
    const registry = JSON.parse('{"__proto__": {"id": "evil", "execute": null}, "read": {"id": "read"}}') as Record<
      string,
      { id: string; execute: () => Promise<string> }
    >;
    registry['__proto__']!.execute = async () => 'p';
    registry['read']!.execute = async () => 'r';
    const wrapped = wrapTools(registry, { collector });
    expect(Object.getPrototypeOf(wrapped)).toBe(Object.prototype);
    expect(Object.keys(wrapped)).toEqual(['__proto__', 'read']);
    expect(Object.hasOwn(wrapped, '__proto__')).toBe(true);
    await expect(wrapped['__proto__']!.execute()).resolves.toBe('p');
    expect(sink.records.map((m) => m.toolId)).toEqual(['evil']);
  });
});
