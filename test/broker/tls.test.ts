import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';
import { connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer | undefined;
let certDir: string | undefined;

afterEach(async () => {
  await server?.stop();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
  server = certDir = undefined;
});

describe('MQTT over TLS', () => {
  it('listens with TLS when a certificate and key are configured, and a device verifying the certificate can publish', async () => {
    certDir = mkdtempSync(join(tmpdir(), 'sk-tls-'));
    const cert = join(certDir, 'server.crt');
    const key = join(certDir, 'server.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    server = await startTestServer({ SK_TLS_CERT_FILE: cert, SK_TLS_KEY_FILE: key, SK_MQTTS_PORT: '0' });
    const port = server.addresses.mqtts?.port;
    expect(port).toBeGreaterThan(0);

    const device = await server.provision();
    const client = await connectDevice(`mqtts://127.0.0.1:${port}`, device.id, device.secret, { ca: readFileSync(cert), rejectUnauthorized: true });
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), reading(1), { qos: 1 });
    await client.endAsync();
    expect(await server.store.telemetry.count(device.id)).toBe(1);

    // A client that does not trust the certificate is refused by TLS itself.
    await expect(connectDevice(`mqtts://127.0.0.1:${port}`, device.id, device.secret, { rejectUnauthorized: true })).rejects.toThrow();
  });
});
