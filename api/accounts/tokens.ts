import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';

/**
 * Access tokens are JWTs signed with HMAC-SHA256 (RFC 7519, RFC 7518 §3.2) by
 * `jose`. Verification accepts HS256 only, with our issuer and audience, so
 * `alg: none`, an RS256/HS256 confusion or a token for another service is
 * refused before any lookup. A token names the user (`sub`) and the login
 * session (`sid`) and nothing else: role and scope are read from the store on
 * every request, so a changed scope, a disabled user or an ended session take
 * effect at once rather than when the token expires.
 *
 * A dashboard sends the same access token with every request for its whole
 * life, so a verified token's claims are kept ({@link VERIFIED_TOKENS_KEPT},
 * by the token's exact text): the next request with it skips the signature
 * check (HMAC through WebCrypto: 0.1–0.2 ms each on an idle core, 0.6 ms in a
 * profile of the server under the bench's `history`). Only an identical string hits, so nothing unsigned gets in, and
 * expiry is still checked on every use. The store lookups of user and session
 * that follow are not cached.
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

/** Verified access tokens kept; the least recently used is dropped first. At most a few MiB. */
export const VERIFIED_TOKENS_KEPT = 10_000;

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
  /** Claims of tokens whose signature and claims were checked. */
  private readonly verified = new LRUCache<string, AccessClaims>({ max: VERIFIED_TOKENS_KEPT });

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
    const known = this.verified.get(token);
    if (known) {
      // The same test as jose's `exp` check below, with no leeway.
      if (known.expiresAt > this.clock()) return known;
      this.verified.delete(token);
      throw new TokenError('expired', 'token expired');
    }
    const claims = await this.verifySignedClaims(token);
    this.verified.set(token, claims);
    return claims;
  }

  private async verifySignedClaims(token: string): Promise<AccessClaims> {
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
