import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';
import { recordFigures } from '../helpers/figures.js';
import { connectPacket, publishPacket } from '../helpers/mqtt-bytes.js';
import { rawConnect } from '../helpers/raw-socket.js';
import { connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Fault item 8 (a QoS 1 message delivered twice: the PUBACK was lost, the device
 * resends with DUP, maybe after a reconnect or a server restart) and item 12
 * (device clocks that are wrong).
 */
let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('fault 8: duplicate QoS 1 deliveries', () => {
  it('stores a reading once when its PUBACK is lost and the device resends it with DUP after reconnecting, even across a server restart', async ({ task }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sk-dup-'));
    server = await startTestServer({}, dataDir);
    const device = await server.provision({ id: 'fridge-1' });
    const login = connectPacket({ clientId: device.id, username: device.id, password: device.secret });
    const payload = reading(42, { temperatureC: 3.3 });
    const topic = deviceTopic(device.id, 'telemetry');

    // First delivery; the device drops the connection before it reads the PUBACK.
    const first = await rawConnect(server.mqttUrl);
    first.socket.write(Buffer.concat([login, publishPacket({ topic, payload, qos: 1, id: 5 })]));
    await expect.poll(() => server!.store.telemetry.count(device.id)).toBe(1);
    first.socket.destroy();

    // The resend, flagged DUP, on a new connection.
    const second = await rawConnect(server.mqttUrl);
    second.socket.write(Buffer.concat([login, publishPacket({ topic, payload, qos: 1, id: 5, dup: true })]));
    expect((await second.bytes(8)).subarray(4, 8)).toEqual(Buffer.from([0x40, 0x02, 0x00, 0x05]));
    second.socket.destroy();
    expect(await server.store.telemetry.count(device.id)).toBe(1);

    // The server restarts; the device replays its buffer as a batch containing the same reading.
    await server.close();
    server = await startTestServer({}, dataDir);
    const client = await connectDevice(server.mqttUrl, device.id, device.secret);
    const { ts, seq, boot, temperatureC } = JSON.parse(payload) as { ts: number; seq: number; boot: string; temperatureC: number };
    await client.publishAsync(deviceTopic(device.id, 'telemetry-batch'), JSON.stringify({ boot, readings: [{ ts, seq, temperatureC }, { ts: ts + 1, seq: seq + 1, temperatureC }] }), { qos: 1 });
    await client.endAsync();
    expect(await server.store.telemetry.count(device.id)).toBe(2);
    const duplicates = await server.metrics.registry.getSingleMetric('sk_readings_duplicate_total')!.get();
    expect(duplicates.values[0]?.value).toBe(1);
    recordFigures(task, { faultsInjected: 3 });
  });
});

describe('fault 12: devices with wrong clocks', () => {
  it('quarantines live readings from a clock ahead (timestamp_in_future) or behind (clock_behind) and stores late buffered batches', async ({ task }) => {
    server = await startTestServer({ SK_MAX_FUTURE_SKEW_MS: '300000', SK_MAX_LIVE_LAG_MS: '3600000' });
    const device = await server.provision({ id: 'fridge-1' });
    const client = await connectDevice(server.mqttUrl, device.id, device.secret);
    const live = (seq: number, ts: number) => client.publishAsync(deviceTopic(device.id, 'telemetry'), reading(seq, { temperatureC: 4 }, ts), { qos: 1 });
    const now = Date.now();
    await live(1, now + 2 * 3_600_000); // two hours ahead
    await live(2, now - 6 * 3_600_000); // six hours behind, on the live channel
    await live(3, now - 60_000); // a minute old: fine
    // Readings buffered through a six-hour outage arrive late, as a batch: that is normal, not a clock fault.
    await client.publishAsync(deviceTopic(device.id, 'telemetry-batch'), JSON.stringify({ boot: 'boot-1', readings: [{ ts: now - 6 * 3_600_000, seq: 4, temperatureC: 5 }] }), { qos: 1 });
    await client.endAsync();
    const entries = await server.store.quarantine.list({ deviceId: device.id, limit: 10 });
    expect(entries.map((e) => e.reason).sort()).toEqual(['clock_behind', 'timestamp_in_future']);
    expect(entries.find((e) => e.reason === 'clock_behind')?.detail).toMatch(/behind the server clock/);
    expect(await server.store.telemetry.count(device.id)).toBe(2);
    recordFigures(task, { badInputs: 2, faultsInjected: 2 });
  });

  it('stores a DUP resend of a live reading held back by an outage longer than the lag limit, and still quarantines a first send that old', async ({ task }) => {
    server = await startTestServer({ SK_MAX_LIVE_LAG_MS: '3600000' });
    const device = await server.provision({ id: 'fridge-1' });
    const topic = deviceTopic(device.id, 'telemetry');
    const twoHoursAgo = Date.now() - 2 * 3_600_000;
    const conn = await rawConnect(server.mqttUrl);
    // The reading was first sent two hours ago, when the store was down: no PUBACK came, so the device resends it, flagged DUP [MQTT-3.3.1-1].
    conn.socket.write(
      Buffer.concat([
        connectPacket({ clientId: device.id, username: device.id, password: device.secret }),
        publishPacket({ topic, payload: reading(1, { temperatureC: 9.5 }, twoHoursAgo), qos: 1, id: 1, dup: true }),
        publishPacket({ topic, payload: reading(2, { temperatureC: 9.6 }, twoHoursAgo + 1_000), qos: 1, id: 2 }),
      ]),
    );
    // CONNACK (4 bytes), then both PUBACKs: each reading is durable, stored or quarantined.
    expect((await conn.bytes(12)).subarray(4, 12)).toEqual(Buffer.from([0x40, 0x02, 0x00, 0x01, 0x40, 0x02, 0x00, 0x02]));
    conn.socket.destroy();
    // The resend is stored at its own time, so the cold-chain record has no gap over the outage.
    expect(await server.store.telemetry.count(device.id)).toBe(1);
    const [latest] = await server.store.telemetry.latest([{ id: device.id, kind: 'temperature' }]);
    expect(latest).toMatchObject({ seq: 1, ts: twoHoursAgo, values: { temperatureC: 9.5 } });
    // A first send as old is what a clock running behind looks like: quarantined, kept, visible.
    const entries = await server.store.quarantine.list({ deviceId: device.id, limit: 10 });
    expect(entries.map((e) => [e.reason, JSON.parse(e.payload.toString()).seq])).toEqual([['clock_behind', 2]]);
    recordFigures(task, { faultsInjected: 2 });
  });
});

describe('readings older than the raw retention', () => {
  it('quarantines them as older_than_retention instead of acknowledging them into a store that prunes them within the hour', async ({ task }) => {
    server = await startTestServer({ SK_RAW_RETENTION_DAYS: '30' });
    const device = await server.provision({ id: 'fridge-1' });
    const client = await connectDevice(server.mqttUrl, device.id, device.secret);
    const now = Date.now();
    const day = 86_400_000;
    // A device that kept a buffer across a long outage: the oldest readings are past retention, the rest are not.
    const readings = [
      { ts: now - 31 * day, seq: 1, temperatureC: 4 },
      { ts: now - 29 * day, seq: 2, temperatureC: 4.5 },
    ];
    await client.publishAsync(deviceTopic(device.id, 'telemetry-batch'), JSON.stringify({ boot: 'boot-1', readings }), { qos: 1 });
    await client.endAsync();
    // And a resend (DUP) of a live reading that old: exempt from the lag rule, not from retention.
    const conn = await rawConnect(server.mqttUrl);
    conn.socket.write(
      Buffer.concat([
        connectPacket({ clientId: device.id, username: device.id, password: device.secret }),
        publishPacket({ topic: deviceTopic(device.id, 'telemetry'), payload: reading(3, { temperatureC: 5 }, now - 40 * day), qos: 1, id: 1, dup: true }),
      ]),
    );
    expect((await conn.bytes(8)).subarray(4, 8)).toEqual(Buffer.from([0x40, 0x02, 0x00, 0x01]));
    conn.socket.destroy();

    expect(await server.store.telemetry.count(device.id)).toBe(1);
    const entries = await server.store.quarantine.list({ deviceId: device.id, limit: 10 });
    expect(entries.map((e) => [e.reason, e.channel]).sort()).toEqual([
      ['older_than_retention', 'telemetry'],
      ['older_than_retention', 'telemetry-batch'],
    ]);
    expect(entries[0]?.detail).toMatch(/older than the raw retention \(30 days\)/);
    recordFigures(task, { badInputs: 2, faultsInjected: 2 });
  });
});
