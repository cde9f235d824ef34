import { isIPv6 } from 'node:net';
import { LRUCache } from 'lru-cache';

export interface AddressGuardOptions {
  /** Connections from one address that have not yet authenticated; more are closed at accept. */
  maxPendingPerAddress: number;
  /** Unauthenticated connections in all; more are closed at accept, so a flood cannot starve the devices already connected. */
  maxPending: number;
  /** Failed logins of one device id from one address within `failureWindowMs` before that id is refused from there. */
  failureLimit: number;
  /**
   * Distinct device ids failing from one address within `failureWindowMs` before
   * the whole address is banned: guessing across many ids is brute force or
   * credential stuffing, while one device with a stale secret is just one id.
   */
  distinctIdLimit: number;
  failureWindowMs: number;
  /** How long a banned address, or a refused (address, id) pair, stays refused. */
  banMs: number;
  /** (address, id) pairs and addresses whose failures are remembered; the least recently seen is forgotten first, so memory stays bounded. */
  maxTracked: number;
  clock: () => number;
}

/** Why a new connection was turned away at accept (also the metric's reason label). */
export type AdmissionRefusal = 'address_banned' | 'too_many_pending_from_address' | 'too_many_pending';

/** Which ban a failed login put in force, if any. */
export type BanOutcome = 'address' | 'login' | undefined;

interface Window {
  start: number;
  bannedUntil: number;
}

interface LoginFailures extends Window {
  count: number;
}

interface AddressFailures extends Window {
  /** Device ids that failed in this window; never more than `distinctIdLimit`. */
  ids: Set<string>;
}

/**
 * Admission control of the MQTT listener, per client address: bounds the
 * connections that have not authenticated yet (a connect flood), and refuses
 * repeated failed logins (brute force on device secrets). IPv6 addresses count
 * per /64, the block one subscriber is given.
 *
 * Failures count per (address, device id): a kitchen's devices share one
 * address behind its NAT, and 4G SIMs share carrier-grade NAT addresses, so one
 * device with a stale secret must not lock out its neighbours. Only when failures
 * from one address span `distinctIdLimit` ids is the whole address banned.
 * Only failed credentials count, not a revoked device or a deactivated site.
 */
export class AddressGuard {
  private readonly pending = new Map<string, number>();
  private pendingTotal = 0;
  private readonly logins: LRUCache<string, LoginFailures>;
  private readonly addresses: LRUCache<string, AddressFailures>;

  constructor(private readonly options: AddressGuardOptions) {
    this.logins = new LRUCache({ max: options.maxTracked });
    this.addresses = new LRUCache({ max: options.maxTracked });
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

  /**
   * A login of `deviceId` from this address failed (a bad secret, or no usable
   * credentials: pass `''`). Returns the ban this failure put in force, if any.
   */
  failed(address: string, deviceId: string): BanOutcome {
    const now = this.options.clock();
    // A new window starts the count again; a ban still running carries over.
    const fresh = <T extends Window>(entry: T | undefined, create: (bannedUntil: number) => T): T =>
      entry && now - entry.start < this.options.failureWindowMs ? entry : create(entry?.bannedUntil ?? 0);

    const key = loginKey(address, deviceId);
    const login = fresh(this.logins.get(key), (bannedUntil) => ({ count: 0, start: now, bannedUntil }));
    login.count++;
    this.logins.set(key, login);
    const site = fresh(this.addresses.get(address), (bannedUntil) => ({ ids: new Set<string>(), start: now, bannedUntil }));
    if (site.ids.size < this.options.distinctIdLimit) site.ids.add(deviceId);
    this.addresses.set(address, site);

    if (site.ids.size >= this.options.distinctIdLimit && site.bannedUntil <= now) {
      site.bannedUntil = now + this.options.banMs;
      return 'address';
    }
    if (login.count >= this.options.failureLimit && login.bannedUntil <= now) {
      login.bannedUntil = now + this.options.banMs;
      return 'login';
    }
    return undefined;
  }

  /** Whether the whole address is banned (checked at accept, before a byte is read). */
  isBanned(address: string): boolean {
    const entry = this.addresses.get(address);
    return entry !== undefined && entry.bannedUntil > this.options.clock();
  }

  /** Whether this device id is refused from this address (or the whole address is banned). */
  isLoginBanned(address: string, deviceId: string): boolean {
    const entry = this.logins.get(loginKey(address, deviceId));
    return (entry !== undefined && entry.bannedUntil > this.options.clock()) || this.isBanned(address);
  }

  /** Unauthenticated connections now, for tests and metrics. */
  get pendingConnections(): number {
    return this.pendingTotal;
  }

  /** (address, device id) pairs whose failures are remembered now (never more than `maxTracked`). */
  get trackedLogins(): number {
    return this.logins.size;
  }

  /** Addresses whose failures are remembered now (never more than `maxTracked`). */
  get trackedAddresses(): number {
    return this.addresses.size;
  }
}

/** NUL cannot occur in an address or a device id, so the pair key is unambiguous. */
function loginKey(address: string, deviceId: string): string {
  return `${address}\u0000${deviceId}`;
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
