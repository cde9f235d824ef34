import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../contracts/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Each role against each route family: allowed, 404 (outside the caller's
 * scope, indistinguishable from missing), 403 (the role may not use the route),
 * 401 (no valid token).
 *
 *   city ─ district-a ─ town-a1 ─ site-1 (dev-1)
 *        └ district-b ─ town-b1 ─ site-2 (dev-2)
 */
let server: TestServer;
const headers: Record<string, Record<string, string>> = {};
type Caller = 'admin' | 'supCity' | 'supA' | 'opSite1' | 'anonymous';
const CALLERS: Caller[] = ['admin', 'supCity', 'supA', 'opSite1', 'anonymous'];

beforeAll(async () => {
  server = await startTestServer();
  await server.provision({ id: 'dev-1', siteId: 'site-1' });
  const { registry } = server.store;
  await registry.upsertRegion({ id: 'district-b', name: '西区', level: 'district', parentId: 'city' });
  await registry.upsertRegion({ id: 'town-b1', name: '西一镇', level: 'township', parentId: 'district-b' });
  await registry.upsertSite({ id: 'site-2', name: '西边餐厅', regionId: 'town-b1' });
  await registry.createDevice({ id: 'dev-2', siteId: 'site-2', kind: 'temperature', label: 'x', profile: 'chilled', expectedIntervalS: 30 }, 'secret-dev-2-0123456789', Date.now());
  const users: Record<Exclude<Caller, 'anonymous'>, [Role, Parameters<TestServer['userAs']>[1]]> = {
    admin: ['admin', { kind: 'all' }],
    supCity: ['supervisor', { kind: 'region', regionId: 'city' }],
    supA: ['supervisor', { kind: 'region', regionId: 'district-a' }],
    opSite1: ['operator', { kind: 'sites', siteIds: ['site-1'] }],
  };
  for (const [name, [role, scope]] of Object.entries(users)) headers[name] = (await server.userAs(role, scope, name === 'admin' ? 'chief' : name)).headers;
  headers.anonymous = {};
});
afterAll(async () => {
  await server.stop();
});

type Expect = Record<Caller, number>;
interface Case {
  name: string;
  method?: 'GET' | 'POST' | 'PATCH';
  url: string;
  body?: (caller: Caller) => unknown;
  expect: Expect;
}

