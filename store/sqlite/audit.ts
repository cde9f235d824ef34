import type { AuditEntry, AuditLog, AuditQuery, NewAuditEntry } from '../accounts.js';
import type { SqliteDatabase } from './database.js';

/** The audit log table. Created by database.ts's migration; rows are only ever inserted. */
export const AUDIT_SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  outcome TEXT NOT NULL,
  ip TEXT,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at);
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log(actor, id);
CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log(action, id);
`;

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  outcome: AuditEntry['outcome'];
  ip: string | null;
  detail: string;
}

export class SqliteAudit implements AuditLog {
  private readonly insert;

  constructor(private readonly db: SqliteDatabase) {
    this.insert = db.prepare(
      'INSERT INTO audit_log (at, actor, action, target, outcome, ip, detail) VALUES (@at, @actor, @action, @target, @outcome, @ip, @detail)',
    );
  }

  async record(entry: NewAuditEntry): Promise<void> {
    this.insert.run({ ...entry, detail: JSON.stringify(entry.detail) });
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: Record<string, string | number> = { limit: query.limit };
    const add = (key: keyof AuditQuery, sql: string) => {
      const value = query[key];
      if (value === undefined) return;
      where.push(sql);
      params[key] = value;
    };
    add('actor', 'actor = @actor');
    add('action', 'action = @action');
    add('from', 'at >= @from');
    add('to', 'at < @to');
    add('before', 'id < @before');
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`;
    return this.db
      .prepare<[Record<string, string | number>], AuditRow>(sql)
      .all(params)
      .map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }
}
