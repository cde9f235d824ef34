import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';
import { remainingLength } from '../helpers/mqtt-bytes.js';
import { connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
afterEach(async () => {
  await server.stop();
});

function rawSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));

describe('broker limits', () => {
  it('closes a connection whose packet declares more than the size limit, as soon as the header is read', async () => {
    server = await startTestServer({ SK_MAX_PACKET_BYTES: '4096' });
    const device = await server.provision();
    const healthy = await connectDevice(server.mqttUrl, device.id, device.secret);
    const socket = await rawSocket(server.mqttUrl);
    socket.on('error', () => undefined);
    // A PUBLISH header declaring 200 MiB, with no body at all: the guard must not wait for it.
    socket.write(Buffer.from([0x30, ...remainingLength(200 * 1024 * 1024)]));
    await closed(socket);
    const metric = await server.metrics.registry.getSingleMetric('sk_mqtt_connections_closed_total')!.get();
    expect(metric.values.find((v) => v.labels.reason === 'packet_too_large')?.value).toBe(1);
    // Other devices are unaffected.
    await healthy.publishAsync(deviceTopic(device.id, 'telemetry'), reading(1), { qos: 1 });
    await healthy.endAsync();
    expect(await server.store.telemetry.count(device.id)).toBe(1);
  });

  it('closes a socket that never sends CONNECT once the connect timeout passes', async () => {
    server = await startTestServer({ SK_CONNECT_TIMEOUT_MS: '500' });
    const socket = await rawSocket(server.mqttUrl);
    await closed(socket);
    expect(socket.destroyed).toBe(true);
  });

  it('refuses keepalive 0 and keepalives above the limit', async () => {
    server = await startTestServer({ SK_MAX_KEEPALIVE_S: '120' });
    const device = await server.provision();
    await expect(connectDevice(server.mqttUrl, device.id, device.secret, { keepalive: 0 })).rejects.toMatchObject({ code: 5 });
    await expect(connectDevice(server.mqttUrl, device.id, device.secret, { keepalive: 600 })).rejects.toMatchObject({ code: 5 });
    const ok = await connectDevice(server.mqttUrl, device.id, device.secret, { keepalive: 60 });
    await ok.endAsync();
  });
});
