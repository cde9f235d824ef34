import {
  CHILD_LEVEL,
  type Device,
  type DeviceKind,
  type DeviceProfile,
  type Region,
  type RegionLevel,
  type Site,
} from '../../contracts/index.js';
import { hashDeviceSecret, verifyDeviceSecret } from '../device-credentials.js';
import { RegistryError, type DeviceAuthResult, type NewDevice, type NewRegion, type NewSite, type DeviceFilter, type PresenceUpdate, type RegistryStore, type SiteScope } from '../index.js';
import type { SqliteDatabase } from './database.js';
import type { DurableCommits } from './durable-commits.js';
import { scopeCondition } from './scope-sql.js';

interface RegionRow {
  id: string;
  name: string;
  level: RegionLevel;
  parent_id: string | null;
  path: string;
}
interface SiteRow {
  id: string;
  name: string;
  region_id: string;
  address: string | null;
  timezone: string;
  active: number;
}
interface DeviceRow {
  key: number;
  id: string;
  site_id: string;
  kind: DeviceKind;
  label: string;
  profile: DeviceProfile;
  expected_interval_s: number;
  created_at: number;
  revoked_at: number | null;
  online: number;
  presence_changed_at: number | null;
}

const toRegion = (r: RegionRow): Region => ({ id: r.id, name: r.name, level: r.level, parentId: r.parent_id, path: r.path });
const toSite = (r: SiteRow): Site => ({
  id: r.id,
  name: r.name,
  regionId: r.region_id,
  address: r.address,
  timezone: r.timezone,
  active: r.active === 1,
});
const toDevice = (r: DeviceRow): Device => ({
  id: r.id,
  siteId: r.site_id,
  kind: r.kind,
  label: r.label,
  profile: r.profile,
  expectedIntervalS: r.expected_interval_s,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  online: r.online === 1,
  presenceChangedAt: r.presence_changed_at,
});

const DEVICE_COLUMNS = 'key, id, site_id, kind, label, profile, expected_interval_s, created_at, revoked_at, online, presence_changed_at';

export class SqliteRegistry implements RegistryStore {
  private readonly stmt;

  private readonly presenceChanges: (changes: readonly PresenceUpdate[]) => Promise<boolean[]>;

