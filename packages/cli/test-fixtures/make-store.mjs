// Regenerates test-fixtures/store: two small, fixed sessions (no clock, no randomness), written
// through FileStorage so the layout is the real one. Run after `pnpm build`:
//   node packages/cli/test-fixtures/make-store.mjs
import { rm, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileStorage } from '@perftrack/storage';

const dir = join(import.meta.dirname, 'store');
await rm(dir, { recursive: true, force: true });
const storage = new FileStorage({ dir });
const t0 = Date.UTC(2026, 10, 20, 9, 0, 0);
let n = 0;
const plan = ['glob', 'grep', 'read', 'read', 'edit', 'bash'];
for (const [s, sessionId] of ['ses_alpha', 'ses_beta'].entries()) {
  const records = [];
  let t = t0 + s * 3_600_000;
  for (let task = 0; task < 6; task++) {
    for (const [i, toolId] of plan.entries()) {
      const k = n++;
      const duration = [1.5, 3.25, 0.75, 0.8, 2.5, 40][i] * (1 + (k % 5) / 4);
      const fail = (toolId === 'bash' && task % 3 === 0) || (toolId === 'edit' && task === 4);
      const rec = { id: `fx-${k}`, toolId, sessionId, messageId: `msg_${task}`, startTime: t, endTime: t + duration, duration, success: !fail, sampleWeight: 1, inputSize: 20 + i, outputSize: 100 * (i + 1) };
      if (fail) Object.assign(rec, toolId === 'bash' ? { error: 'Command failed with exit code 1: 3 tests failed', errorType: 'EXIT_1' } : { error: 'oldString not found in content', errorType: 'EDIT_CONFLICT' });
      records.push(rec);
      t += duration + 5;
    }
  }
  // a tool whose name carries a terminal escape: it must reach the terminal inert
  records.push({ id: `fx-${n++}`, toolId: '\u001b[31mevil\u001b[0m', sessionId, startTime: t, endTime: t + 1, duration: 1, success: true, sampleWeight: 1 });
  await storage.appendMetrics(sessionId, records);
}
// a process killed mid-append leaves a torn last line: reads skip and count it
await appendFile(join(dir, 'metrics', 'ses_beta.jsonl'), '{"id":"fx-torn","toolId":"read","sess');
console.log(`wrote ${n} records to ${dir}`);
