import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { deviceTopic } from '../../contracts/index.js';
import type { InfluxStore } from '../../store/influx/index.js';
import { connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';
import { Victoria, victoriaMissing } from '../helpers/victoria.js';

const missing = victoriaMissing();

describe.skipIf(missing)('device → MQTT → ingest → outbox → InfluxDB (VictoriaMetrics) through an outage', () => {
  let vm: Victoria;
  let server: TestServer;
  let client: MqttClient | undefined;

  beforeEach(async () => {
    vm = await Victoria.start();
    server = await startTestServer({
      SK_STORE: 'influx',
      SK_INFLUX_URL: vm.url,
      SK_INFLUX_ORG: 'sk',
      SK_INFLUX_BUCKET: 'telemetry',
      SK_INFLUX_TOKEN: 'test-token',
      SK_INFLUX_BACKLOG_ALERT_ROWS: '10',
    });
  });
  afterEach(async () => {
    client?.end(true);
    try {
      await server?.stop();
    } finally {
      await vm.destroy();
    }
  });

  it('stores every reading the broker acknowledged exactly once, and warns an operator while the backlog is high', async () => {
    const device = await server.provision({ id: 'fridge-1' });
    client = await connectDevice(server.mqttUrl, device.id, device.secret);
    const start = Date.now() - 60_000;
    const acknowledged: number[] = [];
    const publish = async (from: number, to: number) => {
      for (let seq = from; seq <= to; seq++) {
        // Resolves on PUBACK: from here on the reading must never be lost.
        await client!.publishAsync(deviceTopic(device.id, 'telemetry'), reading(seq, { temperatureC: seq / 10 }, start + seq * 100), { qos: 1 });
        acknowledged.push(seq);
      }
    };

    await publish(1, 20);
    await vm.stop();
    await publish(21, 60);
    // Down: acknowledged readings wait in the outbox, and /ready says so without going unready.
    await expect
      .poll(async () => (await server.api.inject({ method: 'GET', url: '/ready' })).json())
      .toMatchObject({ status: 'ready', warnings: [expect.stringMatching(/outbox backlog/)] });
    const metrics = (await server.api.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/sk_influx_write_failures_total\{status="none"\} [1-9]/);

    await vm.resume();
    await publish(61, 80);
    await (server.store as InfluxStore).forwarder.drained();

    const series = await vm.export('{__name__="temperature_seq", device="fridge-1"}');
    expect(series.flatMap((s) => s.values).sort((a, b) => a - b)).toEqual(acknowledged);
    const temperatures = await vm.export('{__name__="temperature_temperatureC", device="fridge-1"}');
    expect(temperatures[0]!.timestamps).toEqual(acknowledged.map((seq) => start + seq * 100));
    expect(temperatures[0]!.metric).toMatchObject({ site: device.siteId, region: '/city/district-a/town-a1/' });
    expect((await server.api.inject({ method: 'GET', url: '/ready' })).json()).toEqual({ status: 'ready' });
  });
});
