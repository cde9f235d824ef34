/**
 * Backpressure at the socket: while too many device messages are between
 * PUBLISH and PUBACK, the broker stops reading devices' sockets, and starts again
 * once half of them are acknowledged. The backlog then waits in the kernel's
 * socket buffers and, once those are full, in the devices themselves (TCP flow
 * control), not in this process's heap. Nothing is refused or dropped.
 *
 * Without it, aedes hands every packet of a read to the hooks at once, so under
 * overload thousands of messages sat parsed and decoded, waiting for a commit,
 * and outlived young-generation collections: at 16,000/s offered to 2,000
 * devices the server spent twice as long in the collector and the median PUBACK
 * was three times as long, at the same throughput (bench/README.md, "Tenth pass").
 *
 * Only connected devices' sockets are gated: a CONNECT is always read, so a
 * device can log in (and is counted as pending no longer than it takes) while
 * the store catches up. A device whose messages wait for longer than 1.5 times
 * its keepalive (a store stalled for minutes) is timed out by aedes and
 * reconnects; what it had sent unacknowledged it sends again.
 *
 * Hysteresis (close at `limit`, open at `limit / 2`) keeps a fleet from waking
 * and pausing on every acknowledgement. The bound is soft: each opening lets
 * every waiting connection hand over what it read while the gate was closed
 * (one socket read, at most 64 KiB), so in flight stays near `limit` plus what
 * the fleet sends while the gate is closed (the time to commit `limit / 2`).
 */
export class ReadGate {
  private inFlight = 0;
  private closed = false;
  private readonly waiting = new Set<() => void>();

  /**
   * @param limit messages in flight that close the gate
   * @param onChange told each time the gate closes or opens (for metrics and logs)
   */
  constructor(
    readonly limit: number,
    private readonly onChange?: (closed: boolean, inFlight: number) => void,
  ) {
    if (!(limit >= 1)) throw new RangeError(`read gate limit must be at least 1, got ${limit}`);
  }

  /** Whether sockets should stop being read now. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** A message was handed over; call {@link leave} once it is answered, either way. */
  enter(): void {
    this.inFlight++;
    if (!this.closed && this.inFlight >= this.limit) {
      this.closed = true;
      this.onChange?.(true, this.inFlight);
    }
  }

  leave(): void {
    this.inFlight--;
    if (this.closed && this.inFlight <= this.limit / 2) {
      this.closed = false;
      this.onChange?.(false, this.inFlight);
      const resumes = [...this.waiting];
      this.waiting.clear();
      for (const resume of resumes) resume();
    }
  }

  /** Calls `resume` once when the gate next opens (at once if it is open). The same function waits once. */
  whenOpen(resume: () => void): void {
    if (this.closed) this.waiting.add(resume);
    else resume();
  }

  /** Forgets a waiting `resume` (its connection closed). */
  cancel(resume: () => void): void {
    this.waiting.delete(resume);
  }
}
