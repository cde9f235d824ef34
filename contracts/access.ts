import { z } from 'zod';
import { regionIdSchema, siteIdSchema, type RegionId, type SiteId } from './ids.js';

/**
 * Who is calling and what they may see. Every REST route and socket.io event
 * decides from a {@link Principal} built on the server from the caller's token,
 * never from what the client asks for.
 */
export const ROLES = ['admin', 'supervisor', 'operator'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/**
 * The part of the registry a caller may see: everything (admins), one region and
 * every region below it (supervisors: a city supervisor sees all its districts),
 * or a list of sites (restaurant operators).
 */
export const scopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.literal('region'), regionId: regionIdSchema }),
  z.object({ kind: z.literal('sites'), siteIds: z.array(siteIdSchema) }),
]);
export type Scope = { kind: 'all' } | { kind: 'region'; regionId: RegionId } | { kind: 'sites'; siteIds: SiteId[] };

export interface Principal {
  /** User id (or `admin-token` for the bootstrap token). Recorded in audit trails as "who". */
  id: string;
  role: Role;
  scope: Scope;
}
