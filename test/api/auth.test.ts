import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server.js';

let server: TestServer;
let now = Date.UTC(2026, 0, 5, 9, 0, 0);
const clock = () => now;

afterEach(async () => {
  await server?.stop();
});

async function start(env: Record<string, string> = {}) {
  now = Date.UTC(2026, 0, 5, 9, 0, 0);
  server = await startTestServer(env, undefined, { clock });
  await server.provision();
}

const me = (token: string) => server.api.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
const login = (username: string, password: string) => server.api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
const refresh = (refreshToken: string) => server.api.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('login, refresh, logout', () => {
  it('logs in with the right password and answers a wrong password and an unknown name alike', async () => {
    await start();
    await server.createUser({ id: 'li.wei', role: 'supervisor', scope: { kind: 'region', regionId: 'district-a' } });
    const ok = await login('li.wei', TEST_PASSWORD);
    expect(ok.statusCode).toBe(200);
    const body = ok.json();
    expect(body).toMatchObject({ tokenType: 'Bearer', user: { id: 'li.wei', role: 'supervisor', scope: { kind: 'region', regionId: 'district-a' } } });
    expect(body.accessTokenExpiresAt).toBe(now + 15 * 60_000);
    expect(body.accessTokenExpiresInMs).toBe(15 * 60_000);
    expect(JSON.stringify(body)).not.toContain('scrypt');
    expect((await me(body.accessToken)).json()).toMatchObject({ id: 'li.wei' });

    const wrong = await login('li.wei', 'not the password');
    const unknown = await login('nobody', 'not the password');
    expect([wrong.statusCode, unknown.statusCode]).toEqual([401, 401]);
    expect(wrong.json()).toEqual(unknown.json());

    const audit = await server.store.audit.list({ action: 'auth:login', limit: 10 });
    expect(audit.map((e) => [e.actor, e.outcome, e.detail.reason ?? null])).toEqual([
      ['anonymous', 'failed', 'unknown_user'],
      ['anonymous', 'failed', 'wrong_password'],
      ['li.wei', 'ok', null],
    ]);
  });

  it('rotates the refresh token on every use; a reused one ends the whole session', async () => {
    await start();
    const user = await server.userAs('operator', { kind: 'sites', siteIds: ['site-1'] });
    const first = await refresh(user.refreshToken);
    expect(first.statusCode).toBe(200);
    const next = first.json();
    expect(next.refreshToken).not.toBe(user.refreshToken);
    expect((await me(next.accessToken)).statusCode).toBe(200);

    // The old token again: a copy exists somewhere. Everything of this session stops working.
    expect((await refresh(user.refreshToken)).json()).toMatchObject({ code: 'invalid_refresh_token' });
    expect((await refresh(next.refreshToken)).statusCode).toBe(401);
    expect((await me(next.accessToken)).statusCode).toBe(401);
    expect((await me(user.accessToken)).statusCode).toBe(401);
    expect(await server.store.audit.list({ action: 'auth:refresh-reuse', limit: 5 })).toHaveLength(1);
  });

  it('logout ends the session: access and refresh tokens stop working, other sessions do not', async () => {
    await start();
    const user = await server.userAs('admin');
    const other = await server.login(user.id);
    const out = await server.api.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: user.headers });
    expect(out.statusCode).toBe(204);
    expect((await me(user.accessToken)).statusCode).toBe(401);
    expect((await refresh(user.refreshToken)).statusCode).toBe(401);
    expect((await me(other.accessToken)).statusCode).toBe(200);
  });

  it('a password change keeps this session, ends the others, and only the new password logs in', async () => {
    await start();
    const user = await server.userAs('operator', { kind: 'sites', siteIds: ['site-1'] });
    const other = await server.login(user.id);
    const change = (currentPassword: string) =>
      server.api.inject({ method: 'POST', url: '/api/v1/auth/password', headers: user.headers, payload: { currentPassword, newPassword: 'a new long passphrase' } });
    expect((await change('wrong password')).json()).toMatchObject({ code: 'wrong_password' });
    expect((await change(TEST_PASSWORD)).statusCode).toBe(204);
    expect((await me(user.accessToken)).statusCode).toBe(200);
    expect((await me(other.accessToken)).statusCode).toBe(401);
    expect((await refresh(other.refreshToken)).statusCode).toBe(401);
    expect((await login(user.id, TEST_PASSWORD)).statusCode).toBe(401);
    expect((await login(user.id, 'a new long passphrase')).statusCode).toBe(200);
  });

  it('a disabled user cannot log in and their tokens stop working at once', async () => {
    await start();
    const admin = await server.userAs('admin');
    const user = await server.userAs('supervisor', { kind: 'region', regionId: 'city' });
    const disable = await server.api.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: admin.headers, payload: { disabled: true } });
    expect(disable.json()).toMatchObject({ disabledAt: now });
    expect((await me(user.accessToken)).statusCode).toBe(401);
    expect((await refresh(user.refreshToken)).statusCode).toBe(401);
    expect((await login(user.id, TEST_PASSWORD)).statusCode).toBe(401);
  });
});

