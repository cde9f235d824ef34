import type { TokenResponse } from '../../contracts/accounts.js';
import { fromLogin, saveTokens, type Tokens } from './token.js';

/** Refresh this long before the access token expires, so requests never meet an expired one. */
const REFRESH_AHEAD_MS = 60_000;

export class LoginError extends Error {
  constructor(readonly status: number) {
    super(`login refused (${status})`);
    this.name = 'LoginError';
  }
}

/** `POST /api/v1/auth/login`. */
export async function login(username: string, password: string): Promise<Tokens> {
  const response = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new LoginError(response.status);
  const tokens = fromLogin((await response.json()) as TokenResponse);
  saveTokens(tokens);
  return tokens;
}

/**
 * The current access token, renewed with the refresh token shortly before it
 * expires and whenever the server refuses it. Only one refresh runs at a time:
 * a refresh token works once, so two parallel refreshes would end the session.
 */
export class Credentials {
  private refreshing: Promise<boolean> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(private tokens: Tokens) {
    this.schedule();
  }

  get token(): string {
    return this.tokens.accessToken;
  }

  /** A break-glass token from the link: no refresh, no user record behind it. */
  get breakGlass(): boolean {
    return this.tokens.refreshToken === null;
  }

  /** Gets a new access token; false if the session cannot be renewed (log in again). */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /** Ends the session on the server too (best effort: the page forgets the tokens either way). */
  async logout(): Promise<void> {
    this.close();
    if (!this.tokens.refreshToken) return;
    try {
      await fetch('/api/v1/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${this.tokens.accessToken}` } });
    } catch {
      // Offline: the session ends on its own when its tokens expire.
    }
  }

  private async doRefresh(): Promise<boolean> {
    if (!this.tokens.refreshToken || this.closed) return false;
    try {
      const response = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ refreshToken: this.tokens.refreshToken }),
      });
      if (!response.ok) return false;
      this.tokens = fromLogin((await response.json()) as TokenResponse);
      saveTokens(this.tokens);
      this.schedule();
      return true;
    } catch {
      // Network trouble: the caller shows it and retries later.
      return false;
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.tokens.expiresAt === null || !this.tokens.refreshToken || this.closed) return;
    const delay = Math.max(1_000, this.tokens.expiresAt - Date.now() - REFRESH_AHEAD_MS);
    this.timer = setTimeout(() => void this.refresh(), delay);
  }
}
