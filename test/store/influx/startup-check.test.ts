import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkInflux, InfluxStartupError } from '../../../store/influx/index.js';
import { startTestServer } from '../../helpers/server.js';
import { Victoria, victoriaMissing } from '../../helpers/victoria.js';

/** An HTTP server answering like InfluxDB 2.x would for the given situation. */
async function fakeInflux(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

async function failure(promise: Promise<unknown>): Promise<InfluxStartupError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InfluxStartupError);
  return error as InfluxStartupError;
}

describe('InfluxDB startup check', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  const connection = (url: string) => ({ url, org: 'kitchens', bucket: 'telemetry', token: 'tok-SECRET' });

  it('names the URL when nothing listens there', async () => {
    const { url, server } = await fakeInflux(() => undefined);
    await new Promise((r) => server.close(r));
    const error = await failure(checkInflux(connection(url)));
    expect(error.code).toBe('unreachable');
    expect(error.message).toContain(url);
    expect(error.message).toContain('SK_INFLUX_URL');
  });

  it('tells a refused token, a missing org and a missing bucket apart, without showing the token', async () => {
    let situation: 'token' | 'org' | 'bucket' | 'ok' = 'token';
    const { url, server } = await fakeInflux((req, res) => {
      if (req.url === '/health') return json(res, 200, { status: 'pass' });
      expect(req.headers.authorization).toBe('Token tok-SECRET');
      if (situation === 'token') return json(res, 401, { code: 'unauthorized', message: 'unauthorized access' });
      if (situation === 'org') return json(res, 404, { code: 'not found', message: 'organization name "kitchens" not found' });
      const query = new URL(req.url!, url).searchParams;
      return json(res, 200, { buckets: situation === 'ok' && query.get('name') === 'telemetry' ? [{ name: 'telemetry' }] : [] });
    });
    servers.push(server);
    for (const [s, code, mentions] of [
      ['token', 'unauthorized', 'SK_INFLUX_TOKEN'],
      ['org', 'org_not_found', 'SK_INFLUX_ORG'],
      ['bucket', 'bucket_not_found', 'SK_INFLUX_BUCKET'],
    ] as const) {
      situation = s;
      const error = await failure(checkInflux(connection(url)));
      expect(error.code).toBe(code);
      expect(error.message).toContain(mentions);
      expect(error.message).not.toContain('tok-SECRET');
    }
    situation = 'ok';
    await expect(checkInflux(connection(url))).resolves.toBeUndefined();
  });

  it('reports an unhealthy server with its answer', async () => {
    const { url, server } = await fakeInflux((_req, res) => json(res, 503, { status: 'fail', message: 'disk full' }));
    servers.push(server);
    const error = await failure(checkInflux(connection(url)));
    expect(error.code).toBe('unhealthy');
    expect(error.message).toMatch(/503.*disk full/);
  });

  it('refuses to start the server when InfluxDB is unreachable, before anything listens', async () => {
    const { url, server } = await fakeInflux(() => undefined);
    await new Promise((r) => server.close(r));
    const dataDir = mkdtempSync(join(tmpdir(), 'sk-influx-start-'));
    try {
      const start = startTestServer({ SK_STORE: 'influx', SK_INFLUX_URL: url, SK_INFLUX_ORG: 'o', SK_INFLUX_BUCKET: 'b', SK_INFLUX_TOKEN: 't' }, dataDir);
      expect((await failure(start)).code).toBe('unreachable');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe.skipIf(victoriaMissing())('against VictoriaMetrics (no bucket API)', () => {
    it('accepts the server when the bucket takes a probe point', async () => {
      const vm = await Victoria.start();
      try {
        await checkInflux(connection(vm.url));
        const probes = await vm.export('{__name__=~"sk_startup_probe.*"}');
        expect(probes).toHaveLength(1);
      } finally {
        await vm.destroy();
      }
    });
  });
});
