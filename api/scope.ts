import type { Device, DeviceId, Principal, Region, Role, Site, SiteId } from '../contracts/index.js';
import type { RegistryStore, SiteScope } from '../store/index.js';
import { forbidden, notFound } from './errors.js';

/**
 * Scope checks for one caller. An object outside the caller's scope is reported
 * exactly like a missing one (404), so ids cannot be probed.
 */
export class Access {
  constructor(
    readonly principal: Principal,
    private readonly registry: RegistryStore,
  ) {}

  /**
   * Refuses (403) a caller whose role may not use a route at all. Checked before
   * any object is looked up, so a 403 says nothing about what exists.
   */
  requireRole(...roles: Role[]): void {
    if (!roles.includes(this.principal.role)) throw forbidden();
  }

  /**
   * The regions the caller may see: those inside their scope, and the ancestors
   * of those (a township's district and city name it on the dashboard). Sibling
   * regions, and everything under them, stay hidden.
   */
  async regions(): Promise<Region[]> {
    const all = await this.registry.listRegions();
    const scope = await this.siteScope();
    if (scope.kind === 'all') return all;
    if (scope.kind === 'region') {
      const mine = scope.regionPath;
      return all.filter((r) => r.path.startsWith(mine) || mine.startsWith(r.path));
    }
    const byId = new Map(all.map((r) => [r.id, r]));
    const sitePaths = (await this.registry.listSites({ scope })).map((s) => byId.get(s.regionId)?.path ?? '');
    return all.filter((r) => sitePaths.some((p) => p.startsWith(r.path)));
  }

  /** The caller's scope in the form store queries filter by. A supervisor whose region is gone sees nothing. */
  async siteScope(): Promise<SiteScope> {
    const { scope } = this.principal;
    if (scope.kind === 'all') return scope;
    if (scope.kind === 'sites') return scope;
    const region = await this.registry.getRegion(scope.regionId);
    return region ? { kind: 'region', regionPath: region.path } : { kind: 'sites', siteIds: [] };
  }

  async canSeeSite(site: Site): Promise<boolean> {
    const { scope } = this.principal;
    if (scope.kind === 'all') return true;
    if (scope.kind === 'sites') return scope.siteIds.includes(site.id);
    const [mine, theirs] = await Promise.all([this.registry.getRegion(scope.regionId), this.registry.getRegion(site.regionId)]);
    return mine !== undefined && theirs !== undefined && theirs.path.startsWith(mine.path);
  }

  /** The site, or 404 if it does not exist or is outside the caller's scope. */
  async site(siteId: SiteId): Promise<Site> {
    const site = await this.registry.getSite(siteId);
    if (!site || !(await this.canSeeSite(site))) throw notFound('site');
    return site;
  }

  /** The device, or 404 if it does not exist or its site is outside the caller's scope. */
  async device(deviceId: DeviceId): Promise<Device> {
    const device = await this.registry.getDevice(deviceId);
    if (!device) throw notFound('device');
    const site = await this.registry.getSite(device.siteId);
    if (!site || !(await this.canSeeSite(site))) throw notFound('device');
    return device;
  }
}
