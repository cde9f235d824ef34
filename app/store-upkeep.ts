import type { Logger } from '../observability/logger.js';

export interface UpkeepJob {
  name: string;
  everyMs: number;
  /** Also once as soon as the jobs start (the server is listening by then). */
  atStart?: boolean;
  work: () => unknown;
}

/**
 * The store's background jobs (rollups, pruning, forgetting de-duplication keys)
 * on timers. Each run is guarded: a failure — a full disk, an I/O error, a closed
 * database — is logged and the job runs again at its next tick; it never becomes
 * an uncaught exception or an unhandled rejection. A job still running when its
 * timer fires again is not started a second time.
 */
export class StoreUpkeep {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly jobs: readonly UpkeepJob[],
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.closed || this.timers.length > 0) return;
    for (const job of this.jobs) {
      const timer = setInterval(() => this.runJob(job), job.everyMs);
      timer.unref();
      this.timers.push(timer);
      if (job.atStart) this.runJob(job);
    }
  }

  /** Runs a job now unless it is already running; resolves when that run ends (never rejects). */
  runJob(job: UpkeepJob): Promise<void> {
    const under = this.running.get(job.name);
    if (under || this.closed) return under ?? Promise.resolve();
    // The work starts in a microtask, after the run is registered: a job that throws at once must still be unregistered at its end.
    const run = Promise.resolve()
      .then(() => job.work())
      .then(
        () => undefined,
        (error: unknown) => this.logger.error({ err: error, job: job.name }, 'store upkeep failed; it runs again at the next tick'),
      )
      .finally(() => this.running.delete(job.name));
    this.running.set(job.name, run);
    return run;
  }

  /** Stops the timers and waits for the runs under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.running.values());
  }
}
