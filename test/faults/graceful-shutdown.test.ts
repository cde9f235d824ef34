import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckedLoad, delay } from '../../soak/devices.js';
import { freePort, ServerProcess } from '../../soak/server-process.js';
import { checkAcknowledged, dbFile, provisionDevices } from '../../soak/store-check.js';
import { recordFigures } from '../helpers/figures.js';
import { rawConnect } from '../helpers/raw-socket.js';
import { bundleServerEntry } from '../helpers/server-bundle.js';

/**
 * Fault item 14: SIGTERM to the real server (app/main.ts in a child process)
 * while devices publish. It stops accepting, writes everything handed to
 * ingest, saves the alert engine's state, closes sessions and exits 0; after a
 * restart on the same data dir nothing acknowledged is missing.
 *
 * Nothing acknowledged is lost under SIGKILL either (a PUBACK already means
 * fsync), so that check alone proves no shutdown. What only a graceful one
 * does: the process exits 0 by itself, each device's session is ended and
 * recorded as offline at the shutdown, and the rule state is saved (with
 * SK_ALERT_STATE_FLUSH_MS=0 nothing else saves it). Replacing the shutdown by
 * an immediate `process.exit(0)` fails the last two.
 */
let bundle: Awaited<ReturnType<typeof bundleServerEntry>>;
let dataDir: string;
beforeAll(async () => {
  bundle = await bundleServerEntry();
  dataDir = mkdtempSync(join(tmpdir(), 'sk-term-'));
});
afterAll(() => {
  bundle.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('fault 14: graceful shutdown', () => {
  it('on SIGTERM under load ends every device session, saves the rule state and exits 0, with every acknowledged reading on disk, and a restart resumes', async ({ task }) => {
    const devices = await provisionDevices(dataDir, 6);
    const port = await freePort();
    const log: string[] = [];
    const start = () =>
      ServerProcess.start({
        entry: bundle.entry,
        env: {
          SK_DATA_DIR: dataDir,
          SK_MQTT_HOST: '127.0.0.1',
          SK_MQTT_PORT: String(port),
          SK_HTTP_PORT: '0',
          // Rule state is saved only on close here, so finding it on disk proves the shutdown saved it.
          SK_ALERT_STATE_FLUSH_MS: '0',
        },
        onLog: (line) => log.push(line),
      });

    let server = await start();
    const load = new AckedLoad({ url: server.mqttUrl, devices, window: 4, intervalMs: 5, ackTimeoutMs: 5_000 });
    load.start();
    await expect.poll(() => load.figures.acknowledged, { timeout: 10_000 }).toBeGreaterThan(200);
    const terminatedAt = Date.now();
    const exit = await server.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(log.some((line) => line.includes('SIGTERM: shutting down'))).toBe(true);
    // Nothing listens any more: a device trying now is refused by the kernel.
    await expect(rawConnect(server.mqttUrl)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const acknowledgedBeforeRestart = new Map([...load.acked].map(([id, seqs]) => [id, new Set(seqs)]));
    const afterTerm = checkAcknowledged(dataDir, load.boot, acknowledgedBeforeRestart);
    expect(afterTerm.lost, afterTerm.missing.join(', ')).toBe(0);
    const db = new Database(dbFile(dataDir), { readonly: true });
    const saved = db.prepare('SELECT device_id FROM rule_state').all() as { device_id: string }[];
    const presence = db.prepare('SELECT id, online, presence_changed_at AS at FROM devices ORDER BY id').all() as { id: string; online: number; at: number | null }[];
    db.close();
    expect(saved.map((r) => r.device_id).sort()).toEqual(devices.map((d) => d.id).sort());
    // The sessions were closed by the server, which recorded each device offline as of the shutdown;
    // a killed server leaves them "online" until the next start.
    expect(presence.map((d) => d.id)).toEqual(devices.map((d) => d.id).sort());
    for (const device of presence) {
      expect(device.online, device.id).toBe(0);
      expect(device.at, device.id).toBeGreaterThanOrEqual(terminatedAt);
    }

    // Restart on the same data dir: the devices reconnect by themselves and carry on.
    server = await start();
    const restartedAt = Date.now();
    await expect.poll(() => [...load.lastAckAt.values()].filter((at) => at > restartedAt).length, { timeout: 15_000 }).toBe(devices.length);
    await delay(200);
    await load.stop(2_000);
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const final = checkAcknowledged(dataDir, load.boot, load.acked);
    expect(final.lost, final.missing.join(', ')).toBe(0);
    expect(final.stored).toBe(load.figures.acknowledged);
    console.log(`[faults] graceful shutdown: ${JSON.stringify({ ...load.figures, ...final })}`);
    recordFigures(task, { faultsInjected: 2, acknowledged: load.figures.acknowledged, lost: final.lost, crashes: 0 });
  }, 60_000);
});
