import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoreUpkeep } from '../../app/store-upkeep.js';
import { createLogger } from '../../observability/logger.js';

describe('store upkeep', () => {
  afterEach(() => vi.useRealTimers());

  it('logs a job that throws (SQLITE_FULL) instead of crashing, runs it again at the next tick, and starts only when told', async () => {
    vi.useFakeTimers();
    const logger = createLogger('silent');
    // What an operator would read: one error line per failed run, naming the job.
    const errors: unknown[] = [];
    vi.spyOn(logger, 'error').mockImplementation(((obj: unknown) => void errors.push(obj)) as never);
    let runs = 0;
    const upkeep = new StoreUpkeep(
      [
        {
          name: 'forget-seen',
          everyMs: 1_000,
          atStart: true,
          work: () => {
            runs++;
            throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
          },
        },
        { name: 'prune', everyMs: 1_000, work: async () => Promise.reject(new Error('disk I/O error')) },
      ],
      logger,
    );
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(0);
    upkeep.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(2);
    expect(errors).toEqual([
      expect.objectContaining({ job: 'forget-seen' }),
      expect.objectContaining({ job: 'forget-seen' }),
      expect.objectContaining({ job: 'prune' }),
    ]);
    await upkeep.close();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(2);
  });

  it('does not start a job again while its last run is still going', async () => {
    vi.useFakeTimers();
    let running = 0;
    let started = 0;
    let finish: () => void = () => undefined;
    const upkeep = new StoreUpkeep(
      [
        {
          name: 'rollup',
          everyMs: 100,
          work: async () => {
            started++;
            running++;
            await new Promise<void>((resolve) => (finish = resolve));
            running--;
          },
        },
      ],
      createLogger('silent'),
    );
    upkeep.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(started).toBe(1);
    finish();
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toBe(2);
    expect(running).toBe(1);
    finish();
    await upkeep.close();
  });
});
