import { describe, expect, it } from 'vitest';
import { checkpointReports } from '../../app/open-store.js';
import { createLogger } from '../../observability/logger.js';
import { createMetrics } from '../../observability/metrics.js';

describe("the SQLite checkpointer's reports on /metrics", () => {
  const valueOf = async (metrics: ReturnType<typeof createMetrics>, name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await metrics.registry.metrics())?.[1]);

  it('counts the pages the WAL took across its start-overs, and shows its size at the last copy', async () => {
    const metrics = createMetrics();
    const reports = checkpointReports({ logger: createLogger('silent'), metrics });
    // The log grows to 300 frames, starts over (50 at the next copy), and grows again.
    for (const walFrames of [100, 300, 300, 50, 80]) reports.onCopy!({ seconds: 0.004, walFrames, copiedFrames: walFrames, synced: true });
    expect(await valueOf(metrics, 'sk_sqlite_wal_frames_written_total')).toBe(100 + 200 + 0 + 50 + 30);
    expect(await valueOf(metrics, 'sk_sqlite_wal_frames')).toBe(80);
    expect(await valueOf(metrics, 'sk_sqlite_checkpoint_seconds_count')).toBe(5);
  });

  it('tells holds that caught up from those that gave up, and times forced restarts', async () => {
    const metrics = createMetrics();
    const reports = checkpointReports({ logger: createLogger('silent'), metrics });
    reports.onHold!({ seconds: 0.012, caughtUp: true });
    reports.onHold!({ seconds: 0.05, caughtUp: false });
    reports.onHold!({ seconds: 0.008, caughtUp: true });
    reports.onForcedRestart!(0.3);
    expect(await valueOf(metrics, 'sk_sqlite_wal_hold_seconds_count\\{outcome="caught_up"\\}')).toBe(2);
    expect(await valueOf(metrics, 'sk_sqlite_wal_hold_seconds_count\\{outcome="gave_up"\\}')).toBe(1);
    expect(await valueOf(metrics, 'sk_sqlite_wal_hold_seconds_sum\\{outcome="gave_up"\\}')).toBeCloseTo(0.05);
    expect(await valueOf(metrics, 'sk_sqlite_wal_forced_restart_seconds_sum')).toBeCloseTo(0.3);
  });
});
