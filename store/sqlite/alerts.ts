import type { Alert, AlertAnalytics, AlertEvent, Severity } from '../../contracts/index.js';
import type { AlertPatch, AlertQuery, AlertStore, AnalyticsQuery, NewAlert, NewAlertEvent, SiteScope } from '../index.js';
import type { SqliteDatabase } from './database.js';
import type { DurableCommits } from './durable-commits.js';
import { scopeCondition } from './scope-sql.js';

interface AlertRow {
  id: number;
  device_id: string;
  site_id: string;
  rule: Alert['rule'];
  category: Alert['category'];
  severity: Severity;
  state: Alert['state'];
  raised_at: number;
  created_at: number;
  last_seen_at: number;
  cleared_at: number | null;
  value: number | null;
  limit_value: number | null;
  message: string;
  detail: string;
  occurrences: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  assignee: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution: Alert['resolution'];
  corrective_action: string | null;
  verdict: Alert['verdict'];
  escalation: Alert['escalation'];
  flapping: number;
  notifications: number;
  notified_at: number | null;
  updated_at: number;
}

/** Alert field → column, for inserts and patches. */
const COLUMNS: Readonly<Record<Exclude<keyof Alert, 'id'>, keyof AlertRow>> = {
  deviceId: 'device_id',
  siteId: 'site_id',
  rule: 'rule',
  category: 'category',
  severity: 'severity',
  state: 'state',
  raisedAt: 'raised_at',
  createdAt: 'created_at',
  lastSeenAt: 'last_seen_at',
  clearedAt: 'cleared_at',
  value: 'value',
  limit: 'limit_value',
  message: 'message',
  detail: 'detail',
  occurrences: 'occurrences',
  acknowledgedAt: 'acknowledged_at',
  acknowledgedBy: 'acknowledged_by',
  assignee: 'assignee',
  resolvedAt: 'resolved_at',
  resolvedBy: 'resolved_by',
  resolution: 'resolution',
  correctiveAction: 'corrective_action',
  verdict: 'verdict',
  escalation: 'escalation',
  flapping: 'flapping',
  notifications: 'notifications',
  notifiedAt: 'notified_at',
  updatedAt: 'updated_at',
};

function toColumnValue(field: keyof typeof COLUMNS, value: unknown): string | number | null {
  if (field === 'detail') return JSON.stringify(value ?? {});
  if (field === 'flapping') return value ? 1 : 0;
  return value as string | number | null;
}

function toAlert(r: AlertRow): Alert {
  return {
    id: r.id,
    deviceId: r.device_id,
    siteId: r.site_id,
    rule: r.rule,
    category: r.category,
    severity: r.severity,
    state: r.state,
    raisedAt: r.raised_at,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    clearedAt: r.cleared_at,
    value: r.value,
    limit: r.limit_value,
    message: r.message,
    detail: JSON.parse(r.detail) as Alert['detail'],
    occurrences: r.occurrences,
    acknowledgedAt: r.acknowledged_at,
    acknowledgedBy: r.acknowledged_by,
    assignee: r.assignee,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
    resolution: r.resolution,
    correctiveAction: r.corrective_action,
    verdict: r.verdict,
    escalation: r.escalation,
    flapping: r.flapping === 1,
    notifications: r.notifications,
    notifiedAt: r.notified_at,
    updatedAt: r.updated_at,
  };
}

interface EventRow {
  id: number;
  alert_id: number;
  at: number;
  actor: string;
  type: AlertEvent['type'];
  text: string | null;
  detail: string | null;
}

const toEvent = (r: EventRow): AlertEvent => ({
  id: r.id,
  alertId: r.alert_id,
  at: r.at,
  actor: r.actor,
  type: r.type,
  text: r.text,
  detail: r.detail === null ? null : (JSON.parse(r.detail) as AlertEvent['detail']),
});

type Params = Record<string, string | number>;

export class SqliteAlerts implements AlertStore {
  private readonly stmt;
  private readonly insertAlert;
  private readonly updateAlert;