  /** @param commits presence batches commit through it: a fleet reconnecting is many of them, and none holds the loop for its sync. */
  constructor(
    private readonly db: SqliteDatabase,
    commits: DurableCommits,
  ) {
    this.presenceChanges = commits.transaction((changes: readonly PresenceUpdate[]) => changes.map((c) => this.presenceChange(c)));
    this.stmt = {
      region: db.prepare<[string], RegionRow>('SELECT * FROM regions WHERE id = ?'),
      regions: db.prepare<[], RegionRow>('SELECT * FROM regions ORDER BY path'),
      upsertRegion: db.prepare(
        `INSERT INTO regions (id, name, level, parent_id, path) VALUES (@id, @name, @level, @parentId, @path)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
      ),
      site: db.prepare<[string], SiteRow>('SELECT * FROM sites WHERE id = ?'),
      sites: db.prepare<[], SiteRow>('SELECT * FROM sites ORDER BY id'),
      // A prefix match on the materialised path; not LIKE, where `_` in an id would be a wildcard.
      sitesUnder: db.prepare<[{ path: string }], SiteRow>(
        `SELECT s.* FROM sites s JOIN regions r ON r.id = s.region_id
         WHERE substr(r.path, 1, length(@path)) = @path ORDER BY s.id`,
      ),
      upsertSite: db.prepare(
        `INSERT INTO sites (id, name, region_id, address, timezone, active)
         VALUES (@id, @name, @regionId, @address, @timezone, @active)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, region_id = excluded.region_id,
           address = excluded.address, timezone = excluded.timezone, active = excluded.active`,
      ),
      device: db.prepare<[string], DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = ?`),
      // LIMIT -1 is no limit; '' sorts before every id.
      devices: db.prepare<[string, number], DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id > ? ORDER BY id LIMIT ?`),
      devicesOfSite: db.prepare<[string, string, number], DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE site_id = ? AND id > ? ORDER BY id LIMIT ?`),
      insertDevice: db.prepare(
        `INSERT INTO devices (id, site_id, kind, label, profile, expected_interval_s, secret_salt, secret_hash, created_at)
         VALUES (@id, @siteId, @kind, @label, @profile, @expectedIntervalS, @salt, @hash, @createdAt)`,
      ),
      credential: db.prepare<[string], { secret_salt: Buffer; secret_hash: Buffer; revoked_at: number | null; site_active: number }>(
        `SELECT d.secret_salt, d.secret_hash, d.revoked_at, s.active AS site_active
         FROM devices d JOIN sites s ON s.id = d.site_id WHERE d.id = ?`,
      ),
      revoke: db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      rotate: db.prepare('UPDATE devices SET secret_salt = @salt, secret_hash = @hash WHERE id = @id'),
      presence: db.prepare('UPDATE devices SET online = ?, presence_changed_at = ? WHERE id = ? AND online != ?'),
      allOffline: db.prepare('UPDATE devices SET online = 0, presence_changed_at = ? WHERE online = 1'),
    };
  }

  async upsertRegion(region: NewRegion): Promise<Region> {
    const existing = this.stmt.region.get(region.id);
    if (existing && (existing.parent_id !== region.parentId || existing.level !== region.level)) {
      throw new RegistryError('level_mismatch', `region ${region.id} exists with another parent or level; moving regions is not supported`);
    }
    let path: string;
    if (region.parentId === null) {
      if (region.level !== 'city') throw new RegistryError('level_mismatch', `a top-level region must be a city, not a ${region.level}`);
      path = `/${region.id}/`;
    } else {
      const parent = this.stmt.region.get(region.parentId);
      if (!parent) throw new RegistryError('parent_not_found', `parent region ${region.parentId} does not exist`);
      if (CHILD_LEVEL[parent.level] !== region.level) {
        throw new RegistryError('level_mismatch', `a ${parent.level} contains ${CHILD_LEVEL[parent.level] ?? 'no regions'}, not a ${region.level}`);
      }
      path = `${parent.path}${region.id}/`;
    }
    this.stmt.upsertRegion.run({ ...region, path });
    return toRegion(this.stmt.region.get(region.id)!);
  }

  async listRegions(): Promise<Region[]> {
    return this.stmt.regions.all().map(toRegion);
  }

  async getRegion(id: string): Promise<Region | undefined> {
    const row = this.stmt.region.get(id);
    return row && toRegion(row);
  }

  async upsertSite(site: NewSite): Promise<Site> {
    if (!this.stmt.region.get(site.regionId)) throw new RegistryError('region_not_found', `region ${site.regionId} does not exist`);
    this.stmt.upsertSite.run({
      id: site.id,
      name: site.name,
      regionId: site.regionId,
      address: site.address ?? null,
      timezone: site.timezone ?? 'Asia/Shanghai',
      active: site.active === false ? 0 : 1,
    });
    return toSite(this.stmt.site.get(site.id)!);
  }

  async listSites(filter: { regionId?: string; scope?: SiteScope } = {}): Promise<Site[]> {
    if (filter.scope === undefined || filter.scope.kind === 'all') {
      if (filter.regionId === undefined) return this.stmt.sites.all().map(toSite);
      const region = this.stmt.region.get(filter.regionId);
      return region ? this.stmt.sitesUnder.all({ path: region.path }).map(toSite) : [];
    }
    const scope = scopeCondition(filter.scope);
    const where = [scope.sql];
    const params: Record<string, string> = { ...scope.params };
    if (filter.regionId !== undefined) {
      const region = this.stmt.region.get(filter.regionId);
      if (!region) return [];
      where.push('substr(r.path, 1, length(@path)) = @path');
      params.path = region.path;
    }
    const sql = `SELECT s.* FROM sites s JOIN regions r ON r.id = s.region_id WHERE ${where.join(' AND ')} ORDER BY s.id`;
    return this.db.prepare<[Record<string, string>], SiteRow>(sql).all(params).map(toSite);
  }

  async getSite(id: string): Promise<Site | undefined> {
    const row = this.stmt.site.get(id);
    return row && toSite(row);
  }

  async createDevice(device: NewDevice, secret: string, at: number): Promise<Device> {
    if (!this.stmt.site.get(device.siteId)) throw new RegistryError('site_not_found', `site ${device.siteId} does not exist`);
    if (this.stmt.device.get(device.id)) throw new RegistryError('device_exists', `device ${device.id} already exists`);
    const { salt, hash } = hashDeviceSecret(secret);
    this.stmt.insertDevice.run({ ...device, salt, hash, createdAt: at });
    return toDevice(this.stmt.device.get(device.id)!);
  }

  async getDevice(id: string): Promise<Device | undefined> {
    const row = this.stmt.device.get(id);
    return row && toDevice(row);
  }

  async listDevices(filter: DeviceFilter = {}): Promise<Device[]> {
    const after = filter.after ?? '';
    const limit = filter.limit ?? -1;
    if (filter.scope === undefined || filter.scope.kind === 'all') {
      const rows = filter.siteId === undefined ? this.stmt.devices.all(after, limit) : this.stmt.devicesOfSite.all(filter.siteId, after, limit);
      return rows.map(toDevice);
    }
    const scope = scopeCondition(filter.scope);
    const where = [scope.sql, 'd.id > @after'];
    const params: Record<string, string | number> = { ...scope.params, after, limit };
    if (filter.siteId !== undefined) {
      where.push('d.site_id = @siteId');
      params.siteId = filter.siteId;
    }
    const columns = DEVICE_COLUMNS.split(', ').map((c) => `d.${c}`).join(', ');
    const sql = `SELECT ${columns} FROM devices d JOIN sites s ON s.id = d.site_id JOIN regions r ON r.id = s.region_id
                 WHERE ${where.join(' AND ')} ORDER BY d.id LIMIT @limit`;
    return this.db.prepare<[Record<string, string | number>], DeviceRow>(sql).all(params).map(toDevice);
  }

  async revokeDevice(id: string, at: number): Promise<void> {
    if (!this.stmt.device.get(id)) throw new RegistryError('device_not_found', `device ${id} does not exist`);
    this.stmt.revoke.run(at, id);
  }

  async rotateDeviceSecret(id: string, secret: string): Promise<void> {
    if (!this.stmt.device.get(id)) throw new RegistryError('device_not_found', `device ${id} does not exist`);
    const { salt, hash } = hashDeviceSecret(secret);
    this.stmt.rotate.run({ id, salt, hash });
  }

  async authenticateDevice(id: string, secret: Buffer | string): Promise<DeviceAuthResult> {
    const row = this.stmt.credential.get(id);
    if (!row) return 'denied';
    if (!verifyDeviceSecret(secret, { salt: row.secret_salt, hash: row.secret_hash })) return 'denied';
    if (row.revoked_at !== null) return 'revoked';
    // A deactivated site's devices stay registered but may not send until it is reactivated.
    return row.site_active === 1 ? 'ok' : 'site_inactive';
  }

  async markAllOffline(at: number): Promise<number> {
    return this.stmt.allOffline.run(at).changes;
  }

  async setPresence(id: string, online: boolean, at: number): Promise<boolean> {
    return this.presenceChange({ id, online, at });
  }

  async setPresenceMany(changes: readonly PresenceUpdate[]): Promise<boolean[]> {
    return this.presenceChanges(changes);
  }

  private presenceChange({ id, online, at }: PresenceUpdate): boolean {
    const flag = online ? 1 : 0;
    return this.stmt.presence.run(flag, at, id, flag).changes > 0;
  }


}
