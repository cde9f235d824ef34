import type { Role, Scope } from '../contracts/index.js';

/**
 * User accounts and login sessions. Passwords arrive here already hashed (the
 * API hashes them with scrypt); refresh tokens arrive as SHA-256 digests of
 * 256-bit random values. Nothing in this store can be turned back into a secret.
 */

/** A user as everyone but the password check sees it. */
export interface UserRecord {
  /** The login name; immutable, also the "who" of the audit log. */
  id: string;
  displayName: string;
  role: Role;
  /** admin → `all`; supervisor → one `region`; operator → `sites`. */
  scope: Scope;
  createdAt: number;
  /** Set when an admin disables the account; a disabled user cannot log in and their sessions end. */
  disabledAt: number | null;
  passwordChangedAt: number;
}

export interface NewUser {
  id: string;
  displayName: string;
  role: Role;
  scope: Scope;
  passwordHash: string;
  at: number;
}

/** Fields an admin may change. `role` and `scope` change together, since each role has its kind of scope. */
export interface UserUpdate {
  displayName?: string;
  access?: { role: Role; scope: Scope };
  disabled?: boolean;
}

/** One login: a family of refresh tokens. Access tokens carry its id (`sid`), so revoking it ends them too. */
export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: number;
  /** Absolute end: refreshing never extends a session past it. */
  expiresAt: number;
  revokedAt: number | null;
  revokedReason: string | null;
}

export interface NewSession {
  id: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
}

export interface NewRefreshToken {
  /** SHA-256 of the token; the token itself is only ever in the client's hands. */
  hash: Buffer;
  expiresAt: number;
}

/**
 * What presenting a refresh token did. A token is good once: presenting a used
 * one again means it was copied, so the whole session is revoked (`reused`).
 */
export type RefreshOutcome =
  | { status: 'ok'; session: SessionRecord }
  | { status: 'unknown' }
  | { status: 'expired' }
  | { status: 'revoked' }
  | { status: 'reused'; session: SessionRecord };

export interface AccountStore {
  /** Throws {@link AccountError} `user_exists`, `scope_mismatch` or `scope_not_found`. */
  createUser(user: NewUser): Promise<UserRecord>;
  getUser(id: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  /** Throws {@link AccountError} `user_not_found`, `scope_mismatch` or `scope_not_found`. */
  updateUser(id: string, update: UserUpdate, at: number): Promise<UserRecord>;
  /** The stored password hash (scrypt, self-describing string), for the login check only. */
  passwordHash(id: string): Promise<string | undefined>;
  setPassword(id: string, passwordHash: string, at: number): Promise<void>;
  /** Starts a session with its first refresh token. */
  createSession(session: NewSession, refresh: NewRefreshToken): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  /**
   * Exchanges a refresh token for the next one of the same session, in one
   * transaction. The new token never outlives the session.
   */
  rotateRefreshToken(presented: Buffer, next: NewRefreshToken, at: number): Promise<RefreshOutcome>;
  /** Ends a session and every token of it; returns false if it was already ended or unknown. */
  revokeSession(id: string, at: number, reason: string): Promise<boolean>;
  /** Ends every open session of a user except `keep`; returns the ids it ended. */
  revokeUserSessions(userId: string, at: number, reason: string, keep?: string): Promise<string[]>;
}

export type AccountErrorCode = 'user_exists' | 'user_not_found' | 'scope_mismatch' | 'scope_not_found';

/** An account change that would break the rules of roles and scopes, or refer to something missing. */
export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

/** One audited action: who did what to which object, and whether it worked. */
export interface AuditEntry {
  id: number;
  at: number;
  /** A user id, `admin-token` (break-glass), `anonymous` (failed logins: the name tried is in `detail`) or `system`. */
  actor: string;
  /** `domain:verb`, e.g. `auth:login`, `device:revoke`, `alert:acknowledge`. */
  action: string;
  /** What was acted on (`device:fridge-1`, `user:li.wei`), or null. */
  target: string | null;
  outcome: 'ok' | 'denied' | 'failed';
  /** The caller's address, when the action came over HTTP. */
  ip: string | null;
  /** Small JSON facts (never secrets). */
  detail: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  actor?: string;
  action?: string;
  /** Inclusive, epoch ms. */
  from?: number;
  /** Exclusive, epoch ms. */
  to?: number;
  /** Pages by id, newest first. */
  before?: number;
  limit: number;
}

/** Append-only log of who did what. Entries are never changed or removed through this interface. */
export interface AuditLog {
  record(entry: NewAuditEntry): Promise<void>;
  /** Newest first. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
}
