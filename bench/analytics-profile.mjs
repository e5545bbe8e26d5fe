// Profiles analytics ingestion: `PROFILE_OUT=x.cpuprofile node --expose-gc bench/analytics-profile.mjs [records] [engine|figures|tracker]`.
// The records of bench/analytics.bench.mjs (real traces replicated into distinct sessions), fed
// to an engine with defaults (or a tracker alone); prints ns a record (process CPU).
import { AnalyticsEngine, UsagePatternTracker } from '@perftrack/analytics';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { records } from './analytics.bench.mjs';

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
  // self time by function; the profiler's own stop call ("dispatch") is left out
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    if (functionName === 'dispatch') return;
    const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 8))
    console.log(`  ${((100 * t) / total).toFixed(1).padStart(5)}%  ${key}`);
}
