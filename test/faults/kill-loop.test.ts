import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKillLoop } from '../../soak/kill-loop.js';
import { recordFigures } from '../helpers/figures.js';
import { bundleServerEntry } from '../helpers/server-bundle.js';

/**
 * Fault item 9, short form: the real server (app/main.ts in a child process)
 * killed with SIGKILL at random moments under load from real MQTT devices, and
 * restarted on the same data dir. `npm run soak` runs the long form.
 */
let server: Awaited<ReturnType<typeof bundleServerEntry>>;
let dataDir: string;
beforeAll(async () => {
  server = await bundleServerEntry();
  dataDir = mkdtempSync(join(tmpdir(), 'sk-kill-'));
});
afterAll(() => {
  server.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('fault 9: SIGKILL under load', () => {
  it('keeps every acknowledged reading across random kills, and devices reconnect and resume', async ({ task }) => {
    const report = await runKillLoop({
      entry: server.entry,
      dataDir,
      devices: 8,
      kills: 3,
      minUpMs: 400,
      maxUpMs: 1_500,
      seed: 9,
      window: 4,
      intervalMs: 5,
      synchronous: 'full',
      settleMs: 1_500,
      finalStop: 'SIGKILL',
    });
    console.log(`[faults] kill loop: ${JSON.stringify(report)}`);
    expect(report.crashes, report.crashDetails.join('\n')).toBe(0);
    expect(report.acknowledged).toBeGreaterThan(0);
    expect(report.lost, `missing: ${report.missing.join(', ')}`).toBe(0);
    expect(report.stored).toBe(report.acknowledged);
    // Every device came back at least once (a kill soon after a restart may find some still reconnecting).
    expect(report.reconnects).toBeGreaterThanOrEqual(report.devices);
    expect(report.devicesResumed).toBe(report.devices);
    recordFigures(task, {
      faultsInjected: report.faultsInjected,
      acknowledged: report.acknowledged,
      lost: report.lost,
      crashes: report.crashes,
      ...(report.peakRssMiB === undefined ? {} : { peakRssMiB: report.peakRssMiB }),
    });
  }, 90_000);
});
