import type { z } from 'zod';
import {
  BATCH_SCHEMAS,
  batchEnvelopeSchema,
  READING_SCHEMAS,
  cameraFindingSchema,
  checkDeviceClock,
  statusSchema,
  type DeviceMessage,
  type DeviceStatus,
  type FieldValues,
  type QuarantineReason,
} from '../contracts/index.js';
import type { FindingRecord, IngestWrite, QuarantineEntry, TelemetryRecord } from '../store/index.js';
import type { DeviceInfo } from './device-directory.js';

export interface DecodeOptions {
  nowMs: number;
  maxFutureSkewMs: number;
  /**
   * Most a reading on the live `telemetry` channel may lag the server clock
   * (0: no limit). A device sends live readings as it takes them and buffered
   * ones as `telemetry-batch`, so a live reading hours old means the device's
   * clock is behind: stored, it would land hours early on every chart. A resend
   * (DUP) is exempt: it is as old as the outage that kept its PUBACK away.
   */
  maxLiveLagMs?: number;
  /**
   * How long the store keeps raw readings (unset: forever). An older reading,
   * stored and acknowledged, would be deleted by the next prune: it is
   * quarantined instead, so it stays visible.
   */
  rawRetentionMs?: number;
}

/** What a message turns into: writes for the store, and a presence change for status messages. */
export interface Decoded {
  write: IngestWrite;
  status?: DeviceStatus;
}

const MAX_DETAIL = 1_000;

/**
 * Turns a device message into store writes. Pure: no I/O, no clock but the one
 * passed in. A bad payload is not an error but data: it becomes a quarantine entry
 * with its reason. In a batch, each reading stands alone: one bad reading is
 * quarantined and the others are stored.
 */
export function decodeMessage(msg: DeviceMessage, device: DeviceInfo | undefined, options: DecodeOptions): Decoded {
  const reject = (reason: QuarantineReason, detail: string, payload = msg.payload): Decoded => ({
    write: { readings: [], findings: [], quarantine: [quarantine(msg, reason, detail, payload)] },
  });

  if (!device) return reject('unknown_device', `device ${msg.deviceId} is not registered`);

  let json: unknown;
  try {
    json = JSON.parse(msg.payload.toString('utf8'));
  } catch (error) {
    return reject('not_json', (error as Error).message);
  }

  switch (msg.channel) {
    case 'telemetry': {
      const parsed = READING_SCHEMAS[device.kind].safeParse(json);
      if (!parsed.success) return reject('invalid_payload', describe(parsed.error));
      const { ts, seq, boot, ...values } = parsed.data;
      if (!checkDeviceClock(ts, options.nowMs, options.maxFutureSkewMs)) return reject('timestamp_in_future', futureDetail(ts, options));
      if (pastRetention(ts, options)) return reject('older_than_retention', retentionDetail(ts, options));
      const lag = msg.receivedAt - ts;
      if (options.maxLiveLagMs && lag > options.maxLiveLagMs && !msg.dup) {
        return reject(
          'clock_behind',
          `device time ${new Date(ts).toISOString()} is ${Math.round(lag / 1000)} s behind the server clock on the live channel (limit ${options.maxLiveLagMs / 1000} s); send buffered readings as telemetry-batch`,
        );
      }
      return { write: { readings: [record(msg, device, { ts, seq, boot, values: values as FieldValues })], findings: [], quarantine: [] } };
    }
    case 'telemetry-batch':
      return decodeBatch(msg, device, json, options);
    case 'events': {
      if (device.kind !== 'camera') return reject('wrong_kind', `${device.kind} devices do not report camera findings`);
      const parsed = cameraFindingSchema.safeParse(json);
      if (!parsed.success) return reject('invalid_payload', describe(parsed.error));
      if (!checkDeviceClock(parsed.data.ts, options.nowMs, options.maxFutureSkewMs)) {
        return reject('timestamp_in_future', futureDetail(parsed.data.ts, options));
      }
      const finding: FindingRecord = { ...parsed.data, deviceId: device.id, receivedAt: msg.receivedAt };
      return { write: { readings: [], findings: [finding], quarantine: [] } };
    }
    case 'status': {
      const parsed = statusSchema.safeParse(json);
      if (!parsed.success) return reject('invalid_payload', describe(parsed.error));
      return { write: { readings: [], findings: [], quarantine: [] }, status: parsed.data };
    }
  }
}

function decodeBatch(msg: DeviceMessage, device: DeviceInfo, json: unknown, options: DecodeOptions): Decoded {
  const schema = BATCH_SCHEMAS[device.kind];
  const envelope = batchEnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    return { write: { readings: [], findings: [], quarantine: [quarantine(msg, 'invalid_payload', describe(envelope.error), msg.payload)] } };
  }
  const write: IngestWrite = { readings: [], findings: [], quarantine: [] };
  const { boot, readings } = envelope.data;
  readings.forEach((raw, index) => {
    const parsed = schema.shape.readings.element.safeParse(raw);
    const payload = () => Buffer.from(JSON.stringify({ boot, reading: raw }));
    if (!parsed.success) {
      write.quarantine.push(quarantine(msg, 'invalid_payload', `readings[${index}]: ${describe(parsed.error)}`, payload()));
      return;
    }
    const { ts, seq, ...values } = parsed.data;
    if (!checkDeviceClock(ts, options.nowMs, options.maxFutureSkewMs)) {
      write.quarantine.push(quarantine(msg, 'timestamp_in_future', `readings[${index}]: ${futureDetail(ts, options)}`, payload()));
      return;
    }
    if (pastRetention(ts, options)) {
      write.quarantine.push(quarantine(msg, 'older_than_retention', `readings[${index}]: ${retentionDetail(ts, options)}`, payload()));
      return;
    }
    write.readings.push(record(msg, device, { ts, seq, boot, values: values as FieldValues }));
  });
  return { write };
}

function record(msg: DeviceMessage, device: DeviceInfo, r: { ts: number; seq: number; boot: string; values: FieldValues }): TelemetryRecord {
  return { deviceId: device.id, kind: device.kind, ts: r.ts, seq: r.seq, boot: r.boot, receivedAt: msg.receivedAt, values: r.values };
}

function quarantine(msg: DeviceMessage, reason: QuarantineReason, detail: string, payload: Buffer): QuarantineEntry {
  return { deviceId: msg.deviceId, channel: msg.channel, reason, detail: detail.slice(0, MAX_DETAIL), payload, receivedAt: msg.receivedAt };
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

function futureDetail(ts: number, options: DecodeOptions): string {
  return `device time ${new Date(ts).toISOString()} is ${Math.round((ts - options.nowMs) / 1000)} s ahead of the server clock (limit ${options.maxFutureSkewMs / 1000} s)`;
}

function pastRetention(ts: number, options: DecodeOptions): boolean {
  return options.rawRetentionMs !== undefined && ts < options.nowMs - options.rawRetentionMs;
}

function retentionDetail(ts: number, options: DecodeOptions): string {
  return `device time ${new Date(ts).toISOString()} is older than the raw retention (${options.rawRetentionMs! / 86_400_000} days): it would be pruned`;
}
