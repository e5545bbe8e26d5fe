import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceIntegration } from '@perftrack/integration';

// Tool names are data: names that are Object.prototype keys must not reach Object.prototype's
// members (`sampleRates.constructor` is not a rate) nor replace a record's prototype.

const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__proto__'];
const quiet = { analyticsInterval: 0, flushOnExit: false, onWarning: () => {} } as const;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perftrack-proto-names-'));
});
afterEach(async () => {
  await PerformanceIntegration.shutdown();
  await rm(dir, { recursive: true, force: true });
});

test('PerformanceIntegration.wrapTools tracks tools named like Object.prototype keys, array and record', async () => {
  const integration = await PerformanceIntegration.initialize({ ...quiet, storageDir: dir, sampleRates: { other: 0.5 } });
  const wrapped = integration.wrapTools(NAMES.map((id) => ({ id, execute: async () => id })));
  for (const tool of wrapped) await expect(tool.execute()).resolves.toBe(tool.id);
  const registry = JSON.parse(`{${NAMES.map((n) => `"${n}": {}`).join(',')}}`) as Record<string, { execute?: () => Promise<string> }>;
  for (const name of NAMES) Object.defineProperty(registry, name, { value: { execute: async () => name }, enumerable: true });
  const record = integration.wrapTools(registry as Record<string, { execute: () => Promise<string> }>);
  expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  expect(Object.keys(record)).toEqual(NAMES);
  for (const name of NAMES) await expect(record[name]!.execute()).resolves.toBe(name);
  expect(integration.collector.getMetrics().map((m) => m.toolId)).toEqual([...NAMES, ...NAMES]);
});

test('a sample rate given for a tool named `constructor` applies to it, and only to it', async () => {
  const integration = await PerformanceIntegration.initialize({ ...quiet, storageDir: dir, sampleRates: { constructor: 0 } });
  const [ctor, other] = integration.wrapTools([
    { id: 'constructor', execute: async () => 1 },
    { id: 'toString', execute: async () => 2 },
  ]);
  await ctor!.execute();
  await other!.execute();
  expect(integration.collector.getMetrics().map((m) => m.toolId)).toEqual(['toString']);
  expect(integration.collector.stats().sampledOut).toBe(1);
});
