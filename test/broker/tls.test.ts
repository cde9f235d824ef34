import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';
import { rawConnect, type RawConnection } from '../helpers/raw-socket.js';
import { connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer | undefined;
let certDir: string | undefined;
const open: RawConnection[] = [];

afterEach(async () => {
  for (const conn of open.splice(0)) conn.socket.destroy();
  await server?.stop();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
  server = certDir = undefined;
});

/** A self-signed certificate for 127.0.0.1, and a server listening with it on an mqtts port. */
async function startTlsServer(env: Record<string, string> = {}): Promise<{ server: TestServer; cert: string; mqttsUrl: string }> {
  certDir = mkdtempSync(join(tmpdir(), 'sk-tls-'));
  const cert = join(certDir, 'server.crt');
  const key = join(certDir, 'server.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  server = await startTestServer({ SK_TLS_CERT_FILE: cert, SK_TLS_KEY_FILE: key, SK_MQTTS_PORT: '0', ...env });
  return { server, cert, mqttsUrl: `mqtts://127.0.0.1:${server.addresses.mqtts!.port}` };
}

async function closedCount(reason: string): Promise<number> {
  const metric = await server!.metrics.registry.getSingleMetric('sk_mqtt_connections_closed_total')!.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Opens `n` TCP connections to the mqtts port from `localAddress` that never start a TLS handshake. */
async function silentSockets(url: string, n: number, localAddress: string): Promise<RawConnection[]> {
  const conns = await Promise.all(Array.from({ length: n }, () => rawConnect(url, localAddress)));
  open.push(...conns);
  return conns;
}

describe('MQTT over TLS', () => {
  it('listens with TLS when a certificate and key are configured, and a device verifying the certificate can publish', async () => {
    const { server, cert, mqttsUrl } = await startTlsServer();
    const device = await server.provision();
    const client = await connectDevice(mqttsUrl, device.id, device.secret, { ca: readFileSync(cert), rejectUnauthorized: true });
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), reading(1), { qos: 1 });
    await client.endAsync();
    expect(await server.store.telemetry.count(device.id)).toBe(1);

    // A client that does not trust the certificate is refused by TLS itself.
    await expect(connectDevice(mqttsUrl, device.id, device.secret, { rejectUnauthorized: true })).rejects.toThrow();
  });

  it('admits TLS connections at accept, before the handshake: the per-address cap bounds handshakes, and a banned address gets none', async () => {
    const { server, cert, mqttsUrl } = await startTlsServer({ SK_CONNECT_TIMEOUT_MS: '120000', SK_MQTT_MAX_PENDING_PER_ADDRESS: '3' });
    // Five sockets that never send a ClientHello: three wait for their handshake, two are closed at once.
    const conns = await silentSockets(mqttsUrl, 5, '127.0.0.12');
    await Promise.all(conns.slice(3).map((c) => c.closed));
    expect(conns.slice(0, 3).every((c) => !c.socket.destroyed)).toBe(true);
    expect(await closedCount('too_many_pending_from_address')).toBe(2);

    // An address banned for failed logins across many device ids gets no TLS handshake at all.
    for (let i = 0; i < 10; i++) server.broker.admission.failed('127.0.0.13', `fridge-${i}`);
    let handshakeDone = false;
    await new Promise<void>((resolve) => {
      const tcp = netConnect({ host: '127.0.0.1', port: server.addresses.mqtts!.port, localAddress: '127.0.0.13' });
      const socket = tlsConnect({ socket: tcp, ca: readFileSync(cert) }, () => {
        handshakeDone = true;
      });
      // Reset before any server byte: the error is expected, the close ends the attempt.
      socket.once('error', () => undefined);
      socket.once('close', () => resolve());
    });
    expect(handshakeDone).toBe(false);
    expect(await closedCount('address_banned')).toBe(1);
  });

  it('closes a connection whose TLS handshake does not finish within the connect timeout, and it stops counting as pending', async () => {
    const { server, mqttsUrl } = await startTlsServer({ SK_CONNECT_TIMEOUT_MS: '1000' });
    const [silent] = await silentSockets(mqttsUrl, 1, '127.0.0.14');
    await expect.poll(() => server.broker.admission.pendingConnections).toBe(1);
    await silent!.closed;
    expect(silent!.received()).toEqual(Buffer.alloc(0));
    await expect.poll(() => server.broker.admission.pendingConnections).toBe(0);
  });
});
