import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The admin token: from config if set; otherwise one is generated on first start
 * and kept in `<dataDir>/admin-token` (mode 0600), so a fresh install is never
 * open and the operator finds the token in one known place. It is never logged.
 */
export function resolveAdminToken(dataDir: string, configured: string | undefined): { token: string; file?: string } {
  if (configured) return { token: configured };
  const file = join(dataDir, 'admin-token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), file };
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, file };
}
