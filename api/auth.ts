import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../contracts/index.js';
import type { AccountService, Authenticated } from './accounts/service.js';
import { ApiError } from './errors.js';

export type { Authenticated } from './accounts/service.js';

/**
 * The principal of the break-glass admin token (SK_ADMIN_TOKEN). It exists for
 * recovery (every admin locked out) and automation; it never expires, so it is
 * accepted only when configured explicitly; what is done with it is audited
 * under the actor `admin-token`.
 */
export const ADMIN_TOKEN_PRINCIPAL: Principal = Object.freeze({ id: 'admin-token', role: 'admin', scope: Object.freeze({ kind: 'all' }) }) as Principal;

/** Turns a bearer token (or `Authorization` header) into the caller, or throws 401. */
export type Authenticate = (header: string | undefined) => Promise<Authenticated>;

/**
 * The one token check for every `/api/v1` route and the socket.io handshake:
 * a user's access token (JWT, see accounts/tokens.ts), or the break-glass admin
 * token when one is configured.
 */
export function createAuthenticate(accounts: AccountService, breakGlassToken: string | undefined): Authenticate {
  const expected = breakGlassToken ? createHash('sha256').update(breakGlassToken).digest() : undefined;
  return async (header) => {
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : header;
    if (!token) throw new ApiError(401, 'unauthorized', 'missing bearer token');
    if (expected) {
      // Compare digests so the comparison takes the same time whatever the length.
      const given = createHash('sha256').update(token).digest();
      if (timingSafeEqual(given, expected)) return { principal: ADMIN_TOKEN_PRINCIPAL, sessionId: null, expiresAt: null };
    }
    return accounts.authenticateToken(token);
  };
}