  /**
   * @param commits the alert writes commit without a sync of their own, and
   *   {@link synced} waits for the thread pool's: an fsync inside each held the
   *   event loop for 0.7 ms (5.4 ms at p99) at every alert raised during 10,000
   *   readings/s.
   */
  constructor(
    private readonly db: SqliteDatabase,
    private readonly commits: DurableCommits,
  ) {
    const fields = Object.keys(COLUMNS) as (keyof typeof COLUMNS)[];
    const insertStmt = db.prepare(
      `INSERT INTO alerts (${fields.map((f) => COLUMNS[f]).join(', ')}) VALUES (${fields.map(() => '?').join(', ')})`,
    );
    this.stmt = {
      get: db.prepare<[number], AlertRow>('SELECT * FROM alerts WHERE id = ?'),
      active: db.prepare<[], AlertRow>("SELECT * FROM alerts WHERE state != 'resolved' ORDER BY id"),
      events: db.prepare<[number], EventRow>('SELECT * FROM alert_events WHERE alert_id = ? ORDER BY id'),
      insertEvent: db.prepare('INSERT INTO alert_events (alert_id, at, actor, type, text, detail) VALUES (?, ?, ?, ?, ?, ?)'),
    };
    const addEvents = (alertId: number, events: readonly NewAlertEvent[]) => {
      for (const e of events) {
        this.stmt.insertEvent.run(alertId, e.at, e.actor, e.type, e.text ?? null, e.detail ? JSON.stringify(e.detail) : null);
      }
    };
    // Each returns the row as its own transaction left it.
    this.insertAlert = commits.relaxed((alert: NewAlert, event: NewAlertEvent): AlertRow => {
      const id = Number(insertStmt.run(...fields.map((f) => toColumnValue(f, alert[f]))).lastInsertRowid);
      addEvents(id, [event]);
      return this.stmt.get.get(id)!;
    });
    this.updateAlert = commits.relaxed((id: number, patch: AlertPatch, events: readonly NewAlertEvent[]) => {
      const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [keyof AlertPatch, unknown][];
      if (entries.length > 0) {
        const sql = `UPDATE alerts SET ${entries.map(([f]) => `${COLUMNS[f]} = ?`).join(', ')} WHERE id = ?`;
        const changes = db.prepare(sql).run(...entries.map(([f, v]) => toColumnValue(f, v)), id).changes;
        if (changes === 0) throw new RangeError(`alert ${id} does not exist`);
      }
      addEvents(id, events);
      const row = this.stmt.get.get(id);
      if (!row) throw new RangeError(`alert ${id} does not exist`);
      return row;
    });
  }

  async create(alert: NewAlert, event: NewAlertEvent): Promise<Alert> {
    return toAlert(this.insertAlert(alert, event));
  }

  async update(id: number, patch: AlertPatch, events: readonly NewAlertEvent[]): Promise<Alert> {
    return toAlert(this.updateAlert(id, patch, events));
  }

  synced(): Promise<void> {
    return this.commits.synced();
  }

  async get(id: number): Promise<Alert | undefined> {
    const row = this.stmt.get.get(id);
    return row && toAlert(row);
  }

  async events(id: number): Promise<AlertEvent[]> {
    return this.stmt.events.all(id).map(toEvent);
  }

  async listActive(): Promise<Alert[]> {
    return this.stmt.active.all().map(toAlert);
  }

  async list(query: AlertQuery): Promise<Alert[]> {
    const { from, where, params } = this.filters(query);
    if (query.state === 'active') where.push("a.state != 'resolved'");
    else if (query.state) add(where, params, 'a.state', 'state', query.state);
    if (query.severity) add(where, params, 'a.severity', 'severity', query.severity);
    if (query.rule) add(where, params, 'a.rule', 'rule', query.rule);
    if (query.category) add(where, params, 'a.category', 'category', query.category);
    if (query.deviceId) add(where, params, 'a.device_id', 'deviceId', query.deviceId);
    if (query.before !== undefined) {
      where.push('a.id < @before');
      params.before = query.before;
    }
    const sql = `SELECT a.* FROM ${from} WHERE ${where.join(' AND ')} ORDER BY a.id DESC LIMIT @limit`;
    return this.db
      .prepare<[Params], AlertRow>(sql)
      .all({ ...params, limit: query.limit })
      .map(toAlert);
  }

