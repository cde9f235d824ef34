/**
 * Provisioning of the bench fleet straight into a store that no server has open
 * yet, the way an existing city's database looks when the server starts: regions,
 * sites of five devices each, temperature devices with generated secrets, and
 * supervisors who can log in. Opened with `synchronous=normal`, so 150,000 devices
 * take seconds rather than one fsync each; the server then opens the file as
 * configured.
 */
import { hashPassword } from '../api/accounts/passwords.js';
import type { Store } from '../store/index.js';
import { generateDeviceSecret } from '../store/device-credentials.js';
import type { DeviceCredentials, UserCredentials } from './protocol.js';

/** Five devices per food-service unit, as domain.md plans for. */
export const DEVICES_PER_SITE = 5;
export const BENCH_CITY = 'bench-city';

export const benchDeviceId = (i: number) => `bench-dev-${String(i).padStart(6, '0')}`;
const siteIdOf = (i: number) => `bench-site-${String(Math.floor(i / DEVICES_PER_SITE)).padStart(6, '0')}`;

/**
 * Site overrides that make the chilled rule alarm on the first reading above 8 °C
 * (no 30-minute delay): the bench's alert scenarios need alerts raised at once,
 * by the real rule, evaluator and lifecycle, as a site with `delayMin: 0` would.
 */
export const IMMEDIATE_CHILLED_ALARM = { temperature: { chilled: { delayMin: 0 } } };

/** A reading this warm is above the chilled limit (8 °C) but below the critical one (12 °C). */
export const OUT_OF_BAND_C = 10;

export interface FleetSpec {
  devices: number;
  /** Sites get {@link IMMEDIATE_CHILLED_ALARM}. */
  immediateAlarms?: boolean;
  /** Supervisors of the bench city to create, with generated passwords. */
  supervisors?: number;
  /** scrypt cost of their passwords (the server's default is 15). */
  scryptLogN?: number;
}

export interface Fleet {
  devices: DeviceCredentials[];
  users: UserCredentials[];
}

export async function provisionFleet(store: Store, spec: FleetSpec, now = Date.now()): Promise<Fleet> {
  const { registry } = store;
  await registry.upsertRegion({ id: BENCH_CITY, name: '基准市', level: 'city', parentId: null });
  await registry.upsertRegion({ id: 'bench-district', name: '基准区', level: 'district', parentId: BENCH_CITY });
  await registry.upsertRegion({ id: 'bench-town', name: '基准镇', level: 'township', parentId: 'bench-district' });
  const devices: DeviceCredentials[] = [];
  for (let i = 0; i < spec.devices; i++) {
    const siteId = siteIdOf(i);
    if (i % DEVICES_PER_SITE === 0) {
      await registry.upsertSite({ id: siteId, name: `餐厅 ${siteId}`, regionId: 'bench-town' });
      if (spec.immediateAlarms) await store.ruleState.setOverrides({ kind: 'site', id: siteId }, IMMEDIATE_CHILLED_ALARM, now);
    }
    const id = benchDeviceId(i);
    const secret = generateDeviceSecret();
    await registry.createDevice({ id, siteId, kind: 'temperature', label: `fridge ${i}`, profile: 'chilled', expectedIntervalS: 30 }, secret, now);
    devices.push({ id, secret });
  }
  const users: UserCredentials[] = [];
  for (let i = 0; i < (spec.supervisors ?? 0); i++) {
    const id = `bench-supervisor-${i}`;
    const password = generateDeviceSecret();
    const passwordHash = await hashPassword(password, { logN: spec.scryptLogN ?? 15, r: 8, p: 1 });
    await store.accounts.createUser({ id, displayName: id, role: 'supervisor', scope: { kind: 'region', regionId: BENCH_CITY }, passwordHash, at: now });
    users.push({ id, password });
  }
  return { devices, users };
}