describe('tokens that must be refused', () => {
  it('refuses an expired access token, while its refresh token still renews it', async () => {
    await start();
    const user = await server.userAs('admin');
    now += 15 * 60_000 - 1_000;
    expect((await me(user.accessToken)).statusCode).toBe(200);
    now += 1_000;
    const expired = await me(user.accessToken);
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ code: 'token_expired' });
    const renewed = await refresh(user.refreshToken);
    expect((await me(renewed.json().accessToken)).statusCode).toBe(200);
    // A refresh token lasts 12 hours.
    now += 12 * 3_600_000;
    expect((await refresh(renewed.json().refreshToken)).statusCode).toBe(401);
  });

  it('refuses tampered claims, alg none, a foreign key, another audience and garbage', async () => {
    await start();
    await server.createUser({ id: 'boss', role: 'admin' });
    const user = await server.userAs('operator', { kind: 'sites', siteIds: [] });
    const [header, payload, signature] = user.accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const boss = await server.login('boss');
    const bossSid = JSON.parse(Buffer.from(boss.accessToken.split('.')[1]!, 'base64url').toString()).sid;

    const candidates: Record<string, string> = {
      // The operator's signature on claims that name the admin and her session.
      tamperedSubject: `${header}.${b64({ ...claims, sub: 'boss', sid: bossSid })}.${signature}`,
      algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, sub: 'boss', sid: bossSid })}.`,
      algNoneUnsigned: `${b64({ alg: 'none' })}.${payload}.`,
      foreignKey: await new SignJWT({ sid: bossSid })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('sunshine-kitchen')
        .setAudience('sunshine-kitchen-api')
        .setSubject('boss')
        .setIssuedAt(Math.floor(now / 1000))
        .setExpirationTime(Math.floor(now / 1000) + 600)
        .sign(new Uint8Array(32).fill(7)),
      truncated: user.accessToken.slice(0, -3),
      garbage: 'not-a-token-at-all',
    };
    for (const [name, token] of Object.entries(candidates)) {
      const res = await me(token);
      expect({ name, status: res.statusCode }).toEqual({ name, status: 401 });
    }
    expect((await me(user.accessToken)).json()).toMatchObject({ id: user.id });
  });

  it('keeps the configured break-glass admin token working as an admin', async () => {
    await start();
    const res = await server.api.inject({ url: '/api/v1/users', headers: { authorization: `Bearer ${server.adminToken}` } });
    expect(res.statusCode).toBe(200);
    expect((await server.api.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${server.adminToken}` } })).json()).toMatchObject({
      code: 'no_session',
    });
  });
});

describe('slowing down password guessing', () => {
  it('locks a name after 5 failures, doubling the wait, and refuses even the right password while locked', async () => {
    await start();
    await server.createUser({ id: 'chef', role: 'operator', scope: { kind: 'sites', siteIds: ['site-1'] } });
    for (let i = 0; i < 5; i++) expect((await login('chef', `guess ${i}`)).statusCode).toBe(401);
    // The 6th failure locks for a minute.
    expect((await login('chef', 'guess 5')).statusCode).toBe(401);
    const locked = await login('chef', TEST_PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('60');
    now += 60_000;
    // One more failure: two minutes.
    expect((await login('chef', 'guess 6')).statusCode).toBe(401);
    now += 119_000;
    expect((await login('chef', TEST_PASSWORD)).statusCode).toBe(429);
    now += 1_000;
    expect((await login('chef', TEST_PASSWORD)).statusCode).toBe(200);
    // Success reset the count.
    expect((await login('chef', 'guess 7')).statusCode).toBe(401);
    expect((await login('chef', TEST_PASSWORD)).statusCode).toBe(200);
  });

  it('locks an unknown name exactly like a real one, so locks reveal nothing', async () => {
    await start();
    await server.createUser({ id: 'real', role: 'admin' });
    for (let i = 0; i < 6; i++) {
      const a = await login('real', `guess ${i}`);
      const b = await login('ghost', `guess ${i}`);
      expect([a.statusCode, a.json()]).toEqual([b.statusCode, b.json()]);
    }
    const a = await login('real', 'again');
    const b = await login('ghost', 'again');
    expect([a.statusCode, b.statusCode]).toEqual([429, 429]);
    expect(a.json()).toEqual(b.json());
  });

  it('locks an address that fails across many names', async () => {
    await start();
    for (let i = 0; i < 30; i++) expect((await login(`user-${i}`, 'x')).statusCode).toBe(401);
    expect((await login('someone-else', 'x')).statusCode).toBe(429);
    now += 15 * 60_000;
    expect((await login('someone-else', 'x')).statusCode).toBe(401);
  });
});
