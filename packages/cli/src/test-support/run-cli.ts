import { tmpdir } from 'node:os';
import { main, type CliIo } from '@perftrack/cli';

/** What one in-process run of the CLI printed, and its exit code. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `perftrack <argv>` in this process, as the bin would, with output captured: not a TTY, an
 * empty environment and the temp directory as working directory unless `io` says otherwise.
 */
export async function runCli(argv: string[], io: Partial<CliIo> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: {},
    cwd: tmpdir(),
    ...io,
  });
  return { code, stdout, stderr };
}
