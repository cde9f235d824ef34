import { afterEach, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import { z } from 'zod';
import { deviceSchema, FIELDS_BY_KIND, type DeviceKind, type FieldValues } from '../../contracts/index.js';
import {
  RegistryError,
  type FindingRecord,
  type IngestWrite,
  type NewDevice,
  type QuarantineEntry,
  type RegistryErrorCode,
  type RegistryStore,
  type SiteScope,
  type Store,
  type TelemetryRecord,
} from '../../store/index.js';
import { describeAccessContract } from './access-contract.js';

/**
 * The abstract store contract: every adapter (SQLite today, InfluxDB later) must
 * pass it. It talks to the adapter through the interfaces in store/index.ts only.
 */
export interface StoreHandle {
  store: Store;
  /** Closes the store and opens the same data again (persistence check); absent for memory-only adapters. */
  reopen?: () => Promise<Store>;
  /** Closes whatever store is current and removes its data. */
  cleanup: () => Promise<void>;
  /** Runs the adapter's background upkeep now (SQLite: the hourly rollup job); absent when it has none. */
  maintain?: () => Promise<void>;
}

export interface StoreContractOptions {
  /**
   * Known adapter bugs: test title → description. Those tests run as `it.fails`,
   * so the suite stays green while the bug is visible; fix the bug and remove the entry.
   */
  knownBugs?: Readonly<Record<string, string>>;
}

export const T0 = Date.UTC(2024, 5, 1, 8, 0, 0);

/** A small seeded PRNG (mulberry32): generated readings are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const reading = (
  deviceId: string,
  ts: number,
  seq: number,
  values: FieldValues,
  opts: { kind?: DeviceKind; boot?: string; receivedAt?: number } = {},
): TelemetryRecord => ({
  deviceId,
  kind: opts.kind ?? 'temperature',
  ts,
  seq,
  boot: opts.boot ?? 'boot-1',
  receivedAt: opts.receivedAt ?? ts + 50,
  values,
});

const finding = (deviceId: string, seq: number, extra: Partial<FindingRecord> = {}): FindingRecord => ({
  deviceId,
  ts: T0 + seq * 1000,
  seq,
  boot: 'cam-boot',
  type: 'rodent',
  confidence: 0.87,
  receivedAt: T0 + seq * 1000 + 20,
  ...extra,
});

const quarantined = (deviceId: string | null, payload: Buffer, receivedAt: number): QuarantineEntry => ({
  deviceId,
  channel: 'telemetry',
  reason: 'invalid_payload',
  detail: 'temperatureC: Too big',
  payload,
  receivedAt,
});

const write = (parts: Partial<IngestWrite>): IngestWrite => ({ readings: [], findings: [], quarantine: [], ...parts });

export const newDevice = (id: string, siteId: string, kind: DeviceKind = 'temperature'): NewDevice => ({
  id,
  siteId,
  kind,
  label: `device ${id}`,
  profile: kind === 'temperature' ? 'chilled' : kind,
  expectedIntervalS: 30,
});

/** One value per catalogue field, inside its range: what a full reading of that kind carries. */
function fullValues(kind: DeviceKind): FieldValues {
  const values: FieldValues = {};
  for (const [name, spec] of Object.entries(FIELDS_BY_KIND[kind])) {
    if (spec.type === 'boolean') values[name] = true;
    else {
      const mid = ((spec.min ?? 0) + (spec.max ?? 100)) / 2;
      values[name] = spec.integer ? Math.round(mid) : mid + 0.25;
    }
  }
  return values;
}

export async function expectRegistryError(promise: Promise<unknown>, code: RegistryErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected RegistryError ${code}`).toBeInstanceOf(RegistryError);
  expect((error as RegistryError).code).toBe(code);
}

/**
 * A region tree used by most tests:
 *   sz (city) ─ sz-ft (district) ─ sz-ft-xm (township)
 *            └ sz-ns (district)
 *   sz1 (city, whose id is a prefix-neighbour of sz1x) and sz1x (city)
 * with one site per region.
 */
export async function seedTree(registry: RegistryStore): Promise<void> {
  await registry.upsertRegion({ id: 'sz', name: 'Shenzhen', level: 'city', parentId: null });
  await registry.upsertRegion({ id: 'sz-ft', name: 'Futian', level: 'district', parentId: 'sz' });
  await registry.upsertRegion({ id: 'sz-ft-xm', name: 'Xiangmihu', level: 'township', parentId: 'sz-ft' });
  await registry.upsertRegion({ id: 'sz-ns', name: 'Nanshan', level: 'district', parentId: 'sz' });
  await registry.upsertRegion({ id: 'sz1', name: 'City one', level: 'city', parentId: null });
  await registry.upsertRegion({ id: 'sz1x', name: 'City one x', level: 'city', parentId: null });
  for (const [site, region] of [
    ['site-sz', 'sz'],
    ['site-ft', 'sz-ft'],
    ['site-xm', 'sz-ft-xm'],
    ['site-ns', 'sz-ns'],
    ['site-1', 'sz1'],
    ['site-1x', 'sz1x'],
  ] as const) {
    await registry.upsertSite({ id: site, name: `Kitchen ${site}`, regionId: region });
  }
}

export const ids = (items: { id: string }[]) => items.map((i) => i.id).sort();

export function describeStoreContract(
  name: string,
  open: () => Promise<StoreHandle>,
  options: StoreContractOptions = {},
): void {
  describe(`store contract: ${name}`, () => {
    let handle: StoreHandle;
    let store: Store;

    beforeEach(async () => {
      handle = await open();
      store = handle.store;
    });
    afterEach(async () => {
      await handle.cleanup();
    });

    const test = (title: string, fn: (ctx: TestContext) => Promise<void>) => {
      if (options.knownBugs?.[title]) it.fails(title, fn);
      else it(title, fn);
    };

    /** A site with devices `fridge-1`, `fridge-2` (temperature), `trap-1` (oil separator) and `cam-1` (camera). */
    const seedDevices = async () => {
      await seedTree(store.registry);
      await store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'secret-fridge-1', T0);
      await store.registry.createDevice(newDevice('fridge-2', 'site-ft'), 'secret-fridge-2', T0);
      await store.registry.createDevice(newDevice('trap-1', 'site-ns', 'oil_separator'), 'secret-trap-1', T0);
      await store.registry.createDevice(newDevice('cam-1', 'site-xm', 'camera'), 'secret-cam-1', T0);
    };

    describe('region tree', () => {
      test('builds city → district → township with documented paths that nest by prefix', async () => {
        await seedTree(store.registry);
        const city = await store.registry.getRegion('sz');
        const district = await store.registry.getRegion('sz-ft');
        const township = await store.registry.getRegion('sz-ft-xm');
        expect(city).toMatchObject({ level: 'city', parentId: null, path: '/sz/' });
        expect(district).toMatchObject({ level: 'district', parentId: 'sz', path: '/sz/sz-ft/' });
        expect(township).toMatchObject({ level: 'township', parentId: 'sz-ft', path: '/sz/sz-ft/sz-ft-xm/' });
        expect(township!.path.startsWith(district!.path)).toBe(true);
        expect(district!.path.startsWith(city!.path)).toBe(true);
        // A city whose id starts with another city's id is not inside it.
        const one = await store.registry.getRegion('sz1');
        const onex = await store.registry.getRegion('sz1x');
        expect(onex!.path.startsWith(one!.path)).toBe(false);
        expect(ids(await store.registry.listRegions())).toEqual(['sz', 'sz-ft', 'sz-ft-xm', 'sz-ns', 'sz1', 'sz1x']);
        expect(await store.registry.getRegion('nowhere')).toBeUndefined();
      });

      test('refuses regions at the wrong level with level_mismatch and stores none of them', async () => {
        await seedTree(store.registry);
        const before = ids(await store.registry.listRegions());
        await expectRegistryError(store.registry.upsertRegion({ id: 'lonely', name: 'x', level: 'district', parentId: null }), 'level_mismatch');
        await expectRegistryError(store.registry.upsertRegion({ id: 'lonely', name: 'x', level: 'township', parentId: null }), 'level_mismatch');
        await expectRegistryError(store.registry.upsertRegion({ id: 'skip', name: 'x', level: 'township', parentId: 'sz' }), 'level_mismatch');
        await expectRegistryError(store.registry.upsertRegion({ id: 'twin', name: 'x', level: 'city', parentId: 'sz' }), 'level_mismatch');
        await expectRegistryError(store.registry.upsertRegion({ id: 'deep', name: 'x', level: 'township', parentId: 'sz-ft-xm' }), 'level_mismatch');
        await expectRegistryError(store.registry.upsertRegion({ id: 'deep', name: 'x', level: 'district', parentId: 'sz-ft-xm' }), 'level_mismatch');
        expect(ids(await store.registry.listRegions())).toEqual(before);
      });

      test('refuses a region whose parent does not exist with parent_not_found', async () => {
        await expectRegistryError(store.registry.upsertRegion({ id: 'orphan', name: 'x', level: 'district', parentId: 'nowhere' }), 'parent_not_found');
        expect(await store.registry.listRegions()).toEqual([]);
      });

      test('renames a region in place when it is upserted again', async () => {
        await seedTree(store.registry);
        const renamed = await store.registry.upsertRegion({ id: 'sz-ft', name: 'Futian District', level: 'district', parentId: 'sz' });
        expect(renamed).toMatchObject({ id: 'sz-ft', name: 'Futian District', path: '/sz/sz-ft/' });
        expect(await store.registry.getRegion('sz-ft')).toEqual(renamed);
        expect(await store.registry.listRegions()).toHaveLength(6);
      });

      test('refuses a site in a region that does not exist with region_not_found', async () => {
        await expectRegistryError(store.registry.upsertSite({ id: 'site-x', name: 'x', regionId: 'nowhere' }), 'region_not_found');
        expect(await store.registry.getSite('site-x')).toBeUndefined();
      });
    });

    describe('sites', () => {
      test('listSites({ regionId }) returns the sites of the region and all regions below it, and nothing else', async () => {
        await seedTree(store.registry);
        const inRegion = async (regionId: string) => ids(await store.registry.listSites({ regionId }));
        expect(await inRegion('sz')).toEqual(['site-ft', 'site-ns', 'site-sz', 'site-xm']);
        expect(await inRegion('sz-ft')).toEqual(['site-ft', 'site-xm']);
        expect(await inRegion('sz-ft-xm')).toEqual(['site-xm']);
        expect(await inRegion('sz-ns')).toEqual(['site-ns']);
        expect(await inRegion('sz1')).toEqual(['site-1']);
        expect(await inRegion('nowhere')).toEqual([]);
        expect(ids(await store.registry.listSites())).toEqual(['site-1', 'site-1x', 'site-ft', 'site-ns', 'site-sz', 'site-xm']);
        // A site moved to another region is listed there, and no longer in its old region.
        await store.registry.upsertSite({ id: 'site-xm', name: 'Moved', regionId: 'sz-ns' });
        expect(await inRegion('sz-ft')).toEqual(['site-ft']);
        expect(await inRegion('sz-ns')).toEqual(['site-ns', 'site-xm']);
      });

      test('stores a site with its defaults and updates it on a second upsert', async () => {
        await seedTree(store.registry);
        const site = await store.registry.getSite('site-ft');
        expect(site).toMatchObject({ id: 'site-ft', regionId: 'sz-ft', address: null, active: true });
        expect(site!.timezone.length).toBeGreaterThan(0);
        const moved = await store.registry.upsertSite({ id: 'site-ft', name: 'Moved', regionId: 'sz-ns', address: '1 Road', timezone: 'Asia/Shanghai', active: false });
        expect(moved).toEqual({ id: 'site-ft', name: 'Moved', regionId: 'sz-ns', address: '1 Road', timezone: 'Asia/Shanghai', active: false });
        expect((await store.registry.listSites()).find((s) => s.id === 'site-ft')).toEqual(moved);
        expect(await store.registry.listSites()).toHaveLength(6);
      });
    });

    describe('devices and credentials', () => {
      test('creates a device offline and not revoked, and lists it by site', async () => {
        await seedTree(store.registry);
        const created = await store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'pw-1', T0);
        expect(created).toMatchObject({ id: 'fridge-1', siteId: 'site-ft', kind: 'temperature', createdAt: T0, revokedAt: null, online: false, presenceChangedAt: null });
        expect(await store.registry.getDevice('fridge-1')).toEqual(created);
        await store.registry.createDevice(newDevice('cam-1', 'site-xm', 'camera'), 'pw-2', T0);
        expect(ids(await store.registry.listDevices({ siteId: 'site-ft' }))).toEqual(['fridge-1']);
        expect(ids(await store.registry.listDevices())).toEqual(['cam-1', 'fridge-1']);
        expect(await store.registry.getDevice('ghost')).toBeUndefined();
      });

      test('pages through devices in id order with after and limit, with or without a site or a scope', async () => {
        await seedTree(store.registry);
        for (const id of ['d-5', 'd-1', 'd-4', 'd-2', 'd-3']) await store.registry.createDevice(newDevice(id, id === 'd-3' ? 'site-xm' : 'site-ft'), 'pw', T0);
        const pages = async (filter: { siteId?: string; scope?: SiteScope }, limit: number) => {
          const out: string[][] = [];
          let after: string | undefined;
          for (;;) {
            const page = ids(await store.registry.listDevices({ ...filter, ...(after === undefined ? {} : { after }), limit }));
            if (page.length === 0) return out;
            out.push(page);
            after = page[page.length - 1];
          }
        };
        expect(await pages({}, 2)).toEqual([['d-1', 'd-2'], ['d-3', 'd-4'], ['d-5']]);
        expect(await pages({ siteId: 'site-ft' }, 3)).toEqual([['d-1', 'd-2', 'd-4'], ['d-5']]);
        expect(await pages({ scope: { kind: 'sites', siteIds: ['site-ft', 'site-xm'] } }, 4)).toEqual([['d-1', 'd-2', 'd-3', 'd-4'], ['d-5']]);
        expect(ids(await store.registry.listDevices({ after: 'd-3' }))).toEqual(['d-4', 'd-5']);
      });

      test('refuses a duplicate device with device_exists and keeps the first one and its secret', async () => {
        await seedTree(store.registry);
        await store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'first-secret', T0);
        await expectRegistryError(store.registry.createDevice(newDevice('fridge-1', 'site-ns'), 'second-secret', T0 + 1), 'device_exists');
        expect(await store.registry.getDevice('fridge-1')).toMatchObject({ siteId: 'site-ft', createdAt: T0 });
        expect(await store.registry.authenticateDevice('fridge-1', 'first-secret')).toBe('ok');
        expect(await store.registry.authenticateDevice('fridge-1', 'second-secret')).toBe('denied');
      });

      test('refuses a device on an unknown site with site_not_found', async () => {
        await seedTree(store.registry);
        await expectRegistryError(store.registry.createDevice(newDevice('fridge-1', 'no-site'), 'pw', T0), 'site_not_found');
        expect(await store.registry.getDevice('fridge-1')).toBeUndefined();
      });

      test('authenticates the right secret, denies a wrong one and an unknown device alike', async () => {
        await seedTree(store.registry);
        const secret = 'Xq3-very-long-random-device-secret_0123456789';
        await store.registry.createDevice(newDevice('fridge-1', 'site-ft'), secret, T0);
        expect(await store.registry.authenticateDevice('fridge-1', secret)).toBe('ok');
        expect(await store.registry.authenticateDevice('fridge-1', Buffer.from(secret))).toBe('ok');
        expect(await store.registry.authenticateDevice('fridge-1', secret + 'x')).toBe('denied');
        expect(await store.registry.authenticateDevice('fridge-1', secret.slice(0, -1))).toBe('denied');
        expect(await store.registry.authenticateDevice('fridge-1', '')).toBe('denied');
        expect(await store.registry.authenticateDevice('ghost', secret)).toBe('denied');
      });

      test('reports a revoked device as revoked only to the holder of its secret', async () => {
        await seedTree(store.registry);
        await store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'pw-right', T0);
        await store.registry.revokeDevice('fridge-1', T0 + 1000);
        expect(await store.registry.getDevice('fridge-1')).toMatchObject({ revokedAt: T0 + 1000 });
        expect(await store.registry.authenticateDevice('fridge-1', 'pw-right')).toBe('revoked');
        expect(await store.registry.authenticateDevice('fridge-1', 'pw-wrong')).toBe('denied');
        await expectRegistryError(store.registry.revokeDevice('ghost', T0), 'device_not_found');
      });

      test('never hands the secret back: device objects carry exactly the public fields', async () => {
        await seedTree(store.registry);
        const secret = 'do-not-leak-this-secret-0123456789abcdef';
        const created = await store.registry.createDevice(newDevice('fridge-1', 'site-ft'), secret, T0);
        const publicDevice = z.strictObject(deviceSchema.shape);
        const everything = [created, await store.registry.getDevice('fridge-1'), ...(await store.registry.listDevices()), ...(await store.registry.listDevices({ siteId: 'site-ft' }))];
        for (const device of everything) {
          expect(publicDevice.safeParse(device).success, JSON.stringify(device)).toBe(true);
          expect(JSON.stringify(device)).not.toContain(secret);
        }
      });

      test('setPresence records a change and returns false when nothing changed', async () => {
        await seedTree(store.registry);
        await store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'pw', T0);
        expect(await store.registry.setPresence('fridge-1', false, T0 + 1)).toBe(false);
        expect(await store.registry.setPresence('fridge-1', true, T0 + 2)).toBe(true);
        expect(await store.registry.setPresence('fridge-1', true, T0 + 3)).toBe(false);
        expect(await store.registry.getDevice('fridge-1')).toMatchObject({ online: true, presenceChangedAt: T0 + 2 });
        expect(await store.registry.setPresence('fridge-1', false, T0 + 4)).toBe(true);
        expect(await store.registry.getDevice('fridge-1')).toMatchObject({ online: false, presenceChangedAt: T0 + 4 });
        expect(await store.registry.setPresence('ghost', true, T0 + 5)).toBe(false);
      });

      test('setPresenceMany applies changes in order, each reporting whether it changed anything', async () => {
        await seedDevices();
        const changed = await store.registry.setPresenceMany([
          { id: 'fridge-1', online: true, at: T0 + 1 },
          { id: 'cam-1', online: true, at: T0 + 2 },
          { id: 'fridge-1', online: true, at: T0 + 3 },
          { id: 'ghost', online: true, at: T0 + 4 },
          { id: 'cam-1', online: false, at: T0 + 5 },
        ]);
        expect(changed).toEqual([true, true, false, false, true]);
        expect(await store.registry.getDevice('fridge-1')).toMatchObject({ online: true, presenceChangedAt: T0 + 1 });
        expect(await store.registry.getDevice('cam-1')).toMatchObject({ online: false, presenceChangedAt: T0 + 5 });
        expect(await store.registry.setPresenceMany([])).toEqual([]);
      });

      test('markAllOffline marks every online device offline and says how many were online', async () => {
        await seedDevices();
        await store.registry.setPresence('fridge-1', true, T0 + 1);
        await store.registry.setPresence('cam-1', true, T0 + 2);
        expect(await store.registry.markAllOffline(T0 + 10)).toBe(2);
        for (const device of await store.registry.listDevices()) expect(device.online, device.id).toBe(false);
        expect(await store.registry.getDevice('fridge-1')).toMatchObject({ presenceChangedAt: T0 + 10 });
        // Devices that were already offline keep their last change time.
        expect(await store.registry.getDevice('trap-1')).toMatchObject({ presenceChangedAt: null });
        expect(await store.registry.markAllOffline(T0 + 20)).toBe(0);
        expect(await store.registry.setPresence('fridge-1', true, T0 + 30)).toBe(true);
      });
    });

    describe('ingest sink', () => {
      test('stores readings once: a resend of (device, boot, seq) is reported as a duplicate', async () => {
        await seedDevices();
        const batch = [1, 2, 3].map((seq) => reading('fridge-1', T0 + seq * 1000, seq, { temperatureC: seq }));
        expect(await store.ingestSink.writeBatch([write({ readings: batch })])).toEqual([{ readingsInserted: [true, true, true], findingsInserted: [] }]);
        expect(await store.telemetry.count('fridge-1')).toBe(3);
        expect(await store.ingestSink.writeBatch([write({ readings: batch })])).toEqual([{ readingsInserted: [false, false, false], findingsInserted: [] }]);
        expect(await store.telemetry.count('fridge-1')).toBe(3);
        // The same seq from another device, or after a reboot, is a new reading.
        const rebooted = reading('fridge-1', T0 + 9000, 1, { temperatureC: 9 }, { boot: 'boot-2' });
        const other = reading('fridge-2', T0 + 1000, 1, { temperatureC: 1 });
        expect(await store.ingestSink.writeBatch([write({ readings: [rebooted] }), write({ readings: [other, other] })])).toEqual([
          { readingsInserted: [true], findingsInserted: [] },
          { readingsInserted: [true, false], findingsInserted: [] },
        ]);
        expect(await store.telemetry.count('fridge-1')).toBe(4);
        expect(await store.telemetry.count('fridge-2')).toBe(1);
        expect(await store.telemetry.count()).toBe(5);
        expect(await store.telemetry.count('ghost')).toBe(0);
      });

      test('stores camera findings once and lists them newest first with their optional fields', async () => {
        await seedDevices();
        const first = finding('cam-1', 1, { zone: 'prep', snapshotUrl: 'https://cdn.example/snap/1.jpg' });
        const second = finding('cam-1', 2, { type: 'no_mask', confidence: 0.5 });
        expect(await store.ingestSink.writeBatch([write({ findings: [first, second] })])).toEqual([{ readingsInserted: [], findingsInserted: [true, true] }]);
        const again = await store.ingestSink.writeBatch([write({ findings: [first, { ...second, boot: 'cam-boot-2' }] })]);
        expect(again).toEqual([{ readingsInserted: [], findingsInserted: [false, true] }]);
        const listed = await store.findings.list({ deviceId: 'cam-1', limit: 10 });
        expect(listed).toHaveLength(3);
        expect(listed.map((f) => f.ts)).toEqual([...listed.map((f) => f.ts)].sort((a, b) => b - a));
        expect(listed.find((f) => f.seq === 1)).toEqual(first);
        const plain = listed.find((f) => f.seq === 2 && f.boot === 'cam-boot')!;
        expect(plain).toEqual(second);
        expect(plain).not.toHaveProperty('zone');
        expect(plain).not.toHaveProperty('snapshotUrl');
        expect(await store.findings.list({ deviceId: 'cam-1', limit: 1 })).toHaveLength(1);
        expect(await store.findings.list({ deviceId: 'ghost', limit: 10 })).toEqual([]);
      });

      test('keeps quarantined payloads byte for byte, newest first, paged with before and filtered by device', async () => {
        await seedDevices();
        const random = seededRandom(7);
        const entries = Array.from({ length: 7 }, (_, i) => {
          // Not UTF-8, with NUL bytes: what a broken device may send.
          const payload = Buffer.from([0x00, 0xff, 0xfe, 0x80, ...Array.from({ length: 20 + i }, () => Math.floor(random() * 256)), 0x00]);
          return quarantined(i % 3 === 0 ? 'fridge-1' : i % 3 === 1 ? 'trap-1' : null, payload, T0 + i);
        });
        // Written over several calls, as several group commits would.
        await store.ingestSink.writeBatch([write({ quarantine: entries.slice(0, 3) })]);
        await store.ingestSink.writeBatch([write({ quarantine: entries.slice(3, 5) }), write({ quarantine: entries.slice(5) })]);

        const all = await store.quarantine.list({ limit: 100 });
        expect(all).toHaveLength(7);
        const newestFirst = [...entries].reverse();
        all.forEach((stored, i) => {
          const { id: _id, payload, ...rest } = stored;
          const { payload: expectedPayload, ...expectedRest } = newestFirst[i]!;
          expect(rest).toEqual(expectedRest);
          expect(Buffer.compare(Buffer.from(payload), expectedPayload)).toBe(0);
        });

        // Paging: each page continues where the previous one stopped.
        const paged: number[] = [];
        let before: number | undefined;
        for (;;) {
          const page = await store.quarantine.list({ limit: 3, ...(before === undefined ? {} : { before }) });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(3);
          paged.push(...page.map((e) => e.id));
          before = page[page.length - 1]!.id;
        }
        expect(paged).toEqual(all.map((e) => e.id));

        const fridge = await store.quarantine.list({ deviceId: 'fridge-1', limit: 100 });
        expect(fridge.map((e) => e.receivedAt)).toEqual(newestFirst.filter((e) => e.deviceId === 'fridge-1').map((e) => e.receivedAt));
        const two = await store.quarantine.list({ deviceIds: ['fridge-1', 'trap-1'], limit: 100 });
        expect(two).toHaveLength(entries.filter((e) => e.deviceId !== null).length);
        expect(await store.quarantine.list({ deviceIds: [], limit: 100 })).toEqual([]);
        expect(await store.quarantine.list({ deviceId: 'fridge-1', before: fridge[0]!.id, limit: 100 })).toEqual(fridge.slice(1));
      });

      test('rejects a whole call that carries telemetry of an unregistered device, storing nothing of it', async () => {
        await seedDevices();
        const earlier = reading('fridge-1', T0, 0, { temperatureC: 4 });
        await store.ingestSink.writeBatch([write({ readings: [earlier] })]);

        const good = write({
          readings: [reading('fridge-1', T0 + 1000, 1, { temperatureC: 5 })],
          findings: [finding('cam-1', 1)],
          quarantine: [quarantined('fridge-1', Buffer.from('{"bad":'), T0 + 1000)],
        });
        const bad = write({ readings: [reading('ghost', T0 + 1000, 1, { temperatureC: 5 })] });
        await expect(store.ingestSink.writeBatch([good, bad])).rejects.toThrow();

        expect(await store.telemetry.count()).toBe(1);
        expect(await store.findings.list({ deviceId: 'cam-1', limit: 10 })).toEqual([]);
        expect(await store.quarantine.list({ limit: 10 })).toEqual([]);
        expect((await store.telemetry.latest([{ id: 'fridge-1', kind: 'temperature' }]))[0]?.seq).toBe(0);

        // The store still works, and the good write was not half-stored: it is new now.
        expect(await store.ingestSink.writeBatch([good])).toEqual([{ readingsInserted: [true], findingsInserted: [true] }]);
        expect(await store.telemetry.count()).toBe(2);
        expect(await store.quarantine.list({ limit: 10 })).toHaveLength(1);
      });

      test('rejects a finding of an unregistered device like a reading', async () => {
        await seedDevices();
        await expect(
          store.ingestSink.writeBatch([write({ readings: [reading('fridge-1', T0, 1, { temperatureC: 1 })] }), write({ findings: [finding('ghost-cam', 1)] })]),
        ).rejects.toThrow();
        expect(await store.telemetry.count()).toBe(0);
      });
    });

    describe('latest', () => {
      test('returns the newest reading by device time, even when an older one arrives later', async () => {
        await seedDevices();
        await store.ingestSink.writeBatch([write({ readings: [reading('fridge-1', T0 + 60_000, 7, { temperatureC: 6 }, { receivedAt: T0 + 60_100 })] })]);
        // Buffered offline, delivered later: an older reading with a later arrival.
        await store.ingestSink.writeBatch([write({ readings: [reading('fridge-1', T0 + 30_000, 5, { temperatureC: 3 }, { receivedAt: T0 + 90_000 })] })]);
        const [latest] = await store.telemetry.latest([{ id: 'fridge-1', kind: 'temperature' }]);
        expect(latest).toEqual(reading('fridge-1', T0 + 60_000, 7, { temperatureC: 6 }, { receivedAt: T0 + 60_100 }));
      });

      test('returns one record per device that has readings, and skips the others', async () => {
        await seedDevices();
        await store.ingestSink.writeBatch([
          write({
            readings: [
              reading('fridge-1', T0, 1, { temperatureC: 2 }),
              reading('trap-1', T0, 1, { greaseMm: 40, fillPct: 12 }, { kind: 'oil_separator' }),
            ],
          }),
        ]);
        const latest = await store.telemetry.latest([
          { id: 'fridge-1', kind: 'temperature' },
          { id: 'fridge-2', kind: 'temperature' },
          { id: 'trap-1', kind: 'oil_separator' },
          { id: 'ghost', kind: 'temperature' },
        ]);
        expect(latest.map((r) => r.deviceId).sort()).toEqual(['fridge-1', 'trap-1']);
        expect(latest.find((r) => r.deviceId === 'trap-1')).toMatchObject({ kind: 'oil_separator', values: { greaseMm: 40, fillPct: 12 } });
        expect(await store.telemetry.latest([])).toEqual([]);
      });

      test('gives booleans back as booleans and leaves absent optional fields absent (not null)', async () => {
        await seedDevices();
        await store.ingestSink.writeBatch([
          write({ readings: [reading('fridge-1', T0, 1, { temperatureC: -18.5, doorOpen: true })] }),
          write({ readings: [reading('fridge-2', T0, 1, { temperatureC: 4.25, doorOpen: false })] }),
        ]);
        const latest = await store.telemetry.latest([
          { id: 'fridge-1', kind: 'temperature' },
          { id: 'fridge-2', kind: 'temperature' },
        ]);
        const byId = new Map(latest.map((r) => [r.deviceId, r.values]));
        expect(byId.get('fridge-1')).toStrictEqual({ temperatureC: -18.5, doorOpen: true });
        expect(byId.get('fridge-2')).toStrictEqual({ temperatureC: 4.25, doorOpen: false });
        expect(byId.get('fridge-2')).not.toHaveProperty('humidityPct');
      });

      test('round-trips every catalogue field of every kind', async () => {
        await seedDevices();
        const devices = [
          { id: 'fridge-1', kind: 'temperature' },
          { id: 'trap-1', kind: 'oil_separator' },
          { id: 'cam-1', kind: 'camera' },
        ] as const;
        await store.ingestSink.writeBatch(devices.map((d) => write({ readings: [reading(d.id, T0, 1, fullValues(d.kind), { kind: d.kind })] })));
        const latest = await store.telemetry.latest(devices);
        for (const d of devices) {
          expect(latest.find((r) => r.deviceId === d.id)?.values).toStrictEqual(fullValues(d.kind));
        }
      });
    });

    describe('history', () => {
      const HOUR = 3_600_000;
      /** ~360 readings over an hour at irregular intervals; humidity only on some, so counts differ per field. */
      const generate = (seed: number) => {
        const random = seededRandom(seed);
        const out: TelemetryRecord[] = [];
        let ts = T0 + Math.floor(random() * 5000);
        for (let seq = 0; ts < T0 + HOUR; seq++) {
          const values: FieldValues = { temperatureC: Math.round((random() * 30 - 20) * 100) / 100, doorOpen: random() < 0.3 };
          if (random() < 0.6) values.humidityPct = Math.round(random() * 1000) / 10;
          out.push(reading('fridge-1', ts, seq, values));
          ts += 1000 + Math.floor(random() * 19_000);
        }
        return out;
      };
      const numeric = (v: number | boolean | undefined) => (typeof v === 'boolean' ? Number(v) : v);

      /** Checks each returned bucket against the readings the test wrote. */
      const checkBuckets = (
        readings: TelemetryRecord[],
        field: string,
        from: number,
        to: number,
        result: { bucketMs: number; points: { t: number; min: number; max: number; mean: number; count: number }[] },
      ) => {
        const inRange = readings.filter((r) => r.ts >= from && r.ts < to && r.values[field] !== undefined);
        let covered = 0;
        let previousEnd = -Infinity;
        for (const point of result.points) {
          expect(point.t).toBeGreaterThanOrEqual(previousEnd);
          previousEnd = point.t + result.bucketMs;
          const values = inRange.filter((r) => r.ts >= point.t && r.ts < point.t + result.bucketMs).map((r) => numeric(r.values[field])!);
          expect(point.count, `bucket at ${point.t}`).toBe(values.length);
          expect(point.min).toBeCloseTo(Math.min(...values), 9);
          expect(point.max).toBeCloseTo(Math.max(...values), 9);
          expect(point.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
          covered += values.length;
        }
        expect(covered).toBe(inRange.length);
      };

      test('downsamples to at most maxPoints buckets whose min/max/mean/count match the readings', async () => {
        await seedDevices();
        const readings = generate(42);
        await store.ingestSink.writeBatch([write({ readings })]);
        for (const [from, to, maxPoints] of [
          [T0, T0 + HOUR, 1],
          [T0, T0 + HOUR, 12],
          [T0 + 123_457, T0 + HOUR - 99_991, 7],
          [T0 - HOUR, T0 + 2 * HOUR, 100],
        ] as const) {
          for (const field of ['temperatureC', 'humidityPct']) {
            const result = await store.telemetry.history({ deviceId: 'fridge-1', kind: 'temperature', field, from, to, maxPoints });
            expect(result.points.length, `${field} ${from}..${to} in ≤ ${maxPoints} points`).toBeLessThanOrEqual(maxPoints);
            expect(result.points.length).toBeGreaterThan(0);
            checkBuckets(readings, field, from, to, result);
          }
        }
      });

      test('answers long ranges in buckets of hours exactly, whether readings are rolled up yet or not', async () => {
        await seedDevices();
        const random = seededRandom(7);
        const readings: TelemetryRecord[] = [];
        let ts = T0 + 1234;
        for (let seq = 0; ts < T0 + 72 * HOUR; seq++) {
          const values: FieldValues = { temperatureC: Math.round((random() * 14 - 2) * 100) / 100, doorOpen: random() < 0.2 };
          if (random() < 0.5) values.humidityPct = Math.round(random() * 1000) / 10;
          readings.push(reading('fridge-1', ts, seq, values));
          ts += 60_000 + Math.floor(random() * 600_000);
        }
        // Two days arrive and are rolled up; then the third day, and a buffered batch from the first day, are not yet.
        const early = readings.filter((r) => r.ts < T0 + 48 * HOUR && r.seq % 10 !== 3);
        const late = readings.filter((r) => !early.includes(r));
        await store.ingestSink.writeBatch([write({ readings: early })]);
        await handle.maintain?.();
        await store.ingestSink.writeBatch([write({ readings: late })]);
        const ranges = [
          [T0, T0 + 72 * HOUR, 3],
          [T0 + 1_234_567, T0 + 72 * HOUR - 98_765, 10],
          [T0 - 5 * HOUR, T0 + 96 * HOUR, 101],
          [T0 + 30 * 60_000, T0 + 50 * HOUR + 1, 7],
        ] as const;
        const check = async () => {
          for (const [from, to, maxPoints] of ranges) {
            for (const field of ['temperatureC', 'humidityPct', 'doorOpen']) {
              const result = await store.telemetry.history({ deviceId: 'fridge-1', kind: 'temperature', field, from, to, maxPoints });
              expect(result.points.length).toBeLessThanOrEqual(maxPoints);
              expect(result.bucketMs).toBeGreaterThanOrEqual(HOUR);
              checkBuckets(readings, field, from, to, result);
            }
          }
        };
        await check();
        await handle.maintain?.();
        await check();
      });

      test('aggregates a boolean field as 0/1', async () => {
        await seedDevices();
        const readings = generate(9);
        await store.ingestSink.writeBatch([write({ readings })]);
        const result = await store.telemetry.history({ deviceId: 'fridge-1', kind: 'temperature', field: 'doorOpen', from: T0, to: T0 + HOUR, maxPoints: 1 });
        expect(result.points).toHaveLength(1);
        const opened = readings.filter((r) => r.values.doorOpen === true).length;
        expect(result.points[0]).toMatchObject({ min: 0, max: 1, count: readings.length });
        expect(result.points[0]!.mean).toBeCloseTo(opened / readings.length, 9);
      });

      test('respects the [from, to) boundaries', async () => {
        await seedDevices();
        const from = T0 + 10_000;
        const to = T0 + 20_000;
        const readings = [from - 1, from, from + 5000, to - 1, to, to + 1].map((ts, i) => reading('fridge-1', ts, i, { temperatureC: i }));
        await store.ingestSink.writeBatch([write({ readings })]);
        for (const maxPoints of [1, 3, 10_000]) {
          const result = await store.telemetry.history({ deviceId: 'fridge-1', kind: 'temperature', field: 'temperatureC', from, to, maxPoints });
          expect(result.points.reduce((n, p) => n + p.count, 0)).toBe(3);
          expect(Math.min(...result.points.map((p) => p.min))).toBe(1);
          expect(Math.max(...result.points.map((p) => p.max))).toBe(3);
          for (const p of result.points) {
            expect(p.t).toBeGreaterThanOrEqual(from);
            expect(p.t).toBeLessThan(to);
          }
        }
      });

      test('rejects a field the device kind does not have', async () => {
        await seedDevices();
        await store.ingestSink.writeBatch([write({ readings: [reading('fridge-1', T0, 1, { temperatureC: 1 })] })]);
        const query = { deviceId: 'fridge-1', kind: 'temperature' as const, from: T0, to: T0 + HOUR, maxPoints: 10 };
        await expect(store.telemetry.history({ ...query, field: 'noSuchField' })).rejects.toThrow();
        await expect(store.telemetry.history({ ...query, field: 'greaseMm' })).rejects.toThrow();
        await expect(store.telemetry.history({ ...query, field: 'temperatureC"; DROP TABLE devices; --' })).rejects.toThrow();
        expect(await store.registry.getDevice('fridge-1')).toBeDefined();
      });

      test('returns no points for an empty or reversed range, a range without readings, or a device without readings', async () => {
        await seedDevices();
        await store.ingestSink.writeBatch([write({ readings: generate(3) })]);
        const q = { deviceId: 'fridge-1', kind: 'temperature' as const, field: 'temperatureC', maxPoints: 10 };
        expect((await store.telemetry.history({ ...q, from: T0 + 1000, to: T0 + 1000 })).points).toEqual([]);
        expect((await store.telemetry.history({ ...q, from: T0 + HOUR, to: T0 })).points).toEqual([]);
        expect((await store.telemetry.history({ ...q, from: T0 - 2 * HOUR, to: T0 - HOUR })).points).toEqual([]);
        expect((await store.telemetry.history({ ...q, deviceId: 'fridge-2', from: T0, to: T0 + HOUR })).points).toEqual([]);
        expect((await store.telemetry.history({ ...q, deviceId: 'ghost', from: T0, to: T0 + HOUR })).points).toEqual([]);
      });
    });

    describeAccessContract(() => store, test);

    describe('rule overrides', () => {
      test('are set, replaced and removed per site and per device, kept across reopen, and each read is a copy', async () => {
        const site = { kind: 'site', id: 'site-1' } as const;
        const device = { kind: 'device', id: 'site-1' } as const;
        expect(await store.ruleState.getOverrides(site)).toBeUndefined();
        await store.ruleState.setOverrides(site, { temperature: { chilled: { delayMin: 0 } } }, T0);
        await store.ruleState.setOverrides(device, { temperature_high: { enabled: false } }, T0);
        expect(await store.ruleState.getOverrides(site)).toEqual({ temperature: { chilled: { delayMin: 0 } } });
        // Same id, other kind: a device override never answers for a site.
        expect(await store.ruleState.getOverrides(device)).toEqual({ temperature_high: { enabled: false } });
        const read = (await store.ruleState.getOverrides(site)) as { temperature: { chilled: { delayMin: number } } };
        read.temperature.chilled.delayMin = 99;
        expect(await store.ruleState.getOverrides(site)).toEqual({ temperature: { chilled: { delayMin: 0 } } });
        await store.ruleState.setOverrides(site, { temperature: { chilled: { delayMin: 5 } } }, T0 + 1);
        await store.ruleState.setOverrides(device, null, T0 + 2);
        if (handle.reopen) store = await handle.reopen();
        expect(await store.ruleState.getOverrides(site)).toEqual({ temperature: { chilled: { delayMin: 5 } } });
        expect(await store.ruleState.getOverrides(device)).toBeUndefined();
      });
    });

    describe('persistence', () => {
      test('keeps everything across close and reopen, including de-duplication', async ({ skip }) => {
        if (!handle.reopen) return skip('adapter has no reopen');
        await seedDevices();
        await store.registry.revokeDevice('fridge-2', T0 + 5);
        await store.registry.setPresence('fridge-1', true, T0 + 6);
        const readings = [1, 2].map((seq) => reading('fridge-1', T0 + seq, seq, { temperatureC: seq, doorOpen: seq === 2 }));
        await store.ingestSink.writeBatch([
          write({ readings, findings: [finding('cam-1', 1)], quarantine: [quarantined('fridge-1', Buffer.from([1, 2, 3, 0]), T0)] }),
        ]);
        const regions = await store.registry.listRegions();
        const sites = await store.registry.listSites();
        const devices = await store.registry.listDevices();

        store = await handle.reopen();

        expect(await store.registry.listRegions()).toEqual(regions);
        expect(await store.registry.listSites()).toEqual(sites);
        expect(await store.registry.listDevices()).toEqual(devices);
        expect(await store.registry.authenticateDevice('fridge-1', 'secret-fridge-1')).toBe('ok');
        expect(await store.registry.authenticateDevice('fridge-2', 'secret-fridge-2')).toBe('revoked');
        expect(await store.telemetry.count('fridge-1')).toBe(2);
        expect(await store.telemetry.latest([{ id: 'fridge-1', kind: 'temperature' }])).toEqual([readings[1]]);
        expect(await store.findings.list({ deviceId: 'cam-1', limit: 5 })).toEqual([finding('cam-1', 1)]);
        const [entry] = await store.quarantine.list({ limit: 5 });
        expect(Buffer.compare(Buffer.from(entry!.payload), Buffer.from([1, 2, 3, 0]))).toBe(0);
        // A device resending after the server restarted is still recognised.
        expect(await store.ingestSink.writeBatch([write({ readings, findings: [finding('cam-1', 1)] })])).toEqual([
          { readingsInserted: [false, false], findingsInserted: [false] },
        ]);
        await store.ping();
      });
    });
  });
}
