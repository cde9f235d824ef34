import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../observability/logger.js';
import { startTestServer, type TestServer, type TestUser } from '../helpers/server.js';

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
}

describe('the API access log', () => {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  let server: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    server = await startTestServer({}, undefined, { logger: createLogger('info', {}, sink) });
    user = await server.userAs('admin');
  });
  afterAll(() => server?.stop());

  /** The lines of the one request `send` makes. */
  async function linesOfRequest(send: () => Promise<{ statusCode: number }>): Promise<{ statusCode: number; lines: LogLine[] }> {
    lines.length = 0;
    const res = await send();
    const ofRequests = lines.filter((l) => l.reqId !== undefined);
    expect(new Set(ofRequests.map((l) => l.reqId)).size).toBe(1);
    return { statusCode: res.statusCode, lines: ofRequests };
  }

  it('writes one line per request, with method, url, status and response time', async () => {
    const res = await linesOfRequest(() => server.api.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.headers }));
    expect(res.statusCode).toBe(200);
    const [only, ...more] = res.lines;
    expect(more).toEqual([]);
    expect(only).toMatchObject({ msg: 'request completed', req: { method: 'GET', url: '/api/v1/auth/me' }, res: { statusCode: 200 } });
    expect(only!.responseTime).toBeGreaterThan(0);
    expect(JSON.stringify(only)).not.toContain(user.accessToken);
  });

  it('logs a refused request on its one line with its status', async () => {
    const res = await linesOfRequest(() => server.api.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: 'Bearer not-a-token' } }));
    expect(res.statusCode).toBe(401);
    const completed = res.lines.filter((l) => l.msg === 'request completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ req: { method: 'GET', url: '/api/v1/auth/me' }, res: { statusCode: 401 } });
  });
});
