import { describe, expect, type TestContext } from 'vitest';
import { AccountError, type AccountErrorCode, type Store } from '../../store/index.js';
import { expectRegistryError, ids, newDevice, seedTree, T0 } from './store-contract.js';

/**
 * The store contract for accounts, sessions, the audit log and scoped queries:
 * part of the suite every adapter passes (called from store-contract.ts).
 */
export function describeAccessContract(current: () => Store, test: (title: string, fn: (ctx: TestContext) => Promise<void>) => void): void {
  const hash = 'scrypt$ln=10,r=8,p=1$c2FsdA==$a2V5';
  const newUser = (id: string, role: 'admin' | 'supervisor' | 'operator', scope: Parameters<Store['accounts']['createUser']>[0]['scope']) => ({
    id,
    displayName: id,
    role,
    scope,
    passwordHash: hash,
    at: T0,
  });
  const expectAccountError = async (promise: Promise<unknown>, code: AccountErrorCode) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, `expected AccountError ${code}`).toBeInstanceOf(AccountError);
    expect((error as AccountError).code).toBe(code);
  };

  describe('scoped registry queries', () => {
    test('listSites and listDevices with a scope return exactly what the scope covers', async () => {
      const store = current();
      await seedTree(store.registry);
      await store.registry.createDevice(newDevice('d-ft', 'site-ft'), 's', T0);
      await store.registry.createDevice(newDevice('d-xm', 'site-xm'), 's', T0);
      await store.registry.createDevice(newDevice('d-ns', 'site-ns'), 's', T0);
      await store.registry.createDevice(newDevice('d-1x', 'site-1x'), 's', T0);
      const sites = async (scope: Parameters<Store['registry']['listSites']>[0]) => ids(await store.registry.listSites(scope));
      expect(await sites({ scope: { kind: 'region', regionPath: '/sz/sz-ft/' } })).toEqual(['site-ft', 'site-xm']);
      // A prefix neighbour (`/sz1/` vs `/sz1x/`) is not inside.
      expect(await sites({ scope: { kind: 'region', regionPath: '/sz1/' } })).toEqual(['site-1']);
      expect(await sites({ scope: { kind: 'sites', siteIds: ['site-ns', 'site-1x', 'ghost'] } })).toEqual(['site-1x', 'site-ns']);
      expect(await sites({ scope: { kind: 'sites', siteIds: [] } })).toEqual([]);
      expect(await sites({ scope: { kind: 'all' } })).toHaveLength(6);
      // A region filter inside a scope narrows it; outside it finds nothing.
      expect(await sites({ regionId: 'sz-ft-xm', scope: { kind: 'region', regionPath: '/sz/sz-ft/' } })).toEqual(['site-xm']);
      expect(await sites({ regionId: 'sz-ns', scope: { kind: 'region', regionPath: '/sz/sz-ft/' } })).toEqual([]);

      expect(ids(await store.registry.listDevices({ scope: { kind: 'region', regionPath: '/sz/sz-ft/' } }))).toEqual(['d-ft', 'd-xm']);
      expect(ids(await store.registry.listDevices({ scope: { kind: 'sites', siteIds: ['site-1x'] } }))).toEqual(['d-1x']);
      expect(ids(await store.registry.listDevices({ siteId: 'site-ns', scope: { kind: 'sites', siteIds: ['site-1x'] } }))).toEqual([]);
      // A site moved out of a region leaves that region's scope with its devices.
      await store.registry.upsertSite({ id: 'site-xm', name: 'moved', regionId: 'sz-ns' });
      expect(ids(await store.registry.listDevices({ scope: { kind: 'region', regionPath: '/sz/sz-ft/' } }))).toEqual(['d-ft']);
    });

    test('quarantine lists only entries of devices in scope; entries of unknown devices only without a limit', async () => {
      const store = current();
      await seedTree(store.registry);
      await store.registry.createDevice(newDevice('d-ft', 'site-ft'), 's', T0);
      await store.registry.createDevice(newDevice('d-ns', 'site-ns'), 's', T0);
      const entry = (deviceId: string | null) => ({ deviceId, channel: 'telemetry' as const, reason: 'not_json' as const, detail: 'x', payload: Buffer.from('x'), receivedAt: T0 });
      await store.ingestSink.writeBatch([{ readings: [], findings: [], quarantine: [entry('d-ft'), entry('d-ns'), entry(null), entry('ghost')] }]);
      const devices = async (scope: Parameters<Store['quarantine']['list']>[0]['scope']) => (await store.quarantine.list({ limit: 10, scope })).map((e) => e.deviceId);
      expect(await devices({ kind: 'region', regionPath: '/sz/sz-ft/' })).toEqual(['d-ft']);
      expect(await devices({ kind: 'sites', siteIds: ['site-ns'] })).toEqual(['d-ns']);
      expect(await devices({ kind: 'sites', siteIds: [] })).toEqual([]);
      expect(await devices({ kind: 'all' })).toHaveLength(4);
    });
  });

  describe('device secrets over time', () => {
    test('a rotated secret replaces the old one at once; a revoked device stays revoked after rotation', async () => {
      const store = current();
      await seedTree(store.registry);
      await store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'old-secret', T0);
      await store.registry.rotateDeviceSecret('fridge-1', 'new-secret', T0 + 1);
      expect(await store.registry.authenticateDevice('fridge-1', 'old-secret')).toBe('denied');
      expect(await store.registry.authenticateDevice('fridge-1', 'new-secret')).toBe('ok');
      await store.registry.revokeDevice('fridge-1', T0 + 2);
      await store.registry.rotateDeviceSecret('fridge-1', 'newer-secret', T0 + 3);
      expect(await store.registry.authenticateDevice('fridge-1', 'newer-secret')).toBe('revoked');
      await expectRegistryError(store.registry.rotateDeviceSecret('ghost', 'x', T0), 'device_not_found');
    });

    test("a deactivated site's devices are refused (to the holder of the secret only) until it is active again", async () => {
      const store = current();
      await seedTree(store.registry);
      await store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'secret', T0);
      await store.registry.upsertSite({ id: 'site-ft', name: 'x', regionId: 'sz-ft', active: false });
      expect(await store.registry.authenticateDevice('fridge-1', 'secret')).toBe('site_inactive');
      expect(await store.registry.authenticateDevice('fridge-1', 'wrong')).toBe('denied');
      await store.registry.upsertSite({ id: 'site-ft', name: 'x', regionId: 'sz-ft', active: true });
      expect(await store.registry.authenticateDevice('fridge-1', 'secret')).toBe('ok');
    });
  });

  describe('users', () => {
    test('stores each role with its kind of scope and refuses scopes that do not fit or do not exist', async () => {
      const store = current();
      await seedTree(store.registry);
      const admin = await store.accounts.createUser(newUser('root', 'admin', { kind: 'all' }));
      expect(admin).toEqual({ id: 'root', displayName: 'root', role: 'admin', scope: { kind: 'all' }, createdAt: T0, disabledAt: null, passwordChangedAt: T0 });
      await store.accounts.createUser(newUser('sup', 'supervisor', { kind: 'region', regionId: 'sz-ft' }));
      await store.accounts.createUser(newUser('op', 'operator', { kind: 'sites', siteIds: ['site-ns', 'site-ft'] }));
      expect((await store.accounts.getUser('sup'))!.scope).toEqual({ kind: 'region', regionId: 'sz-ft' });
      expect((await store.accounts.getUser('op'))!.scope).toEqual({ kind: 'sites', siteIds: ['site-ft', 'site-ns'] });
      expect(await store.accounts.passwordHash('op')).toBe(hash);

      await expectAccountError(store.accounts.createUser(newUser('root', 'admin', { kind: 'all' })), 'user_exists');
      await expectAccountError(store.accounts.createUser(newUser('x1', 'supervisor', { kind: 'all' })), 'scope_mismatch');
      await expectAccountError(store.accounts.createUser(newUser('x2', 'admin', { kind: 'sites', siteIds: [] })), 'scope_mismatch');
      await expectAccountError(store.accounts.createUser(newUser('x3', 'supervisor', { kind: 'region', regionId: 'nowhere' })), 'scope_not_found');
      await expectAccountError(store.accounts.createUser(newUser('x4', 'operator', { kind: 'sites', siteIds: ['site-ft', 'ghost'] })), 'scope_not_found');
      expect(ids(await store.accounts.listUsers())).toEqual(['op', 'root', 'sup']);
      for (const user of await store.accounts.listUsers()) expect(JSON.stringify(user)).not.toContain(hash);
    });

    test('updates access, name and disabled state; refuses an unknown user', async () => {
      const store = current();
      await seedTree(store.registry);
      await store.accounts.createUser(newUser('op', 'operator', { kind: 'sites', siteIds: ['site-ft'] }));
      const promoted = await store.accounts.updateUser('op', { access: { role: 'supervisor', scope: { kind: 'region', regionId: 'sz' } }, displayName: 'Li' }, T0 + 1);
      expect(promoted).toMatchObject({ role: 'supervisor', scope: { kind: 'region', regionId: 'sz' }, displayName: 'Li' });
      expect(await store.accounts.updateUser('op', { disabled: true }, T0 + 2)).toMatchObject({ disabledAt: T0 + 2 });
      expect(await store.accounts.updateUser('op', { disabled: false }, T0 + 3)).toMatchObject({ disabledAt: null });
      await expectAccountError(store.accounts.updateUser('op', { access: { role: 'operator', scope: { kind: 'region', regionId: 'sz' } } }, T0), 'scope_mismatch');
      await expectAccountError(store.accounts.updateUser('ghost', { displayName: 'x' }, T0), 'user_not_found');
      await store.accounts.setPassword('op', 'scrypt$other', T0 + 4);
      expect(await store.accounts.getUser('op')).toMatchObject({ passwordChangedAt: T0 + 4 });
    });
  });

  describe('sessions and refresh tokens', () => {
    const digest = (n: number) => Buffer.alloc(32, n);

    test('a refresh token works once; presenting it again ends the session', async () => {
      const store = current();
      await seedTree(store.registry);
      await store.accounts.createUser(newUser('op', 'operator', { kind: 'sites', siteIds: [] }));
      await store.accounts.createSession({ id: 's1', userId: 'op', createdAt: T0, expiresAt: T0 + 10_000 }, { hash: digest(1), expiresAt: T0 + 1_000 });
      const first = await store.accounts.rotateRefreshToken(digest(1), { hash: digest(2), expiresAt: T0 + 2_000 }, T0 + 500);
      expect(first).toMatchObject({ status: 'ok', session: { id: 's1', userId: 'op' } });
      expect(await store.accounts.rotateRefreshToken(digest(9), { hash: digest(3), expiresAt: T0 + 2_000 }, T0 + 600)).toEqual({ status: 'unknown' });
      // The used token again: someone has a copy. The session ends, the newer token dies with it.
      expect(await store.accounts.rotateRefreshToken(digest(1), { hash: digest(3), expiresAt: T0 + 2_000 }, T0 + 700)).toMatchObject({ status: 'reused' });
      expect(await store.accounts.getSession('s1')).toMatchObject({ revokedAt: T0 + 700, revokedReason: 'refresh_reuse' });
      expect(await store.accounts.rotateRefreshToken(digest(2), { hash: digest(4), expiresAt: T0 + 2_000 }, T0 + 800)).toEqual({ status: 'revoked' });
    });

    test('tokens expire, never outliving their session; revoking ends one session or all but one', async () => {
      const store = current();
      await seedTree(store.registry);
      await store.accounts.createUser(newUser('op', 'operator', { kind: 'sites', siteIds: [] }));
      await store.accounts.createSession({ id: 's1', userId: 'op', createdAt: T0, expiresAt: T0 + 1_000 }, { hash: digest(1), expiresAt: T0 + 5_000 });
      // The refresh token was capped at the session's end.
      expect(await store.accounts.rotateRefreshToken(digest(1), { hash: digest(2), expiresAt: T0 + 9_000 }, T0 + 1_000)).toEqual({ status: 'expired' });
      await store.accounts.createSession({ id: 's2', userId: 'op', createdAt: T0, expiresAt: T0 + 10_000 }, { hash: digest(3), expiresAt: T0 + 5_000 });
      await store.accounts.createSession({ id: 's3', userId: 'op', createdAt: T0, expiresAt: T0 + 10_000 }, { hash: digest(4), expiresAt: T0 + 5_000 });
      expect(await store.accounts.revokeSession('s2', T0 + 1, 'logout')).toBe(true);
      expect(await store.accounts.revokeSession('s2', T0 + 2, 'logout')).toBe(false);
      expect((await store.accounts.revokeUserSessions('op', T0 + 3, 'password_change', 's3')).sort()).toEqual(['s1']);
      expect(await store.accounts.getSession('s3')).toMatchObject({ revokedAt: null });
      expect(await store.accounts.revokeUserSessions('op', T0 + 4, 'user_disabled')).toEqual(['s3']);
      expect(await store.accounts.getSession('nope')).toBeUndefined();
    });
  });

  describe('audit log', () => {
    test('lists entries newest first, filtered by actor, action and time, paged with before', async () => {
      const store = current();
      const actions = ['auth:login', 'device:revoke', 'auth:login', 'site:move', 'auth:login'];
      for (const [i, action] of actions.entries()) {
        await store.audit.record({ at: T0 + i * 1000, actor: i % 2 ? 'li' : 'wang', action, target: `t:${i}`, outcome: i === 4 ? 'failed' : 'ok', ip: '10.0.0.1', detail: { n: i } });
      }
      const all = await store.audit.list({ limit: 10 });
      expect(all.map((e) => e.detail.n)).toEqual([4, 3, 2, 1, 0]);
      expect(all[0]).toMatchObject({ actor: 'wang', action: 'auth:login', target: 't:4', outcome: 'failed', ip: '10.0.0.1', at: T0 + 4000 });
      expect((await store.audit.list({ actor: 'li', limit: 10 })).map((e) => e.detail.n)).toEqual([3, 1]);
      expect((await store.audit.list({ action: 'auth:login', limit: 10 })).map((e) => e.detail.n)).toEqual([4, 2, 0]);
      expect((await store.audit.list({ from: T0 + 1000, to: T0 + 3000, limit: 10 })).map((e) => e.detail.n)).toEqual([2, 1]);
      const page = await store.audit.list({ limit: 2 });
      expect((await store.audit.list({ limit: 2, before: page[1]!.id })).map((e) => e.detail.n)).toEqual([2, 1]);
    });
  });
}
