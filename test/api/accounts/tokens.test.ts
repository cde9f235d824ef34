import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AccessTokens, TokenError } from '../../../api/accounts/tokens.js';

const TTL_MS = 60_000;

function tokensAt(start: number) {
  const clock = { now: start };
  return { clock, tokens: new AccessTokens(randomBytes(32), TTL_MS, () => clock.now) };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenError);
  return (error as TokenError).code;
}

describe('access tokens', () => {
  it('verifies a token again from what it kept, with the same claims, until the same instant of expiry as a first verification', async () => {
    const { clock, tokens } = tokensAt(Date.parse('2026-12-07T08:00:00.250Z'));
    const kept = await tokens.issue('user-1', 'session-1');
    const fresh = await tokens.issue('user-1', 'session-2');
    const first = await tokens.verify(kept.token);
    expect(first).toEqual({ userId: 'user-1', sessionId: 'session-1', expiresAt: kept.expiresAt });

    clock.now = kept.expiresAt - 1;
    expect(await tokens.verify(kept.token)).toEqual(first);

    // At expiry both the kept token and one never verified before are refused.
    clock.now = kept.expiresAt;
    expect(await refusal(tokens.verify(kept.token))).toBe('expired');
    expect(await refusal(tokens.verify(fresh.token))).toBe('expired');
    // And the kept one stays refused.
    expect(await refusal(tokens.verify(kept.token))).toBe('expired');
  });

  it('refuses a token whose signature differs from one it verified', async () => {
    const { tokens } = tokensAt(Date.now());
    const { token } = await tokens.issue('user-1', 'session-1');
    await tokens.verify(token);
    const signature = token.slice(token.lastIndexOf('.') + 1);
    const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    expect(await refusal(tokens.verify(`${token.slice(0, token.lastIndexOf('.') + 1)}${flipped}`))).toBe('invalid');
    // A token from another signing key, for the same user and session.
    const other = tokensAt(Date.now()).tokens;
    expect(await refusal(tokens.verify((await other.issue('user-1', 'session-1')).token))).toBe('invalid');
  });
});
