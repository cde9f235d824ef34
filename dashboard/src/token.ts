import type { TokenResponse } from '../../contracts/accounts.js';

/**
 * The page's credentials: after a login, a short-lived access token and a
 * one-use refresh token; or a break-glass admin token from the URL fragment
 * `#token=…` (a fragment never reaches the server or its logs), which has no
 * refresh. Kept in this tab's sessionStorage only.
 */
export interface Tokens {
  accessToken: string;
  refreshToken: string | null;
  /** Epoch ms on this browser's clock; null for a token that does not expire. */
  expiresAt: number | null;
}

const STORAGE_KEY = 'sunshine-kitchen.session';

/** Take a token from `#token=…`, remove it from the address bar, and remember it. */
export function takeTokenFromFragment(): Tokens | null {
  const hash = window.location.hash;
  if (!hash.startsWith('#')) return null;
  const params = new URLSearchParams(hash.slice(1));
  const token = params.get('token')?.trim();
  if (!token) return null;
  params.delete('token');
  const rest = params.toString();
  // Drop the token from the address bar and history, so it is not bookmarked or shared by accident.
  history.replaceState(history.state, '', `${window.location.pathname}${window.location.search}${rest ? `#${rest}` : ''}`);
  const tokens = { accessToken: token, refreshToken: null, expiresAt: null };
  saveTokens(tokens);
  return tokens;
}

/** The expiry is taken relative to this browser's clock, which may differ from the server's. */
export function fromLogin(response: TokenResponse): Tokens {
  return { accessToken: response.accessToken, refreshToken: response.refreshToken, expiresAt: Date.now() + response.accessTokenExpiresInMs };
}

export function loadTokens(): Tokens | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    // Storage disabled or a damaged entry: log in again.
    return null;
  }
}

export function saveTokens(tokens: Tokens): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
  } catch {
    // Storage disabled: the tokens live only in memory for this page load.
  }
}

export function clearTokens(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage disabled: nothing was stored.
  }
}
