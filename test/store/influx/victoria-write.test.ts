import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IngestWrite, TelemetryRecord } from '../../../store/index.js';
import type { InfluxStore } from '../../../store/influx/index.js';
import { Victoria, VictoriaStoreFixture, victoriaMissing, type ExportedSeries } from '../../helpers/victoria.js';
import { newDevice, seedTree, T0 } from '../store-contract.js';

const missing = victoriaMissing();

const write = (readings: TelemetryRecord[]): IngestWrite => ({ readings, findings: [], quarantine: [] });
const reading = (deviceId: string, seq: number, values: TelemetryRecord['values'], kind: TelemetryRecord['kind'] = 'temperature'): TelemetryRecord => ({
  deviceId,
  kind,
  ts: T0 + seq * 1000,
  seq,
  boot: 'boot-1',
  receivedAt: T0 + seq * 1000 + 40,
  values,
});

/** Samples of one exported metric by device: seq → value. */
function samples(series: ExportedSeries[], name: string, device: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of series.filter((x) => x.metric.__name__ === name && x.metric.device === device)) {
    s.timestamps.forEach((t, i) => out.set((t - T0) / 1000, s.values[i]!));
  }
  return out;
}

describe.skipIf(missing)('InfluxDB write path against VictoriaMetrics', () => {
  let fixture: VictoriaStoreFixture;
  let vm: Victoria;
  let store: InfluxStore;

  beforeEach(async () => {
    fixture = await VictoriaStoreFixture.start();
    vm = fixture.vm;
    store = fixture.open();
    await seedTree(store.registry);
    await store.registry.createDevice(newDevice('fridge-1', 'site-xm'), 'secret-1', T0);
    await store.registry.createDevice(newDevice('trap-1', 'site-ns', 'oil_separator'), 'secret-2', T0);
  });
  afterEach(async () => {
    await fixture.close();
  });

  it('writes each reading as a point of its kind, tagged with region path, site, device, kind and profile, at the device time', async () => {
    const fridge = [1, 2, 3].map((seq) => reading('fridge-1', seq, { temperatureC: 3 + seq / 4, doorOpen: seq === 2 }));
    const trap = reading('trap-1', 1, { greaseMm: 41.5, fillPct: 12, overflow: false }, 'oil_separator');
    const results = await store.ingestSink.writeBatch([write(fridge), write([trap])]);
    expect(results).toEqual([
      { readingsInserted: [true, true, true], findingsInserted: [] },
      { readingsInserted: [true], findingsInserted: [] },
    ]);
    await store.forwarder.drained();
    expect(store.outbox.size()).toBe(0);

    const series = await vm.export('{__name__=~"temperature_.*|oil_separator_.*"}');
    const temperature = series.find((s) => s.metric.__name__ === 'temperature_temperatureC')!;
    expect(temperature.metric).toEqual({ __name__: 'temperature_temperatureC', region: '/sz/sz-ft/sz-ft-xm/', site: 'site-xm', device: 'fridge-1', kind: 'temperature', profile: 'chilled' });
    expect(temperature.timestamps).toEqual(fridge.map((r) => r.ts));
    expect(temperature.values).toEqual([3.25, 3.5, 3.75]);
    expect([...samples(series, 'temperature_doorOpen', 'fridge-1')]).toEqual([[1, 0], [2, 1], [3, 0]]);
    expect([...samples(series, 'temperature_seq', 'fridge-1').keys()]).toEqual([1, 2, 3]);
    expect([...samples(series, 'oil_separator_greaseMm', 'trap-1')]).toEqual([[1, 41.5]]);
    expect(series.find((s) => s.metric.__name__ === 'oil_separator_fillPct')?.metric).toMatchObject({ region: '/sz/sz-ns/', site: 'site-ns' });
    // No unbounded tag: the sequence number is a field (its own series), never a label.
    for (const s of series) expect(Object.keys(s.metric).sort()).toEqual(['__name__', 'device', 'kind', 'profile', 'region', 'site']);
  });

  it('reports a resend as a duplicate and does not send it again, also after its row left the outbox', async () => {
    const first = [1, 2].map((seq) => reading('fridge-1', seq, { temperatureC: seq }));
    await store.ingestSink.writeBatch([write(first)]);
    await store.forwarder.drained();
    const again = await store.ingestSink.writeBatch([write([...first, reading('fridge-1', 3, { temperatureC: 3 })])]);
    expect(again[0]!.readingsInserted).toEqual([false, false, true]);
    await store.forwarder.drained();
    const series = await vm.export('{__name__="temperature_temperatureC"}');
    expect(series[0]!.values).toEqual([1, 2, 3]);
  });

  it('refuses telemetry of an unregistered device and keeps nothing of that call in the outbox', async () => {
    await expect(store.ingestSink.writeBatch([write([reading('fridge-1', 1, { temperatureC: 1 })]), write([reading('ghost', 1, { temperatureC: 1 })])])).rejects.toThrow(
      /unregistered/,
    );
    expect(store.outbox.size()).toBe(0);
    expect(await store.ingestSink.writeBatch([write([reading('fridge-1', 1, { temperatureC: 1 })])])).toEqual([{ readingsInserted: [true], findingsInserted: [] }]);
  });
});
