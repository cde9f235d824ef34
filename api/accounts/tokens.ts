import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

/**
 * Access tokens are JWTs signed with HMAC-SHA256 (RFC 7519, RFC 7518 §3.2) by
 * `jose`. Verification accepts HS256 only, with our issuer and audience, so
 * `alg: none`, an RS256/HS256 confusion or a token for another service is
 * refused before any lookup. A token names the user (`sub`) and the login
 * session (`sid`) and nothing else: role and scope are read from the store on
 * every request, so a changed scope, a disabled user or an ended session take
 * effect at once rather than when the token expires.
 *
 * Refresh tokens are opaque: 256 random bits, stored as SHA-256 (like device
 * secrets, their entropy makes a slow hash pointless), good for one use.
 */
export const ISSUER = 'sunshine-kitchen';
export const AUDIENCE = 'sunshine-kitchen-api';

export interface AccessClaims {
  userId: string;
  sessionId: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface TokenLifetimes {
  accessTtlMs: number;
  refreshTtlMs: number;
  /** A session (a login) ends this long after it began, however often it is refreshed. */
  sessionMaxMs: number;
}

export class TokenError extends Error {
  constructor(
    readonly code: 'expired' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: Buffer,
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {
    if (secret.length < 32) throw new Error('the token signing secret must be at least 32 bytes');
    this.key = new Uint8Array(secret);
  }

  async issue(userId: string, sessionId: string): Promise<{ token: string; expiresAt: number }> {
    const now = this.clock();
    const iat = Math.floor(now / 1000);
    const exp = Math.floor((now + this.ttlMs) / 1000);
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(userId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.key);
    return { token, expiresAt: exp * 1000 };
  }

  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(this.clock()),
        requiredClaims: ['sub', 'exp', 'iat', 'sid'],
        // No leeway: our own clock signed it.
        clockTolerance: 0,
      });
      if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number') throw new TokenError('invalid', 'malformed claims');
      return { userId: payload.sub, sessionId: payload.sid, expiresAt: payload.exp * 1000 };
    } catch (error) {
      if (error instanceof TokenError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new TokenError('expired', 'token expired');
      throw new TokenError('invalid', 'invalid token');
    }
  }
}

/** A new refresh token and the digest the store keeps. */
export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}
