// One build of core, one case, `n` calls: run under valgrind by core-instructions.bench.mjs.
// Usage: node core-instructions-child.cjs <core dist/index.js> <case> <n>
'use strict';
const core = require(process.argv[2]);
const which = process.argv[3];
const n = Number(process.argv[4]);
const collector = new core.MetricsCollector({ maxMetrics: 1000, onWarning: () => {} });
const ctx = { sessionID: 'ses_1', messageID: 'msg_1', callID: 'call_1' };
const sync = core.trackPerformance({ collector, toolId: 'add' })((a, b) => a + b);
const tool = core.trackPerformance({ collector })({ id: 'read', execute: (args, _ctx) => args.n });
const async_ = core.trackPerformance({ collector, toolId: 'add-async' })(async (a, b) => a + b);
const sampledOut = core.trackPerformance({ collector, toolId: 'add', sampleRate: 0 })((a, b) => a + b);
const io = core.trackPerformance({ collector, toolId: 'echo', trackInputOutput: true })((x) => x.path.length);
const input = { path: 'src/index.ts', pattern: 'TODO', lines: [1, 2, 3] };
(async () => {
  let x = 0;
  if (which === 'tracked-sync') for (let i = 0; i < n; i++) x += sync(1, 2);
  else if (which === 'tool-execute-ctx') for (let i = 0; i < n; i++) x += tool.execute({ n: 1 }, ctx);
  else if (which === 'tracked-async') for (let i = 0; i < n; i++) x += await async_(1, 2);
  else if (which === 'sampled-out') for (let i = 0; i < n; i++) x += sampledOut(1, 2);
  else if (which === 'tracked-io') for (let i = 0; i < n; i++) x += io(input);
  else throw new Error(`unknown case ${which}`);
  if (x === -1) console.log(x);
})();
