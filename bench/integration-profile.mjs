// Profiles README's setup (defaults, file storage) over calls and drains, in bursts of 4,096:
//   PROFILE_OUT=drain.cpuprofile node --expose-gc bench/integration-profile.mjs [sessions]
// prints total CPU a call (call path + drain) and the hottest functions by self time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector';
import { PerformanceIntegration } from '@perftrack/integration';
import { printSelfTime } from './profile-self-time.mjs';
const sessions = Number(process.argv[2] ?? 100000);
const dir = mkdtempSync(join(tmpdir(), 'pt-drain-'));
const perf = new PerformanceIntegration({ analyticsInterval: 0, flushOnExit: false, onWarning: () => {}, storageDir: dir });
await perf.ready;
const tools = Array.from({ length: 10 }, (_, i) => ({ id: `tool_${i}`, execute: (a, c) => a.n + 1 }));
const wrapped = perf.wrapTools(tools);
const ctxs = Array.from({ length: Math.min(sessions, 200000) }, (_, s) => ({ sessionID: `ses_${s}`, messageID: 'msg_1', callID: 'c' }));
let k = 0;
const round = async () => {
  for (let i = 0; i < 4096; i++, k++) wrapped[k % 10].execute({ n: k }, ctxs[k % ctxs.length]);
  await perf.collector.flush();
};
for (let r = 0; r < 10; r++) await round(); // warm
const session = new Session();
session.connect();
const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, x) => (e ? rej(e) : res(x))));
await post('Profiler.enable');
await post('Profiler.start');
const c0 = process.cpuUsage();
for (let r = 0; r < 40; r++) await round();
const c = process.cpuUsage(c0);
const { profile } = await post('Profiler.stop');
if (process.env.PROFILE_OUT) writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));
console.log(`${sessions} sessions: ${(((c.user + c.system) * 1000) / (40 * 4096)).toFixed(0)} ns total CPU a call (bursts of 4096)`);
printSelfTime(profile);
await perf.shutdown();
rmSync(dir, { recursive: true, force: true });
