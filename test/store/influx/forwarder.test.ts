import { afterEach, describe, expect, it, vi } from 'vitest';
import { InfluxForwarder } from '../../../store/influx/forwarder.js';
import { InfluxWriteError, type LineWriter } from '../../../store/influx/line-writer.js';
import type { OutboxQueue, OutboxRow } from '../../../store/sqlite/outbox.js';

/** The outbox as the forwarder sees it, in memory (the SQLite one is tested with a real server in victoria-*.test.ts). */
function memoryOutbox(lines: string[]): OutboxQueue & { rows: OutboxRow[]; setAsideRows: { line: string; reason: string }[] } {
  const rows = lines.map((line, i) => ({ id: i + 1, line, enqueuedAt: 1000 + i }));
  const setAsideRows: { line: string; reason: string }[] = [];
  return {
    rows,
    setAsideRows,
    setAside: (id, reason) => {
      const i = rows.findIndex((r) => r.id === id);
      setAsideRows.push({ line: rows[i]!.line, reason });
      rows.splice(i, 1);
    },
    peek: (limit) => rows.slice(0, limit),
    remove: (throughId) => {
      while (rows.length > 0 && rows[0]!.id <= throughId) rows.shift();
    },
    size: () => rows.length,
    oldestEnqueuedAt: () => rows[0]?.enqueuedAt,
  };
}

/** A writer that fails with the given errors first, then accepts; records each batch it was given. */
function scriptedWriter(failures: InfluxWriteError[]): LineWriter & { batches: string[][] } {
  const batches: string[][] = [];
  return {
    batches,
    async write(lines) {
      batches.push([...lines]);
      const failure = failures.shift();
      if (failure) throw failure;
    },
    close: async () => undefined,
  };
}