const seq = { n: 0 };
const CASES: Case[] = [
  { name: 'site detail, own region', url: '/api/v1/sites/site-1', expect: { admin: 200, supCity: 200, supA: 200, opSite1: 200, anonymous: 401 } },
  { name: 'site detail, other region', url: '/api/v1/sites/site-2', expect: { admin: 200, supCity: 200, supA: 404, opSite1: 404, anonymous: 401 } },
  { name: "other region's devices", url: '/api/v1/sites/site-2/devices', expect: { admin: 200, supCity: 200, supA: 404, opSite1: 404, anonymous: 401 } },
  { name: 'device detail, other region', url: '/api/v1/devices/dev-2', expect: { admin: 200, supCity: 200, supA: 404, opSite1: 404, anonymous: 401 } },
  {
    name: 'history, other region',
    url: '/api/v1/devices/dev-2/history?field=temperatureC&from=0&to=10',
    expect: { admin: 200, supCity: 200, supA: 404, opSite1: 404, anonymous: 401 },
  },
  { name: 'findings, other region', url: '/api/v1/devices/dev-2/findings', expect: { admin: 200, supCity: 200, supA: 404, opSite1: 404, anonymous: 401 } },
  { name: 'quarantine of a device, other region', url: '/api/v1/quarantine?deviceId=dev-2', expect: { admin: 200, supCity: 200, supA: 404, opSite1: 404, anonymous: 401 } },
  { name: 'quarantine list', url: '/api/v1/quarantine', expect: { admin: 200, supCity: 200, supA: 200, opSite1: 200, anonymous: 401 } },
  { name: 'site list', url: '/api/v1/sites', expect: { admin: 200, supCity: 200, supA: 200, opSite1: 200, anonymous: 401 } },
  { name: 'region list', url: '/api/v1/regions', expect: { admin: 200, supCity: 200, supA: 200, opSite1: 200, anonymous: 401 } },
  { name: 'who am I', url: '/api/v1/auth/me', expect: { admin: 200, supCity: 200, supA: 200, opSite1: 200, anonymous: 401 } },
  { name: 'user list', url: '/api/v1/users', expect: { admin: 200, supCity: 403, supA: 403, opSite1: 403, anonymous: 401 } },
  { name: 'user detail', url: '/api/v1/users/supA', expect: { admin: 200, supCity: 403, supA: 403, opSite1: 403, anonymous: 401 } },
  {
    name: 'create user',
    method: 'POST',
    url: '/api/v1/users',
    body: (c) => ({ id: `new-${c}-${++seq.n}`, displayName: 'x', role: 'operator', scope: { kind: 'sites', siteIds: ['site-1'] }, password: 'a long enough password' }),
    expect: { admin: 201, supCity: 403, supA: 403, opSite1: 403, anonymous: 401 },
  },
  { name: 'change user', method: 'PATCH', url: '/api/v1/users/opSite1', body: () => ({ displayName: 'Op' }), expect: { admin: 200, supCity: 403, supA: 403, opSite1: 403, anonymous: 401 } },
  { name: 'audit log', url: '/api/v1/audit', expect: { admin: 200, supCity: 403, supA: 403, opSite1: 403, anonymous: 401 } },
  {
    name: 'create region',
    method: 'POST',
    url: '/api/v1/regions',
    body: () => ({ id: 'town-a2', name: '东二镇', level: 'township', parentId: 'district-a' }),
    expect: { admin: 201, supCity: 403, supA: 403, opSite1: 403, anonymous: 401 },
  },
  {
    name: 'create site',
    method: 'POST',
    url: '/api/v1/sites',
    body: () => ({ id: 'site-9', name: 'x', regionId: 'town-a1' }),
    expect: { admin: 201, supCity: 403, supA: 403, opSite1: 403, anonymous: 401 },
  },
  { name: 'change site', method: 'PATCH', url: '/api/v1/sites/site-1', body: () => ({ name: '餐厅' }), expect: { admin: 200, supCity: 403, supA: 403, opSite1: 403, anonymous: 401 } },
  {
    name: 'register device on own site',
    method: 'POST',
    url: '/api/v1/devices',
    body: (c) => ({ id: `d-${c}-${++seq.n}`, siteId: 'site-1', kind: 'temperature', label: 'x', profile: 'chilled' }),
    expect: { admin: 201, supCity: 403, supA: 403, opSite1: 201, anonymous: 401 },
  },
  {
    name: 'register device on a site of another region',
    method: 'POST',
    url: '/api/v1/devices',
    body: (c) => ({ id: `e-${c}-${++seq.n}`, siteId: 'site-2', kind: 'temperature', label: 'x', profile: 'chilled' }),
    expect: { admin: 201, supCity: 403, supA: 403, opSite1: 404, anonymous: 401 },
  },
  { name: 'rotate secret, other region', method: 'POST', url: '/api/v1/devices/dev-2/secret', expect: { admin: 200, supCity: 403, supA: 403, opSite1: 404, anonymous: 401 } },
  { name: 'rotate secret, own site', method: 'POST', url: '/api/v1/devices/dev-1/secret', expect: { admin: 200, supCity: 403, supA: 403, opSite1: 200, anonymous: 401 } },
  { name: 'public page', url: '/api/v1/public/sites/site-2', expect: { admin: 200, supCity: 200, supA: 200, opSite1: 200, anonymous: 200 } },
];

describe('each role against each route family', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const got: Partial<Expect> = {};
      for (const caller of CALLERS) {
        const res = await server.api.inject({ method: c.method ?? 'GET', url: c.url, headers: headers[caller]!, ...(c.body ? { payload: c.body(caller) as object } : {}) });
        got[caller] = res.statusCode;
        if (res.statusCode >= 400) expect(res.json()).toEqual({ code: expect.any(String), message: expect.any(String) });
      }
      expect(got).toEqual(c.expect);
    });
  }

  it('answers a missing object and one outside the scope with the same body', async () => {
    for (const [url, missing] of [
      ['/api/v1/sites/site-2', '/api/v1/sites/site-nope'],
      ['/api/v1/devices/dev-2', '/api/v1/devices/dev-nope'],
    ] as const) {
      const outside = await server.api.inject({ url, headers: headers.supA! });
      const absent = await server.api.inject({ url: missing, headers: headers.supA! });
      expect([outside.statusCode, outside.json()]).toEqual([absent.statusCode, absent.json()]);
    }
  });

  it('refuses revocation to supervisors and outside an operator’s sites, and allows it on their own', async () => {
    const revoke = (id: string, caller: Caller) => server.api.inject({ method: 'POST', url: `/api/v1/devices/${id}/revoke`, headers: headers[caller]! });
    expect((await revoke('dev-2', 'supCity')).statusCode).toBe(403);
    expect((await revoke('dev-2', 'opSite1')).statusCode).toBe(404);
    expect((await server.store.registry.getDevice('dev-2'))!.revokedAt).toBeNull();
    const own = await revoke('dev-1', 'opSite1');
    expect(own.statusCode).toBe(200);
    expect(own.json().revokedAt).toEqual(expect.any(Number));
    const [entry] = await server.store.audit.list({ action: 'device:revoke', limit: 1 });
    expect(entry).toMatchObject({ actor: 'opSite1', target: 'device:dev-1', outcome: 'ok' });
  });
});
