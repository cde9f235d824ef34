import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Device MQTT secrets. The server generates them (256 random bits) and shows them
 * once; only a salted SHA-256 is stored.
 *
 * Why not scrypt/argon2 as for user passwords: those slow hashes protect
 * low-entropy secrets people choose. A 256-bit random secret cannot be guessed
 * from its hash anyway, and a slow hash would make a reconnect storm (150,000
 * devices after a broker restart) cost minutes of CPU.
 */
export function generateDeviceSecret(): string {
  return randomBytes(32).toString('base64url');
}

export interface HashedSecret {
  salt: Buffer;
  hash: Buffer;
}

export function hashDeviceSecret(secret: string | Buffer, salt: Buffer = randomBytes(16)): HashedSecret {
  const hash = createHash('sha256').update(salt).update(secret).digest();
  return { salt, hash };
}

export function verifyDeviceSecret(secret: string | Buffer, stored: HashedSecret): boolean {
  const { hash } = hashDeviceSecret(secret, stored.salt);
  return hash.length === stored.hash.length && timingSafeEqual(hash, stored.hash);
}
