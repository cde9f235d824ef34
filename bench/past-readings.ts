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
}

/** Readings per transaction: the store's own write path, with a commit far larger than ingest's. */
const BATCH = 5_000;

/**
 * Fills a store with readings of the past through its own write path
 * (`writeBatch`, the group commit's transaction), in time order across devices,
 * as they arrive in production: one reading of every device, then the next round.
 * A device's rows are interleaved with every other device's, and each device ends
 * up with index leaves of its own, as in a file that has been running for a while.
 * Returns how many were written.
 */
export async function writePastReadings(sink: IngestSink, spec: PastReadings): Promise<number> {
  let written = 0;
  let batch: TelemetryRecord[] = [];
  const flush = async () => {
    await sink.writeBatch([{ readings: batch, findings: [], quarantine: [] }]);
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
