import type { SiteId } from '../../contracts/index.js';
import type { OverviewQuery, OverviewReader, SiteFigures } from '../index.js';
import type { SqliteDatabase } from './database.js';
import { scopeCondition } from './scope-sql.js';

type Params = Record<string, string | number>;

/**
 * The overview's counts, grouped by site in SQL: one pass over devices, one over
 * unresolved alerts (partial index `alerts_state`), and range scans over alerts
 * created today and in the period (index `alerts_created`). The API sums sites
 * into regions, so a city of thousands of sites costs a few grouped scans, not a
 * query per site.
 */
export class SqliteOverview implements OverviewReader {
  constructor(private readonly db: SqliteDatabase) {}

  async siteFigures(query: OverviewQuery): Promise<SiteFigures[]> {
    const { where, params } = this.filters(query);
    const sites = 'sites s JOIN regions r ON r.id = s.region_id';
    /** `table alias` joined to its site and region, for the scope condition. */
    const inSites = (table: string, siteColumn: string) => `${table} JOIN sites s ON s.id = ${siteColumn} JOIN regions r ON r.id = s.region_id`;
    const rows = <T>(sql: string) => this.db.prepare<[Params], T>(sql).all(params);

    const figures = new Map<SiteId, SiteFigures>();
    for (const { siteId } of rows<{ siteId: string }>(`SELECT s.id AS siteId FROM ${sites} WHERE ${where} ORDER BY s.id`)) {
      figures.set(siteId, {
        siteId,
        devices: 0,
        devicesOnline: 0,
        cameras: 0,
        camerasOnline: 0,
        open: { info: 0, warning: 0, critical: 0 },
        unacknowledged: 0,
        raisedToday: 0,
        rectifiedToday: 0,
        periodRaised: 0,
        periodRectified: 0,
      });
    }
    const each = <T extends { siteId: string }>(sql: string, apply: (f: SiteFigures, row: T) => void) => {
      for (const row of rows<T>(sql)) {
        const f = figures.get(row.siteId);
        if (f) apply(f, row);
      }
    };

    // Driven from the sites (in key order, each site's devices by the devices_site index), so
    // there is no sort of every device for the GROUP BY: a district reads only its own.
    each<{ siteId: string; total: number; online: number; cameras: number; camerasOnline: number }>(
      `SELECT s.id AS siteId, count(*) AS total, coalesce(sum(d.online), 0) AS online,
              coalesce(sum(d.kind = 'camera'), 0) AS cameras, coalesce(sum(d.kind = 'camera' AND d.online), 0) AS camerasOnline
       FROM ${sites} JOIN devices d ON d.site_id = s.id WHERE d.revoked_at IS NULL AND ${where} GROUP BY s.id`,
      (f, row) => {
        f.devices = row.total;
        f.devicesOnline = row.online;
        f.cameras = row.cameras;
        f.camerasOnline = row.camerasOnline;
      },
    );
    const alerts = inSites('alerts a', 'a.site_id');
    // Unresolved alerts are few (one per device and rule at most): read them through the partial
    // index alerts_state and count here; a GROUP BY makes SQLite walk every alert by site instead.
    each<{ siteId: string; severity: keyof SiteFigures['open']; state: string }>(
      `SELECT a.site_id AS siteId, a.severity, a.state FROM ${alerts} WHERE a.state != 'resolved' AND ${where}`,
      (f, row) => {
        if (row.severity in f.open) f.open[row.severity] += 1;
        if (row.state === 'open') f.unacknowledged += 1;
      },
    );
    each<{ siteId: string; n: number }>(
      `SELECT a.site_id AS siteId, count(*) AS n FROM ${alerts}
       WHERE a.created_at >= @dayStart AND a.created_at < @dayEnd AND ${where} GROUP BY a.site_id`,
      (f, row) => (f.raisedToday = row.n),
    );
    // Rectified today: the corrective action was recorded today, whenever the alert
    // was raised or cleared. A corrective note on an alert that cleared by itself
    // keeps its resolved_at, so the day is read from the history event.
    each<{ siteId: string; n: number }>(
      `SELECT a.site_id AS siteId, count(*) AS n FROM ${alerts}
       WHERE a.resolution = 'corrected' AND a.updated_at >= @dayStart AND ${where}
         AND EXISTS (SELECT 1 FROM alert_events e WHERE e.alert_id = a.id AND e.type = 'resolved'
                     AND e.at >= @dayStart AND e.at < @dayEnd AND json_extract(e.detail, '$.resolution') = 'corrected')
       GROUP BY a.site_id`,
      (f, row) => (f.rectifiedToday = row.n),
    );
    // The rectification rate (整改率) is rectified ÷ raised: every alert of the period counts,
    // open ones too, except findings dismissed as false (they were never issues).
    each<{ siteId: string; raised: number; rectified: number }>(
      `SELECT s.id AS siteId,
              coalesce(sum(coalesce(a.resolution, '') != 'dismissed'), 0) AS raised,
              coalesce(sum(a.resolution = 'corrected'), 0) AS rectified
       FROM ${sites} JOIN alerts a ON a.site_id = s.id
       WHERE a.created_at >= @periodStart AND a.created_at < @periodEnd AND ${where} GROUP BY s.id`,
      (f, row) => {
        f.periodRaised = row.raised;
        f.periodRectified = row.rectified;
      },
    );
    return [...figures.values()];
  }

  async ackDelays(query: OverviewQuery): Promise<Array<{ siteId: SiteId; ms: number }>> {
    const { where, params } = this.filters(query);
    return this.db
      .prepare<[Params], { siteId: string; ms: number }>(
        `SELECT a.site_id AS siteId, a.acknowledged_at - a.created_at AS ms
         FROM alerts a JOIN sites s ON s.id = a.site_id JOIN regions r ON r.id = s.region_id
         WHERE a.acknowledged_at IS NOT NULL AND a.created_at >= @periodStart AND a.created_at < @periodEnd AND ${where}`,
      )
      .all(params);
  }

  /** Active sites inside the caller's scope and the region asked for (aliases `s`, `r`). */
  private filters(query: OverviewQuery): { where: string; params: Params } {
    const scope = scopeCondition(query.scope);
    const within = scopeCondition(query.regionPath === undefined ? undefined : { kind: 'region', regionPath: query.regionPath }, 's', 'r', 'filter');
    return {
      where: ['s.active = 1', scope.sql, within.sql].join(' AND '),
      params: {
        ...scope.params,
        ...within.params,
        dayStart: query.dayStart,
        dayEnd: query.dayEnd,
        periodStart: query.periodStart,
        periodEnd: query.periodEnd,
      },
    };
  }
}
