// The hottest functions of a V8 CPU profile by self time, as the profiling scripts print them.

/**
 * Prints the `top` functions by self time (share of all samples), skipping the profiler's own
 * stop call ("dispatch"), which an inspector session records last.
 */
export function printSelfTime(profile, top = 8) {
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
  for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${((100 * t) / total).toFixed(1).padStart(5)}%  ${key}`);
}
