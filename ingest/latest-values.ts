import type { DeviceId } from '../contracts/index.js';
import type { TelemetryRecord } from '../store/index.js';

/**
 * The newest reading of each device, in memory. "Newest" is by device time: a
 * buffered reading that arrives late does not replace a fresher one.
 */
export class LatestValues {
  private readonly byDevice = new Map<DeviceId, TelemetryRecord>();

  offer(record: TelemetryRecord): boolean {
    const current = this.byDevice.get(record.deviceId);
    if (current && (current.ts > record.ts || (current.ts === record.ts && current.seq >= record.seq))) return false;
    this.byDevice.set(record.deviceId, record);
    return true;
  }

  get(deviceId: DeviceId): TelemetryRecord | undefined {
    return this.byDevice.get(deviceId);
  }
}
