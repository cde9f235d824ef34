import type { Principal, TokenResponse, User } from '../../contracts/index.js';
import type { AccountStore, UserRecord } from '../../store/index.js';
import type { AuditRecorder } from '../audit.js';
import { ApiError } from '../errors.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { DEFAULT_SCRYPT, hashPassword, needsRehash, verifyPassword, type ScryptParams } from './passwords.js';
import { AccessTokens, hashRefreshToken, newRefreshToken, newSessionId, TokenError, type TokenLifetimes } from './tokens.js';

/** A verified caller: who, and which login session (null for the break-glass token, which has none). */
export interface Authenticated {
  principal: Principal;
  sessionId: string | null;
  /** When the presented token stops being accepted, epoch ms; null if never (break-glass). */
  expiresAt: number | null;
}

export interface AccountServiceOptions {
  store: AccountStore;
  audit: AuditRecorder;
  tokenSecret: Buffer;
  lifetimes: TokenLifetimes;
  scrypt?: ScryptParams;
  throttle: Omit<LoginThrottleOptions, 'clock'>;
  clock: () => number;
}

export const toUser = (u: UserRecord): User => ({ ...u });

const invalidCredentials = () => new ApiError(401, 'invalid_credentials', 'wrong user name or password');

/**
 * Logins, refreshes, logouts and password changes, and turning an access token
 * back into a principal. Every outcome that matters is written to the audit log.
 */
export class AccountService {
  private readonly tokens: AccessTokens;
  private readonly throttle: LoginThrottle;
  private readonly scrypt: ScryptParams;
  /** Checked against when the user does not exist, so an unknown name costs as much time as a wrong password. */
  private readonly dummyHash: Promise<string>;

  constructor(private readonly options: AccountServiceOptions) {
    this.scrypt = options.scrypt ?? DEFAULT_SCRYPT;
    this.tokens = new AccessTokens(options.tokenSecret, options.lifetimes.accessTtlMs, options.clock);
    this.throttle = new LoginThrottle({ ...options.throttle, clock: options.clock });
    this.dummyHash = hashPassword('no such user: constant-time answer', this.scrypt);
  }

  hash(password: string): Promise<string> {
    return hashPassword(password, this.scrypt);
  }

  async login(username: string, password: string, ip: string): Promise<TokenResponse> {
    const { store, audit } = this.options;
    const wait = this.throttle.retryAfterMs(username, ip);
    if (wait > 0) {
      await audit({ actor: 'anonymous', action: 'auth:login', target: null, outcome: 'denied', ip, detail: { username, reason: 'throttled' } });
      throw new ApiError(429, 'too_many_attempts', `too many failed logins; try again in ${Math.ceil(wait / 1000)} s`, { retryAfterS: Math.ceil(wait / 1000) });
    }
    const stored = await store.passwordHash(username);
    const ok = await verifyPassword(password, stored ?? (await this.dummyHash));
    const user = stored !== undefined && ok ? await store.getUser(username) : undefined;
    if (!user || user.disabledAt !== null) {
      this.throttle.failure(username, ip);
      const reason = !stored ? 'unknown_user' : !ok ? 'wrong_password' : 'disabled';
      await audit({ actor: 'anonymous', action: 'auth:login', target: stored ? `user:${username}` : null, outcome: 'failed', ip, detail: { username, reason } });
      throw invalidCredentials();
    }
    this.throttle.success(username);
    if (needsRehash(stored!, this.scrypt)) await store.setPassword(user.id, await this.hash(password), user.passwordChangedAt);
    const now = this.options.clock();
    const sessionId = newSessionId();
    const refresh = newRefreshToken();
    const refreshExpiresAt = Math.min(now + this.options.lifetimes.refreshTtlMs, now + this.options.lifetimes.sessionMaxMs);
    await store.createSession(
      { id: sessionId, userId: user.id, createdAt: now, expiresAt: now + this.options.lifetimes.sessionMaxMs },
      { hash: refresh.hash, expiresAt: refreshExpiresAt },
    );
    await audit({ actor: user.id, action: 'auth:login', target: `user:${user.id}`, outcome: 'ok', ip, detail: { session: sessionId } });
    const access = await this.tokens.issue(user.id, sessionId);
    return { tokenType: 'Bearer', accessToken: access.token, accessTokenExpiresAt: access.expiresAt, accessTokenExpiresInMs: access.expiresAt - now, refreshToken: refresh.token, refreshTokenExpiresAt: refreshExpiresAt, user: toUser(user) };
  }

