import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseDeviceTopic, READING_SCHEMAS, type DeviceKind } from '../../contracts/index.js';
import { demoPlan } from '../../simulators/demo-plan.js';
import { Fleet } from '../../simulators/fleet.js';
import { startBroker } from './test-broker.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('Fleet', () => {
  it('runs a demo plan: every device reports valid readings, and a power loss silences one', async () => {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const plan = demoPlan({ seed: 4, sites: 2 });
    const kinds = new Map<string, DeviceKind>(plan.devices.map((d) => [d.id, d.kind]));
    const fleet = new Fleet({
      url: broker.url,
      devices: plan.devices.map((d) => ({ id: d.id, secret: 'x', kind: d.kind, profile: d.profile, siteId: d.siteId })),
      intervalMs: 20,
      connectSpreadMs: 0,
      seed: 4,
    });
    cleanups.push(() => fleet.stop());
    await fleet.start();
    expect(fleet.stats().connected).toBe(plan.devices.length);

    const reporting = () => new Set(broker.received.filter((m) => m.topic.endsWith('/telemetry')).map((m) => parseDeviceTopic(m.topic)?.deviceId));
    await vi.waitFor(() => expect(reporting().size).toBe(plan.devices.length), { timeout: 5_000 });
    for (const m of broker.received) {
      const topic = parseDeviceTopic(m.topic);
      if (topic?.channel !== 'telemetry') continue;
      expect(READING_SCHEMAS[kinds.get(topic.deviceId) as DeviceKind].safeParse(m.json).success).toBe(true);
    }

    const victim = plan.devices[0]?.id as string;
    fleet.inject(victim, 'power_loss');
    expect(fleet.stats().connected).toBe(plan.devices.length - 1);
    // The will arrives after anything the device wrote before its power went: from here on, silence.
    const willOf = (m: { topic: string; json: Record<string, unknown> }) =>
      parseDeviceTopic(m.topic)?.deviceId === victim && m.topic.endsWith('/status') && m.json.online === false;
    await vi.waitFor(() => expect(broker.received.some(willOf)).toBe(true));
    const before = broker.received.length;
    await vi.waitFor(() => expect(broker.received.length).toBeGreaterThan(before + plan.devices.length * 3));
    const after = broker.received.slice(before).filter((m) => m.topic.endsWith('/telemetry'));
    expect(after.some((m) => parseDeviceTopic(m.topic)?.deviceId === victim)).toBe(false);
    expect(() => fleet.inject('no-such-device', 'power_loss')).toThrow(RangeError);
  });
});
