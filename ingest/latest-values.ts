import type { DeviceId, DeviceKind, FieldValues } from '../contracts/index.js';
import type { TelemetryRecord } from '../store/index.js';

/** Where a slot's numbers sit in its Float64Array. */
const TS = 0;
const SEQ = 1;
const RECEIVED_AT = 2;

/**
 * One device's newest reading. A new reading rewrites it in place: its times go
 * into a typed array, and only the reading's values object is kept. Keeping the
 * whole record kept six objects per device (the record, three heap numbers, the
 * boot string, the values), all young, for every collection of the young
 * generation to copy: with 2,000 devices reporting every few hundred
 * milliseconds, that is 12,000 objects a collection, about a millisecond of its
 * pause (bench/README.md, twelfth pass).
 */
interface Slot {
  readonly deviceId: DeviceId;
  /** A device's kind never changes (ingest/device-directory.ts). */
  readonly kind: DeviceKind;
  readonly numbers: Float64Array;
  boot: string;
  values: FieldValues;
}

/**
 * The newest reading of each device, in memory. "Newest" is by device time: a
 * buffered reading that arrives late does not replace a fresher one.
 */
export class LatestValues {
  private readonly byDevice = new Map<DeviceId, Slot>();

  offer(record: TelemetryRecord): boolean {
    let slot = this.byDevice.get(record.deviceId);
    if (slot === undefined) {
      slot = { deviceId: record.deviceId, kind: record.kind, numbers: new Float64Array(3), boot: record.boot, values: record.values };
      this.byDevice.set(record.deviceId, slot);
    } else {
      const ts = slot.numbers[TS]!;
      if (ts > record.ts || (ts === record.ts && slot.numbers[SEQ]! >= record.seq)) return false;
      // The same boot as before (the usual case): keep the string already held, not this message's copy.
      if (slot.boot !== record.boot) slot.boot = record.boot;
      slot.values = record.values;
    }
    slot.numbers[TS] = record.ts;
    slot.numbers[SEQ] = record.seq;
    slot.numbers[RECEIVED_AT] = record.receivedAt;
    return true;
  }

  get(deviceId: DeviceId): TelemetryRecord | undefined {
    const slot = this.byDevice.get(deviceId);
    if (slot === undefined) return undefined;
    const { numbers } = slot;
    return { deviceId, kind: slot.kind, ts: numbers[TS]!, seq: numbers[SEQ]!, boot: slot.boot, receivedAt: numbers[RECEIVED_AT]!, values: slot.values };
  }
}
