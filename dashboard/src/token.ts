/**
 * Where the access token comes from: the URL fragment `#token=…` (a fragment is
 * never sent to the server or written to its access log), else this tab's
 * sessionStorage, else the token form.
 */

const STORAGE_KEY = 'sunshine-kitchen.token';

/** Take a token from `#token=…`, remove it from the address bar, and remember it. */
export function takeTokenFromFragment(): string | null {
  const hash = window.location.hash;
  if (!hash.startsWith('#')) return null;
  const params = new URLSearchParams(hash.slice(1));
  const token = params.get('token')?.trim();
  if (!token) return null;
  params.delete('token');
  const rest = params.toString();
  // Drop the token from the address bar and history, so it is not bookmarked or shared by accident.
  history.replaceState(history.state, '', `${window.location.pathname}${window.location.search}${rest ? `#${rest}` : ''}`);
  saveToken(token);
  return token;
}

export function loadToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled by the browser; the user then types the token each time.
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage disabled: the token lives only in memory for this page load.
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage disabled: nothing was stored.
  }
}
