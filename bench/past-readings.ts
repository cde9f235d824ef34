import type { IngestSink, TelemetryRecord } from '../store/index.js';

/** Readings of the past, written before a scenario starts: see {@link writePastReadings}. */
export interface PastReadings {
  deviceIds: readonly string[];
  /** Most readings in all; fewer if `perDevice` runs out first. */
  total: number;
  /** Most readings per device. */
  perDevice: number;
  /** Time of the first round of readings (epoch ms); each later round is `intervalMs` after it. */
  from: number;
  intervalMs: number;
  /** The devices' boot id for these readings: the load generator's own readings never collide with them. */
  boot: string;
  /** After each transaction: the SQLite store folds what it staged, as a running server does every couple of seconds. */
  afterBatch?: () => Promise<void>;
}

/** Readings per transaction: the store's own write path, with a commit far larger than ingest's. */
const BATCH = 5_000;

/**
 * Fills a store with readings of the past through its own write path
 * (`writeBatch`, the group commit's transaction), in time order across devices,
 * as they arrive in production: one reading of every device, then the next round.
 * Folded after each transaction of {@link BATCH} (`afterBatch`), a device's rows
 * sit in runs of two or three among every other device's, and each device ends up
 * with index leaves of its own, as in a file that has been running for a while.
 * Returns how many were written.
 */
export async function writePastReadings(sink: IngestSink, spec: PastReadings): Promise<number> {
  let written = 0;
  let batch: TelemetryRecord[] = [];
  const flush = async () => {
    await sink.writeBatch([{ readings: batch, findings: [], quarantine: [] }]);
    await spec.afterBatch?.();
    written += batch.length;
    batch = [];
  };
  const { deviceIds: ids } = spec;
  for (let step = 0; step < spec.perDevice && written + batch.length < spec.total; step++) {
    const ts = spec.from + step * spec.intervalMs;
    for (let d = 0; d < ids.length && written + batch.length < spec.total; d++) {
      batch.push({
        deviceId: ids[d]!,
        kind: 'temperature',
        ts,
        seq: step,
        boot: spec.boot,
        receivedAt: ts + 150,
        values: { temperatureC: Math.round((2 + (d % 5) + Math.sin(step / 360)) * 10) / 10, humidityPct: 60 + (step % 7), doorOpen: step % 50 === 0, batteryPct: 87, rssiDbm: -67 },
      });
      if (batch.length === BATCH) await flush();
    }
  }
  if (batch.length) await flush();
  return written;
}
