import { Point } from '@influxdata/influxdb-client';
import { FIELDS_BY_KIND, type DeviceKind, type FieldValues } from '../../contracts/index.js';
import type { TelemetryRecord } from '../index.js';
import { SEQ_FIELD } from './flux.js';

/** Where a device is and what it is, as tags: all bounded by the registry (never a sequence number or a time). */
export interface DeviceTags {
  /** Materialised region path of the device's site, `/city/district/township/`. */
  region: string;
  site: string;
  /** chilled, frozen, hot_holding, …: lets a downsampling task measure time in the profile's band. */
  profile: string;
}

/** Fields that identify a reading besides its time; fields, never tags, since they are unbounded. */
export const BOOT_FIELD = 'boot';
export const RECEIVED_FIELD = 'received_at';

/**
 * The point time of a reading, in ns: the device's timestamp (ms) plus its
 * sequence number modulo 10⁶ as ns. InfluxDB identifies a point by series and
 * time, so two readings of one device in the same ms must not share a time (the
 * second would overwrite the first, both acknowledged); a resend has the same
 * seq, so it still overwrites itself. Readers truncate to ms. A string: ns since
 * 1970 are past 2^53.
 */
export function pointTimeNs(record: Pick<TelemetryRecord, 'ts' | 'seq'>): string {
  const offset = ((record.seq % 1_000_000) + 1_000_000) % 1_000_000;
  return (BigInt(record.ts) * 1_000_000n + BigInt(offset)).toString();
}

/**
 * One reading as one line of line protocol: measurement = device kind, tags =
 * region, site, device, kind and profile, point time = {@link pointTimeNs}. A
 * resend of the same reading is the same series at the same time, so InfluxDB
 * overwrites instead of duplicating. Numbers are always written as floats so a
 * field never changes type (InfluxDB refuses a float after an integer in a shard).
 */
export function readingLine(record: TelemetryRecord, tags: DeviceTags): string {
  const point = new Point(record.kind)
    .tag('region', tags.region)
    .tag('site', tags.site)
    .tag('device', record.deviceId)
    .tag('kind', record.kind)
    .tag('profile', tags.profile)
    .intField(SEQ_FIELD, record.seq)
    .stringField(BOOT_FIELD, record.boot)
    .intField(RECEIVED_FIELD, record.receivedAt)
    .timestamp(pointTimeNs(record));
  for (const [name, value] of Object.entries(record.values)) {
    if (typeof value === 'boolean') point.booleanField(name, value);
    else if (typeof value === 'number') point.floatField(name, value);
  }
  const line = point.toLineProtocol();
  if (line === undefined) throw new Error(`reading of ${record.deviceId} has no fields`);
  return line;
}

/** Field values read back from InfluxDB, typed by the catalogue (unknown fields are dropped). */
export function catalogueValues(kind: DeviceKind, raw: ReadonlyMap<string, unknown>): FieldValues {
  const values: FieldValues = {};
  for (const [name, spec] of Object.entries(FIELDS_BY_KIND[kind])) {
    const v = raw.get(name);
    if (v === undefined || v === null) continue;
    if (spec.type === 'boolean') values[name] = v === true || v === 'true' || v === 1;
    else if (typeof v === 'number') values[name] = v;
  }
  return values;
}
