import type { OutboxQueue, OutboxRow } from '../sqlite/outbox.js';
import { InfluxWriteError, type LineWriter } from './line-writer.js';

export interface ForwarderOptions {
  outbox: OutboxQueue;
  writer: LineWriter;
  /** Most lines in one write request. */
  batchSize?: number;
  /** First retry delay; doubles per consecutive failure up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Told about each failed write (for logs); the forwarder retries anyway. */
  onError?: (error: InfluxWriteError, consecutiveFailures: number) => void;
  /** Told about a line InfluxDB refuses on its own (moved out of the queue, kept in SQLite). */
  onSetAside?: (row: OutboxRow, error: InfluxWriteError) => void;
  /** Told when writes succeed again after failures. */
  onRecovered?: (failures: number) => void;
  /** Told when the outbox itself fails (SQLite full, an I/O error); the forwarder backs off and tries again. */
  onOutboxError?: (error: unknown, consecutiveFailures: number) => void;
  random?: () => number;
}

export interface ForwarderStatus {
  /** Rows waiting in the outbox. */
  backlog: number;
  /** When the oldest waiting row was enqueued, epoch ms. */
  oldestEnqueuedAt: number | undefined;
  consecutiveFailures: number;
  lastError: string | undefined;
}

/**
 * Sends the outbox to InfluxDB: the oldest rows first, a batch at a time, and
 * deletes a batch only after the server confirmed it. On a failure (5xx, 429,
 * refused connection, timeout, a refused token) it waits — exponential backoff
 * with jitter, at least the server's Retry-After — and sends the same batch again, so after an
 * outage the backlog replays in order. A batch written but not confirmed (the
 * connection died after the server stored it) is sent again: the points have the
 * same series and time, so InfluxDB overwrites them and nothing is doubled.
 */
export class InfluxForwarder {
  private readonly batchSize: number;
  /** The batch size of the next attempt: smaller while narrowing down a refused line. */
  private limit: number;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private interrupt: (() => void) | undefined;
  private failures = 0;
  private lastError: string | undefined;
  private drainedWaiters: (() => void)[] = [];

  constructor(private readonly options: ForwarderOptions) {
    this.batchSize = options.batchSize ?? 5_000;
    this.limit = this.batchSize;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** New rows are waiting: stop idling (a retry delay is not cut short). */
  notify(): void {
    this.wake?.();
  }

  /** Resolves once the outbox is empty (for tests and tools; it may wait as long as an outage lasts). */
  drained(): Promise<void> {
    if (this.options.outbox.size() === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  status(): ForwarderStatus {
    return {
      backlog: this.options.outbox.size(),
      oldestEnqueuedAt: this.options.outbox.oldestEnqueuedAt(),
      consecutiveFailures: this.failures,
      lastError: this.lastError,
    };
  }

  /** Stops after the write under way; what is left stays in the outbox for the next start. */
  async close(): Promise<void> {
    this.stopped = true;
    this.interrupt?.();
    await this.running;
    await this.options.writer.close();
  }

  /**
   * Never rejects: a failure of the outbox itself (reading, deleting or setting
   * aside rows in SQLite) is reported and retried after a backoff like a failed
   * write; the rows stay where they are, so nothing is lost or sent out of order.
   */
  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.step();
      } catch (caught) {
        this.failures++;
        this.lastError = `outbox: ${caught instanceof Error ? caught.message : String(caught)}`;
        try {
          this.options.onOutboxError?.(caught, this.failures);
        } catch {
          // A throwing listener must not end the loop; the failure is in status() anyway.
        }
        await this.pause(this.retryDelay(undefined));
      }
    }
  }

  /** One batch: read it, write it, delete it (or narrow it down, or wait before the retry). */
  private async step(): Promise<void> {
    const { outbox, writer } = this.options;
    const batch = outbox.peek(this.limit);
    if (batch.length === 0) {
      for (const resolve of this.drainedWaiters.splice(0)) resolve();
      await this.pause(undefined);
      return;
    }
    let error: InfluxWriteError | undefined;
    try {
      await writer.write(batch.map((row) => row.line));
    } catch (caught) {
      error = caught instanceof InfluxWriteError ? caught : new InfluxWriteError(String(caught), undefined, undefined, { cause: caught });
    }
    if (error === undefined) {
      outbox.remove(batch[batch.length - 1]!.id);
      if (this.failures > 0) this.options.onRecovered?.(this.failures);
      this.failures = 0;
      this.lastError = undefined;
      this.limit = Math.min(this.batchSize, this.limit * 2);
      return;
    }
    this.failures++;
    this.lastError = error.message;
    this.options.onError?.(error, this.failures);
    if (!this.narrowDown(batch, error)) await this.pause(this.retryDelay(error));
  }

  /**
   * A batch the server refuses for its content (400, 422: a line it cannot take,
   * such as a field whose type changed; 413: too large) would block the outbox for
   * good if resent as it is. Halve it until the refused line stands alone, then set
   * that line aside (kept in SQLite with the reason, never silently dropped) and go
   * on. Lines of a refused batch that InfluxDB did store are resent and overwrite.
   * Returns true when the next attempt can follow at once.
   */
  private narrowDown(batch: readonly OutboxRow[], error: InfluxWriteError): boolean {
    const refusedContent = error.statusCode === 400 || error.statusCode === 413 || error.statusCode === 422;
    if (!refusedContent) return false;
    if (batch.length > 1) {
      this.limit = Math.ceil(batch.length / 2);
      return true;
    }
    if (error.statusCode === 413) return false;
    this.options.outbox.setAside(batch[0]!.id, error.message);
    // The refused line is out of the way: back to full batches (one bad line among thousands must not slow the rest to one line per request).
    this.limit = this.batchSize;
    this.options.onSetAside?.(batch[0]!, error);
    return true;
  }

  /** Equal jitter (half the exponential cap plus a random half) keeps many servers from retrying in step. */
  private retryDelay(error: InfluxWriteError | undefined): number {
    const base = this.options.baseDelayMs ?? 500;
    const max = this.options.maxDelayMs ?? 30_000;
    const cap = Math.min(max, base * 2 ** Math.min(this.failures - 1, 30));
    const jittered = cap / 2 + (this.options.random ?? Math.random)() * (cap / 2);
    return Math.max(jittered, error?.retryAfterMs ?? 0);
  }

  /** Waits for `ms`, or without `ms` until new rows arrive; close() ends any wait. */
  private pause(ms: number | undefined): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.interrupt = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      this.interrupt = done;
      // New rows end an idle wait, never a retry delay.
      this.wake = ms === undefined ? done : undefined;
    });
  }
}