describe('InfluxDB forwarder', () => {
  let forwarder: InfluxForwarder | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await forwarder?.close();
  });

  it('sends the oldest rows first in batches and deletes each batch only after it was confirmed', async () => {
    const outbox = memoryOutbox(['a', 'b', 'c', 'd', 'e']);
    const writer = scriptedWriter([]);
    const sizeDuringWrite: number[] = [];
    const write = writer.write.bind(writer);
    writer.write = async (lines) => {
      sizeDuringWrite.push(outbox.size());
      await write(lines);
    };
    forwarder = new InfluxForwarder({ outbox, writer, batchSize: 2 });
    forwarder.start();
    await forwarder.drained();
    expect(writer.batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(sizeDuringWrite).toEqual([5, 3, 1]);
    expect(forwarder.status()).toEqual({ backlog: 0, oldestEnqueuedAt: undefined, consecutiveFailures: 0, lastError: undefined });
  });

  it('retries the same batch after a failure, waiting at least the server Retry-After', async () => {
    vi.useFakeTimers();
    const outbox = memoryOutbox(['a', 'b']);
    const writer = scriptedWriter([new InfluxWriteError('HTTP 429', 429, 60_000), new InfluxWriteError('HTTP 503', 503, undefined)]);
    const errors: number[] = [];
    forwarder = new InfluxForwarder({ outbox, writer, baseDelayMs: 100, maxDelayMs: 1_000, random: () => 1, onError: (e) => errors.push(e.statusCode!) });
    forwarder.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(writer.batches).toHaveLength(1);
    expect(forwarder.status()).toMatchObject({ backlog: 2, consecutiveFailures: 1, lastError: 'HTTP 429' });
    // The backoff alone would retry after 100 ms; the server asked for a minute.
    await vi.advanceTimersByTimeAsync(59_000);
    expect(writer.batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(writer.batches).toHaveLength(2);
    // Second failure: the delay doubles (200 ms with this jitter), then the batch goes through.
    await vi.advanceTimersByTimeAsync(199);
    expect(writer.batches).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(writer.batches).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b']]);
    expect(errors).toEqual([429, 503]);
    expect(forwarder.status()).toMatchObject({ backlog: 0, consecutiveFailures: 0 });
  });

  it('wakes up for rows that arrive while it idles, and stops without losing what is left', async () => {
    const outbox = memoryOutbox([]);
    const writer = scriptedWriter([]);
    forwarder = new InfluxForwarder({ outbox, writer });
    forwarder.start();
    await forwarder.drained();
    outbox.rows.push({ id: 7, line: 'late', enqueuedAt: 5 });
    forwarder.notify();
    await forwarder.drained();
    expect(writer.batches).toEqual([['late']]);
    await forwarder.close();
    outbox.rows.push({ id: 8, line: 'after close', enqueuedAt: 6 });
    forwarder.notify();
    expect(outbox.size()).toBe(1);
    forwarder = undefined;
  });

  it('narrows a refused batch down to the line InfluxDB cannot take, sets that line aside and carries on at once', async () => {
    vi.useFakeTimers();
    const outbox = memoryOutbox(['a', 'b', 'bad', 'c', 'd', 'e', 'f']);
    const stored = new Set<string>();
    const attempts: string[][] = [];
    // Like InfluxDB 2.x on a partial write: the good lines are stored, the answer is 400.
    const writer: LineWriter = {
      async write(lines) {
        attempts.push([...lines]);
        for (const line of lines) if (line !== 'bad') stored.add(line);
        if (lines.includes('bad')) throw new InfluxWriteError('HTTP 400 field type conflict', 400, undefined);
      },
      close: async () => undefined,
    };
    forwarder = new InfluxForwarder({ outbox, writer, batchSize: 4, baseDelayMs: 60_000 });
    forwarder.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(outbox.size()).toBe(0);
    expect(outbox.setAsideRows).toEqual([{ line: 'bad', reason: 'HTTP 400 field type conflict' }]);
    expect([...stored].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(attempts[0]).toEqual(['a', 'b', 'bad', 'c']);
    expect(attempts).toContainEqual(['bad']);
  });

  it('keeps retrying, never setting aside, when the server is down or refuses the token', async () => {
    vi.useFakeTimers();
    const outbox = memoryOutbox(['a']);
    const writer = scriptedWriter([new InfluxWriteError('HTTP 401', 401, undefined), new InfluxWriteError('unreachable', undefined, undefined)]);
    forwarder = new InfluxForwarder({ outbox, writer, baseDelayMs: 10, maxDelayMs: 10 });
    forwarder.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(outbox.setAsideRows).toEqual([]);
    expect(writer.batches).toEqual([['a'], ['a'], ['a']]);
    expect(outbox.size()).toBe(0);
  });

  it('survives an outbox that fails (SQLite full): reports it, backs off and delivers everything once it works again', async () => {
    vi.useFakeTimers();
    const outbox = memoryOutbox(['a', 'b', 'bad', 'c']);
    const full = () => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    };
    const peek = outbox.peek;
    const setAside = outbox.setAside;
    let faults = 3;
    // The first reads fail, and so does the first attempt to set the refused line aside.
    outbox.peek = (limit) => (faults-- > 0 ? full() : peek(limit));
    let setAsideFaults = 1;
    outbox.setAside = (id, reason) => (setAsideFaults-- > 0 ? full() : setAside(id, reason));
    const writer: LineWriter = {
      async write(lines) {
        if (lines.includes('bad')) throw new InfluxWriteError('HTTP 422 beyond retention', 422, undefined);
      },
      close: async () => undefined,
    };
    const outboxErrors: number[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      forwarder = new InfluxForwarder({ outbox, writer, batchSize: 4, baseDelayMs: 10, maxDelayMs: 10, onOutboxError: (_e, n) => outboxErrors.push(n) });
      forwarder.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(forwarder.status()).toMatchObject({ backlog: 4, lastError: 'outbox: database or disk is full' });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(outbox.size()).toBe(0);
      expect(outbox.setAsideRows).toEqual([{ line: 'bad', reason: 'HTTP 422 beyond retention' }]);
      expect(outboxErrors.length).toBe(4);
      expect(forwarder.status()).toMatchObject({ consecutiveFailures: 0, lastError: undefined });
      // Let a rejection that nobody handles surface before looking.
      vi.useRealTimers();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('goes back to full batches once a refused line is set aside', async () => {
    vi.useFakeTimers();
    const lines = ['bad', ...Array.from({ length: 12 }, (_, i) => `ok${i}`)];
    const outbox = memoryOutbox(lines);
    const attempts: number[] = [];
    const writer: LineWriter = {
      async write(batch) {
        attempts.push(batch.length);
        if (batch.includes('bad')) throw new InfluxWriteError('HTTP 422 beyond retention', 422, undefined);
      },
      close: async () => undefined,
    };
    forwarder = new InfluxForwarder({ outbox, writer, batchSize: 8, baseDelayMs: 60_000 });
    forwarder.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(outbox.size()).toBe(0);
    // 8, 4, 2, 1 to isolate the bad line, then the other twelve in batches of 8 again (not 1, 2, 4, …).
    expect(attempts).toEqual([8, 4, 2, 1, 8, 4]);
  });
});
