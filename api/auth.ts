import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../contracts/index.js';
import { ApiError } from './errors.js';

/** The principal of the bootstrap admin token (SK_ADMIN_TOKEN). */
export const ADMIN_TOKEN_PRINCIPAL: Principal = Object.freeze({ id: 'admin-token', role: 'admin', scope: Object.freeze({ kind: 'all' }) }) as Principal;

/** Turns a bearer token (or `Authorization` header) into the caller's principal, or throws 401. */
export type Authenticate = (header: string | undefined) => Principal;

/**
 * Bearer-token check with a single admin token from config. User accounts and
 * jurisdiction scoping replace this in the accounts issue; every route and the
 * socket.io handshake already go through this one function.
 */
export function createTokenCheck(adminToken: string): Authenticate {
  const expected = createHash('sha256').update(adminToken).digest();
  return (header) => {
    const token = header?.startsWith('Bearer ') ? header.slice(7) : header;
    if (!token) throw new ApiError(401, 'unauthorized', 'missing bearer token');
    // Compare digests so the comparison takes the same time whatever the length.
    const given = createHash('sha256').update(token).digest();
    if (!timingSafeEqual(given, expected)) throw new ApiError(401, 'unauthorized', 'invalid token');
    return ADMIN_TOKEN_PRINCIPAL;
  };
}
