import type { MqttClient } from 'mqtt';
import { deviceTopic, type DeviceId } from '../contracts/index.js';
import type { DeviceModel } from './models/model.js';

/** Largest batch the server accepts is 500 readings; stay at it. */
const BATCH_READINGS = 500;

export interface HistoryRange {
  /** First reading's device time, epoch ms. */
  from: number;
  /** No reading after this, epoch ms. */
  to: number;
  /** Device time between readings. */
  stepMs: number;
  /** Boot id the readings are sent under; (device, boot, seq) is their identity, so a resend is stored once. */
  boot: string;
  /** Sequence number of the first reading (default 0); continue a boot where the previous range stopped. */
  firstSeq?: number;
}

/**
 * Publishes what `model` would have measured over a past range, as QoS 1
 * telemetry batches with the device's own timestamps: the way a device uploads
 * its buffer after an outage. Used to give the demo and the browser tests a
 * history to chart. Resolves, once every batch is acknowledged (stored), with
 * the sequence number the next reading of this boot would carry.
 */
export async function publishHistory(client: MqttClient, deviceId: DeviceId, model: DeviceModel, range: HistoryRange): Promise<number> {
  const topic = deviceTopic(deviceId, 'telemetry-batch');
  let seq = range.firstSeq ?? 0;
  let batch: object[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await client.publishAsync(topic, JSON.stringify({ boot: range.boot, readings: batch }), { qos: 1 });
    batch = [];
  };
  for (let t = range.from; t <= range.to; t += range.stepMs) {
    const values = model.sample(t);
    if (values) batch.push({ ts: t, seq: seq++, ...values });
    if (batch.length === BATCH_READINGS) await flush();
  }
  await flush();
  return seq;
}