  async refresh(refreshToken: string, ip: string): Promise<TokenResponse> {
    const { store, audit } = this.options;
    const now = this.options.clock();
    const next = newRefreshToken();
    const outcome = await store.rotateRefreshToken(hashRefreshToken(refreshToken), { hash: next.hash, expiresAt: now + this.options.lifetimes.refreshTtlMs }, now);
    const refused = () => new ApiError(401, 'invalid_refresh_token', 'refresh token is not valid; log in again');
    if (outcome.status === 'reused') {
      await audit({ actor: outcome.session.userId, action: 'auth:refresh-reuse', target: `user:${outcome.session.userId}`, outcome: 'denied', ip, detail: { session: outcome.session.id } });
      throw refused();
    }
    if (outcome.status !== 'ok') throw refused();
    const user = await store.getUser(outcome.session.userId);
    if (!user || user.disabledAt !== null) throw refused();
    const access = await this.tokens.issue(user.id, outcome.session.id);
    return {
      tokenType: 'Bearer',
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      accessTokenExpiresInMs: access.expiresAt - now,
      refreshToken: next.token,
      refreshTokenExpiresAt: Math.min(now + this.options.lifetimes.refreshTtlMs, outcome.session.expiresAt),
      user: toUser(user),
    };
  }

  /** Ends one session: its refresh token and every access token carrying its id. */
  async logout(auth: Authenticated, ip: string): Promise<void> {
    if (!auth.sessionId) throw new ApiError(400, 'no_session', 'the break-glass admin token has no session to end');
    await this.options.store.revokeSession(auth.sessionId, this.options.clock(), 'logout');
    await this.options.audit({ actor: auth.principal.id, action: 'auth:logout', target: `user:${auth.principal.id}`, outcome: 'ok', ip, detail: { session: auth.sessionId } });
  }

  /** Changes the caller's password; every other session of theirs ends. Returns the ended sessions. */
  async changePassword(auth: Authenticated, current: string, next: string, ip: string): Promise<string[]> {
    const { store, audit } = this.options;
    const userId = auth.principal.id;
    if (!auth.sessionId) throw new ApiError(400, 'no_session', 'the break-glass admin token has no password');
    // A stolen access token must not become a way to guess the password: same throttle as logins.
    const wait = this.throttle.retryAfterMs(userId, ip);
    if (wait > 0) throw new ApiError(429, 'too_many_attempts', `too many failed attempts; try again in ${Math.ceil(wait / 1000)} s`, { retryAfterS: Math.ceil(wait / 1000) });
    const stored = await store.passwordHash(userId);
    if (!stored || !(await verifyPassword(current, stored))) {
      this.throttle.failure(userId, ip);
      await audit({ actor: userId, action: 'auth:password-change', target: `user:${userId}`, outcome: 'failed', ip, detail: { reason: 'wrong_password' } });
      throw new ApiError(400, 'wrong_password', 'the current password is wrong');
    }
    this.throttle.success(userId);
    const now = this.options.clock();
    await store.setPassword(userId, await this.hash(next), now);
    const ended = await store.revokeUserSessions(userId, now, 'password_change', auth.sessionId);
    await audit({ actor: userId, action: 'auth:password-change', target: `user:${userId}`, outcome: 'ok', ip, detail: { sessionsEnded: ended.length } });
    return ended;
  }

  /** Turns an access token into the caller; throws 401 for anything else. */
  async authenticateToken(token: string): Promise<Authenticated> {
    let claims;
    try {
      claims = await this.tokens.verify(token);
    } catch (error) {
      if (error instanceof TokenError) throw new ApiError(401, error.code === 'expired' ? 'token_expired' : 'unauthorized', error.message);
      throw error;
    }
    const principal = await this.principalOf(claims.userId, claims.sessionId);
    if (!principal) throw new ApiError(401, 'unauthorized', 'session ended');
    return { principal, sessionId: claims.sessionId, expiresAt: claims.expiresAt };
  }

  /**
   * The principal of a user's session as the store says now, or undefined if the
   * user is gone or disabled or the session ended. Live sockets re-check with it.
   */
  async principalOf(userId: string, sessionId: string): Promise<Principal | undefined> {
    const [user, session] = await Promise.all([this.options.store.getUser(userId), this.options.store.getSession(sessionId)]);
    if (!user || user.disabledAt !== null) return undefined;
    if (!session || session.userId !== userId || session.revokedAt !== null || session.expiresAt <= this.options.clock()) return undefined;
    return { id: user.id, role: user.role, scope: user.scope };
  }
}
