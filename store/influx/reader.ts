import { InfluxDB, type QueryApi } from '@influxdata/influxdb-client';
import { FIELDS_BY_KIND, type DeviceKind } from '../../contracts/index.js';
import { historyBucketMs, type HistoryPoint, type HistoryQuery, type HistoryResult, type TelemetryReader, type TelemetryRecord } from '../index.js';
import { countFlux, historyFlux, latestFlux, SEQ_FIELD } from './flux.js';
import type { InfluxConnection } from './line-writer.js';
import { BOOT_FIELD, catalogueValues, RECEIVED_FIELD } from './points.js';

/**
 * Telemetry read from InfluxDB through Flux; the client parses the annotated CSV.
 * It sees a reading once the forwarder has written it (normally within a second
 * of its PUBACK; after an outage, once the backlog has replayed).
 */
export class InfluxTelemetryReader implements TelemetryReader {
  private readonly query: QueryApi;

  constructor(private readonly connection: InfluxConnection) {
    this.query = new InfluxDB({ url: connection.url, token: connection.token, timeout: connection.timeoutMs ?? 30_000 }).getQueryApi(connection.org);
  }

  async history(q: HistoryQuery): Promise<HistoryResult> {
    if (!Object.hasOwn(FIELDS_BY_KIND[q.kind], q.field)) throw new RangeError(`${q.kind} devices have no field ${q.field}`);
    const bucketMs = historyBucketMs(q);
    if (q.to <= q.from) return { bucketMs, points: [] };
    const flux = historyFlux({ bucket: this.connection.bucket, measurement: q.kind, device: q.deviceId, field: q.field, from: q.from, to: q.to, bucketMs });
    const points = await this.query.collectRows<HistoryPoint>(flux, (values, meta) => {
      const row = meta.toObject(values);
      const count = Number(row.count);
      if (!(count > 0)) return undefined;
      return { t: Date.parse(String(row._time)), min: Number(row.min), max: Number(row.max), mean: Number(row.mean), count };
    });
    return { bucketMs, points };
  }

  async latest(devices: ReadonlyArray<{ id: string; kind: DeviceKind }>): Promise<TelemetryRecord[]> {
    const out: TelemetryRecord[] = [];
    const byKind = new Map<DeviceKind, string[]>();
    for (const d of devices) byKind.set(d.kind, [...(byKind.get(d.kind) ?? []), d.id]);
    for (const [kind, ids] of byKind) {
      const rows = await this.query.collectRows(latestFlux({ bucket: this.connection.bucket, measurement: kind, devices: ids }), (values, meta) => {
        const row = meta.toObject(values);
        // The time as the server wrote it (ns): two readings of one device in the same ms have different point times.
        return { device: String(row.device), field: String(row._field), time: String(row._time), value: row._value as unknown };
      });
      for (const id of ids) {
        const own = rows.filter((r) => r.device === id);
        const newest = own.find((r) => r.field === SEQ_FIELD);
        if (!newest) continue;
        // Last values older than the newest point belong to earlier readings: that field was absent.
        const fields = new Map(own.filter((r) => r.time === newest.time).map((r) => [r.field, r.value]));
        out.push({
          deviceId: id,
          kind,
          ts: Date.parse(newest.time),
          seq: Number(fields.get(SEQ_FIELD)),
          boot: String(fields.get(BOOT_FIELD) ?? ''),
          receivedAt: Number(fields.get(RECEIVED_FIELD)),
          values: catalogueValues(kind, fields),
        });
      }
    }
    return out;
  }

  async count(deviceId?: string): Promise<number> {
    const flux = countFlux({ bucket: this.connection.bucket, ...(deviceId === undefined ? {} : { device: deviceId }) });
    const rows = await this.query.collectRows(flux, (values, meta) => Number(meta.toObject(values)._value));
    return rows.reduce((a, b) => a + b, 0);
  }
}
