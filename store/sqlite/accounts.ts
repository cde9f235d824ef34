import type { Role, Scope } from '../../contracts/index.js';
import {
  AccountError,
  type AccountStore,
  type NewRefreshToken,
  type NewSession,
  type NewUser,
  type RefreshOutcome,
  type SessionRecord,
  type UserRecord,
  type UserUpdate,
} from '../accounts.js';
import type { SqliteDatabase } from './database.js';

/** Users, their site lists, login sessions and refresh tokens. Created by database.ts's migration. */
export const ACCOUNTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'operator')),
  -- supervisors only; operators' sites are in user_sites
  region_id TEXT REFERENCES regions(id),
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  disabled_at INTEGER,
  password_changed_at INTEGER NOT NULL,
  CHECK ((role = 'supervisor') = (region_id IS NOT NULL))
);
CREATE TABLE IF NOT EXISTS user_sites (
  user_id TEXT NOT NULL REFERENCES users(id),
  site_id TEXT NOT NULL REFERENCES sites(id),
  PRIMARY KEY (user_id, site_id)
);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  revoked_reason TEXT
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS refresh_tokens (
  hash BLOB PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id),
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX IF NOT EXISTS refresh_tokens_session ON refresh_tokens(session_id);
`;

interface UserRow {
  id: string;
  display_name: string;
  role: Role;
  region_id: string | null;
  created_at: number;
  disabled_at: number | null;
  password_changed_at: number;
}
interface SessionRow {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
}

const toSession = (r: SessionRow): SessionRecord => ({
  id: r.id,
  userId: r.user_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  revokedReason: r.revoked_reason,
});

const USER_COLUMNS = 'id, display_name, role, region_id, created_at, disabled_at, password_changed_at';

/** Each role has exactly one kind of scope. */
const SCOPE_OF_ROLE: Readonly<Record<Role, Scope['kind']>> = { admin: 'all', supervisor: 'region', operator: 'sites' };

export class SqliteAccounts implements AccountStore {
  private readonly stmt;

  constructor(private readonly db: SqliteDatabase) {
    this.stmt = {
      user: db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`),
      users: db.prepare<[], UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY id`),
      sitesOf: db.prepare<[string], { site_id: string }>('SELECT site_id FROM user_sites WHERE user_id = ? ORDER BY site_id'),
      insertUser: db.prepare(
        `INSERT INTO users (id, display_name, role, region_id, password_hash, created_at, password_changed_at)
         VALUES (@id, @displayName, @role, @regionId, @passwordHash, @at, @at)`,
      ),
      setAccess: db.prepare('UPDATE users SET role = @role, region_id = @regionId WHERE id = @id'),
      setName: db.prepare('UPDATE users SET display_name = ? WHERE id = ?'),
      disable: db.prepare('UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL'),
      enable: db.prepare('UPDATE users SET disabled_at = NULL WHERE id = ?'),
      clearSites: db.prepare('DELETE FROM user_sites WHERE user_id = ?'),
      addSite: db.prepare('INSERT OR IGNORE INTO user_sites (user_id, site_id) VALUES (?, ?)'),
      regionExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM regions WHERE id = ?'),
      siteExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM sites WHERE id = ?'),
      passwordHash: db.prepare<[string], { password_hash: string }>('SELECT password_hash FROM users WHERE id = ?'),
      setPassword: db.prepare('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?'),
      insertSession: db.prepare('INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (@id, @userId, @createdAt, @expiresAt)'),
      session: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
      insertRefresh: db.prepare('INSERT INTO refresh_tokens (hash, session_id, issued_at, expires_at) VALUES (?, ?, ?, ?)'),
      refresh: db.prepare<[Buffer], { session_id: string; expires_at: number; used_at: number | null }>(
        'SELECT session_id, expires_at, used_at FROM refresh_tokens WHERE hash = ?',
      ),
      useRefresh: db.prepare('UPDATE refresh_tokens SET used_at = ? WHERE hash = ?'),
      revokeSession: db.prepare('UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL'),
      openSessions: db.prepare<[string], { id: string }>('SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL'),
    };
  }

  private toUser(row: UserRow): UserRecord {
    const scope: Scope =
      row.role === 'admin'
        ? { kind: 'all' }
        : row.role === 'supervisor'
          ? { kind: 'region', regionId: row.region_id! }
          : { kind: 'sites', siteIds: this.stmt.sitesOf.all(row.id).map((r) => r.site_id) };
    return {
      id: row.id,
      displayName: row.display_name,
      role: row.role,
      scope,
      createdAt: row.created_at,
      disabledAt: row.disabled_at,
      passwordChangedAt: row.password_changed_at,
    };
  }

  /** Checks that a scope fits its role and names things that exist. */
  private checkAccess(role: Role, scope: Scope): void {
    if (SCOPE_OF_ROLE[role] !== scope.kind) {
      throw new AccountError('scope_mismatch', `a ${role} has a scope of kind ${SCOPE_OF_ROLE[role]}, not ${scope.kind}`);
    }
    if (scope.kind === 'region' && !this.stmt.regionExists.get(scope.regionId)) {
      throw new AccountError('scope_not_found', `region ${scope.regionId} does not exist`);
    }
    if (scope.kind === 'sites') {
      const missing = scope.siteIds.filter((id) => !this.stmt.siteExists.get(id));
      if (missing.length) throw new AccountError('scope_not_found', `sites do not exist: ${missing.join(', ')}`);
    }
  }

  private writeAccess(id: string, role: Role, scope: Scope): void {
    this.stmt.setAccess.run({ id, role, regionId: scope.kind === 'region' ? scope.regionId : null });
    this.stmt.clearSites.run(id);
    if (scope.kind === 'sites') for (const siteId of scope.siteIds) this.stmt.addSite.run(id, siteId);
  }

  async createUser(user: NewUser): Promise<UserRecord> {
    this.checkAccess(user.role, user.scope);
    this.db.transaction(() => {
      if (this.stmt.user.get(user.id)) throw new AccountError('user_exists', `user ${user.id} already exists`);
      this.stmt.insertUser.run({
        id: user.id,
        displayName: user.displayName,
        role: user.role,
        regionId: user.scope.kind === 'region' ? user.scope.regionId : null,
        passwordHash: user.passwordHash,
        at: user.at,
      });
      this.writeAccess(user.id, user.role, user.scope);
    })();
    return this.toUser(this.stmt.user.get(user.id)!);
  }

  async getUser(id: string): Promise<UserRecord | undefined> {
    const row = this.stmt.user.get(id);
    return row && this.toUser(row);
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.stmt.users.all().map((r) => this.toUser(r));
  }

  async updateUser(id: string, update: UserUpdate, at: number): Promise<UserRecord> {
    if (!this.stmt.user.get(id)) throw new AccountError('user_not_found', `user ${id} does not exist`);
    if (update.access) this.checkAccess(update.access.role, update.access.scope);
    this.db.transaction(() => {
      if (update.displayName !== undefined) this.stmt.setName.run(update.displayName, id);
      if (update.access) this.writeAccess(id, update.access.role, update.access.scope);
      if (update.disabled === true) this.stmt.disable.run(at, id);
      if (update.disabled === false) this.stmt.enable.run(id);
    })();
    return this.toUser(this.stmt.user.get(id)!);
  }

  async passwordHash(id: string): Promise<string | undefined> {
    return this.stmt.passwordHash.get(id)?.password_hash;
  }

  async setPassword(id: string, passwordHash: string, at: number): Promise<void> {
    if (this.stmt.setPassword.run(passwordHash, at, id).changes === 0) throw new AccountError('user_not_found', `user ${id} does not exist`);
  }

  async createSession(session: NewSession, refresh: NewRefreshToken): Promise<void> {
    this.db.transaction(() => {
      this.stmt.insertSession.run(session);
      this.stmt.insertRefresh.run(refresh.hash, session.id, session.createdAt, Math.min(refresh.expiresAt, session.expiresAt));
    })();
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const row = this.stmt.session.get(id);
    return row && toSession(row);
  }

  async rotateRefreshToken(presented: Buffer, next: NewRefreshToken, at: number): Promise<RefreshOutcome> {
    return this.db.transaction((): RefreshOutcome => {
      const token = this.stmt.refresh.get(presented);
      if (!token) return { status: 'unknown' };
      const session = this.stmt.session.get(token.session_id)!;
      if (session.revoked_at !== null) return { status: 'revoked' };
      if (token.used_at !== null) {
        // The token was used before: someone holds a copy. End the whole session (RFC 9700 §4.14.2).
        this.stmt.revokeSession.run(at, 'refresh_reuse', session.id);
        return { status: 'reused', session: toSession(this.stmt.session.get(session.id)!) };
      }
      if (token.expires_at <= at || session.expires_at <= at) return { status: 'expired' };
      this.stmt.useRefresh.run(at, presented);
      this.stmt.insertRefresh.run(next.hash, session.id, at, Math.min(next.expiresAt, session.expires_at));
      return { status: 'ok', session: toSession(session) };
    })();
  }

  async revokeSession(id: string, at: number, reason: string): Promise<boolean> {
    return this.stmt.revokeSession.run(at, reason, id).changes > 0;
  }

  async revokeUserSessions(userId: string, at: number, reason: string, keep?: string): Promise<string[]> {
    return this.db.transaction(() => {
      const ended: string[] = [];
      for (const { id } of this.stmt.openSessions.all(userId)) {
        if (id === keep) continue;
        this.stmt.revokeSession.run(at, reason, id);
        ended.push(id);
      }
      return ended;
    })();
  }
}
