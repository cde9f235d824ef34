import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword, type ScryptParams } from '../api/accounts/passwords.js';
import type { AccountStore } from '../store/index.js';

/** Reads a generated secret from the data dir, or creates it there (mode 0600) on first start. */
function fileSecret(dataDir: string, name: string, make: () => string): { value: string; file: string; created: boolean } {
  const file = join(dataDir, name);
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), file, created: false };
  mkdirSync(dataDir, { recursive: true });
  const value = make();
  writeFileSync(file, value + '\n', { mode: 0o600 });
  return { value, file, created: true };
}

/**
 * The HMAC key of access tokens: SK_AUTH_TOKEN_SECRET if set, else generated on
 * first start into `<dataDir>/token-secret`. Replacing it ends every access token
 * at once; clients then use their refresh token (kept in the store), so nobody
 * has to log in again.
 */
export function resolveTokenSecret(dataDir: string, configured: string | undefined): Buffer {
  if (configured) return Buffer.from(configured, 'utf8');
  return Buffer.from(fileSecret(dataDir, 'token-secret', () => randomBytes(32).toString('base64url')).value, 'base64url');
}

export const BOOTSTRAP_ADMIN = 'admin';

/**
 * A fresh install has no users: create the admin `admin` with a generated
 * password in `<dataDir>/admin-password` (mode 0600), so the install is never
 * open and the operator finds the password in one known place. It is never
 * logged. Once any user exists nothing is created; the file is kept for the
 * operator to read and delete (or change the password, after which it is stale).
 */
export async function ensureBootstrapAdmin(
  accounts: AccountStore,
  dataDir: string,
  scrypt: ScryptParams,
  at: number,
): Promise<{ user: string; passwordFile: string } | undefined> {
  const file = join(dataDir, 'admin-password');
  if ((await accounts.listUsers()).length > 0) return existsSync(file) ? { user: BOOTSTRAP_ADMIN, passwordFile: file } : undefined;
  const { value } = fileSecret(dataDir, 'admin-password', () => randomBytes(15).toString('base64url'));
  await accounts.createUser({ id: BOOTSTRAP_ADMIN, displayName: 'Administrator', role: 'admin', scope: { kind: 'all' }, passwordHash: await hashPassword(value, scrypt), at });
  return { user: BOOTSTRAP_ADMIN, passwordFile: file };
}
