import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsCollector } from '@perftrack/core';
import { PerformanceStorage } from '@perftrack/storage';

// The record's parent links (parentCallId, parentSessionId, runId) survive a write and a read back.

test('parent links are kept by file storage, through a restart and the export document', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-links-'));
  try {
    const collector = new MetricsCollector({ onWarning: () => {} });
    const storage = new PerformanceStorage({ dir, onWarning: () => {} });
    collector.subscribe(storage);
    collector.recordExecution({
      toolId: 'read',
      sessionId: 'ses_child',
      callId: 'c1',
      parentCallId: 'call_task',
      parentSessionId: 'ses_root',
      runId: 'run-1',
      startTime: 1_700_000_000_000,
      endTime: 1_700_000_000_004,
      success: true,
    });
    await storage.shutdown();
    const reader = new PerformanceStorage({ dir, onWarning: () => {} });
    const [back] = await reader.loadMetrics('ses_child');
    expect(back).toMatchObject({ callId: 'c1', parentCallId: 'call_task', parentSessionId: 'ses_root', runId: 'run-1' });
    const doc = await reader.exportAll();
    expect(doc.sessions[0]!.metrics[0]).toMatchObject({ parentCallId: 'call_task', parentSessionId: 'ses_root', runId: 'run-1' });
    await reader.shutdown();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
