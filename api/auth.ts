import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.js';

/**
 * Bearer-token check with a single admin token from config. User accounts and
 * jurisdiction scoping replace this in the accounts issue; every route already
 * goes through this one function, so that change has one place to land.
 */
export function createTokenCheck(adminToken: string): (header: string | undefined) => void {
  const expected = createHash('sha256').update(adminToken).digest();
  return (header) => {
    const token = header?.startsWith('Bearer ') ? header.slice(7) : header;
    if (!token) throw new ApiError(401, 'unauthorized', 'missing bearer token');
    // Compare digests so the comparison takes the same time whatever the length.
    const given = createHash('sha256').update(token).digest();
    if (!timingSafeEqual(given, expected)) throw new ApiError(401, 'unauthorized', 'invalid token');
  };
}
