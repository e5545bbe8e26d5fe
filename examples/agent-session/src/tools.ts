// Simulated coding-agent tools: realistic latencies, payload sizes and failure modes, all drawn
// from a seeded random source so a run is repeatable. Three are classes annotated with
// @trackPerformance (TC39 decorators, recording into the initialized integration's collector);
// the others are Tool.define-style objects for PerformanceIntegration.wrapTools.
import { trackPerformance, type RandomSource } from '@perftrack/integration';

/** The `ctx` every tool receives, in opencode's shape. */
export interface ToolContext {
  sessionID: string;
  messageID: string;
  callID: string;
}

/** A tool error with a Node-style code, as real file and process tools throw. */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Latency in ms: mostly around `median`, with a long tail, like real tool calls. */
export function latency(random: RandomSource, median: number): number {
  const u = random();
  return u < 0.9 ? median * (0.5 + u) : median * (2 + 8 * random());
}

/** Everything the simulated tools share: the seeded randomness and a fake file system. */
export class Workspace {
  readonly files = new Map<string, string>();
  constructor(readonly random: RandomSource) {
    for (let i = 0; i < 40; i++) this.files.set(`src/module${i}.ts`, `export const value${i} = ${i};\n`.repeat(20 + i * 5));
  }
}

export function createTools(ws: Workspace) {
  const r = ws.random;

  @trackPerformance({ trackInputOutput: true, trackMemory: true })
  class ReadTool {
    readonly id = 'read';
    async execute(args: { filePath: string }, _ctx: ToolContext): Promise<{ content: string }> {
      await sleep(latency(r, 2));
      const content = ws.files.get(args.filePath);
      if (content === undefined) throw new ToolError(`ENOENT: no such file or directory, open '${args.filePath}'`, 'ENOENT');
      return { content };
    }
  }

  class GrepTool {
    readonly id = 'grep';
    @trackPerformance({ trackInputOutput: true, sampleRate: 0.5 })
    async execute(args: { pattern: string }, _ctx: ToolContext): Promise<{ matches: string[] }> {
      await sleep(latency(r, 6));
      const matches = [...ws.files.keys()].filter((f) => f.includes(args.pattern.slice(0, 3)));
      return { matches };
    }
  }

  @trackPerformance({ trackInputOutput: true })
  class EditTool {
    readonly id = 'edit';
    async execute(args: { filePath: string; oldString: string; newString: string }, _ctx: ToolContext): Promise<{ ok: true }> {
      await sleep(latency(r, 3));
      const content = ws.files.get(args.filePath);
      if (content === undefined) throw new ToolError(`File ${args.filePath} not found`, 'ENOENT');
      if (r() < 0.2) throw new ToolError('oldString not found in content (the file changed since it was read)', 'EDIT_CONFLICT');
      ws.files.set(args.filePath, content.replace(args.oldString, args.newString));
      return { ok: true };
    }
  }

  const glob = {
    id: 'glob',
    description: 'Find files by pattern',
    async execute(args: { pattern: string }, _ctx: ToolContext) {
      await sleep(latency(r, 1));
      return { files: [...ws.files.keys()].filter((f) => f.endsWith(args.pattern.replace('**/*', ''))) };
    },
  };
  const write = {
    id: 'write',
    description: 'Write a file',
    async execute(args: { filePath: string; content: string }, _ctx: ToolContext) {
      await sleep(latency(r, 2));
      ws.files.set(args.filePath, args.content);
      return { bytes: args.content.length };
    },
  };
  const bash = {
    id: 'bash',
    description: 'Run a shell command',
    async execute(args: { command: string }, _ctx: ToolContext) {
      await sleep(latency(r, args.command.startsWith('npm test') ? 25 : 8));
      if (args.command.startsWith('npm test') && r() < 0.35)
        throw new ToolError('Command failed with exit code 1: 2 tests failed', 'EXIT_1');
      if (r() < 0.05) throw new ToolError(`bash: ${args.command.split(' ')[0]}x: command not found`, 'ENOCMD');
      return { stdout: 'ok\n'.repeat(1 + Math.floor(r() * 50)), exitCode: 0 };
    },
  };
  const webfetch = {
    id: 'webfetch',
    description: 'Fetch a URL',
    async execute(args: { url: string }, _ctx: ToolContext) {
      await sleep(latency(r, 20));
      if (r() < 0.15) throw new ToolError(`Request to ${args.url} timed out after 30000 ms`, 'ETIMEDOUT');
      return { body: '<html>'.padEnd(2000 + Math.floor(r() * 8000), 'x') };
    },
  };

  return { classTools: { read: new ReadTool(), grep: new GrepTool(), edit: new EditTool() }, objectTools: { glob, write, bash, webfetch } };
}
