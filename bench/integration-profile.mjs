// Profiles README's setup (defaults, file storage) over calls and drains, in bursts of 4,096 (BURST=n: n calls a drain):
//   PROFILE_OUT=drain.cpuprofile node --expose-gc bench/integration-profile.mjs [sessions]
// prints total CPU a call (call path + drain) and the hottest functions by self time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector';
import { PerformanceIntegration } from '@perftrack/integration';
import { printSelfTime } from './profile-self-time.mjs';
const sessions = Number(process.argv[2] ?? 100000);
const burst = Number(process.env.BURST ?? 4096);
// as many calls whatever the burst: 40 rounds of 4,096
const rounds = Math.max(40, Math.round((40 * 4096) / burst));
const dir = mkdtempSync(join(tmpdir(), 'pt-drain-'));
const perf = new PerformanceIntegration({ analyticsInterval: 0, flushOnExit: false, onWarning: () => {}, storageDir: dir });
await perf.ready;
const tools = Array.from({ length: 10 }, (_, i) => ({ id: `tool_${i}`, execute: (a, c) => a.n + 1 }));
const wrapped = perf.wrapTools(tools);
const ctxs = Array.from({ length: Math.min(sessions, 200000) }, (_, s) => ({ sessionID: `ses_${s}`, messageID: 'msg_1', callID: 'c' }));
let k = 0;
const round = async () => {
  for (let i = 0; i < burst; i++, k++) wrapped[k % 10].execute({ n: k }, ctxs[k % ctxs.length]);
  await perf.collector.flush();
};
for (let r = 0; r < 10; r++) await round(); // warm
const session = new Session();
session.connect();
const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, x) => (e ? rej(e) : res(x))));
await post('Profiler.enable');
await post('Profiler.start');
const c0 = process.cpuUsage();
for (let r = 0; r < rounds; r++) await round();
const c = process.cpuUsage(c0);
const { profile } = await post('Profiler.stop');
if (process.env.PROFILE_OUT) writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));
console.log(
  `${sessions} sessions: ${(((c.user + c.system) * 1000) / (rounds * burst)).toFixed(0)} ns total CPU a call (bursts of ${burst})`,
);
printSelfTime(profile);
await perf.shutdown();
rmSync(dir, { recursive: true, force: true });
