import type { DeviceKind, DeviceProfile } from '../../contracts/index.js';
import { Camera } from './camera.js';
import { AMBIENT, CHILLED, Fridge, HOT_HOLDING } from './fridge.js';
import { Freezer } from './freezer.js';
import { GreaseTrap } from './grease-trap.js';
import type { DeviceModel } from './model.js';

export * from './model.js';
export { Camera } from './camera.js';
export { Fridge, CHILLED, HOT_HOLDING, AMBIENT, type CabinetParams } from './fridge.js';
export { Freezer, FROZEN } from './freezer.js';
export { GreaseTrap, type GreaseTrapParams } from './grease-trap.js';
export { isServiceHour, kitchenActivity, localHour } from './kitchen-hours.js';

/** The model for a registered device; a profile that does not fit the kind is a configuration error. */
export function createModel(kind: DeviceKind, profile: DeviceProfile, seed: number): DeviceModel {
  switch (kind) {
    case 'temperature':
      switch (profile) {
        case 'chilled':
          return new Fridge(seed, CHILLED);
        case 'frozen':
          return new Freezer(seed);
        case 'hot_holding':
          return new Fridge(seed, HOT_HOLDING);
        case 'ambient':
          return new Fridge(seed, AMBIENT);
        default:
          break;
      }
      break;
    case 'oil_separator':
      if (profile === 'oil_separator') return new GreaseTrap(seed);
      break;
    case 'camera':
      if (profile === 'camera') return new Camera(seed);
      break;
  }
  throw new RangeError(`profile ${profile} does not fit a ${kind} device`);
}
