import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteParts } from '../store/sqlite/index.js';
import { provisionFleet } from './fleet.js';

/**
 * What readings left staged cost a start and a close
 * (store/sqlite/staged-readings.ts): `SK_BENCH_STAGED` readings (default
 * 250,000, the most a fold lets wait) from 2,000 fridges, in commits of 1,000
 * with no fold, then a stop as a crash leaves it. Prints one JSON line: how
 * long each of three opens took to stage the log again (`openMs`), how long a
 * close that folds them took (`closeMs`), and an open after that close
 * (`openAfterCloseMs`).
 */
const STAGED = Number(process.env.SK_BENCH_STAGED ?? 250_000);
const DEVICES = 2_000;
const COMMIT = 1_000;
const NO_TIMED_FOLDS = { checkEveryMs: 3_600_000 };

const dir = mkdtempSync(join(tmpdir(), 'sk-restage-'));
const file = join(dir, 'store.db');
const timed = <T>(work: () => T): [number, T] => {
  const started = performance.now();
  const result = work();
  return [Math.round(performance.now() - started), result];
};
try {
  let parts = openSqliteParts({ file, synchronous: 'normal', staging: NO_TIMED_FOLDS });
  const ids = (await provisionFleet(parts.store, { devices: DEVICES, supervisors: 1 })).devices.map((d) => d.id);
  const t0 = Date.now();
  for (let seq = 0; seq < STAGED; seq += COMMIT) {
    const readings = Array.from({ length: Math.min(COMMIT, STAGED - seq) }, (_, i) => ({
      deviceId: ids[(seq + i) % DEVICES]!,
      kind: 'temperature' as const,
      ts: t0 + seq + i,
      seq: seq + i,
      boot: 'b1',
      receivedAt: t0 + seq + i,
      values: { temperatureC: 4, humidityPct: 60, doorOpen: false },
    }));
    await parts.store.ingestSink.writeBatch([{ readings, findings: [], quarantine: [] }]);
  }
  const openMs: number[] = [];
  for (let run = 0; run < 3; run++) {
    // A stop with no fold: what a crash leaves staged.
    parts.staged.stop();
    await parts.store.close();
    const [ms, opened] = timed(() => openSqliteParts({ file, synchronous: 'normal', staging: NO_TIMED_FOLDS }));
    openMs.push(ms);
    parts = opened;
  }
  const staged = parts.staged.pending;
  const closing = performance.now();
  await parts.store.close();
  const closeMs = Math.round(performance.now() - closing);
  const [openAfterCloseMs, reopened] = timed(() => openSqliteParts({ file, synchronous: 'normal' }));
  const left = reopened.staged.pending;
  await reopened.store.close();
  console.log(JSON.stringify({ bench: 'restage-cost', staged, openMs, closeMs, openAfterCloseMs, stagedAfterClose: left }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
