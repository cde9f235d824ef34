/**
 * Group commit: every item submitted while a write is being prepared or is in
 * flight goes into the next write, so one transaction (one fsync) acknowledges
 * many messages. Under light load a write carries one message and adds no delay
 * beyond one event-loop turn; under heavy load writes grow up to `maxBatch`.
 */
export interface GroupCommitOptions {
  /** Most items in one write. */
  maxBatch: number;
  /** Called after each write with its size, duration and outcome (for metrics). */
  onWrite?: (size: number, seconds: number, error?: unknown) => void;
}

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class GroupCommitter<T, R> {
  private queue: Pending<T, R>[] = [];
  private scheduled = false;
  private writing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Resolves with the item's result once the write that carried it is durable. */
  submit(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new Error('group committer is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Waits until everything submitted so far is written, then refuses new items. */
  async close(): Promise<void> {
    while (this.queue.length > 0 || this.writing || this.scheduled) {
      await (this.writing ?? new Promise((r) => setImmediate(r)));
    }
    this.closed = true;
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    // setImmediate, not queueMicrotask: let the event loop read every socket that
    // has data before writing, so one commit covers all of them.
    setImmediate(() => {
      this.scheduled = false;
      this.writing = this.writeNext().finally(() => {
        this.writing = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  private async writeNext(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch);
    if (batch.length === 0) return;
    const started = performance.now();
    try {
      const results = await this.write(batch.map((p) => p.item));
      this.options.onWrite?.(batch.length, (performance.now() - started) / 1000);
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      this.options.onWrite?.(batch.length, (performance.now() - started) / 1000, error);
      for (const p of batch) p.reject(error);
    }
  }
}
