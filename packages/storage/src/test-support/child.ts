import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The writer script the tests run as real child processes. */
export const WRITER_SCRIPT = join(__dirname, 'writer-child.js');
const repoRoot = join(__dirname, '..', '..', '..', '..');

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

/** Runs `node <script>` (or `-e` code) with `env`; `onLine` sees each stdout line and may kill the child. */
export function runNode(
  args: readonly string[],
  env: Record<string, string>,
  onLine: (line: string, kill: (signal: NodeJS.Signals) => void) => void = () => {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buf = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        onLine(line, (s) => child.kill(s));
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, lines, stderr }));
  });
}

/** A fresh temporary directory, removed by {@link removeTempDirs}. */
const made: string[] = [];
export function tempDir(prefix = 'perftrack-storage-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Every line of a log as the raw file has it: parsed records, and the lines that are not records (blank ones excluded). */
export function readLog(file: string): { ids: string[]; corrupt: string[]; blank: number } {
  const ids: string[] = [];
  const corrupt: string[] = [];
  let blank = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim().length === 0) {
      blank++;
      continue;
    }
    try {
      const r = JSON.parse(line) as { id?: unknown };
      if (typeof r.id === 'string') ids.push(r.id);
      else corrupt.push(line);
    } catch {
      corrupt.push(line);
    }
  }
  return { ids, corrupt, blank };
}
