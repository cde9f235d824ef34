import type Database from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';

export interface DevicePlace {
  site: string;
  /** Materialised path of the site's region. */
  region: string;
  /** The device's profile (chilled, frozen, …): bounded, and what its temperature band depends on. */
  profile: string;
}

/**
 * Where each device is (its site and the site's region path) and its profile, for tagging points
 * sent to InfluxDB. Cached briefly: a site moved to another region is tagged with
 * its new place within `ttlMs`, without a registry lookup per reading.
 */
export class DevicePlaces {
  private readonly cache = new Map<string, { place: DevicePlace; until: number }>();
  private readonly lookup: Database.Statement<[string], DevicePlace>;

  constructor(
    db: SqliteDatabase,
    private readonly ttlMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {
    this.lookup = db.prepare<[string], DevicePlace>(
      `SELECT s.id AS site, r.path AS region, d.profile AS profile FROM devices d JOIN sites s ON s.id = d.site_id JOIN regions r ON r.id = s.region_id WHERE d.id = ?`,
    );
  }

  /** Throws for an unregistered device: its telemetry must not be stored. */
  of(deviceId: string): DevicePlace {
    const now = this.clock();
    const hit = this.cache.get(deviceId);
    if (hit && hit.until > now) return hit.place;
    const place = this.lookup.get(deviceId);
    if (!place) throw new Error(`telemetry for unregistered device ${deviceId}`);
    this.cache.set(deviceId, { place, until: now + this.ttlMs });
    return place;
  }
}
