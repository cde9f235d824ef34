import type { DeviceId, DeviceKind, SiteId } from '../contracts/index.js';
import type { RegistryStore } from '../store/index.js';

/** What ingest needs to know about a device to store its messages. */
export interface DeviceInfo {
  id: DeviceId;
  kind: DeviceKind;
  siteId: SiteId;
}

/**
 * Device lookups for the hot path, cached: a device's kind never changes, and a
 * site move (accounts issue) calls {@link DeviceDirectory.forget}.
 */
export class DeviceDirectory {
  private readonly cache = new Map<DeviceId, DeviceInfo>();

  constructor(private readonly registry: RegistryStore) {}

  /** The device if it is cached: lets the hot path skip a promise per message. */
  cached(id: DeviceId): DeviceInfo | undefined {
    return this.cache.get(id);
  }

  async get(id: DeviceId): Promise<DeviceInfo | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const device = await this.registry.getDevice(id);
    if (!device) return undefined;
    const info = { id: device.id, kind: device.kind, siteId: device.siteId };
    this.cache.set(id, info);
    return info;
  }

  forget(id: DeviceId): void {
    this.cache.delete(id);
  }
}
