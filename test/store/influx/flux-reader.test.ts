import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InfluxTelemetryReader } from '../../../store/influx/reader.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const T0 = Date.UTC(2024, 5, 1, 8, 0, 0);

interface QueryRequest {
  url: string;
  authorization: string | undefined;
  query: string;
}

/** Answers /api/v2/query with the fixture `pick` chooses for the Flux text, and records each request. */
async function fluxServer(pick: (query: string) => string): Promise<{ url: string; server: Server; requests: QueryRequest[] }> {
  const requests: QueryRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const { query } = JSON.parse(body) as { query: string };
      requests.push({ url: req.url!, authorization: req.headers.authorization, query });
      res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8' });
      res.end(fixture(pick(query)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}

describe('InfluxDB reader on recorded annotated-CSV responses', () => {
  let served: Awaited<ReturnType<typeof fluxServer>>;
  let reader: InfluxTelemetryReader;
  let answer: string;

  beforeEach(async () => {
    answer = 'empty.csv';
    served = await fluxServer(() => answer);
    reader = new InfluxTelemetryReader({ url: served.url, org: 'kitchens', bucket: 'telemetry', token: 'tok' });
  });
  afterEach(async () => {
    await new Promise((r) => served.server.close(r));
  });

  it('sends the history query for the device, field and window to the org with the token, and returns its windows', async () => {
    answer = 'history-temperature.csv';
    const result = await reader.history({ deviceId: 'fridge-1', kind: 'temperature', field: 'temperatureC', from: T0, to: T0 + 3_600_000, maxPoints: 4 });
    const [request] = served.requests;
    expect(request!.url).toBe('/api/v2/query?org=kitchens');
    expect(request!.authorization).toBe('Token tok');
    expect(request!.query).toContain('r.device == "fridge-1"');
    expect(request!.query).toContain('r._field == "temperatureC"');
    expect(request!.query).toContain('every: 900000ms');
    expect(result).toEqual({
      bucketMs: 900_000,
      points: [
        { t: T0, min: 3.5, max: 5.25, mean: 4.3, count: 12 },
        { t: T0 + 1_800_000, min: 4, max: 9.75, mean: 6.125, count: 8 },
        { t: T0 + 2_700_000, min: -1.5, max: 2, mean: 0.5, count: 3 },
      ],
    });
  });

  it('rebuilds the newest reading of each device from its last values, dropping fields the newest point did not carry', async () => {
    answer = 'latest-temperature.csv';
    const latest = await reader.latest([
      { id: 'fridge-1', kind: 'temperature' },
      { id: 'fridge-2', kind: 'temperature' },
      { id: 'fridge-3', kind: 'temperature' },
    ]);
    expect(served.requests[0]!.query).toContain('set: ["fridge-1","fridge-2","fridge-3"]');
    expect(latest).toEqual([
      {
        deviceId: 'fridge-1',
        kind: 'temperature',
        ts: Date.parse('2024-06-01T08:59:40.123Z'),
        seq: 8812,
        boot: 'b7x2',
        receivedAt: 1717232380173,
        values: { temperatureC: 6.25, doorOpen: false },
      },
      {
        deviceId: 'fridge-2',
        kind: 'temperature',
        ts: Date.parse('2024-06-01T08:58:00Z'),
        seq: 77,
        boot: 'boot, with comma',
        receivedAt: 1717232280050,
        values: { temperatureC: -18.5, doorOpen: true },
      },
    ]);
  });

  it('counts readings, in all or of one device', async () => {
    answer = 'count.csv';
    expect(await reader.count()).toBe(362);
    expect(await reader.count('fridge-1')).toBe(362);
    expect(served.requests[0]!.query).not.toContain('r.device');
    expect(served.requests[1]!.query).toContain('r.device == "fridge-1"');
  });

  it('answers an empty response with no points, no latest and a zero count', async () => {
    expect((await reader.history({ deviceId: 'fridge-9', kind: 'temperature', field: 'temperatureC', from: T0, to: T0 + 60_000, maxPoints: 10 })).points).toEqual([]);
    expect(await reader.latest([{ id: 'fridge-9', kind: 'temperature' }])).toEqual([]);
    expect(await reader.count('fridge-9')).toBe(0);
  });

  it('refuses a field the kind does not have without asking the server', async () => {
    await expect(reader.history({ deviceId: 'fridge-1', kind: 'temperature', field: 'greaseMm', from: T0, to: T0 + 1, maxPoints: 1 })).rejects.toThrow(RangeError);
    expect(served.requests).toEqual([]);
  });
});
