import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../ingest/group-commit.js';

/** A write function that records every call and answers each item with its double. */
function recorder(fail?: (items: number[]) => boolean) {
  const calls: number[][] = [];
  const write = async (items: number[]) => {
    calls.push([...items]);
    if (fail?.(items)) throw new Error(`write of ${items.join(',')} failed`);
    return items.map((i) => i * 2);
  };
  return { calls, write };
}

describe('GroupCommitter', () => {
  it('writes items submitted in the same tick in one write and answers each with its own result', async () => {
    const { calls, write } = recorder();
    const committer = new GroupCommitter(write, { maxBatch: 100 });
    const results = await Promise.all([1, 2, 3, 4].map((i) => committer.submit(i)));
    expect(results).toEqual([2, 4, 6, 8]);
    expect(calls).toEqual([[1, 2, 3, 4]]);
    await committer.close();
  });

  it('splits at maxBatch and keeps submission order', async () => {
    const { calls, write } = recorder();
    const committer = new GroupCommitter(write, { maxBatch: 2 });
    expect(await Promise.all([1, 2, 3, 4, 5].map((i) => committer.submit(i)))).toEqual([2, 4, 6, 8, 10]);
    expect(calls).toEqual([[1, 2], [3, 4], [5]]);
    await committer.close();
  });

  it('rejects exactly the items of a failing write, and the next write still works', async () => {
    const { calls, write } = recorder((items) => items.includes(3));
    const sizes: [number, boolean][] = [];
    const committer = new GroupCommitter(write, { maxBatch: 2, onWrite: (size, _s, error) => sizes.push([size, error !== undefined]) });
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => committer.submit(i)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(calls).toEqual([[1, 2], [3, 4], [5]]);
    expect(sizes).toEqual([[2, false], [2, true], [1, false]]);
    // A later submission after the failure goes through.
    expect(await committer.submit(6)).toBe(12);
    await committer.close();
  });

  it('close() waits until everything submitted is written, then refuses new items', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const writeStarted = new Promise<void>((resolve) => (started = resolve));
    const events: string[] = [];
    const committer = new GroupCommitter(
      async (items: number[]) => {
        events.push('write started');
        started();
        await gate;
        events.push('write done');
        return items;
      },
      { maxBatch: 10 },
    );
    const pending = committer.submit(1).then(() => events.push('item resolved'));
    const closed = committer.close().then(() => events.push('closed'));
    // The write is in flight: close() must not have resolved yet.
    await writeStarted;
    expect(events).toEqual(['write started']);
    release();
    await Promise.all([pending, closed]);
    expect(events).toEqual(['write started', 'write done', 'item resolved', 'closed']);
    await expect(committer.submit(2)).rejects.toThrow(/closed/);
  });

  it('while items keep coming, starts writes no closer than minSpacingMs, and they carry what came meanwhile', async () => {
    const starts: number[] = [];
    const calls: number[][] = [];
    const committer = new GroupCommitter(
      async (items: number[]) => {
        starts.push(performance.now());
        calls.push([...items]);
        return items;
      },
      { maxBatch: 100, minSpacingMs: 40 },
    );
    const first = committer.submit(1);
    await first;
    // Three more, one every 5 ms, right after the first write: they wait for the spacing and go together.
    const more: Promise<number>[] = [];
    for (const i of [2, 3, 4]) {
      more.push(committer.submit(i));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await Promise.all(more)).toEqual([2, 3, 4]);
    expect(calls).toEqual([[1], [2, 3, 4]]);
    // Timers may fire a little early; the committer waits out the rest, so never sooner than 40 ms after the last
    // (less the microseconds between the committer's clock read and ours inside the write).
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(39.9);

    // After a quiet spell longer than the spacing, an item is written at once: before a 5 ms timer set with it fires.
    await new Promise((r) => setTimeout(r, 60));
    const order: string[] = [];
    const written = committer.submit(5).then(() => order.push('written'));
    await new Promise((r) => setTimeout(r, 5));
    order.push('5 ms later');
    await written;
    expect(order).toEqual(['written', '5 ms later']);
    await committer.close();
  });

  it('close() with nothing pending resolves at once', async () => {
    const { calls, write } = recorder();
    const committer = new GroupCommitter(write, { maxBatch: 10 });
    await committer.close();
    expect(calls).toEqual([]);
  });
});
