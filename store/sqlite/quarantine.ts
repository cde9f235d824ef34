import type { QuarantineReader, StoredQuarantineEntry } from '../index.js';
import type { SqliteDatabase } from './database.js';

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

  async list(query: { deviceId?: string; deviceIds?: string[]; before?: number; limit: number }): Promise<StoredQuarantineEntry[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const ids = query.deviceId !== undefined ? [query.deviceId] : query.deviceIds;
    if (ids) {
      if (ids.length === 0) return [];
      where.push(`device_id IN (${ids.map(() => '?').join(', ')})`);
      params.push(...ids);
    }
    if (query.before !== undefined) {
      where.push('id < ?');
      params.push(query.before);
    }
    const sql = `SELECT * FROM quarantine ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare<(string | number)[], QuarantineRow>(sql).all(...params, query.limit);
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
