import { afterEach, describe, expect, it, vi } from 'vitest';
import { BATCH_SCHEMAS, READING_SCHEMAS, deviceTopic, statusSchema } from '../../contracts/index.js';
import { DeviceClient } from '../../simulators/device-client.js';
import { Fridge } from '../../simulators/models/index.js';
import { startBroker, type Received } from './test-broker.js';

const T0 = Date.UTC(2025, 5, 3, 2);
const DEVICE = 'site-1-fridge-1';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(maxBatchReadings = 500) {
  const broker = await startBroker();
  cleanups.push(() => broker.close());
  const client = new DeviceClient({
    url: broker.url,
    deviceId: DEVICE,
    secret: 's3cret',
    model: new Fridge(1),
    seed: 1,
    reconnectPeriodMs: 50,
    maxBatchReadings,
  });
  cleanups.push(() => client.stop());
  await client.start();
  return { broker, client };
}

const on = (received: Received[], channel: 'telemetry' | 'telemetry-batch' | 'status') =>
  received.filter((m) => m.topic === deviceTopic(DEVICE, channel)).map((m) => m.json);

describe('DeviceClient over MQTT', () => {
  it('announces itself and publishes valid readings with rising seq', async () => {
    const { broker, client } = await setup();
    expect(client.connected).toBe(true);
    for (let i = 0; i < 3; i++) expect(await client.publishNow(T0 + i * 5_000)).toBe('acked');
    await vi.waitFor(() => expect(on(broker.received, 'status')).toContainEqual(expect.objectContaining({ online: true, boot: client.boot })));
    const readings = on(broker.received, 'telemetry');
    expect(readings.map((r) => r.seq)).toEqual([0, 1, 2]);
    for (const r of readings) expect(READING_SCHEMAS.temperature.safeParse(r).success).toBe(true);
    expect(client.counters).toMatchObject({ sent: 3, acked: 3, buffered: 0 });
  });

  it('buffers readings while the broker is unreachable and sends them as batches on reconnect', async () => {
    const { broker, client } = await setup(3);
    await client.publishNow(T0);
    broker.down();
    await vi.waitFor(() => expect(client.connected).toBe(false));
    // The broker publishes the device's last will when the connection drops without a DISCONNECT.
    await vi.waitFor(() => expect(on(broker.received, 'status')).toContainEqual(expect.objectContaining({ online: false })));
    for (let i = 1; i <= 7; i++) expect(await client.publishNow(T0 + i * 5_000)).toBe('buffered');
    expect(client.counters.buffered).toBe(7);

    broker.up();
    await vi.waitFor(() => expect(client.counters.buffered).toBe(0), { timeout: 5_000 });
    await vi.waitFor(() => expect(client.counters.batches).toBe(3));
    const batches = on(broker.received, 'telemetry-batch');
    for (const batch of batches) expect(BATCH_SCHEMAS.temperature.safeParse(batch).success).toBe(true);
    const seqs = batches.flatMap((b) => (b.readings as Array<{ seq: number }>).map((r) => r.seq));
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(batches.every((b) => b.boot === client.boot)).toBe(true);
    // Live readings resume on `telemetry` after the backlog.
    expect(await client.publishNow(T0 + 40_000)).toBe('acked');
    expect(on(broker.received, 'telemetry').map((r) => r.seq)).toEqual([0, 8]);
  });

  it('goes silent on power loss and comes back with a new boot, seq from 0', async () => {
    const { broker, client } = await setup();
    await client.publishNow(T0);
    const firstBoot = client.boot;
    client.inject('power_loss', T0 + 1_000);
    expect(await client.publishNow(T0 + 5_000)).toBe('skipped');
    await vi.waitFor(() => expect(on(broker.received, 'status').some((s) => s.online === false)).toBe(true));
    client.clear('power_loss');
    await vi.waitFor(() => expect(client.connected).toBe(true));
    expect(client.boot).not.toBe(firstBoot);
    expect(await client.publishNow(T0 + 60_000)).toBe('acked');
    const last = on(broker.received, 'telemetry').at(-1);
    expect(last).toMatchObject({ seq: 0, boot: client.boot });
    for (const s of on(broker.received, 'status')) expect(statusSchema.safeParse(s).success).toBe(true);
  });

  it('stops cleanly, saying it is offline', async () => {
    const { broker, client } = await setup();
    await client.stop();
    expect(on(broker.received, 'status').at(-1)).toMatchObject({ online: false, reason: 'shutdown' });
  });
});
