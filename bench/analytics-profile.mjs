// Profiles analytics ingestion: `PROFILE_OUT=x.cpuprofile node --expose-gc bench/analytics-profile.mjs [records] [engine|figures|tracker]`.
// The records of bench/analytics.bench.mjs (real traces replicated into distinct sessions), fed
// to an engine with defaults (or a tracker alone); prints ns a record (process CPU).
import { AnalyticsEngine, UsagePatternTracker } from '@perftrack/analytics';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { records } from './analytics.bench.mjs';
import { printSelfTime } from './profile-self-time.mjs';

const target = Number(process.argv[2] ?? 300_000);
const which = process.argv[3] ?? 'engine';
const out = records(target);
const sink = which === 'tracker' ? new UsagePatternTracker() : new AnalyticsEngine(which === 'figures' ? { patterns: false } : {});
globalThis.gc?.();
// only ingestion is profiled (PROFILE_OUT set), not building the records
const profileTo = process.env.PROFILE_OUT;
const session = profileTo ? new Session() : undefined;
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
if (session) {
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.start');
}
const t0 = process.cpuUsage();
for (const r of out) sink.onMetric(r);
if (which === 'tracker') sink.settle();
else await sink.flush();
const u = process.cpuUsage(t0);
console.log(`${which}: ${(((u.user + u.system) * 1000) / out.length).toFixed(0)} ns a record over ${out.length} records`);
if (session) {
  const { profile } = await post('Profiler.stop');
  writeFileSync(profileTo, JSON.stringify(profile));
  printSelfTime(profile);
}
