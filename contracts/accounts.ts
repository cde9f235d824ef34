import { z } from 'zod';
import { roleSchema, scopeSchema } from './access.js';
import { ID_PATTERN, regionIdSchema } from './ids.js';

/** REST schemas of logins, users, the audit log and public transparency pages. */

/** A login name: like other ids, so it is safe in audit targets and URLs. */
export const userIdSchema = z.string().regex(ID_PATTERN, 'user ids are 1-64 characters of A-Z a-z 0-9 _ . - starting with a letter or digit');
export const userParamsSchema = z.object({ userId: userIdSchema });

/** Long passphrases beat complexity rules (NIST SP 800-63B §5.1.1.2): at least 10 characters, nothing else demanded. */
export const passwordSchema = z.string().min(10, 'at least 10 characters').max(256);

export const loginRequestSchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});

export const refreshRequestSchema = z.strictObject({ refreshToken: z.string().min(1).max(200) });

export const passwordChangeSchema = z.strictObject({ currentPassword: z.string().min(1).max(256), newPassword: passwordSchema });

export const userSchema = z.object({
  id: userIdSchema,
  displayName: z.string(),
  role: roleSchema,
  scope: scopeSchema,
  createdAt: z.number().int(),
  disabledAt: z.number().int().nullable(),
  passwordChangedAt: z.number().int(),
});
export type User = z.infer<typeof userSchema>;

/** A login's answer: a short-lived access token (JWT) and a one-use refresh token. */
export const tokenResponseSchema = z.object({
  tokenType: z.literal('Bearer'),
  accessToken: z.string(),
  /** Epoch ms. */
  accessTokenExpiresAt: z.number().int(),
  /**
   * The access token's lifetime from when this answer was made. A browser schedules
   * its renewal from this, not from `accessTokenExpiresAt`, since its own clock may be wrong.
   */
  accessTokenExpiresInMs: z.number().int(),
  /** Opaque; good for one refresh, then replaced by the next. */
  refreshToken: z.string(),
  refreshTokenExpiresAt: z.number().int(),
  user: userSchema,
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

export const createUserSchema = z.strictObject({
  id: userIdSchema,
  displayName: z.string().min(1).max(100),
  role: roleSchema,
  scope: scopeSchema,
  password: passwordSchema,
});

export const updateUserSchema = z
  .strictObject({
    displayName: z.string().min(1).max(100).optional(),
    role: roleSchema.optional(),
    scope: scopeSchema.optional(),
    disabled: z.boolean().optional(),
    /** An admin's password reset; ends every session of the user. */
    password: passwordSchema.optional(),
  })
  .refine((u) => (u.role === undefined) === (u.scope === undefined), { message: 'role and scope change together', path: ['scope'] });

export const updateSiteSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  /** Moves the site to another township. */
  regionId: regionIdSchema.optional(),
  address: z.string().max(300).nullable().optional(),
  timezone: z.string().min(1).max(64).optional(),
  /** false deactivates the site: its devices are disconnected and refused until it is active again. */
  active: z.boolean().optional(),
});

/** The second and last response that carries a device secret: a rotation. */
export const rotatedSecretSchema = z.object({ deviceId: z.string(), secret: z.string() });

export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: z.number().int(),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.enum(['ok', 'denied', 'failed']),
  ip: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});

export const auditQuerySchema = z.object({
  actor: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * A site's public transparency page (the QR code on the door): only facts meant
 * for the public. No device ids, no secrets, no addresses of other sites.
 */
export const publicSiteSchema = z.object({
  siteId: z.string(),
  name: z.string(),
  address: z.string().nullable(),
  region: z.string().describe('the township (or other region) name'),
  /** The site's IANA time zone: the page shows dates in it. */
  timezone: z.string(),
  devices: z.object({ total: z.number().int(), online: z.number().int() }),
  cameras: z.object({ total: z.number().int(), online: z.number().int(), streaming: z.number().int() }),
  temperature: z.object({
    /** The window judged, epoch ms: the last 24 hours. */
    from: z.number().int(),
    to: z.number().int(),
    /** 15-minute intervals with readings, and those whose every reading was inside the unit's band. */
    intervals: z.number().int(),
    intervalsInRange: z.number().int(),
    /** intervalsInRange / intervals, or null without readings. */
    compliance: z.number().nullable(),
  }),
  /** Grease traps (oil-water separators) and the newest pump-out any of them reported (device clock), or null. */
  oilSeparators: z.object({ total: z.number().int(), lastPumpOutAt: z.number().int().nullable() }),
  /**
   * Issues not yet resolved: warning and critical conditions (not info-level
   * maintenance, not statistical anomalies), and AI findings only once a person
   * confirmed them — an unverified detection (a cat flagged as a rat) is not shown to the public.
   */
  openAlerts: z.number().int(),
});
export type PublicSite = z.infer<typeof publicSiteSchema>;
