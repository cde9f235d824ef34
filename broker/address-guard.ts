import { isIPv6 } from 'node:net';
import { LRUCache } from 'lru-cache';

export interface AddressGuardOptions {
  /** Connections from one address that have not yet authenticated; more are closed at accept. */
  maxPendingPerAddress: number;
  /** Unauthenticated connections in all; more are closed at accept, so a flood cannot starve the devices already connected. */
  maxPending: number;
  /** Failed logins (bad device id or secret) from one address within `failureWindowMs` before it is banned. */
  failureLimit: number;
  failureWindowMs: number;
  /** How long a banned address is refused. */
  banMs: number;
  /** Addresses whose failures are remembered; the least recently seen is forgotten first, so memory stays bounded. */
  maxTracked: number;
  clock: () => number;
}

/** Why a new connection was turned away at accept (also the metric's reason label). */
export type AdmissionRefusal = 'address_banned' | 'too_many_pending_from_address' | 'too_many_pending';

interface Failures {
  count: number;
  windowStart: number;
  bannedUntil: number;
}

/**
 * Admission control of the MQTT listener, per client address: bounds the
 * connections that have not authenticated yet (a connect flood), and bans an
 * address for a while after repeated failed logins (brute force on device
 * secrets). IPv6 addresses count per /64, the block one subscriber is given.
 *
 * Only failed credentials count, not a revoked device or a deactivated site: a
 * revoked device retrying in the field must not lock out the other devices
 * behind the same NAT.
 */
export class AddressGuard {
  private readonly pending = new Map<string, number>();
  private pendingTotal = 0;
  private readonly failures: LRUCache<string, Failures>;

  constructor(private readonly options: AddressGuardOptions) {
    this.failures = new LRUCache({ max: options.maxTracked });
  }

  /** Decides on a new connection; when admitted it counts as pending until {@link settle}. */
  admit(address: string): AdmissionRefusal | undefined {
    if (this.isBanned(address)) return 'address_banned';
    if (this.pendingTotal >= this.options.maxPending) return 'too_many_pending';
    const fromAddress = this.pending.get(address) ?? 0;
    if (fromAddress >= this.options.maxPendingPerAddress) return 'too_many_pending_from_address';
    this.pending.set(address, fromAddress + 1);
    this.pendingTotal++;
    return undefined;
  }

  /** An admitted connection authenticated or closed: it no longer counts as pending. */
  settle(address: string): void {
    const fromAddress = this.pending.get(address);
    if (fromAddress === undefined) return;
    if (fromAddress <= 1) this.pending.delete(address);
    else this.pending.set(address, fromAddress - 1);
    this.pendingTotal--;
  }

  /** A login from this address failed; returns whether the address is banned now. */
  failed(address: string): boolean {
    const now = this.options.clock();
    const entry = this.failures.get(address);
    const current = entry && now - entry.windowStart < this.options.failureWindowMs ? entry : { count: 0, windowStart: now, bannedUntil: 0 };
    current.count++;
    if (current.count >= this.options.failureLimit) current.bannedUntil = Math.max(current.bannedUntil, now + this.options.banMs);
    this.failures.set(address, current);
    return current.bannedUntil > now;
  }

  isBanned(address: string): boolean {
    const entry = this.failures.get(address);
    return entry !== undefined && entry.bannedUntil > this.options.clock();
  }

  /** Unauthenticated connections now, for tests and metrics. */
  get pendingConnections(): number {
    return this.pendingTotal;
  }

  /** Addresses whose failures are remembered now (never more than `maxTracked`). */
  get trackedAddresses(): number {
    return this.failures.size;
  }
}

/**
 * The key an address is counted under: IPv4 as is (also when IPv4-mapped, as a
 * dual-stack listener reports it), IPv6 by its /64 prefix.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.split('::');
  const groups = head ? head.split(':') : [];
  if (tail !== undefined) {
    const rest = tail ? tail.split(':') : [];
    groups.push(...Array<string>(8 - groups.length - rest.length).fill('0'), ...rest);
  }
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
