import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, hashPassword, needsRehash, parseHash, verifyPassword } from '../../../api/accounts/passwords.js';

describe('password hashing', () => {
  it('hashes with the documented default parameters (scrypt N=2^15, r=8, p=1) and a fresh salt each time', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).toMatch(/^scrypt\$ln=15,r=8,p=1\$/);
    expect(a).not.toBe(b);
    expect(parseHash(a)).toMatchObject({ ...DEFAULT_SCRYPT });
    expect(parseHash(a)!.salt).toHaveLength(16);
    expect(parseHash(a)!.key).toHaveLength(32);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', a)).toBe(false);
  });

  it('verifies hashes of other costs, refuses malformed ones, and says when to upgrade', async () => {
    const cheap = await hashPassword('pw-0123456789', { logN: 10, r: 8, p: 1 });
    expect(await verifyPassword('pw-0123456789', cheap)).toBe(true);
    expect(needsRehash(cheap, DEFAULT_SCRYPT)).toBe(true);
    expect(needsRehash(cheap, { logN: 10, r: 8, p: 1 })).toBe(false);
    for (const bad of ['', 'plain', 'scrypt$ln=99,r=8,p=1$c2FsdA==$a2V5', cheap.replace('$ln=10', '$ln=11')]) {
      expect(await verifyPassword('pw-0123456789', bad)).toBe(false);
    }
  });

  it('normalises Unicode, so the same passphrase typed on another keyboard still matches', async () => {
    const hash = await hashPassword('Café crème 2026', { logN: 10, r: 8, p: 1 });
    expect(await verifyPassword('Cafe\u0301 cre\u0300me 2026', hash)).toBe(true);
  });
});
