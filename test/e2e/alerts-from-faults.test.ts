import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, DeviceKind, DeviceProfile, RuleId } from '../../contracts/index.js';
import { Fleet } from '../../simulators/fleet.js';
import type { FaultName } from '../../simulators/models/model.js';
import { connectDashboard, onAlert, startTestServer, warpedClock, type DashboardSocket, type TestServer } from '../helpers/server.js';

/**
 * Each rule driven end to end by a simulated device fault: simulator → MQTT →
 * broker → ingest → rules → lifecycle → socket.io. Server and devices share a
 * clock running 600× real time (a simulated hour per six real seconds), starting
 * at 09:00 in Shanghai, inside the kitchens' business hours.
 */
const START = Date.UTC(2026, 10, 23, 1, 0, 0);
const WARP = 600;

interface Case {
  id: string;
  kind: DeviceKind;
  profile: DeviceProfile;
  fault?: FaultName;
  expect: RuleId;
}

const CASES: Case[] = [
  { id: 'fridge-compressor', kind: 'temperature', profile: 'chilled', fault: 'compressor_failure', expect: 'temperature_high' },
  { id: 'fridge-door', kind: 'temperature', profile: 'chilled', fault: 'door_left_open', expect: 'door_open' },
  { id: 'freezer-defrost', kind: 'temperature', profile: 'frozen', fault: 'defrost_stuck', expect: 'temperature_high' },
  { id: 'fridge-power', kind: 'temperature', profile: 'chilled', fault: 'power_loss', expect: 'no_data' },
  { id: 'trap-overflow', kind: 'oil_separator', profile: 'oil_separator', fault: 'grease_overflow', expect: 'oil_overflow' },
  { id: 'cam-offline', kind: 'camera', profile: 'camera', fault: 'camera_offline', expect: 'camera_offline' },
  { id: 'cam-occluded', kind: 'camera', profile: 'camera', fault: 'lens_occluded', expect: 'camera_lens_occluded' },
  { id: 'cam-storage', kind: 'camera', profile: 'camera', fault: 'storage_full', expect: 'camera_storage_low' },
];
const HEALTHY: Case = { id: 'fridge-healthy', kind: 'temperature', profile: 'chilled', expect: 'temperature_high' };

describe('alerts raised by simulated device faults, end to end', () => {
  let server: TestServer;
  let fleet: Fleet;
  let socket: DashboardSocket;
  const raised: Alert[] = [];
  const waiters: Array<() => void> = [];

  beforeAll(async () => {
    const clock = warpedClock(START, WARP);
    server = await startTestServer({ SK_ALERT_TICK_MS: '50' }, undefined, { clock });
    socket = await connectDashboard(server.httpUrl, server.adminToken);
    onAlert(socket, 'alert:raised', (alert) => {
      raised.push(alert);
      for (const wake of waiters.splice(0)) wake();
    });
    const devices = [];
    for (const c of [...CASES, HEALTHY]) {
      const { secret } = await server.provision({ id: c.id, kind: c.kind, profile: c.profile });
      devices.push({ id: c.id, secret, kind: c.kind, profile: c.profile });
    }
    fleet = new Fleet({
      url: server.mqttUrl,
      devices,
      // A reading per simulated minute.
      intervalMs: 60_000 / WARP,
      seed: 7,
      clock,
      connectSpreadMs: 0,
      faults: CASES.filter((c) => c.fault).map((c) => ({ deviceId: c.id, fault: c.fault! })),
    });
    await fleet.start();
  });

  afterAll(async () => {
    await fleet?.stop();
    socket?.close();
    await server?.stop();
  });

  /** Resolves with the first alert pushed for this device and rule. */
  const alertFor = async (deviceId: string, rule: RuleId): Promise<Alert> => {
    for (;;) {
      const found = raised.find((a) => a.deviceId === deviceId && a.rule === rule);
      if (found) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };

  for (const c of CASES) {
    it(`${c.fault} on a ${c.profile} device raises ${c.expect}`, async () => {
      const alert = await alertFor(c.id, c.expect);
      expect(alert).toMatchObject({ deviceId: c.id, siteId: 'site-1', rule: c.expect, state: 'open', category: 'condition' });
      expect(alert.severity).not.toBe('info');
      expect(alert.message.length).toBeGreaterThan(0);
      // The same alert is what the REST API lists.
      const listed = await server.api.inject({ method: 'GET', url: `/api/v1/alerts?deviceId=${c.id}&rule=${c.expect}`, headers: { authorization: `Bearer ${server.adminToken}` } });
      expect(listed.json().map((a: Alert) => a.id)).toContain(alert.id);
    });
  }

  it('raises nothing about temperature for a healthy fridge in the same hours', async () => {
    // Wait until the slowest fault above has alarmed: by then hours of simulated time have passed.
    await Promise.all(CASES.map((c) => alertFor(c.id, c.expect)));
    // `no_data` is left out on purpose: at 600× a half-second stall of this machine's CPU is five
    // simulated minutes without a reading, which is exactly what that rule is for (the
    // power-loss case above proves it raises). Temperature rules judge by the device's
    // own timestamps, so a stall cannot fake an excursion.
    const aboutHealthy = raised.filter((a) => a.deviceId === HEALTHY.id && ['temperature_high', 'temperature_low', 'danger_zone', 'device_offline'].includes(a.rule));
    expect(aboutHealthy).toEqual([]);
  });
});
