import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TelemetryRecord } from '../../../store/index.js';
import type { InfluxStore } from '../../../store/influx/index.js';
import { InfluxLineWriter, type LineWriter } from '../../../store/influx/line-writer.js';
import { Victoria, VictoriaStoreFixture, victoriaMissing } from '../../helpers/victoria.js';
import { newDevice, seedTree, T0 } from '../store-contract.js';

const missing = victoriaMissing();

const reading = (seq: number): TelemetryRecord => ({
  deviceId: 'fridge-1',
  kind: 'temperature',
  ts: T0 + seq * 1000,
  seq,
  boot: 'boot-1',
  receivedAt: T0 + seq * 1000 + 40,
  values: { temperatureC: seq / 10 },
});

describe.skipIf(missing)('outbox and forwarder through a VictoriaMetrics outage', () => {
  let fixture: VictoriaStoreFixture;
  let vm: Victoria;
  let store: InfluxStore | undefined;
  const open = (writer?: LineWriter) => (store = fixture.open(writer));

  beforeEach(async () => {
    fixture = await VictoriaStoreFixture.start({ batchSize: 25 });
    vm = fixture.vm;
    const s = open();
    await seedTree(s.registry);
    await s.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'secret-1', T0);
  });
  afterEach(async () => {
    await fixture.close();
  });

  /** The seq of every stored reading of fridge-1, one entry per sample. */
  const storedSeqs = async () => {
    const series = await vm.export('{__name__="temperature_seq", device="fridge-1"}');
    return series.flatMap((s) => s.values).sort((a, b) => a - b);
  };

  it('acknowledges every write while the server is down and delivers each reading exactly once after it is back', async () => {
    const s = store!;
    let seq = 0;
    const acknowledged: number[] = [];
    const writeSome = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const batch = [++seq, ++seq, ++seq].map(reading);
        const [result] = await s.ingestSink.writeBatch([{ readings: batch, findings: [], quarantine: [] }]);
        expect(result!.readingsInserted).toEqual([true, true, true]);
        acknowledged.push(...batch.map((r) => r.seq));
        await new Promise((r) => setImmediate(r));
      }
    };

    await writeSome(10);
    await vm.stop();
    await writeSome(20);
    // Down: the writes were acknowledged, the outbox holds what could not be sent.
    await vi.waitFor(() => expect(s.forwarder.status().consecutiveFailures).toBeGreaterThan(0));
    const down = s.forwarder.status();
    expect(down.backlog).toBeGreaterThan(0);
    expect(down.consecutiveFailures).toBeGreaterThan(0);
    expect(down.lastError).toMatch(/unreachable|ECONNREFUSED/i);
    expect(down.oldestEnqueuedAt).toBeDefined();

    await vm.resume();
    await writeSome(10);
    await s.forwarder.drained();
    expect(s.forwarder.status()).toMatchObject({ backlog: 0, consecutiveFailures: 0 });
    expect(await storedSeqs()).toEqual(acknowledged);
  });

  it('keeps the backlog across a restart of our own process and replays it in order', async () => {
    await store!.close();
    await vm.stop();
    // While the server is down and our process restarts, nothing is lost.
    const s = open();
    const all = Array.from({ length: 60 }, (_, i) => reading(i + 1));
    await s.ingestSink.writeBatch([{ readings: all.slice(0, 30), findings: [], quarantine: [] }]);
    await s.close();
    const again = open();
    await again.ingestSink.writeBatch([{ readings: all.slice(30), findings: [], quarantine: [] }]);
    expect(again.outbox.size()).toBe(60);
    // Rows come out in the order they were accepted.
    expect(again.outbox.peek(100).map((r) => r.line.match(/seq=(\d+)i/)![1]).map(Number)).toEqual(all.map((r) => r.seq));
    await vm.resume();
    await again.forwarder.drained();
    expect(await storedSeqs()).toEqual(all.map((r) => r.seq));
  });

  it('stores a batch once when its confirmation was lost and the forwarder sent it again', async () => {
    await store!.close();
    const real = new InfluxLineWriter(fixture.connection, 25);
    let calls = 0;
    // The server stores the first batch, but the answer never reaches us.
    const lossy: LineWriter = {
      async write(lines) {
        await real.write(lines);
        if (++calls === 1) throw new Error('socket hang up');
      },
      close: () => real.close(),
    };
    const s = open(lossy);
    const all = Array.from({ length: 40 }, (_, i) => reading(i + 1));
    await s.ingestSink.writeBatch([{ readings: all, findings: [], quarantine: [] }]);
    await s.forwarder.drained();
    expect(calls).toBeGreaterThan(2);
    expect(await storedSeqs()).toEqual(all.map((r) => r.seq));
  });
});
