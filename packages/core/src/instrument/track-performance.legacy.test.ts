// Compiled with `experimentalDecorators` (see jest.config.js): the legacy decorator flavour.
import { FakeClock, InMemorySubscriber, MetricsCollector, trackPerformance } from '@perftrack/core';

function setup() {
  const clock = new FakeClock();
  const collector = new MetricsCollector({ clock, onWarning: () => {} });
  const sink = new InMemorySubscriber();
  collector.subscribe(sink);
  return { clock, collector, sink };
}

describe('legacy (experimentalDecorators) method decorator', () => {
  test('keeps value, this, error identity and sync nature; names Class.method', async () => {
    const { clock, collector, sink } = setup();
    const err = new Error('nope');
    class Editor {
      prefix = '> ';
      @trackPerformance({ collector })
      render(line: string): string {
        clock.advance(2);
        return this.prefix + line;
      }
      @trackPerformance({ collector, sampleRate: 1 })
      async save(ok: boolean): Promise<number> {
        if (!ok) throw err;
        return 1;
      }
      @trackPerformance({ collector })
      static create(): Editor {
        return new Editor();
      }
    }
    const e = Editor.create();
    expect(e.render('x')).toBe('> x');
    await expect(e.save(true)).resolves.toBe(1);
    await expect(e.save(false)).rejects.toBe(err);
    expect(sink.records.map((m) => [m.toolId, m.success])).toEqual([
      ['Editor.create', true],
      ['Editor.render', true],
      ['Editor.save', true],
      ['Editor.save', false],
    ]);
    expect(sink.records[1]!.duration).toBe(2);
  });

  test('execute on an object with an id reports the tool id and the ctx session', () => {
    const { collector, sink } = setup();
    class BashTool {
      constructor(readonly id: string) {}
      @trackPerformance({ collector })
      execute(args: { cmd: string }, _ctx: { sessionID: string; messageID: string }): string {
        return args.cmd;
      }
    }
    new BashTool('bash').execute({ cmd: 'ls' }, { sessionID: 'ses_9', messageID: 'msg_9' });
    expect(sink.records[0]).toMatchObject({ toolId: 'bash', sessionId: 'ses_9', messageId: 'msg_9' });
  });
});

describe('legacy class decorator', () => {
  test('tracks every own prototype method', () => {
    const { collector, sink } = setup();
    @trackPerformance({ collector })
    class Glob {
      match(p: string): boolean {
        return p.endsWith('.ts');
      }
      list(): string[] {
        return ['a.ts'].filter((p) => this.match(p));
      }
    }
    expect(new Glob().list()).toEqual(['a.ts']);
    expect(sink.records.map((m) => m.toolId)).toEqual(['Glob.match', 'Glob.list']);
  });
});

describe('legacy decorators on the wrong thing', () => {
  test('a property or accessor is refused at decoration time with a TypeError', () => {
    expect(() => {
      class P {
        // @ts-expect-error a field is not a method: refused by the types
        @trackPerformance()
        value = 1;
      }
      return P;
    }).toThrow('trackPerformance: @trackPerformance() cannot decorate property "value": only methods and classes can be tracked');
    expect(() => {
      class A {
        // @ts-expect-error an accessor is not a method: refused by the types
        @trackPerformance()
        get size(): number {
          return 1;
        }
      }
      return A;
    }).toThrow('trackPerformance: @trackPerformance() cannot decorate accessor "size": only methods and classes can be tracked');
  });
});
