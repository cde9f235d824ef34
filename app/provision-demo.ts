import type { DemoPlan } from '../simulators/demo-plan.js';
import type { FleetDevice } from '../simulators/fleet.js';
import { generateDeviceSecret } from '../store/device-credentials.js';
import type { RegistryStore } from '../store/index.js';

/**
 * Registers a demo plan's regions, sites and devices, and returns the devices a
 * simulator fleet can run. `knownSecrets` holds the secrets of devices registered
 * earlier (the demo keeps them in a fleet file); a device registered earlier whose
 * secret is lost is left out, since only its hash exists.
 */
export async function provisionDemoPlan(
  registry: RegistryStore,
  plan: DemoPlan,
  knownSecrets: ReadonlyMap<string, string> = new Map(),
): Promise<FleetDevice[]> {
  for (const region of plan.regions) await registry.upsertRegion(region);
  for (const site of plan.sites) await registry.upsertSite(site);
  const fleet: FleetDevice[] = [];
  for (const device of plan.devices) {
    let secret = knownSecrets.get(device.id);
    if (!secret) {
      if (await registry.getDevice(device.id)) continue;
      secret = generateDeviceSecret();
      await registry.createDevice(device, secret, Date.now());
    }
    fleet.push({ id: device.id, secret, kind: device.kind, profile: device.profile, siteId: device.siteId });
  }
  return fleet;
}
