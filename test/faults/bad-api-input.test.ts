import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFigures } from '../helpers/figures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Fault item 13: bad input to the HTTP API, over a real socket (so the URL
 * reaches fastify exactly as sent, traversal dots included). Every answer is a
 * clear 4xx with a JSON `{code, message}` — never a 500, never a stack trace,
 * never a file from outside the dashboard.
 */
let server: TestServer;
let auth: Record<string, string>;
beforeAll(async () => {
  server = await startTestServer({ SK_HTTP_BODY_LIMIT_BYTES: '65536' });
  await server.provision({ id: 'fridge-1' });
  auth = { authorization: `Bearer ${server.adminToken}` };
});
afterAll(async () => {
  await server.stop();
});

interface Answer {
  status: number;
  body: string;
}

/** A raw HTTP request: the path goes out byte for byte (fetch would normalise `..`). */
async function send(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const { request } = await import('node:http');
  const url = new URL(server.httpUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function expectClearClientError(answer: Answer, status?: number): void {
  if (status !== undefined) expect(answer.status).toBe(status);
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  const json = JSON.parse(answer.body) as { code: string; message: string };
  expect(typeof json.code).toBe('string');
  expect(typeof json.message).toBe('string');
  expect(answer.body).not.toMatch(/\bat .*\.(js|ts):\d+/);
  expect(answer.body).not.toMatch(/"stack"/);
}

const CREATE_USER = { id: 'zhang', displayName: '张', role: 'operator', scope: { kind: 'sites', siteIds: ['site-1'] }, password: 'long enough password' };

describe('fault 13: bad API input', () => {
  let tried = 0;
  const check = async (answer: Promise<Answer>, status?: number) => {
    tried++;
    expectClearClientError(await answer, status);
  };

  it('answers an oversized body with 413', async () => {
    await check(send('POST', '/api/v1/users', JSON.stringify({ ...CREATE_USER, displayName: 'x'.repeat(200_000) }), auth), 413);
    await check(send('POST', '/api/v1/auth/login', JSON.stringify({ username: 'a', password: 'b'.repeat(100_000) })), 413);
  });

  it('answers deeply nested JSON, malformed JSON and a wrong content type with 4xx', async () => {
    const deep = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    await check(send('POST', '/api/v1/users', deep, auth), 400);
    await check(send('POST', '/api/v1/users', '{"id": "x",', auth), 400);
    await check(send('POST', '/api/v1/users', 'id=x', { ...auth, 'content-type': 'application/x-www-form-urlencoded' }), 415);
  });

  it('refuses unknown fields and wrong types with 400', async () => {
    await check(send('POST', '/api/v1/users', JSON.stringify({ ...CREATE_USER, isAdmin: true }), auth), 400);
    await check(send('POST', '/api/v1/auth/login', JSON.stringify({ username: 'a', password: 'b', extra: 1 })), 400);
    await check(send('POST', '/api/v1/users', JSON.stringify({ ...CREATE_USER, role: 42 }), auth), 400);
    await check(send('POST', '/api/v1/users', JSON.stringify({ ...CREATE_USER, scope: 'everything' }), auth), 400);
    await check(send('POST', '/api/v1/users', JSON.stringify([CREATE_USER]), auth), 400);
  });

  it('refuses huge and nonsensical page sizes and times with 400', async () => {
    for (const query of ['limit=1000000000', 'limit=-1', 'limit=abc', 'limit=1e309', 'before=0']) {
      await check(send('GET', `/api/v1/quarantine?${query}`, undefined, auth), 400);
    }
    await check(send('GET', '/api/v1/devices/fridge-1/history?field=temperatureC&from=abc&to=1', undefined, auth), 400);
  });

  it('never serves a file outside the dashboard, however the path is spelt', async () => {
    for (const path of ['/../../etc/passwd', '/..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/..%5c..%5cetc%5cpasswd', '/%252e%252e/etc/passwd', '/assets/../../../etc/passwd', '/.env', '/%00']) {
      tried++;
      const answer = await send('GET', path);
      expect(answer.body, path).not.toContain('root:');
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
    }
  });

  it('answers arbitrary JSON bodies to every write route with a 4xx or a success, never a 500 (property-based)', async ({ task }) => {
    const routes = ['/api/v1/users', '/api/v1/devices', '/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/regions', '/api/v1/sites'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.jsonValue(), async (route, value) => {
        tried++;
        const answer = await send('POST', route, JSON.stringify(value), auth);
        expect(answer.status, `${route} ${JSON.stringify(value)}`).toBeLessThan(500);
        if (answer.status >= 400) expectClearClientError(answer);
      }),
      { numRuns: 200, seed: 13 },
    );
    recordFigures(task, { badInputs: tried, faultsInjected: tried });
  });
});
