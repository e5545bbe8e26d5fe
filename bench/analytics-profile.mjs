// Profiles analytics ingestion: `PROFILE_OUT=x.cpuprofile node --expose-gc bench/analytics-profile.mjs [records] [engine|figures|tracker]`.
// The records of bench/analytics.bench.mjs (real traces replicated into distinct sessions), fed
// to an engine with defaults (or a tracker alone); prints ns a record (process CPU).
import { AnalyticsEngine, UsagePatternTracker } from '@perftrack/analytics';
import { createSeededRandom } from '@perftrack/core';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { loadTracesOrSample } from './traces.mjs';

const target = Number(process.argv[2] ?? 300_000);
const which = process.argv[3] ?? 'engine';
const { sessions } = loadTracesOrSample();
const rand = createSeededRandom(11);
const out = [];
for (let copy = 0; out.length < target; copy++) {
  for (const s of sessions) {
    for (const r of s.records) {
      const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      const duration = Math.exp(3 + 1.2 * z);
      out.push({
        ...r,
        id: `${r.id}/${copy}`,
        sessionId: `${r.sessionId}/${copy}`,
        duration,
        untimed: undefined,
        endTime: r.startTime + duration,
      });
      if (out.length === target) break;
    }
    if (out.length === target) break;
  }
}
const sink = which === 'tracker' ? new UsagePatternTracker() : new AnalyticsEngine(which === 'figures' ? { patterns: false } : {});
globalThis.gc?.();
// only ingestion is profiled (with --prof-out FILE), not building the records
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
if (session) writeFileSync(profileTo, JSON.stringify((await post('Profiler.stop')).profile));
console.log(`${which}: ${(((u.user + u.system) * 1000) / out.length).toFixed(0)} ns a record over ${out.length} records`);
