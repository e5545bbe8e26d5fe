import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One planned tool call of the scripted model. */
export interface PlannedCall {
  readonly tool: string;
  readonly args: Record<string, unknown>;
}

/**
 * An OpenAI-compatible chat-completions server on 127.0.0.1 that plays a fixed plan: each
 * streamed response emits the next planned tool call (the step is the number of tool results in
 * the request), then a final answer once the plan is done. Requests without tools (opencode's
 * title generation) get a short text. This is a model, not opencode: opencode itself is real.
 */
export class ScriptedModel {
  readonly #server: Server;
  readonly #plan: readonly PlannedCall[];
  readonly #subPlans: Readonly<Record<string, readonly PlannedCall[]>>;
  /** Chat requests served, by kind. */
  readonly requests = { toolSteps: 0, finals: 0, other: 0 };

  /**
   * `subPlans`: plans for subagent sessions, by a marker their prompt contains (a session whose
   * user messages hold the marker plays that plan; its call ids are `<marker>_<step>`).
   */
  constructor(plan: readonly PlannedCall[], subPlans: Readonly<Record<string, readonly PlannedCall[]>> = {}) {
    this.#plan = plan;
    this.#subPlans = subPlans;
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1`;
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.endsWith('/models')) {
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'scripted', object: 'model' }] }));
        return;
      }
      let request: { messages?: { role?: string; content?: unknown }[]; tools?: unknown[]; stream?: boolean } = {};
      try {
        request = JSON.parse(body) as typeof request;
      } catch {
        res.writeHead(400).end('bad json');
        return;
      }
      const step = (request.messages ?? []).filter((m) => m.role === 'tool').length;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const base = { id: `chatcmpl-${step}`, object: 'chat.completion.chunk', created: 1, model: 'scripted' };
      const send = (delta: unknown, finish: string | null, usage?: unknown): void => {
        res.write(
          `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`,
        );
      };
      const usage = { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 };
      const userText = JSON.stringify((request.messages ?? []).filter((m) => m.role === 'user').map((m) => m.content));
      const marker = Object.keys(this.#subPlans).find((k) => userText.includes(k));
      const planned = (marker === undefined ? this.#plan : this.#subPlans[marker]!)[step];
      const callId = marker === undefined ? `call_${step}` : `${marker}_${step}`;
      if (!Array.isArray(request.tools) || request.tools.length === 0) {
        this.requests.other++;
        send({ role: 'assistant', content: 'Scripted session' }, null);
        send({}, 'stop', usage);
      } else if (planned === undefined) {
        this.requests.finals++;
        send({ role: 'assistant', content: 'All planned steps are done.' }, null);
        send({}, 'stop', usage);
      } else {
        this.requests.toolSteps++;
        const call = { index: 0, id: callId, type: 'function', function: { name: planned.tool, arguments: '' } };
        send({ role: 'assistant', content: null, tool_calls: [call] }, null);
        send({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(planned.args) } }] }, null);
        send({}, 'tool_calls', usage);
      }
      res.end('data: [DONE]\n\n');
    });
  }
}
