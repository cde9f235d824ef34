import type { QuarantineReader, SiteScope, StoredQuarantineEntry } from '../index.js';
import type { SqliteDatabase } from './database.js';
import { scopeCondition } from './scope-sql.js';

interface QuarantineRow {
  id: number;
  device_id: string | null;
  channel: StoredQuarantineEntry['channel'];
  reason: StoredQuarantineEntry['reason'];
  detail: string;
  payload: Buffer;
  received_at: number;
}

export class SqliteQuarantine implements QuarantineReader {
  constructor(private readonly db: SqliteDatabase) {}

  async list(query: { deviceId?: string; deviceIds?: string[]; scope?: SiteScope; before?: number; limit: number }): Promise<StoredQuarantineEntry[]> {
    const where: string[] = [];
    const params: Record<string, string | number> = { limit: query.limit };
    const ids = query.deviceId !== undefined ? [query.deviceId] : query.deviceIds;
    if (ids) {
      if (ids.length === 0) return [];
      where.push(`q.device_id IN (${ids.map((_, i) => `@id_${i}`).join(', ')})`);
      ids.forEach((id, i) => (params[`id_${i}`] = id));
    }
    if (query.before !== undefined) {
      where.push('q.id < @before');
      params.before = query.before;
    }
    let from = 'quarantine q';
    if (query.scope && query.scope.kind !== 'all') {
      // An inner join: entries of unknown devices (no site) are outside every limited scope.
      from += ' JOIN devices d ON d.id = q.device_id JOIN sites s ON s.id = d.site_id JOIN regions r ON r.id = s.region_id';
      const scope = scopeCondition(query.scope);
      where.push(scope.sql);
      Object.assign(params, scope.params);
    }
    const sql = `SELECT q.* FROM ${from} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY q.id DESC LIMIT @limit`;
    const rows = this.db.prepare<[Record<string, string | number>], QuarantineRow>(sql).all(params);
    return rows.map((r) => ({
      id: r.id,
      deviceId: r.device_id,
      channel: r.channel,
      reason: r.reason,
      detail: r.detail,
      payload: r.payload,
      receivedAt: r.received_at,
    }));
  }
}
