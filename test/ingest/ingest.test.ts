import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FUTURE_SKEW_MS, type DeviceMessage, type UplinkChannel } from '../../contracts/index.js';
import { Ingest } from '../../ingest/ingest.js';
import { createLogger } from '../../observability/logger.js';
import { createMetrics, type Metrics } from '../../observability/metrics.js';
import { openSqliteStore } from '../../store/sqlite/index.js';
import type { IngestSink, Store, TelemetryRecord } from '../../store/index.js';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);

let store: Store;
let metrics: Metrics;
let ingest: Ingest;

function makeIngest(sink: IngestSink = store.ingestSink): Ingest {
  return new Ingest({
    registry: store.registry,
    sink,
    metrics,
    logger: createLogger('silent'),
    clock: () => NOW,
    maxFutureSkewMs: DEFAULT_MAX_FUTURE_SKEW_MS,
  });
}

const message = (deviceId: string, channel: UplinkChannel, payload: unknown): DeviceMessage => ({
  deviceId,
  channel,
  payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  receivedAt: NOW,
});
const reading = (seq: number, temperatureC = 4) => ({ ts: NOW - 10_000 + seq, seq, boot: 'b-1', temperatureC });

beforeEach(async () => {
  store = openSqliteStore({ file: ':memory:' });
  metrics = createMetrics();
  await store.registry.upsertRegion({ id: 'city', name: '阳光市', level: 'city', parentId: null });
  await store.registry.upsertRegion({ id: 'district', name: '东城区', level: 'district', parentId: 'city' });
  await store.registry.upsertRegion({ id: 'town', name: '花园街道', level: 'township', parentId: 'district' });
  await store.registry.upsertSite({ id: 'site-1', name: '渔家酒家', regionId: 'town' });
  await store.registry.createDevice({ id: 'fridge-1', siteId: 'site-1', kind: 'temperature', label: '冷藏柜', profile: 'chilled', expectedIntervalS: 30 }, 'secret-1', NOW);
  await store.registry.createDevice({ id: 'cam-1', siteId: 'site-1', kind: 'camera', label: '后厨', profile: 'camera', expectedIntervalS: 30 }, 'secret-2', NOW);
  ingest = makeIngest();
});

afterEach(async () => {
  await ingest.close().catch(() => undefined); // some tests close it themselves
  await store.close();
});

async function rejectedCount(reason: string): Promise<number> {
  const metric = await metrics.registry.getSingleMetric('sk_payloads_rejected_total')!.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('Ingest', () => {
  it('emits reading:stored once per new reading, never for a duplicate', async () => {
    const stored: TelemetryRecord[] = [];
    ingest.on('reading:stored', (record, siteId) => {
      expect(siteId).toBe('site-1');
      stored.push(record);
    });
    await expect(ingest.handle(message('fridge-1', 'telemetry', reading(1, 3.5)))).resolves.toEqual({ status: 'stored', stored: 1, duplicates: 0 });
    await expect(ingest.handle(message('fridge-1', 'telemetry', reading(1, 3.5)))).resolves.toEqual({ status: 'stored', stored: 0, duplicates: 1 });
    expect(stored.map((r) => r.values.temperatureC)).toEqual([3.5]);
    expect(ingest.latest.get('fridge-1')?.seq).toBe(1);
    expect(await store.telemetry.count('fridge-1')).toBe(1);
  });

  it('stores a batch, keeping the good readings and quarantining only the bad one', async () => {
    const batch = { boot: 'b-2', readings: [1, 2, 3].map((seq) => ({ ts: NOW - 60_000 + seq, seq, temperatureC: seq === 2 ? 'warm' : 4 })) };
    await expect(ingest.handle(message('fridge-1', 'telemetry-batch', batch))).resolves.toEqual({ status: 'stored', stored: 2, duplicates: 0 });
    expect(await store.telemetry.count('fridge-1')).toBe(2);
    const [entry] = await store.quarantine.list({ deviceId: 'fridge-1', limit: 10 });
    expect(entry?.detail).toContain('readings[1]');
  });

  it('counts rejected payloads by reason and keeps each in the quarantine', async () => {
    await ingest.handle(message('fridge-1', 'telemetry', '{oops'));
    await ingest.handle(message('fridge-1', 'telemetry', { ...reading(2), temperatureC: 500 }));
    await ingest.handle(message('fridge-1', 'telemetry', { ...reading(3), ts: NOW + 3_600_000 }));
    await ingest.handle(message('fridge-1', 'events', { ts: NOW, seq: 1, boot: 'b', type: 'rodent', confidence: 0.9 }));
    expect(await rejectedCount('not_json')).toBe(1);
    expect(await rejectedCount('invalid_payload')).toBe(1);
    expect(await rejectedCount('timestamp_in_future')).toBe(1);
    expect(await rejectedCount('wrong_kind')).toBe(1);
    expect((await store.quarantine.list({ limit: 10 })).map((e) => e.reason).sort()).toEqual(['invalid_payload', 'not_json', 'timestamp_in_future', 'wrong_kind']);
    expect(await store.telemetry.count()).toBe(0);
  });

  it('stores a camera finding once and emits it', async () => {
    const seen: string[] = [];
    ingest.on('finding:stored', (finding) => seen.push(finding.type));
    const finding = { ts: NOW - 1_000, seq: 4, boot: 'b', type: 'no_mask', confidence: 0.8 };
    await ingest.handle(message('cam-1', 'events', finding));
    await ingest.handle(message('cam-1', 'events', finding));
    expect(seen).toEqual(['no_mask']);
    expect(await store.findings.list({ deviceId: 'cam-1', limit: 10 })).toHaveLength(1);
  });

  it('rejects, rather than resolves, when the store cannot write: the broker must then withhold PUBACK', async () => {
    const failing: IngestSink = { writeBatch: () => Promise.reject(new Error('disk full')) };
    const broken = makeIngest(failing);
    await expect(broken.handle(message('fridge-1', 'telemetry', reading(5)))).rejects.toThrow('disk full');
    await broken.close();
    expect(await store.telemetry.count()).toBe(0);
    const failures = await metrics.registry.getSingleMetric('sk_store_write_failures_total')!.get();
    expect(failures.values[0]?.value).toBe(1);
  });

  it('records presence changes once, from the broker or a last will', async () => {
    const changes: boolean[] = [];
    ingest.on('device:presence', (c) => changes.push(c.online));
    await ingest.setPresence('fridge-1', true, NOW);
    await ingest.setPresence('fridge-1', true, NOW + 1);
    await ingest.handle(message('fridge-1', 'status', { online: false }));
    expect(changes).toEqual([true, false]);
    expect((await store.registry.getDevice('fridge-1'))?.online).toBe(false);
  });

  // close() waits for messages still being decoded (device lookup), not only those already queued.
  it('finishes a message handed over just before close', async () => {
    const pending = ingest.handle(message('fridge-1', 'telemetry', reading(7)));
    await ingest.close();
    await expect(pending).resolves.toEqual({ status: 'stored', stored: 1, duplicates: 0 });
    expect(await store.telemetry.count()).toBe(1);
  });

  it('refuses messages after close, so they are not acknowledged', async () => {
    await ingest.close();
    await expect(ingest.handle(message('fridge-1', 'telemetry', reading(8)))).rejects.toThrow();
    expect(await store.telemetry.count()).toBe(0);
  });
});
