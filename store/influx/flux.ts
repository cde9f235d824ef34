import { flux, fluxExpression, type ParameterizedQuery } from '@influxdata/influxdb-client';
import type { DeviceKind } from '../../contracts/index.js';

/**
 * The Flux the adapter sends, built by pure functions so the text can be tested
 * without a server. Values go through the client's `flux` template tag, which
 * quotes and escapes them (a device id can never end the string literal).
 *
 * Every point carries an integer field `seq`; queries that count readings or find
 * a device's newest point look at that field, since every reading has it.
 */

/** Field that every point carries, so counting it counts readings. */
export const SEQ_FIELD = 'seq';

export interface HistoryFluxParams {
  bucket: string;
  measurement: DeviceKind;
  device: string;
  field: string;
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
  bucketMs: number;
}

/**
 * min, max, mean and count per window, one row per window. Windows are aligned on
 * `from` (the offset), so window `b` is [from + b·bucket, from + (b+1)·bucket) like
 * the SQLite adapter's. `group()` merges the series of one device when a tag
 * changed (a site moved to another region), `toFloat()` lets booleans aggregate as 0/1.
 */
export function historyFlux(p: HistoryFluxParams): ParameterizedQuery {
  const every = durationMs(p.bucketMs);
  const offset = durationMs(((p.from % p.bucketMs) + p.bucketMs) % p.bucketMs);
  return flux`data = from(bucket: ${p.bucket})
  |> range(start: ${new Date(p.from)}, stop: ${new Date(p.to)})
  |> filter(fn: (r) => r._measurement == ${p.measurement} and r.device == ${p.device} and r._field == ${p.field})
  |> toFloat()
  |> group()
stat = (fn, name) => data
  |> aggregateWindow(every: ${every}, offset: ${offset}, fn: fn, createEmpty: false, timeSrc: "_start")
  |> toFloat()
  |> set(key: "stat", value: name)
union(tables: [stat(fn: min, name: "min"), stat(fn: max, name: "max"), stat(fn: mean, name: "mean"), stat(fn: count, name: "count")])
  |> pivot(rowKey: ["_time"], columnKey: ["stat"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> keep(columns: ["_time", "min", "max", "mean", "count"])`;
}

export interface LatestFluxParams {
  bucket: string;
  measurement: DeviceKind;
  devices: readonly string[];
}

/**
 * The last value of every field of each device. A field missing from the newest
 * point still has an older last value here; the reader keeps only the fields
 * whose time equals the time of the device's newest `seq`. The tables stay apart
 * (no final `group()`): fields of different types cannot share a column.
 */
export function latestFlux(p: LatestFluxParams): ParameterizedQuery {
  return flux`from(bucket: ${p.bucket})
  |> range(start: 0)
  |> filter(fn: (r) => r._measurement == ${p.measurement} and contains(value: r.device, set: ${[...p.devices]}))
  |> group(columns: ["device", "_field"])
  |> last()
  |> keep(columns: ["_time", "device", "_field", "_value"])`;
}

/** How many readings there are, in all or of one device. */
export function countFlux(p: { bucket: string; device?: string }): ParameterizedQuery {
  const filter = p.device === undefined ? flux`r._field == ${SEQ_FIELD}` : flux`r._field == ${SEQ_FIELD} and r.device == ${p.device}`;
  return flux`from(bucket: ${p.bucket})
  |> range(start: 0)
  |> filter(fn: (r) => ${filter})
  |> group()
  |> count()`;
}

/** A whole number of milliseconds as a Flux duration literal (`300000ms`). */
function durationMs(ms: number) {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a duration in ms: ${ms}`);
  return fluxExpression(`${ms}ms`);
}
