import type { Role } from '../../contracts/index.js';
import type { Store } from '../../store/index.js';
import type { AccountService } from '../accounts/service.js';
import type { AuditRecorder } from '../audit.js';
import type { DeviceControl, LatestLookup } from '../ports.js';

/** What every route plugin is given by the app factory. */
export interface RouteContext {
  store: Store;
  accounts: AccountService;
  audit: AuditRecorder;
  devices: DeviceControl;
  latest: LatestLookup;
  clock: () => number;
  /**
   * Someone's access may have changed (a user disabled, a scope changed, a site
   * moved, a session ended): live sockets re-check their principal and rooms now.
   */
  accessChanged: () => void;
}

const ROLE_TEXT: Readonly<Record<Role, string>> = {
  admin: 'admin',
  supervisor: 'supervisor (own jurisdiction)',
  operator: 'operator (own sites)',
};

/** The OpenAPI description line that says which roles may call a route. */
export function rolesDoc(roles: readonly Role[], more = ''): string {
  const others = (['admin', 'supervisor', 'operator'] as const).filter((r) => !roles.includes(r));
  const refused = others.length ? ` Other roles: 403.` : '';
  return `**Roles:** ${roles.map((r) => ROLE_TEXT[r]).join(', ')}.${refused} Objects outside the caller's scope answer 404, like missing ones.${more ? ` ${more}` : ''}`;
}
