import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('hardening', () => {
  it('limits API requests and logins per client address with 429 and Retry-After', async () => {
    server = await startTestServer({ SK_RATE_LIMIT_PER_MINUTE: '5', SK_LOGIN_RATE_LIMIT_PER_MINUTE: '2' });
    const auth = { authorization: `Bearer ${server.adminToken}` };
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await server.api.inject({ url: '/api/v1/sites', headers: auth })).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await server.api.inject({ url: '/api/v1/sites', headers: auth });
    expect(limited.json()).toMatchObject({ code: 'rate_limited' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    const login = () => server!.api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'x', password: 'y' }, remoteAddress: '10.1.1.1' });
    expect([(await login()).statusCode, (await login()).statusCode, (await login()).statusCode]).toEqual([401, 401, 429]);
  });

  it('sends security headers, and CORS headers only to allowed origins', async () => {
    server = await startTestServer({ SK_CORS_ORIGINS: 'https://dash.example.org' });
    const res = await server.api.inject({ url: '/health', headers: { origin: 'https://dash.example.org' } });
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBe('https://dash.example.org');
    const other = await server.api.inject({ url: '/health', headers: { origin: 'https://evil.example.com' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect((await server.api.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('describes authentication and which roles may call each route in the OpenAPI document', async () => {
    server = await startTestServer();
    const doc = (await server.api.inject({ url: '/docs/json' })).json();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(doc.paths['/api/v1/auth/login'].post.security).toEqual([]);
    expect(doc.paths['/api/v1/public/sites/{siteId}'].get.security).toEqual([]);
    expect(doc.paths['/api/v1/users'].get.description).toContain('**Roles:** admin.');
    expect(doc.paths['/api/v1/devices'].post.description).toMatch(/admin, operator \(own sites\)/);
    for (const path of ['/api/v1/auth/refresh', '/api/v1/auth/logout', '/api/v1/auth/password', '/api/v1/users/{userId}', '/api/v1/audit', '/api/v1/devices/{deviceId}/revoke']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });

  it('lets admins query the audit log by actor and action', async () => {
    server = await startTestServer();
    await server.provision();
    const admin = await server.userAs('admin');
    await server.api.inject({ method: 'POST', url: '/api/v1/users', headers: admin.headers, payload: { id: 'zhang', displayName: '张', role: 'operator', scope: { kind: 'sites', siteIds: ['site-1'] }, password: 'long enough password' } });
    await server.api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'zhang', password: 'wrong password' } });
    const byAdmin = (await server.api.inject({ url: `/api/v1/audit?actor=${admin.id}`, headers: admin.headers })).json();
    expect(byAdmin.map((e: { action: string }) => e.action)).toEqual(['user:create', 'auth:login']);
    expect(byAdmin[0]).toMatchObject({ target: 'user:zhang', detail: { role: 'operator' }, ip: '127.0.0.1' });
    expect(JSON.stringify(byAdmin)).not.toContain('long enough password');
    const failures = (await server.api.inject({ url: '/api/v1/audit?action=auth:login', headers: admin.headers })).json();
    expect(failures[0]).toMatchObject({ actor: 'anonymous', outcome: 'failed', detail: { username: 'zhang', reason: 'wrong_password' } });
  });
});
