// The few shapes of opencode's plugin API this package uses, declared here so that our published
// declarations never import `@opencode-ai/plugin` (an optional peer: a project without it would
// get TS2307 under `skipLibCheck: false`). plugin.test.ts checks at compile time that they stay
// assignable to and from @opencode-ai/plugin's own `Plugin`, `PluginInput` and `Hooks`.

/** What the plugin reads of opencode's plugin input (a subset of `PluginInput`). */
export interface OpencodePluginInput {
  /** The project directory opencode runs in. */
  readonly directory: string;
  /** opencode's SDK client; the plugin only uses `client.app.log`. */
  readonly client?: unknown;
}

/** The hooks the plugin registers (a subset of opencode's `Hooks`). */
export interface PerftrackHooks {
  'tool.execute.before': (input: { tool: string; sessionID: string; callID: string }, output: { args: unknown }) => Promise<void>;
  'tool.execute.after': (
    input: { tool: string; sessionID: string; callID: string; args: unknown },
    output: { title: string; output: string; metadata: unknown },
  ) => Promise<void>;
  event: (input: { event: { type: string; properties?: unknown } }) => Promise<void>;
  dispose: () => Promise<void>;
}

/** An opencode plugin function, as opencode calls it: `(input, options) => hooks` (opencode's `Plugin`). */
export type OpencodePlugin = (input: OpencodePluginInput, options?: Record<string, unknown>) => Promise<Partial<PerftrackHooks>>;
