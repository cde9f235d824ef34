import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';
import { recordFigures } from '../helpers/figures.js';
import { connectDevice, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Fault item 7: invalid payloads of every shape, property-based, over real
 * MQTT. Each is acknowledged (so the device does not resend it forever), kept in
 * the quarantine with its reason and counted; the device stays connected.
 */
let server: TestServer;
let client: MqttClient;
let connects = 0;
let device: { id: string; secret: string };
beforeEach(async () => {
  server = await startTestServer();
  device = await server.provision({ id: 'fridge-1' });
  client = await connectDevice(server.mqttUrl, device.id, device.secret);
  connects = 1;
  client.on('connect', () => connects++);
});
afterEach(async () => {
  await client.endAsync(true);
  await server.stop();
});

const DAY = 86_400_000;
const good = () => ({ ts: Date.now() - 1_000, seq: 1, boot: 'b-1', temperatureC: 4 });

/** Payloads invalid by construction: each breaks one rule of a temperature reading. */
const badTelemetry: fc.Arbitrary<string> = fc.oneof(
  // Wrong types for a field.
  fc.record({ field: fc.constantFrom('ts', 'seq', 'boot', 'temperatureC', 'doorOpen'), value: fc.oneof(fc.string(), fc.object(), fc.array(fc.integer()), fc.constant(null)) })
    .filter(({ field, value }) => !(field === 'boot' && typeof value === 'string'))
    .map(({ field, value }) => JSON.stringify({ ...good(), [field]: value })),
  // NaN and infinities, which JSON cannot carry but a firmware bug can print.
  fc.constantFrom('NaN', 'Infinity', '-Infinity').map((v) => JSON.stringify(good()).replace('"temperatureC":4', `"temperatureC":${v}`)),
  // Physically impossible values.
  fc.double({ min: 1_000, max: 1e300, noNaN: true }).map((t) => JSON.stringify({ ...good(), temperatureC: t })),
  // Huge strings.
  fc.integer({ min: 100, max: 100_000 }).map((n) => JSON.stringify({ ...good(), boot: 'b'.repeat(n) })),
  // Deep nesting.
  fc.integer({ min: 10, max: 50_000 }).map((depth) => JSON.stringify(good()).replace('"temperatureC":4', `"temperatureC":${'['.repeat(depth)}4${']'.repeat(depth)}`)),
  // Timestamps from the future (device clock ahead) and the distant past (a clock that lost its time).
  fc.integer({ min: 1, max: 3_650 }).map((days) => JSON.stringify({ ...good(), ts: Date.now() + days * DAY })),
  fc.integer({ min: 0, max: Date.UTC(2019, 11, 31) }).map((ts) => JSON.stringify({ ...good(), ts })),
  // Not JSON at all.
  fc.string({ minLength: 1 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true; // unparseable: exactly what this case wants
    }
  }),
);

/** Batches that are invalid as a whole: too many readings, or not a batch. */
const badBatch: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 501, max: 2_000 }).map((n) => JSON.stringify({ boot: 'b-1', readings: Array.from({ length: n }, (_, i) => ({ ts: Date.now() - 60_000, seq: i, temperatureC: 4 })) })),
  fc.anything().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => JSON.stringify(v) ?? 'undefined'),
);

async function quarantined(): Promise<number> {
  const metric = await server.metrics.registry.getSingleMetric('sk_payloads_rejected_total')!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

describe('fault 7: invalid payloads over MQTT', () => {
  it('acknowledges, quarantines with a reason and counts every invalid payload, storing none, with no reconnect', async ({ task }) => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(badTelemetry.map((p) => ['telemetry', p] as const), badBatch.map((p) => ['telemetry-batch', p] as const)), async ([channel, payload]) => {
        runs++;
        await client.publishAsync(deviceTopic(device.id, channel), payload, { qos: 1 });
        expect(await quarantined()).toBe(runs);
      }),
      { numRuns: 120, seed: 7 },
    );
    expect(await server.store.telemetry.count(device.id)).toBe(0);
    const entries = await server.store.quarantine.list({ deviceId: device.id, limit: 500 });
    expect(entries).toHaveLength(runs);
    expect(entries.every((e) => e.reason.length > 0 && e.detail.length > 0)).toBe(true);
    expect(new Set(entries.map((e) => e.reason))).toEqual(new Set(['invalid_payload', 'not_json', 'timestamp_in_future']));
    expect(connects).toBe(1);
    expect(client.connected).toBe(true);
    // And the device's next good reading is stored.
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), JSON.stringify(good()), { qos: 1 });
    expect(await server.store.telemetry.count(device.id)).toBe(1);
    recordFigures(task, { badInputs: runs, faultsInjected: runs });
  });
});
