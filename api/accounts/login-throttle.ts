/**
 * Slows down password guessing, per account and per client address, with an
 * injected clock so tests can move time.
 *
 * - Per account (by the name tried, whether or not it exists, so the answer
 *   never tells which names are real): the first `freeFailures` consecutive
 *   failures cost nothing; each further one locks the name for `baseLockMs`,
 *   doubling per failure up to `maxLockMs`. A success resets the count.
 * - Per address: more than `ipMaxFailures` failures within `ipWindowMs` lock
 *   the address until the oldest of them leaves the window.
 *
 * While locked, a login is refused without checking the password, so a locked
 * name cannot be used as a guessing oracle. The state is in memory: a restart
 * clears it (restarting needs more access than guessing does).
 */
export interface LoginThrottleOptions {
  freeFailures: number;
  baseLockMs: number;
  maxLockMs: number;
  ipMaxFailures: number;
  ipWindowMs: number;
  clock: () => number;
}

export const DEFAULT_LOGIN_THROTTLE: Omit<LoginThrottleOptions, 'clock'> = {
  freeFailures: 5,
  baseLockMs: 60_000,
  maxLockMs: 15 * 60_000,
  ipMaxFailures: 30,
  ipWindowMs: 15 * 60_000,
};

interface AccountState {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

/** Entries idle this long are dropped, so the maps cannot grow without end. */
const IDLE_MS = 24 * 3_600_000;
const MAX_ENTRIES = 100_000;

export class LoginThrottle {
  private readonly accounts = new Map<string, AccountState>();
  private readonly addresses = new Map<string, number[]>();

  constructor(private readonly options: LoginThrottleOptions) {}

  /** Milliseconds until this name and address may try again; 0 if they may now. */
  retryAfterMs(name: string, ip: string): number {
    const now = this.options.clock();
    const account = this.accounts.get(key(name));
    const accountWait = account ? Math.max(0, account.lockedUntil - now) : 0;
    const recent = this.recentFailures(ip, now);
    const ipWait = recent.length >= this.options.ipMaxFailures ? recent[0]! + this.options.ipWindowMs - now : 0;
    return Math.max(accountWait, ipWait);
  }

  failure(name: string, ip: string): void {
    const now = this.options.clock();
    this.prune(now);
    const k = key(name);
    const state = this.accounts.get(k) ?? { failures: 0, lockedUntil: 0, lastFailure: now };
    state.failures++;
    state.lastFailure = now;
    const over = state.failures - this.options.freeFailures;
    if (over > 0) state.lockedUntil = now + Math.min(this.options.maxLockMs, this.options.baseLockMs * 2 ** Math.min(over - 1, 20));
    this.accounts.set(k, state);
    const recent = this.recentFailures(ip, now);
    recent.push(now);
    this.addresses.set(ip, recent.slice(-this.options.ipMaxFailures));
  }

  success(name: string): void {
    this.accounts.delete(key(name));
  }

  private recentFailures(ip: string, now: number): number[] {
    return (this.addresses.get(ip) ?? []).filter((t) => now - t < this.options.ipWindowMs);
  }

  private prune(now: number): void {
    if (this.accounts.size + this.addresses.size < MAX_ENTRIES) return;
    for (const [k, s] of this.accounts) if (now - s.lastFailure > IDLE_MS && s.lockedUntil <= now) this.accounts.delete(k);
    for (const [ip, times] of this.addresses) if (!times.some((t) => now - t < this.options.ipWindowMs)) this.addresses.delete(ip);
  }
}

const key = (name: string) => name.trim().toLowerCase();