  async analytics(query: AnalyticsQuery): Promise<AlertAnalytics> {
    const { from, where, params } = this.filters(query);
    const base = `FROM ${from} WHERE ${[...where, 'a.created_at >= @from', 'a.created_at < @to'].join(' AND ')}`;
    const p: Params = { ...params, from: query.from, to: query.to };
    const one = <T>(sql: string, extra: Params = {}) => this.db.prepare<[Params], T>(sql).get({ ...p, ...extra })!;
    const all = <T>(sql: string) => this.db.prepare<[Params], T>(sql).all(p);

    const totals = one<{ raised: number; resolved: number; rectified: number; dismissed: number; open: number }>(
      `SELECT count(*) AS raised,
              coalesce(sum(a.state = 'resolved'), 0) AS resolved,
              coalesce(sum(a.resolution = 'corrected'), 0) AS rectified,
              coalesce(sum(a.resolution = 'dismissed'), 0) AS dismissed,
              coalesce(sum(a.state != 'resolved'), 0) AS open ${base}`,
    );
    const durations = (column: 'a.acknowledged_at' | 'a.resolved_at') => {
      const d = `(${column} - a.created_at)`;
      const stats = one<{ count: number; mean: number | null }>(`SELECT count(*) AS count, avg(${d}) AS mean ${base} AND ${column} IS NOT NULL`);
      const quantile = (q: number) =>
        stats.count === 0
          ? null
          : one<{ d: number }>(`SELECT ${d} AS d ${base} AND ${column} IS NOT NULL ORDER BY d LIMIT 1 OFFSET @offset`, {
              offset: Math.min(stats.count - 1, Math.floor(q * stats.count)),
            }).d;
      return { count: stats.count, meanMs: stats.mean, medianMs: quantile(0.5), p90Ms: quantile(0.9) };
    };
    // 整改率 as regulators count it: rectified ÷ raised; open alerts count, dismissed (false) findings do not.
    const counted = totals.raised - totals.dismissed;
    return {
      from: query.from,
      to: query.to,
      ...totals,
      rectificationRate: counted > 0 ? totals.rectified / counted : null,
      timeToAcknowledge: durations('a.acknowledged_at'),
      timeToResolve: durations('a.resolved_at'),
      byRule: all<{ rule: string; raised: number; rectified: number }>(
        `SELECT a.rule, count(*) AS raised, coalesce(sum(a.resolution = 'corrected'), 0) AS rectified ${base} GROUP BY a.rule ORDER BY raised DESC, a.rule`,
      ),
      bySite: all<{ siteId: string; raised: number; open: number }>(
        `SELECT a.site_id AS siteId, count(*) AS raised, coalesce(sum(a.state != 'resolved'), 0) AS open ${base}
         GROUP BY a.site_id ORDER BY raised DESC, a.site_id LIMIT 100`,
      ),
      bySeverity: all<{ severity: Severity; raised: number }>(`SELECT a.severity, count(*) AS raised ${base} GROUP BY a.severity ORDER BY a.severity`),
    };
  }

  /**
   * Scope, region and site filters shared by lists and analytics, with the shared
   * scope condition (scope-sql.ts). Sites and regions are joined only when a
   * scope or region limits the result: an unlimited query reads the alerts alone.
   */
  private filters(query: Pick<AlertQuery, 'scope' | 'regionPath' | 'siteId'>): { from: string; where: string[]; params: Params } {
    const region: SiteScope | undefined = query.regionPath === undefined ? undefined : { kind: 'region', regionPath: query.regionPath };
    const limited = query.scope.kind !== 'all' || region !== undefined;
    const from = limited ? 'alerts a JOIN sites s ON s.id = a.site_id JOIN regions r ON r.id = s.region_id' : 'alerts a';
    const scope = scopeCondition(query.scope);
    const within = scopeCondition(region, 's', 'r', 'filter');
    const where = [scope.sql, within.sql];
    const params: Params = { ...scope.params, ...within.params };
    if (query.siteId) add(where, params, 'a.site_id', 'siteId', query.siteId);
    return { from, where, params };
  }
}

function add(where: string[], params: Params, column: string, name: string, value: string | number): void {
  where.push(`${column} = @${name}`);
  params[name] = value;
}
