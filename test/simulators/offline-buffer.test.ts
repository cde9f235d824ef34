import { describe, expect, it } from 'vitest';
import { BATCH_SCHEMAS, MAX_BATCH_READINGS } from '../../contracts/index.js';
import { OfflineBuffer, type BufferedReading } from '../../simulators/offline-buffer.js';

const reading = (seq: number, boot = 'b1'): BufferedReading => ({ boot, reading: { ts: Date.UTC(2025, 0, 1) + seq * 5_000, seq, temperatureC: 3.2 } });
const range = (from: number, to: number, boot?: string) => Array.from({ length: to - from }, (_, i) => reading(from + i, boot));

describe('OfflineBuffer', () => {
  it('keeps the newest readings when full and counts what it dropped', () => {
    const buffer = new OfflineBuffer(100, MAX_BATCH_READINGS, 1 << 20);
    buffer.add(range(0, 130));
    expect(buffer.size).toBe(100);
    expect(buffer.dropped).toBe(30);
    expect(buffer.takeBatch()[0]?.reading.seq).toBe(30);
  });

  it('cuts batches at 500 readings, at the byte limit and at a change of boot, all valid against the contract', () => {
    const buffer = new OfflineBuffer(10_000, MAX_BATCH_READINGS, 4_096);
    buffer.add([...range(0, 20, 'old'), ...range(0, 1_200, 'new')]);
    const batches: BufferedReading[][] = [];
    while (buffer.size > 0) batches.push(buffer.takeBatch());
    expect(batches[0]?.every((r) => r.boot === 'old')).toBe(true);
    for (const batch of batches) {
      const payload = JSON.stringify({ boot: batch[0]?.boot, readings: batch.map((b) => b.reading) });
      expect(payload.length).toBeLessThanOrEqual(4_096);
      expect(new Set(batch.map((b) => b.boot)).size).toBe(1);
      expect(BATCH_SCHEMAS.temperature.safeParse(JSON.parse(payload)).success).toBe(true);
    }
    expect(batches.flat()).toHaveLength(1_220);
    const big = new OfflineBuffer(10_000, MAX_BATCH_READINGS, 1 << 20);
    big.add(range(0, 1_200));
    expect(big.takeBatch()).toHaveLength(MAX_BATCH_READINGS);
  });
});
